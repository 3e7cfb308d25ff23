package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	icecat "github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/catalog/rest"
	"github.com/apache/iceberg-go/table"
)

// eventSchema has a nested struct, a list and a map, and a timestamp to
// partition by day. IDs are the client's; the server assigns fresh ones.
func eventSchema() *iceberg.Schema {
	return iceberg.NewSchema(0,
		iceberg.NestedField{ID: 1, Name: "id", Type: iceberg.PrimitiveTypes.Int64, Required: true},
		iceberg.NestedField{ID: 2, Name: "name", Type: iceberg.PrimitiveTypes.String},
		iceberg.NestedField{ID: 3, Name: "ts", Type: iceberg.PrimitiveTypes.TimestampTz, Required: true},
		iceberg.NestedField{ID: 4, Name: "addr", Type: &iceberg.StructType{FieldList: []iceberg.NestedField{
			{ID: 7, Name: "city", Type: iceberg.PrimitiveTypes.String},
			{ID: 8, Name: "zip", Type: iceberg.PrimitiveTypes.Int32},
		}}},
		iceberg.NestedField{ID: 5, Name: "tags", Type: &iceberg.ListType{ElementID: 9, Element: iceberg.PrimitiveTypes.String}},
		iceberg.NestedField{ID: 6, Name: "attrs", Type: &iceberg.MapType{KeyID: 10, KeyType: iceberg.PrimitiveTypes.String, ValueID: 11, ValueType: iceberg.PrimitiveTypes.Int64}},
	)
}

func daySpec() iceberg.PartitionSpec {
	return iceberg.NewPartitionSpec(iceberg.PartitionField{SourceIDs: []int{3}, FieldID: 1000, Name: "ts_day", Transform: iceberg.DayTransform{}})
}

// eventRows are rows of eventSchema as Arrow JSON, ids from first on; two
// days of timestamps.
func eventRows(first, n int) string {
	var rows []string
	for i := first; i < first+n; i++ {
		ts := 1_700_000_000_000_000 + int64(i%2)*86_400_000_000 + int64(i)
		rows = append(rows, fmt.Sprintf(`{"id":%d,"name":"n%d","ts":%d,"addr":{"city":"c%d","zip":%d},"tags":["t%d","u"],"attrs":[{"key":"k","value":%d}]}`,
			i, i, ts, i, 1000+i, i, i*10))
	}
	return "[" + strings.Join(rows, ",") + "]"
}

// appendRows appends rows (Arrow JSON) through an iceberg-go transaction.
func appendRows(t *testing.T, tbl *table.Table, rows string) (*table.Table, error) {
	t.Helper()
	sc, err := table.SchemaToArrowSchema(tbl.Schema(), nil, true, false)
	if err != nil {
		t.Fatal(err)
	}
	rec, _, err := array.RecordFromJSON(memory.DefaultAllocator, sc, strings.NewReader(rows))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	rdr, err := array.NewRecordReader(sc, []arrow.RecordBatch{rec})
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Release()
	tx := tbl.NewTransaction()
	if err := tx.Append(context.Background(), rdr, iceberg.Properties{"kafka.offsets": rows[:10]}); err != nil {
		t.Fatal(err)
	}
	return tx.Commit(context.Background())
}

// scanRows scans a table back into JSON rows sorted by id.
func scanRows(t *testing.T, tbl *table.Table) []string {
	t.Helper()
	out, err := tbl.Scan().ToArrowTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer out.Release()
	return tableJSON(t, out)
}

func tableJSON(t *testing.T, tb arrow.Table) []string {
	t.Helper()
	tr := array.NewTableReader(tb, -1)
	defer tr.Release()
	var rows []string
	for tr.Next() {
		var buf bytes.Buffer
		if err := array.RecordToJSON(tr.RecordBatch(), &buf); err != nil {
			t.Fatal(err)
		}
		for line := range strings.SplitSeq(strings.TrimSpace(buf.String()), "\n") {
			if line != "" {
				rows = append(rows, line)
			}
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rowID(rows[i]) < rowID(rows[j]) })
	return rows
}

func rowID(row string) int64 {
	var r struct{ ID int64 }
	_ = json.Unmarshal([]byte(row), &r)
	return r.ID
}

// wantRows is what a scan of the given JSON rows answers: the same rows
// through the same Arrow JSON writer.
func wantRows(t *testing.T, tbl *table.Table, rows ...string) []string {
	t.Helper()
	sc, err := table.SchemaToArrowSchema(tbl.Schema(), nil, false, false)
	if err != nil {
		t.Fatal(err)
	}
	var recs []arrow.RecordBatch
	for _, r := range rows {
		rec, _, err := array.RecordFromJSON(memory.DefaultAllocator, sc, strings.NewReader(r))
		if err != nil {
			t.Fatal(err)
		}
		defer rec.Release()
		recs = append(recs, rec)
	}
	tb := array.NewTableFromRecords(sc, recs)
	defer tb.Release()
	return tableJSON(t, tb)
}

func createEvents(t *testing.T, cat *rest.Catalog, id table.Identifier) *table.Table {
	t.Helper()
	ctx := context.Background()
	if err := cat.CreateNamespace(ctx, id[:len(id)-1], nil); err != nil && !errors.Is(err, icecat.ErrNamespaceAlreadyExists) {
		t.Fatal(err)
	}
	spec := daySpec()
	tbl, err := cat.CreateTable(ctx, id, eventSchema(), icecat.WithPartitionSpec(&spec),
		icecat.WithProperties(iceberg.Properties{"format-version": "2", "owner": "test"}))
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

func TestCreateAppendScan(t *testing.T) {
	f := newFixture(t, nil, Options{})
	testCreateAppendScan(t, f)
}

// testCreateAppendScan creates a partitioned table with nested types,
// appends through iceberg-go (Parquet to file://), and scans it back
// through a fresh client.
func testCreateAppendScan(t *testing.T, f *fixture) {
	ctx := context.Background()
	cat := f.client(t)
	id := table.Identifier{"kafka", "events"}
	tbl := createEvents(t, cat, id)

	wantPrefix := "file://" + f.dir + "/kafka/events-"
	if !strings.HasPrefix(tbl.Location(), wantPrefix) {
		t.Fatalf("location %s, want %s<uuid>", tbl.Location(), wantPrefix)
	}
	if !strings.HasPrefix(tbl.MetadataLocation(), tbl.Location()+"/metadata/00000-") {
		t.Errorf("metadata location %s", tbl.MetadataLocation())
	}
	if _, err := os.Stat(strings.TrimPrefix(tbl.MetadataLocation(), "file://")); err != nil {
		t.Errorf("metadata file: %v", err)
	}
	spec := tbl.Spec()
	if tbl.Schema().NumFields() != 6 || spec.NumFields() != 1 || tbl.Properties()["owner"] != "test" {
		t.Errorf("created %v %v %v", tbl.Schema(), spec, tbl.Properties())
	}

	first, second := eventRows(0, 5), eventRows(5, 4)
	tbl, err := appendRows(t, tbl, first)
	if err != nil {
		t.Fatal(err)
	}
	if tbl, err = appendRows(t, tbl, second); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tbl.MetadataLocation(), tbl.Location()+"/metadata/00002-") {
		t.Errorf("metadata location after two commits: %s", tbl.MetadataLocation())
	}

	fresh, err := f.client(t).LoadTable(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.MetadataLocation() != tbl.MetadataLocation() || len(fresh.Metadata().Snapshots()) != 2 {
		t.Fatalf("loaded %s with %d snapshots", fresh.MetadataLocation(), len(fresh.Metadata().Snapshots()))
	}
	if got := fresh.CurrentSnapshot().Summary.Properties["kafka.offsets"]; got != second[:10] {
		t.Errorf("snapshot property %q", got)
	}
	got, want := scanRows(t, fresh), wantRows(t, fresh, first, second)
	if len(got) != 9 {
		t.Errorf("scanned %d rows, want 9", len(got))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("scan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Parquet files are in day partitions under the table's location.
	var parquet []string
	_ = filepath.WalkDir(strings.TrimPrefix(tbl.Location(), "file://"), func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".parquet") {
			parquet = append(parquet, p)
		}
		return nil
	})
	if len(parquet) != 4 || !strings.Contains(parquet[0], "/data/ts_day=2023-11-1") {
		t.Errorf("data files %v", parquet)
	}

	ids := []table.Identifier{}
	for ident, err := range cat.ListTables(ctx, table.Identifier{"kafka"}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ident)
	}
	if fmt.Sprint(ids) != "[[kafka events]]" {
		t.Errorf("list tables = %v", ids)
	}
}
