package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	icerest "github.com/apache/iceberg-go/catalog/rest"
	icetable "github.com/apache/iceberg-go/table"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/tributary-io/tributary/ingest"
	"github.com/tributary-io/tributary/node"
	"github.com/tributary-io/tributary/schema/protobuf"
	"github.com/tributary-io/tributary/schema/wire"
)

const icebergOrderProto = `syntax = "proto3";
package shop.v1;
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";
enum Status { STATUS_UNSPECIFIED = 0; STATUS_OPEN = 1; STATUS_SHIPPED = 2; }
message Money { string currency = 1; sint64 units = 2; int32 nanos = 3; }
message Line { string sku = 1; uint32 qty = 2; Money price = 3; repeated string tags = 4; }
message Order {
  string id = 1;
  uint32 big_u32 = 2;
  uint64 big_u64 = 3;
  int64 i64 = 4;
  sint32 s32 = 5;
  bool paid = 6;
  double total = 7;
  float ratio = 8;
  bytes blob = 9;
  Status status = 10;
  Money money = 11;
  repeated Line lines = 12;
  map<string, int64> counters = 13;
  google.protobuf.Timestamp created = 14;
  google.protobuf.StringValue note = 15;
  optional int32 opt = 16;
  repeated Status history = 17;
  fixed64 f64 = 18;
  oneof pay { string card = 19; string iban = 20; }
}
`

// icebergTopic creates topic with Iceberg on, committing every interval.
func icebergTopic(t *testing.T, addr, topic, table string, partitions int32, interval time.Duration, opts ...kgo.Opt) {
	t.Helper()
	adm := kadm.NewClient(newClient(t, addr, opts...))
	freq := fmt.Sprint(interval.Milliseconds())
	kind, tbl := "iceberg", table
	resp, err := adm.CreateTopic(ctxTimeout(t, 10*time.Second), partitions, 1, map[string]*string{
		"bufstream.archive.kind": &kind, "bufstream.archive.iceberg.table": &tbl,
		"bufstream.export.iceberg.commit.freq.ms": &freq,
	}, topic)
	if err != nil || resp.Err != nil {
		t.Fatalf("create topic: %v %v", err, resp.Err)
	}
}

func registerOrder(t *testing.T, registryAddr, subject, src string, opts ...sr.ClientOpt) (int, protoreflect.MessageDescriptor) {
	t.Helper()
	cl, err := sr.NewClient(append([]sr.ClientOpt{sr.URLs("http://" + registryAddr)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	ss, err := cl.CreateSchema(ctxTimeout(t, 10*time.Second), subject, sr.Schema{Schema: src, Type: sr.TypeProtobuf})
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	fd, err := protobuf.Compile(context.Background(), "", src, nil)
	if err != nil {
		t.Fatal(err)
	}
	md, err := protobuf.MessageByName(fd, "shop.v1.Order")
	if err != nil {
		t.Fatal(err)
	}
	return ss.ID, md
}

// richOrder fills most fields of an Order; odd i leave optional ones out.
func richOrder(md protoreflect.MessageDescriptor, i int) *dynamicpb.Message {
	m := dynamicpb.NewMessage(md)
	f := md.Fields()
	set := func(name string, v protoreflect.Value) { m.Set(f.ByName(protoreflect.Name(name)), v) }
	set("id", protoreflect.ValueOfString(fmt.Sprint("order-", i)))
	set("big_u32", protoreflect.ValueOfUint32(math.MaxUint32-uint32(i)))
	set("big_u64", protoreflect.ValueOfUint64(math.MaxUint64-uint64(i)))
	set("i64", protoreflect.ValueOfInt64(-1<<40-int64(i)))
	set("s32", protoreflect.ValueOfInt32(-int32(i)))
	set("paid", protoreflect.ValueOfBool(i%3 == 0))
	set("total", protoreflect.ValueOfFloat64(float64(i)*1.25))
	set("ratio", protoreflect.ValueOfFloat32(float32(i)/4))
	set("blob", protoreflect.ValueOfBytes([]byte{byte(i), 0, 0xff}))
	set("status", protoreflect.ValueOfEnum(protoreflect.EnumNumber(i%3)))
	set("f64", protoreflect.ValueOfUint64(uint64(1)<<63+uint64(i)))
	hist := m.Mutable(f.ByName("history")).List()
	hist.Append(protoreflect.ValueOfEnum(1))
	hist.Append(protoreflect.ValueOfEnum(2))
	if i%2 == 0 {
		money := m.Mutable(f.ByName("money")).Message()
		mf := money.Descriptor().Fields()
		money.Set(mf.ByName("currency"), protoreflect.ValueOfString("EUR"))
		money.Set(mf.ByName("units"), protoreflect.ValueOfInt64(-int64(i)))
		set("opt", protoreflect.ValueOfInt32(int32(i)))
		set("created", protoreflect.ValueOfMessage(timestamppb.New(time.Unix(1_700_000_000+int64(i), 123456000)).ProtoReflect()))
		set("note", protoreflect.ValueOfMessage(wrapperspb.String(fmt.Sprint("note ", i)).ProtoReflect()))
		set("card", protoreflect.ValueOfString("4111"))
	} else {
		set("iban", protoreflect.ValueOfString("DE00"))
	}
	lines := m.Mutable(f.ByName("lines")).List()
	for j := range i % 3 {
		l := lines.NewElement().Message()
		lf := l.Descriptor().Fields()
		l.Set(lf.ByName("sku"), protoreflect.ValueOfString(fmt.Sprint("sku-", j)))
		l.Set(lf.ByName("qty"), protoreflect.ValueOfUint32(uint32(j)+1<<31))
		tags := l.Mutable(lf.ByName("tags")).List()
		tags.Append(protoreflect.ValueOfString("x"))
		lines.Append(protoreflect.ValueOfMessage(l))
	}
	cm := m.Mutable(f.ByName("counters")).Map()
	for j := range i % 4 {
		cm.Set(protoreflect.ValueOfString(fmt.Sprint("c", j)).MapKey(), protoreflect.ValueOfInt64(int64(j*i)))
	}
	return m
}

// expect is the value arrowconv's mapping gives a Protobuf value, in the
// Go form rowValue gives a scanned Arrow value.
func expect(fd protoreflect.FieldDescriptor, v protoreflect.Value) any {
	switch fd.Kind() {
	case protoreflect.MessageKind:
		m := v.Message()
		switch m.Descriptor().FullName() {
		case "google.protobuf.Timestamp":
			ts, ok := m.Interface().(*timestamppb.Timestamp)
			if !ok { // a dynamicpb message, as in messages unmarshaled with a descriptor
				b, _ := proto.Marshal(m.Interface())
				ts = &timestamppb.Timestamp{}
				proto.Unmarshal(b, ts)
			}
			return ts.AsTime().UnixMicro()
		case "google.protobuf.StringValue":
			return m.Get(m.Descriptor().Fields().ByNumber(1)).String()
		}
		return expectMessage(m)
	case protoreflect.EnumKind:
		ev := fd.Enum().Values().ByNumber(v.Enum())
		return string(ev.Name())
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return int64(v.Uint())
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return new(big.Int).SetUint64(v.Uint()).String()
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return int32(v.Int())
	case protoreflect.FloatKind:
		return float32(v.Float())
	case protoreflect.BytesKind:
		return base64.StdEncoding.EncodeToString(v.Bytes())
	}
	return v.Interface()
}

func expectMessage(m protoreflect.Message) map[string]any {
	out := map[string]any{"__unrecognized__": nil} // no unknown fields sent
	fds := m.Descriptor().Fields()
	for i := range fds.Len() {
		fd := fds.Get(i)
		name := string(fd.Name())
		switch {
		case fd.IsList():
			l := m.Get(fd).List()
			vs := []any{}
			for j := range l.Len() {
				vs = append(vs, expect(fd, l.Get(j)))
			}
			out[name] = vs
		case fd.IsMap():
			mv := map[string]any{}
			m.Get(fd).Map().Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
				mv[k.String()] = expect(fd.MapValue(), v)
				return true
			})
			out[name] = mv
		case fd.HasPresence() && !m.Has(fd):
			out[name] = nil
		default:
			out[name] = expect(fd, m.Get(fd))
		}
	}
	return out
}

// rowValue turns row i of a scanned Arrow array into Go values.
func rowValue(a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch a := a.(type) {
	case *array.Struct:
		st := a.DataType().(*arrow.StructType)
		out := map[string]any{}
		for j, f := range st.Fields() {
			out[f.Name] = rowValue(a.Field(j), i)
		}
		return out
	case *array.Map:
		s, e := a.ValueOffsets(i)
		out := map[string]any{}
		for j := int(s); j < int(e); j++ {
			out[fmt.Sprint(rowValue(a.Keys(), j))] = rowValue(a.Items(), j)
		}
		return out
	case *array.List:
		s, e := a.ValueOffsets(i)
		out := []any{}
		for j := int(s); j < int(e); j++ {
			out = append(out, rowValue(a.ListValues(), j))
		}
		return out
	case *array.Decimal128:
		return a.Value(i).BigInt().String()
	case *array.Timestamp:
		return int64(a.Value(i))
	case *array.Binary:
		return base64.StdEncoding.EncodeToString(a.Value(i))
	case *array.String:
		return a.Value(i)
	}
	return a.GetOneForMarshal(i)
}

// scanTable reads the whole table, one Go map per row keyed by
// "partition/offset".
func scanTable(t *testing.T, catalogAddr string, ident icetable.Identifier) map[string]map[string]any {
	t.Helper()
	ctx := ctxTimeout(t, 30*time.Second)
	cat, err := icerest.NewCatalog(ctx, "local", "http://"+catalogAddr)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := cat.LoadTable(ctx, ident)
	if err != nil {
		return nil
	}
	out, err := tbl.Scan().ToArrowTable(ctx)
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	defer out.Release()
	rows := map[string]map[string]any{}
	if out.NumRows() == 0 {
		return rows
	}
	if testing.Verbose() {
		t.Logf("scan schema: %s", out.Schema())
	}
	cols := make([]arrow.Array, out.NumCols())
	for c := range cols {
		a, err := array.Concatenate(out.Column(c).Data().Chunks(), memory.DefaultAllocator)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Release()
		cols[c] = a
	}
	for r := range int(out.NumRows()) {
		row := map[string]any{}
		for c, f := range out.Schema().Fields() {
			row[f.Name] = rowValue(cols[c], r)
		}
		k := row["kafka"].(map[string]any)
		key := fmt.Sprint(k["partition"], "/", k["offset"])
		if _, dup := rows[key]; dup {
			t.Fatalf("duplicate row %s", key)
		}
		rows[key] = row
	}
	return rows
}

// waitRows scans until the table has n rows.
func waitRows(t *testing.T, catalogAddr string, ident icetable.Identifier, n int, within time.Duration) map[string]map[string]any {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		rows := scanTable(t, catalogAddr, ident)
		if len(rows) == n {
			return rows
		}
		if len(rows) > n {
			t.Fatalf("%d rows, want %d", len(rows), n)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d rows after %v, want %d", len(rows), within, n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestIcebergRoundTrip(t *testing.T) {
	n := startNode(t, testConfig(t, t.TempDir()), node.Hooks{})
	id, md := registerOrder(t, n.RegistryAddr(), "orders-value", icebergOrderProto)
	icebergTopic(t, n.KafkaAddr(), "orders", "shop.orders", 2, 300*time.Millisecond)
	cl := newClient(t, n.KafkaAddr(), kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))

	type sent struct {
		rec *kgo.Record
		msg *dynamicpb.Message
	}
	var all []sent
	for i := range 30 {
		m := richOrder(md, i)
		b, _ := proto.Marshal(m)
		r := &kgo.Record{Topic: "orders", Key: []byte(fmt.Sprint("k", i)), Value: append(wire.Append(nil, id, protobuf.IndexesOf(md)), b...)}
		if i%5 == 0 {
			r.Headers = []kgo.RecordHeader{{Key: "trace", Value: []byte(fmt.Sprint(i))}}
		}
		all = append(all, sent{r, m})
	}
	bad := []*kgo.Record{
		{Topic: "orders", Value: append(wire.Append(nil, id, protobuf.IndexesOf(md)), 0xff, 0xff, 0xff)}, // truncated varint
		{Topic: "orders", Value: wire.Append(nil, 99999, []int{0})},                                      // unknown schema id
		{Topic: "orders", Value: []byte("plain text, no envelope")},
	}
	for _, r := range bad {
		all = append(all, sent{r, nil})
	}
	for _, s := range all {
		if err := cl.ProduceSync(ctxTimeout(t, 10*time.Second), s.rec).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	rows := waitRows(t, n.CatalogAddr(), icetable.Identifier{"shop", "orders"}, len(all), 30*time.Second)
	for i, s := range all {
		key := fmt.Sprint(s.rec.Partition, "/", s.rec.Offset)
		row := rows[key]
		if row == nil {
			t.Fatalf("record %d (%s) not in the table", i, key)
		}
		val := row["val"].(map[string]any)
		k := row["kafka"].(map[string]any)
		if k["event_timestamp"] != s.rec.Timestamp.UnixMilli()*1000 {
			t.Errorf("record %d: event_timestamp %v, want %v", i, k["event_timestamp"], s.rec.Timestamp.UnixMilli()*1000)
		}
		if s.msg == nil {
			if val["__raw__"] != base64.StdEncoding.EncodeToString(s.rec.Value) {
				t.Errorf("bad record %d: __raw__ %v", i, val["__raw__"])
			}
			// orders-value has a schema: each says why it did not decode,
			// the one without an envelope too.
			if val["__err__"] == nil || val["id"] != nil {
				t.Errorf("bad record %d: __err__ %v id %v", i, val["__err__"], val["id"])
			}
			continue
		}
		want := expectMessage(s.msg.ProtoReflect())
		for name, w := range want {
			if got := val[name]; !reflect.DeepEqual(got, w) {
				t.Errorf("record %d field %s: got %#v, want %#v", i, name, got, w)
			}
		}
		if val["__err__"] != nil || val["__raw__"] != nil || val["__prefix__"] == nil {
			t.Errorf("record %d: reserved columns %v %v %v", i, val["__err__"], val["__raw__"], val["__prefix__"])
		}
		if row["key"].(map[string]any)["__raw__"] != base64.StdEncoding.EncodeToString(s.rec.Key) {
			t.Errorf("record %d: key %v", i, row["key"])
		}
		if hs := row["headers"].([]any); len(hs) != len(s.rec.Headers) {
			t.Errorf("record %d: headers %v", i, hs)
		}
	}
	st := tablesStatus(t, n.AdminAddr())
	if len(st) != 1 || st[0].Table != "shop.orders" || st[0].LagRecords != 0 || !st[0].HoldsLease ||
		st[0].Committed[0]+st[0].Committed[1] != int64(len(all)) {
		t.Errorf("/-/tables: %+v", st)
	}
}

// tablesStatus reads the admin server's /-/tables.
func tablesStatus(t *testing.T, adminAddr string) []ingest.TableStatus {
	t.Helper()
	rsp, err := http.Get("http://" + adminAddr + "/-/tables")
	if err != nil {
		t.Fatal(err)
	}
	defer rsp.Body.Close()
	var out struct {
		Tables []ingest.TableStatus `json:"tables"`
	}
	if err := json.NewDecoder(rsp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out.Tables
}
