package iceberg

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	iceberggo "github.com/apache/iceberg-go"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/tributary-io/tributary/arrowconv"
)

const orderV1 = `syntax = "proto3";
package shop.v1;
message Order {
  string id = 1;
  uint32 qty = 2;
  repeated string tags = 3;
  Address ship_to = 4;
  map<string, int64> attrs = 5;
}
message Address { string city = 1; }
`

// orderV2 adds a field, drops tags, and changes qty's type.
const orderV2 = `syntax = "proto3";
package shop.v1;
message Order {
  string id = 1;
  string qty = 2;
  Address ship_to = 4;
  map<string, int64> attrs = 5;
  double price = 6;
}
message Address { string city = 1; string zip = 2; }
`

// writer is ingest in miniature: a converter for one message type and a
// row builder.
type writer struct {
	t     *testing.T
	tbl   *Table
	md    protoreflect.MessageDescriptor
	conv  *arrowconv.Converter
	rows  *RowBuilder
	shape *Shape
	done  []arrow.RecordBatch
}

func newWriter(t *testing.T, tbl *Table, md protoreflect.MessageDescriptor) *writer {
	conv, err := arrowconv.NewConverter(md, arrowconv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conv.Release)
	_, vs, err := tbl.Prepare(context.Background(), nil, conv.Schema())
	if err != nil {
		t.Fatal(err)
	}
	rb := NewRowBuilder(nil)
	t.Cleanup(rb.Release)
	return &writer{t: t, tbl: tbl, md: md, conv: conv, rows: rb, shape: vs}
}

func (w *writer) add(partition int32, offset int64, payload []byte) {
	val := Part{}
	if err := w.conv.Append(payload); err != nil {
		w.conv.AppendNull()
		val = Part{Raw: payload, Err: err.Error()}
	}
	w.rows.Append(&Meta{Partition: partition, Offset: offset, EventTimestamp: 1_700_000_000_000_000 + offset,
		IngestTimestamp: 1_700_000_000_000_000, BatchStart: offset,
		Headers: []Header{{Key: []byte("h"), Value: []byte(fmt.Sprint(offset))}}},
		Part{Raw: []byte(fmt.Sprint("k", offset))}, val)
}

func (w *writer) cut() {
	cols := w.conv.NewRecordBatch()
	defer cols.Release()
	b, err := w.rows.Finish(nil, w.shape, nil, cols)
	if err != nil {
		w.t.Fatal(err)
	}
	w.done = append(w.done, b)
}

func (w *writer) commit(next map[int32]int64) error {
	w.cut()
	err := w.tbl.Commit(context.Background(), w.done, next)
	if err == nil {
		for _, b := range w.done {
			b.Release()
		}
		w.done = nil
	}
	return err
}

func orderMsg(md protoreflect.MessageDescriptor, i int) []byte {
	m := dynamicpb.NewMessage(md)
	f := md.Fields()
	m.Set(f.ByName("id"), protoreflect.ValueOfString(fmt.Sprint("o", i)))
	if fd := f.ByName("qty"); fd.Kind() == protoreflect.Uint32Kind {
		m.Set(fd, protoreflect.ValueOfUint32(uint32(1<<31+i)))
	} else {
		m.Set(fd, protoreflect.ValueOfString(fmt.Sprint("q", i)))
	}
	if fd := f.ByName("tags"); fd != nil {
		l := m.Mutable(fd).List()
		l.Append(protoreflect.ValueOfString("a"))
		l.Append(protoreflect.ValueOfString(fmt.Sprint("t", i)))
	}
	addr := m.Mutable(f.ByName("ship_to")).Message()
	addr.Set(addr.Descriptor().Fields().ByName("city"), protoreflect.ValueOfString("Paris"))
	m.Mutable(f.ByName("attrs")).Map().Set(protoreflect.ValueOfString("n").MapKey(), protoreflect.ValueOfInt64(int64(i)))
	b, _ := proto.Marshal(m)
	return b
}

func TestCommitScanBack(t *testing.T) {
	ctx := context.Background()
	cat := newClient(t, newCatalogURL(t))
	tbl, err := Open(ctx, cat, []string{"kafka", "orders"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(tbl.Offsets()) != 0 {
		t.Fatalf("fresh table offsets %v", tbl.Offsets())
	}
	md := compileMessage(t, orderV1, "shop.v1.Order")
	w := newWriter(t, tbl, md)
	for i := range 10 {
		w.add(int32(i%2), int64(i/2), orderMsg(md, i))
	}
	w.add(0, 5, []byte{0xff, 0xff}) // undecodable
	if err := w.commit(map[int32]int64{0: 6, 1: 5}); err != nil {
		t.Fatal(err)
	}

	// A second handle sees the offsets.
	again, err := Open(ctx, cat, []string{"kafka", "orders"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := again.Offsets(); got[0] != 6 || got[1] != 5 {
		t.Fatalf("offsets %v", got)
	}
	out := scanAll(t, again.Iceberg())
	if out.NumRows() != 11 {
		t.Fatalf("%d rows", out.NumRows())
	}
	qty := column(t, out, "val.qty").(*array.Int64)
	ids := column(t, out, "val.id").(*array.String)
	errs := column(t, out, "val.__err__").(*array.String)
	raw := column(t, out, "val.__raw__").(*array.Binary)
	part := column(t, out, "kafka.partition").(*array.Int32)
	off := column(t, out, "kafka.offset").(*array.Int64)
	city := column(t, out, "val.ship_to.city").(*array.String)
	tags := column(t, out, "val.tags").(*array.List)
	seen := map[string]bool{}
	for r := 0; r < int(out.NumRows()); r++ {
		key := fmt.Sprint(part.Value(r), "/", off.Value(r))
		if seen[key] {
			t.Fatalf("duplicate %s", key)
		}
		seen[key] = true
		if part.Value(r) == 0 && off.Value(r) == 5 {
			if errs.IsNull(r) || raw.IsNull(r) || !ids.IsNull(r) {
				t.Fatalf("error row: err %v raw %v id null %v", errs.IsNull(r), raw.IsNull(r), ids.IsNull(r))
			}
			continue
		}
		i := int(off.Value(r))*2 + int(part.Value(r))
		if ids.Value(r) != fmt.Sprint("o", i) || qty.Value(r) != int64(1<<31+i) || city.Value(r) != "Paris" || !errs.IsNull(r) || !raw.IsNull(r) {
			t.Fatalf("row %d: id %s qty %d city %s", r, ids.Value(r), qty.Value(r), city.Value(r))
		}
		s, e := tags.ValueOffsets(r)
		if e-s != 2 {
			t.Fatalf("row %d: %d tags", r, e-s)
		}
	}
}

func TestCommitUnknownStateNoDuplicate(t *testing.T) {
	ctx := context.Background()
	fail, proxyURL := newFailProxy(t, newCatalogURL(t))
	cat := newClient(t, proxyURL)
	tbl, err := Open(ctx, cat, []string{"ns", "t"}, Options{Backoff: 10e6})
	if err != nil {
		t.Fatal(err)
	}
	md := compileMessage(t, orderV1, "shop.v1.Order")
	w := newWriter(t, tbl, md)
	for i := range 5 {
		w.add(0, int64(i), orderMsg(md, i))
	}
	fail.armed.Store(1)
	if err := w.commit(map[int32]int64{0: 5}); err != nil {
		t.Fatal(err)
	}
	if fail.hits.Load() != 1 {
		t.Fatalf("the proxy failed %d applied commits, want 1", fail.hits.Load())
	}
	for i := 5; i < 8; i++ {
		w.add(0, int64(i), orderMsg(md, i))
	}
	if err := w.commit(map[int32]int64{0: 8}); err != nil {
		t.Fatal(err)
	}
	out := scanAll(t, tbl.Iceberg())
	if out.NumRows() != 8 {
		t.Fatalf("%d rows, want 8", out.NumRows())
	}
	if got := tbl.Offsets(); got[0] != 8 {
		t.Fatalf("offsets %v", got)
	}
}

// A Commit that gave up with its state unknown, called again with the
// same rows, finds the applied commit instead of repeating it.
func TestCommitAgainAfterGivingUp(t *testing.T) {
	ctx := context.Background()
	fail, proxyURL := newFailProxy(t, newCatalogURL(t))
	cat := newClient(t, proxyURL)
	tbl, err := Open(ctx, cat, []string{"ns", "t"}, Options{Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	md := compileMessage(t, orderV1, "shop.v1.Order")
	w := newWriter(t, tbl, md)
	for i := range 3 {
		w.add(0, int64(i), orderMsg(md, i))
	}
	fail.armed.Store(1)
	if err := w.commit(map[int32]int64{0: 3}); !errors.Is(err, ErrUnknownState) {
		t.Fatalf("err %v, want ErrUnknownState", err)
	}
	if err := tbl.Commit(ctx, w.done, map[int32]int64{0: 3}); err != nil {
		t.Fatal(err)
	}
	if n := scanAll(t, tbl.Iceberg()).NumRows(); n != 3 {
		t.Fatalf("%d rows, want 3", n)
	}
}

func TestSchemaEvolution(t *testing.T) {
	ctx := context.Background()
	cat := newClient(t, newCatalogURL(t))
	tbl, err := Open(ctx, cat, []string{"ns", "evolve"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	v1 := compileMessage(t, orderV1, "shop.v1.Order")
	w1 := newWriter(t, tbl, v1)
	ids1 := fieldIDs(tbl)
	v2 := compileMessage(t, orderV2, "shop.v1.Order")
	w2 := newWriter(t, tbl, v2)
	ids2 := fieldIDs(tbl)
	for k, id := range ids1 {
		if ids2[k] != id {
			t.Fatalf("column %s changed id %d → %d", k, id, ids2[k])
		}
	}
	for _, want := range []string{"val.qty__v2", "val.price", "val.ship_to.zip", "val.tags"} {
		if _, ok := ids2[want]; !ok {
			t.Fatalf("no column %s after evolution: %v", want, ids2)
		}
	}
	if w2.shape.typ.Field(1).Name != "qty__v2" {
		t.Fatalf("v2 qty goes to %s", w2.shape.typ.Field(1).Name)
	}
	// Rows of both versions in one commit.
	w1.add(0, 0, orderMsg(v1, 0))
	w1.cut()
	w2.add(0, 1, orderMsg(v2, 1))
	w2.cut()
	rows := append(w1.done, w2.done...)
	if err := tbl.Commit(ctx, rows, map[int32]int64{0: 2}); err != nil {
		t.Fatal(err)
	}
	out := scanAll(t, tbl.Iceberg())
	if out.NumRows() != 2 {
		t.Fatalf("%d rows", out.NumRows())
	}
	qty := column(t, out, "val.qty").(*array.Int64)
	qty2 := column(t, out, "val.qty__v2").(*array.String)
	off := column(t, out, "kafka.offset").(*array.Int64)
	for r := range 2 {
		if off.Value(r) == 0 && (qty.Value(r) != 1<<31 || !qty2.IsNull(r)) {
			t.Fatalf("v1 row: qty %v qty__v2 %v", qty.Value(r), qty2.IsNull(r))
		}
		if off.Value(r) == 1 && (!qty.IsNull(r) || qty2.Value(r) != "q1") {
			t.Fatalf("v2 row: qty null %v qty__v2 %q", qty.IsNull(r), qty2.Value(r))
		}
	}
	// Preparing v1 again needs no new column.
	before := tbl.Iceberg().Schema().ID
	if _, _, err := tbl.Prepare(ctx, nil, w1.conv.Schema()); err != nil || tbl.Iceberg().Schema().ID != before {
		t.Fatalf("re-prepare v1: %v, schema %d → %d", err, before, tbl.Iceberg().Schema().ID)
	}
}

func fieldIDs(tbl *Table) map[string]int {
	m, err := iceberggo.IndexByName(tbl.Iceberg().Schema())
	if err != nil {
		panic(err)
	}
	return m
}
