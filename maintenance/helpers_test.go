package maintenance

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	icecatalog "github.com/apache/iceberg-go/catalog"
	icerest "github.com/apache/iceberg-go/catalog/rest"
	icetable "github.com/apache/iceberg-go/table"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/tributary-io/tributary/arrowconv"
	"github.com/tributary-io/tributary/catalog"
	"github.com/tributary-io/tributary/iceberg"
	"github.com/tributary-io/tributary/internal/metastore/boltstore"
	"github.com/tributary-io/tributary/internal/objstore"
	"github.com/tributary-io/tributary/schema/protobuf"
)

const orderProto = `syntax = "proto3";
package shop.v1;
message Order {
  string id = 1;
  int64 qty = 2;
  Address ship_to = 3;
}
message Address { string city = 1; int64 zip = 2; }
`

// newCatalog serves our REST catalog over a fresh embedded store and a
// local warehouse and returns a client of it.
func newCatalog(t testing.TB) *icerest.Catalog {
	t.Helper()
	cat, _ := newCatalogURL(t)
	return cat
}

// newCatalogURL is newCatalog that also returns the catalog's URL.
func newCatalogURL(t testing.TB) (*icerest.Catalog, string) {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "meta.db"), boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	obj, err := objstore.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv := catalog.New(st, obj, catalog.Options{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	cat, err := icerest.NewCatalog(context.Background(), "test", ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	return cat, ts.URL
}

// writer is ingest in miniature: it commits Order rows with package
// iceberg, the way ingest does.
type writer struct {
	t     testing.TB
	tbl   *iceberg.Table
	md    protoreflect.MessageDescriptor
	conv  *arrowconv.Converter
	rows  *iceberg.RowBuilder
	shape *iceberg.Shape
	next  map[int32]int64
	// base is the event time (µs) of offset 0; rows are a millisecond
	// apart by offset.
	base int64
}

func newWriter(t testing.TB, tbl *iceberg.Table) *writer {
	t.Helper()
	fd, err := protobuf.Compile(context.Background(), "t.proto", orderProto, nil)
	if err != nil {
		t.Fatal(err)
	}
	md, err := protobuf.MessageByName(fd, "shop.v1.Order")
	if err != nil {
		t.Fatal(err)
	}
	conv, err := arrowconv.NewConverter(md, arrowconv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conv.Release)
	_, vs, err := tbl.Prepare(context.Background(), nil, conv.Schema())
	if err != nil {
		t.Fatal(err)
	}
	rb := iceberg.NewRowBuilder(nil)
	t.Cleanup(rb.Release)
	return &writer{t: t, tbl: tbl, md: md, conv: conv, rows: rb, shape: vs, next: tbl.Offsets(), base: 1_700_000_000_000_000}
}

func orderBytes(md protoreflect.MessageDescriptor, part int32, off int64) []byte {
	m := dynamicpb.NewMessage(md)
	f := md.Fields()
	m.Set(f.ByName("id"), protoreflect.ValueOfString(fmt.Sprintf("o-%d-%d", part, off)))
	m.Set(f.ByName("qty"), protoreflect.ValueOfInt64(off*10+int64(part)))
	addr := m.Mutable(f.ByName("ship_to")).Message()
	addr.Set(addr.Descriptor().Fields().ByName("city"), protoreflect.ValueOfString(fmt.Sprint("city", off%7)))
	addr.Set(addr.Descriptor().Fields().ByName("zip"), protoreflect.ValueOfInt64(off%100))
	b, _ := proto.Marshal(m)
	return b
}

// commit appends perPart records to each of parts partitions (their
// offsets interleaved, as ingest reads them) and commits them.
func (w *writer) commit(parts int32, perPart int) error {
	next := maps.Clone(w.next)
	for i := range perPart {
		for p := range parts {
			off := next[p]
			next[p]++
			if err := w.conv.Append(orderBytes(w.md, p, off)); err != nil {
				w.t.Fatal(err)
			}
			w.rows.Append(&iceberg.Meta{Partition: p, Offset: off, EventTimestamp: w.base + off*1000 + int64(i),
				IngestTimestamp: 1_700_000_000_000_000, BatchStart: off},
				iceberg.Part{Raw: []byte(fmt.Sprint("k", off))}, iceberg.Part{})
		}
	}
	cols := w.conv.NewRecordBatch()
	defer cols.Release()
	b, err := w.rows.Finish(nil, w.shape, nil, cols)
	if err != nil {
		w.t.Fatal(err)
	}
	defer b.Release()
	if err := w.tbl.Commit(context.Background(), []arrow.RecordBatch{b}, next); err != nil {
		return err
	}
	w.next = next
	return nil
}

// row is one table row: its Kafka position and every column's value.
type row struct {
	part int32
	off  int64
	vals string
}

// readRows scans tbl (at snapshot id when not 0) row by row, in file
// order.
func readRows(t testing.TB, tbl *icetable.Table, snap int64) []row {
	t.Helper()
	var opts []icetable.ScanOption
	if snap != 0 {
		opts = append(opts, icetable.WithSnapshotID(snap))
	}
	_, recs, err := tbl.Scan(opts...).ToArrowRecords(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []row
	for rec, err := range recs {
		if err != nil {
			t.Fatal(err)
		}
		parts, offs := kafkaColumns(rec)
		if parts == nil {
			t.Fatal("no kafka columns")
		}
		for r := 0; r < int(rec.NumRows()); r++ {
			var vals []string
			for c := 0; c < int(rec.NumCols()); c++ {
				vals = append(vals, rec.Schema().Field(c).Name+"="+valueString(rec.Column(c), r))
			}
			out = append(out, row{parts.Value(r), offs.Value(r), strings.Join(vals, " ")})
		}
		rec.Release()
	}
	return out
}

func valueString(a arrow.Array, i int) string {
	b, err := array.NewSlice(a, int64(i), int64(i+1)).MarshalJSON()
	if err != nil {
		return "!" + err.Error()
	}
	return string(b)
}

// byPosition sorts rows by (partition, offset).
func byPosition(rows []row) []row {
	out := slices.Clone(rows)
	slices.SortFunc(out, func(a, b row) int {
		if a.part != b.part {
			return int(a.part - b.part)
		}
		return int(a.off - b.off)
	})
	return out
}

// checkComplete fails unless rows hold every offset below next exactly
// once.
func checkComplete(t testing.TB, rows []row, next map[int32]int64) {
	t.Helper()
	seen := map[[2]int64]int{}
	for _, r := range rows {
		seen[[2]int64{int64(r.part), r.off}]++
	}
	var total int64
	for p, n := range next {
		total += n
		for o := range n {
			if c := seen[[2]int64{int64(p), o}]; c != 1 {
				t.Fatalf("partition %d offset %d: %d rows, want 1", p, o, c)
			}
		}
	}
	if int64(len(rows)) != total {
		t.Fatalf("%d rows, want %d", len(rows), total)
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// checkResumesAt opens the table as ingest does after a restart and fails
// t unless it resumes at next; it returns the opened table.
func checkResumesAt(t testing.TB, cat icecatalog.Catalog, next map[int32]int64) *iceberg.Table {
	t.Helper()
	tbl, err := iceberg.Open(context.Background(), cat, orders, iceberg.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(tbl.Offsets(), next) {
		t.Fatalf("resume point %v, want %v", tbl.Offsets(), next)
	}
	return tbl
}
