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
// (one file), and they are the rows written.
func TestCompactedTableReadsTheSameInPyIceberg(t *testing.T) {
	python := testpy.PyIceberg(t)
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
