package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/iceberg-go/catalog/rest"
	"github.com/apache/iceberg-go/table"

	"github.com/tributary-io/tributary/internal/testpy"
)

// PyIceberg, with auth on, reads a table iceberg-go wrote and writes one
// (partitioned, nested types, two appends, schema evolution, a stale
// commit refused, a stage-create, a rename, a purge) that iceberg-go then
// reads.
func TestPyIceberg(t *testing.T) {
	python := testpy.PyIceberg(t)
	f := newFixture(t, nil, authOpts)
	ctx := context.Background()
	cat := f.client(t, rest.WithCredential("spark:s3cret"))
	tbl := createEvents(t, cat, table.Identifier{"kafka", "events"})
	if _, err := appendRows(t, tbl, eventRows(0, 4)); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(python, filepath.Join("testdata", "pyiceberg_check.py"), f.url, "spark:s3cret")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pyiceberg_check.py: %v\n%s", err, stderr.String())
	}
	var got struct {
		GoRows      []int64    `json:"go_rows"`
		GoNames     [][]string `json:"go_names"`
		PyRows      []int64    `json:"py_rows"`
		PySnapshots int        `json:"py_snapshots"`
		PyColumns   []string   `json:"py_columns"`
		Stale       string     `json:"stale"`
		AfterRetry  []int64    `json:"after_retry"`
		Staged      string     `json:"staged"`
		Tables      []string   `json:"tables"`
		Purged      bool       `json:"purged"`
		Exists      bool       `json:"exists"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("pyiceberg_check.py printed %s: %v", out, err)
	}
	for _, c := range []struct {
		what      string
		got, want any
	}{
		{"rows iceberg-go wrote", got.GoRows, []int64{0, 1, 2, 3}},
		{"namespaces", got.GoNames, [][]string{{"kafka"}}},
		{"rows PyIceberg wrote", got.PyRows, []int64{0, 1, 2, 3, 4}},
		{"snapshots", got.PySnapshots, 2},
		{"columns", got.PyColumns, []string{"id", "name", "ts", "addr", "tags", "attrs", "extra"}},
		{"stale commit", got.Stale, "CommitFailedException"},
		{"rows after PyIceberg's own retry", got.AfterRetry, []int64{0, 1, 2, 3, 4, 5, 6, 7}},
		{"staged create", got.Staged, "yes"},
		{"tables", got.Tables, []string{"py.events", "py.renamed"}},
		{"purged", got.Purged, true},
		{"exists", got.Exists, true},
	} {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("%s: %v, want %v", c.what, c.got, c.want)
		}
	}

	// iceberg-go reads what PyIceberg wrote. (Not the map column:
	// iceberg-go v0.7.0 fails to concatenate batches whose map values
	// differ in nullability, which pyarrow's files and the table schema
	// do; a reader matter, not the catalog's.)
	py, err := cat.LoadTable(ctx, table.Identifier{"py", "events"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := py.Scan(table.WithSelectedFields("id", "name", "ts", "addr", "tags", "extra")).ToArrowTable(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	rows := tableJSON(t, res)
	if len(rows) != 8 || !strings.Contains(rows[5], `"name":"p5"`) || !strings.Contains(rows[0], `"city":"c0"`) {
		t.Errorf("iceberg-go scan of PyIceberg's table: %v", rows)
	}
}
