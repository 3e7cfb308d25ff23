package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/tributary-io/tributary/internal/testpy"
)

// TestPyIcebergConcurrentWriters: 8 PyIceberg processes append to one
// table at once, 6 commits of 50 rows each (testdata/pyiceberg_writer.py,
// retrying a commit that lost the race on a fresh load, as PyIceberg
// leaves that to its caller). Nothing may be lost: the table holds every
// row once (2,400 ids, each writer's own), one snapshot per commit, and
// each snapshot's parent is the one before it.
func TestPyIcebergConcurrentWriters(t *testing.T) {
	python := testpy.PyIceberg(t)
	f := newFixture(t, nil, Options{})
	ctx := context.Background()
	cat := f.client(t)
	if err := cat.CreateNamespace(ctx, table.Identifier{"conc"}, nil); err != nil {
		t.Fatal(err)
	}
	schema := iceberg.NewSchema(0,
		iceberg.NestedField{ID: 1, Name: "id", Type: iceberg.PrimitiveTypes.Int64, Required: true},
		iceberg.NestedField{ID: 2, Name: "writer", Type: iceberg.PrimitiveTypes.Int64, Required: true})
	if _, err := cat.CreateTable(ctx, table.Identifier{"conc", "t"}, schema); err != nil {
		t.Fatal(err)
	}

	const writers, commits, rows = 8, 6, 50
	start := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	conflicts := 0
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, python, filepath.Join("testdata", "pyiceberg_writer.py"), f.url, fmt.Sprint(w), fmt.Sprint(commits), fmt.Sprint(rows))
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			var res struct{ Commits, Conflicts int }
			if err == nil {
				err = json.Unmarshal(out, &res)
			}
			if err != nil || res.Commits != commits {
				t.Errorf("writer %d: %v, %d commits (want %d)\n%s%s", w, err, res.Commits, commits, out, stderr.String())
			}
			mu.Lock()
			conflicts += res.Conflicts
			mu.Unlock()
		}()
	}
	wg.Wait()
	t.Logf("%d PyIceberg writers, %d commits each: %.1fs, %d conflicts retried", writers, commits, time.Since(start).Seconds(), conflicts)

	tbl, err := cat.LoadTable(ctx, table.Identifier{"conc", "t"})
	if err != nil {
		t.Fatal(err)
	}
	checkConcurrentRows(t, tbl, writers, commits, rows)
	snaps := tbl.Metadata().Snapshots()
	if len(snaps) != writers*commits {
		t.Errorf("%d snapshots, want %d (one per commit)", len(snaps), writers*commits)
	}
	for i := 1; i < len(snaps); i++ {
		if p := snaps[i].ParentSnapshotID; p == nil || *p != snaps[i-1].SnapshotID {
			t.Errorf("snapshot %d: parent %v, want %d", i, p, snaps[i-1].SnapshotID)
		}
	}
}

// checkConcurrentRows scans tbl and checks it holds each writer's ids
// once: writer*1_000_000 + 0 … commits*rows-1.
func checkConcurrentRows(t *testing.T, tbl *table.Table, writers, commits, rows int) {
	t.Helper()
	at, err := tbl.Scan().ToArrowTable(context.Background())
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	defer at.Release()
	seen := map[int64]int{}
	idCol := at.Schema().FieldIndices("id")[0]
	for _, chunk := range at.Column(idCol).Data().Chunks() {
		ids := chunk.(*array.Int64)
		for i := range ids.Len() {
			seen[ids.Value(i)]++
		}
	}
	var missing, doubled int
	for w := range writers {
		for n := range commits * rows {
			switch seen[int64(w*1_000_000+n)] {
			case 0:
				missing++
			case 1:
			default:
				doubled++
			}
		}
	}
	if want := writers * commits * rows; at.NumRows() != int64(want) || missing != 0 || doubled != 0 {
		t.Errorf("%d rows, want %d: %d ids missing, %d more than once", at.NumRows(), want, missing, doubled)
	}
}
