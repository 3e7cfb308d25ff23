package maintenance

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"testing"

	"github.com/tributary-io/tributary/iceberg"
	"github.com/tributary-io/tributary/internal/testpy"
)

// scanScript prints, as JSON, the rows of a snapshot (argv[3]) of table
// argv[2] of the REST catalog at argv[1], as
// [partition, offset, id, qty, city, zip, key] ordered by position.
const scanScript = `
import json, sys
from pyiceberg.catalog import load_catalog
cat = load_catalog("t", type="rest", uri=sys.argv[1])
tbl = cat.load_table(sys.argv[2])
t = tbl.scan(snapshot_id=int(sys.argv[3])).to_arrow()
rows = []
for r in t.to_pylist():
    k, v = r["kafka"], r["val"]
    rows.append([k["partition"], k["offset"], v["id"], v["qty"], v["ship_to"]["city"], v["ship_to"]["zip"], r["key"]["__raw__"].decode()])
rows.sort(key=lambda r: (r[0], r[1]))
print(json.dumps(rows))
`

// TestCompactedTableReadsTheSameInPyIceberg: PyIceberg reads the same
// rows from the table before compaction (a hundred small files) and after
// (one file, or one per Kafka partition when the group is streamed), and
// they are the rows written.
func TestCompactedTableReadsTheSameInPyIceberg(t *testing.T) {
	python := testpy.PyIceberg(t)
	t.Run("in memory", func(t *testing.T) { compactedReadsTheSameInPyIceberg(t, python) })
	t.Run("streamed", func(t *testing.T) {
		streamSmallGroups(t)
		compactedReadsTheSameInPyIceberg(t, python)
	})
}

func compactedReadsTheSameInPyIceberg(t *testing.T, python string) {
	ctx := context.Background()
	cat, url := newCatalogURL(t)
	tbl, err := iceberg.Open(ctx, cat, orders, iceberg.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := newWriter(t, tbl)
	for range 100 {
		if err := w.commit(3, 2); err != nil {
			t.Fatal(err)
		}
	}
	before := tbl.Iceberg().CurrentSnapshot().SnapshotID
	rep, err := Run(ctx, cat, orders, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.After.DataFiles*10 > rep.Before.DataFiles {
		t.Fatalf("compaction: %s", rep)
	}
	after, err := cat.LoadTable(ctx, orders)
	if err != nil {
		t.Fatal(err)
	}
	scan := func(snap int64) [][]any {
		out, err := exec.Command(python, "-c", scanScript, url, "kafka.orders", fmt.Sprint(snap)).CombinedOutput()
		if err != nil {
			t.Fatalf("pyiceberg scan of snapshot %d: %v\n%s", snap, err, out)
		}
		var rows [][]any
		if err := json.Unmarshal(out, &rows); err != nil {
			t.Fatalf("pyiceberg output: %v\n%s", err, out)
		}
		return rows
	}
	rb, ra := scan(before), scan(after.CurrentSnapshot().SnapshotID)
	if len(ra) != 600 || len(rb) != len(ra) {
		t.Fatalf("pyiceberg: %d rows before, %d after compaction, want 600", len(rb), len(ra))
	}
	for i := range ra {
		if fmt.Sprint(ra[i]) != fmt.Sprint(rb[i]) {
			t.Fatalf("row %d: %v before, %v after compaction", i, rb[i], ra[i])
		}
		p, o := int(ra[i][0].(float64)), int64(ra[i][1].(float64))
		if ra[i][2] != fmt.Sprintf("o-%d-%d", p, o) || ra[i][6] != fmt.Sprint("k", o) {
			t.Fatalf("row %d: %v is not the record written at %d/%d", i, ra[i], p, o)
		}
	}
}

// pruneScript prints, as JSON, how many data files PyIceberg plans and
// how many rows it reads for kafka.event_timestamp >= argv[3] (µs) on
// table argv[2] of the REST catalog at argv[1].
const pruneScript = `
import json, sys
from pyiceberg.catalog import load_catalog
from pyiceberg.expressions import GreaterThanOrEqual
cat = load_catalog("t", type="rest", uri=sys.argv[1])
tbl = cat.load_table(sys.argv[2])
scan = tbl.scan(row_filter=GreaterThanOrEqual("kafka.event_timestamp", int(sys.argv[3])))
print(json.dumps({"files": len(list(scan.plan_files())), "rows": scan.to_arrow().num_rows}))
`

// TestPyIcebergPrunesByEventTimestamp: files ingest and compaction write
// carry bounds on kafka.event_timestamp, so PyIceberg's planner skips the
// files a filter on it cannot match (before, every file had counts only
// and every filter read every file).
func TestPyIcebergPrunesByEventTimestamp(t *testing.T) {
	python := testpy.PyIceberg(t)
	ctx := context.Background()
	cat, url := newCatalogURL(t)
	tbl, err := iceberg.Open(ctx, cat, orders, iceberg.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := newWriter(t, tbl)
	for range 4 {
		if err := w.commit(2, 10); err != nil {
			t.Fatal(err)
		}
	}
	plan := func(from int64) (files, rows int) {
		t.Helper()
		out, err := exec.Command(python, "-c", pruneScript, url, "kafka.orders", fmt.Sprint(from)).CombinedOutput()
		if err != nil {
			t.Fatalf("pyiceberg: %v\n%s", err, out)
		}
		var got struct{ Files, Rows int }
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("pyiceberg output: %v\n%s", err, out)
		}
		return got.Files, got.Rows
	}
	// The last commit holds offsets 30-39 of both partitions.
	last := w.base + 30*1000
	if f, r := plan(last); f != 1 || r != 20 {
		t.Fatalf("filter on the last commit's event times: %d files planned, %d rows; want 1 file, 20 rows", f, r)
	}
	if f, r := plan(w.base); f != 4 || r != 80 {
		t.Fatalf("filter matching every row: %d files, %d rows; want 4, 80", f, r)
	}
	rep, err := Run(ctx, cat, orders, Options{NoExpire: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.After.DataFiles != 1 {
		t.Fatalf("compaction: %s", rep)
	}
	// The compacted file's bounds: every row, and nothing after them.
	if f, r := plan(last); f != 1 || r != 20 {
		t.Fatalf("after compaction, filter on the last event times: %d files, %d rows; want 1, 20", f, r)
	}
	if f, r := plan(w.base + 40*1000); f != 0 || r != 0 {
		t.Fatalf("after compaction, filter past every row: %d files planned, %d rows; want none", f, r)
	}
}
