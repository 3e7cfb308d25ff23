package maintenance

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/tributary-io/tributary/iceberg"
)

// pyicebergVersion is the PyIceberg the check installs (the catalog
// package's check uses the same).
const pyicebergVersion = "0.12.0"

// pyiceberg returns the python of a virtualenv with PyIceberg, installing
// it from PyPI into a temporary directory (or $TRIBUTARY_PYICEBERG_VENV,
// kept for later runs). It skips the test when python3 or PyPI is
// unreachable.
func pyiceberg(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the PyIceberg check installs PyIceberg from PyPI")
	}
	py3, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("PyIceberg check: no python3 on PATH")
	}
	venv := os.Getenv("TRIBUTARY_PYICEBERG_VENV")
	if venv == "" {
		venv = filepath.Join(t.TempDir(), "venv")
	}
	python := filepath.Join(venv, "bin", "python")
	if _, err := os.Stat(python); err != nil {
		if out, err := exec.Command(py3, "-m", "venv", venv).CombinedOutput(); err != nil {
			t.Skipf("PyIceberg check: python3 -m venv: %v\n%s", err, out)
		}
	}
	if exec.Command(python, "-c", "import pyiceberg, pyarrow, pyiceberg_core; assert pyiceberg.__version__ == '"+pyicebergVersion+"'").Run() == nil {
		return python
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	pip := exec.CommandContext(ctx, python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "pyiceberg[pyarrow,pyiceberg-core]=="+pyicebergVersion)
	if out, err := pip.CombinedOutput(); err != nil {
		t.Skipf("PyIceberg check: cannot install pyiceberg %s from PyPI (unreachable?): %v\n%s", pyicebergVersion, err, out)
	}
	return python
}

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
	python := pyiceberg(t)
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
