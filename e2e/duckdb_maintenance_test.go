package e2e

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	icecatalog "github.com/apache/iceberg-go/catalog"
	icetable "github.com/apache/iceberg-go/table"

	"github.com/tributary-io/tributary/internal/testpy"
	"github.com/tributary-io/tributary/maintenance"
)

// TestDuckDBWrittenTableMaintenance: DuckDB 1.4.4 writes a table through
// the built-in catalog (CREATE TABLE, three INSERTs) and reads it back;
// iceberg-go v0.7.0 cannot read the manifest lists DuckDB wrote (their
// Avro schema makes manifest_path, like every field, a ["null","string"]
// union; the spec has "string"), so neither a one-shot maintenance run
// nor a Runner can maintain the table. The run must say so
// (maintenance.ErrUnreadableManifests); the Runner must mark the table
// skipped with that reason, not fail it at every check (before, each
// check re-read the manifests, logged a warning and set last_error
// forever), and try again once the table has a new snapshot.
func TestDuckDBWrittenTableMaintenance(t *testing.T) {
	python := testpy.DuckDB(t)
	n, cat, _ := sparkPlainNode(t)
	ctx := ctxTimeout(t, 3*time.Minute)
	duck := func(stmts ...string) sparkResults {
		t.Helper()
		args := append([]string{filepath.Join("testdata", "duckdb_sql.py"), cat.url, "spark", sparkPassword}, stmts...)
		return sparkRun(t, ctx, exec.CommandContext(ctx, python, args...))
	}
	res := duck("CREATE SCHEMA t.duck", "CREATE TABLE t.duck.m (id BIGINT, name VARCHAR)",
		"INSERT INTO t.duck.m VALUES (1, 'one')", "INSERT INTO t.duck.m VALUES (2, 'two')",
		"INSERT INTO t.duck.m VALUES (3, 'three')", "SELECT count(*) AS n FROM t.duck.m")
	if got := fmt.Sprint(res["5"]); got != "[map[n:3]]" {
		t.Fatalf("DuckDB counts %s rows in its own table, want 3", got)
	}

	id := icetable.Identifier{"duck", "m"}
	tbl := sparkLoad(t, cat, id)
	_, err := tbl.Scan().PlanFiles(ctx)
	if err == nil || !strings.Contains(err.Error(), "incompatible at manifest_path: reader string vs writer null") {
		t.Fatalf("iceberg-go plans DuckDB's table: %v; want its manifest list refused at manifest_path "+
			"(if iceberg-go reads it now, maintenance's ErrUnreadableManifests skip can go)", err)
	}
	_, err = maintenance.Run(ctx, sparkCatalog(t, ctx, cat), id, maintenance.Options{})
	if !errors.Is(err, maintenance.ErrUnreadableManifests) {
		t.Errorf("maintenance.Run on DuckDB's table: %v, want ErrUnreadableManifests", err)
	}

	r, err := maintenance.NewRunner(maintenance.RunnerOptions{
		Leases: n.Meta, Holder: "test",
		Catalog: func(ctx context.Context, _ string) (icecatalog.Catalog, error) { return sparkCatalog(t, ctx, cat), nil },
		Tables:  func() []maintenance.TableRef { return []maintenance.TableRef{{Catalog: "tributary", Table: "duck.m"}} },
	})
	if err != nil {
		t.Fatal(err)
	}
	status := func() maintenance.TableStatus {
		t.Helper()
		r.CheckAll(ctx)
		st := r.Status()
		if len(st) != 1 {
			t.Fatalf("runner status: %v, want duck.m's", st)
		}
		return st[0]
	}
	first := status()
	snap := fmt.Sprint("snapshot ", tbl.CurrentSnapshot().SnapshotID)
	if !strings.Contains(first.Skipped, snap) || !strings.Contains(first.Skipped, "manifest_path") || first.LastError != "" || first.Runs != 0 {
		t.Fatalf("runner on DuckDB's table: skipped %q, last error %q, %d runs; want skipped at %s (manifest_path), no error, no run",
			first.Skipped, first.LastError, first.Runs, snap)
	}
	if again := status(); again.CheckedAt != first.CheckedAt || again.Skipped != first.Skipped {
		t.Errorf("second check at the same snapshot: checked at %v (was %v), skipped %q; want it left alone", again.CheckedAt, first.CheckedAt, again.Skipped)
	}
	duck("INSERT INTO t.duck.m VALUES (4, 'four')")
	next := sparkLoad(t, cat, id).CurrentSnapshot().SnapshotID
	if after := status(); !after.CheckedAt.After(first.CheckedAt) || !strings.Contains(after.Skipped, fmt.Sprint("snapshot ", next)) {
		t.Errorf("check after DuckDB's next commit: checked at %v (was %v), skipped %q; want tried again at snapshot %d", after.CheckedAt, first.CheckedAt, after.Skipped, next)
	}
}
