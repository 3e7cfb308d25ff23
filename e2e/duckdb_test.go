package e2e

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	icetable "github.com/apache/iceberg-go/table"

	"github.com/tributary-io/tributary/internal/testpy"
)

// DuckDB (PyPI's duckdb, pinned to the version of the duckdb-ext-iceberg,
// -avro and -httpfs wheels, internal/testpy) ATTACHes the built-in catalog
// with OAuth2 client credentials, as docs/query.md tells users, and asks
// what SparkCheck asks Spark of the table ingest wrote from Protobuf (the
// records TestSpark produces); the answers are compared value by value by
// TestSpark's checks. Then it writes through the catalog (CREATE TABLE AS,
// which failed on a local warehouse until the catalog made a staged
// table's directories; CREATE TABLE, INSERT ... SELECT, INSERT) and reads
// the tables back. testdata/duckdb_check.py prints
// the rows; the judging is here. It skips when PyPI cannot be reached.
func TestDuckDB(t *testing.T) {
	python := testpy.DuckDB(t)
	n, cat, _ := sparkPlainNode(t)
	produced := sparkProduce(t, n, cat)
	sparkWaitRecords(t, cat, icetable.Identifier{"shop", "orders"}, len(produced))

	calls := sparkRecordCalls(t, cat)
	calls.who = "DuckDB"
	ctx := ctxTimeout(t, 5*time.Minute)
	cmd := exec.CommandContext(ctx, python, filepath.Join("testdata", "duckdb_check.py"), calls.url, "spark", sparkPassword, "shop.orders")
	res := sparkRun(t, ctx, cmd)
	sparkCheckReads(t, res, produced)

	ctas := map[string]string{}
	for _, p := range produced {
		if p.msg != nil {
			e := expectMessage(p.msg.ProtoReflect())
			ctas[e["id"].(string)] = e["big_u64"].(string)
		}
	}
	duckCheckRows(t, "duck.ctas", res["ctas"], ctas)
	want := map[string]string{"added": "18446744073709551615"}
	for id, v := range ctas {
		want[id] = v
	}
	duckCheckRows(t, "duck.made", res["made"], want)
	// The CREATE TABLE AS is one staged create committed with its append.
	ctasMeta := sparkLoad(t, cat, icetable.Identifier{"duck", "ctas"}).Metadata()
	if s := ctasMeta.Snapshots(); len(s) != 1 || ctasMeta.CurrentSnapshot() == nil {
		t.Errorf("duck.ctas: snapshots %v, want one append, current", s)
	}
	// iceberg-go (v0.x) cannot scan what DuckDB 1.4.4 writes (its manifest
	// list's Avro schema gives manifest_path a writer type iceberg-go's
	// reader refuses), and DuckDB writes no snapshot summary, so beside
	// DuckDB's own reading back (a fresh load through the catalog) the
	// catalog's side is checked on the metadata: one append per INSERT,
	// each on the one before.
	meta := sparkLoad(t, cat, icetable.Identifier{"duck", "made"}).Metadata()
	snaps := meta.Snapshots()
	if len(snaps) != 2 || snaps[1].ParentSnapshotID == nil || *snaps[1].ParentSnapshotID != snaps[0].SnapshotID ||
		meta.CurrentSnapshot() == nil || meta.CurrentSnapshot().SnapshotID != snaps[1].SnapshotID {
		t.Errorf("duck.made: snapshots %v, want two appends, the second current", snaps)
	}
	calls.check(t)
}

// duckCheckRows compares the id and big_u64 of the rows DuckDB read back
// from a table it wrote with want (id to big_u64).
func duckCheckRows(t *testing.T, name string, rows []map[string]any, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	for _, row := range rows {
		got[fmt.Sprint(row["id"])] = fmt.Sprint(row["big_u64"])
	}
	if len(rows) != len(want) || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: DuckDB reads %d rows %v\nwant %d: %v", name, len(rows), got, len(want), want)
	}
}
