//go:build unix

package e2e

import (
	"fmt"
	"testing"
	"time"

	iceberggo "github.com/apache/iceberg-go"
	icetable "github.com/apache/iceberg-go/table"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/tributary-io/tributary/node"
	"github.com/tributary-io/tributary/schema/protobuf"
	"github.com/tributary-io/tributary/schema/wire"
)

// icebergOrderV2Proto is icebergOrderProto changed as a careless team
// would: new fields (channel; refund, a new message; Money.memo, inside
// existing structs), and two fields whose type changed incompatibly
// (i64 int64 → string at the top; Line.qty uint32 → string inside the
// list of lines).
const icebergOrderV2Proto = `syntax = "proto3";
package shop.v1;
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";
enum Status { STATUS_UNSPECIFIED = 0; STATUS_OPEN = 1; STATUS_SHIPPED = 2; }
message Money { string currency = 1; sint64 units = 2; int32 nanos = 3; string memo = 4; }
message Line { string sku = 1; string qty = 2; Money price = 3; repeated string tags = 4; }
message Order {
  string id = 1;
  uint32 big_u32 = 2;
  uint64 big_u64 = 3;
  string i64 = 4;
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
  string channel = 21;
  Money refund = 22;
}
`

// richOrderV2 is richOrder(v1, i) in the v2 schema, with the changed
// fields in their new types and the new ones set.
func richOrderV2(v1, v2 protoreflect.MessageDescriptor, i int) *dynamicpb.Message {
	m1 := richOrder(v1, i)
	m1.Clear(v1.Fields().ByName("i64"))
	lines := m1.Get(v1.Fields().ByName("lines")).List()
	for j := range lines.Len() {
		l := lines.Get(j).Message()
		l.Clear(l.Descriptor().Fields().ByName("qty"))
	}
	b, _ := proto.Marshal(m1)
	m := dynamicpb.NewMessage(v2)
	if err := proto.Unmarshal(b, m); err != nil {
		panic(err)
	}
	f := v2.Fields()
	m.Set(f.ByName("i64"), protoreflect.ValueOfString(fmt.Sprint("i64-", i)))
	m.Set(f.ByName("channel"), protoreflect.ValueOfString(fmt.Sprint("web-", i%3)))
	refund := m.Mutable(f.ByName("refund")).Message()
	refund.Set(refund.Descriptor().Fields().ByName("units"), protoreflect.ValueOfInt64(int64(i)))
	refund.Set(refund.Descriptor().Fields().ByName("memo"), protoreflect.ValueOfString("late"))
	if m.Has(f.ByName("money")) {
		money := m.Mutable(f.ByName("money")).Message()
		money.Set(money.Descriptor().Fields().ByName("memo"), protoreflect.ValueOfString(fmt.Sprint("memo ", i)))
	}
	ls := m.Mutable(f.ByName("lines")).List()
	for j := range ls.Len() {
		l := ls.Get(j).Message()
		l.Set(l.Descriptor().Fields().ByName("qty"), protoreflect.ValueOfString(fmt.Sprint(j, " boxes")))
	}
	return m
}

// TestIcebergSchemaEvolution: orders of schema v1 stream into a table;
// then v2 is registered (the subject's compatibility set to NONE first,
// as the changes break it) and producers send v2 orders interleaved with
// more v1 orders. The table gains the new columns (at the top, in a new
// struct and inside existing structs, also inside the list of lines),
// null in the rows of v1 and filled in those of v2; each field whose type
// changed lands in a name__v2 column of its new type, the old column
// keeping its type and its values. Every row read back matches the
// record it came from.
func TestIcebergSchemaEvolution(t *testing.T) {
	n := startNode(t, testConfig(t, t.TempDir()), node.Hooks{})
	const subject = "evo-value"
	id1, v1 := registerOrder(t, n.RegistryAddr(), subject, icebergOrderProto)
	icebergTopic(t, n.KafkaAddr(), "evo", "shop.evo", 2, 300*time.Millisecond)
	cl := newClient(t, n.KafkaAddr(), kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	ctx := ctxTimeout(t, time.Minute)

	type sent struct {
		rec *kgo.Record
		msg *dynamicpb.Message
		v2  bool
	}
	var all []sent
	send := func(id int, md protoreflect.MessageDescriptor, m *dynamicpb.Message, v2 bool) {
		b, _ := proto.Marshal(m)
		r := &kgo.Record{Topic: "evo", Value: append(wire.Append(nil, id, protobuf.IndexesOf(md)), b...)}
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatal(err)
		}
		all = append(all, sent{r, m, v2})
	}
	for i := range 10 {
		send(id1, v1, richOrder(v1, i), false)
	}
	waitRows(t, n.CatalogAddr(), icetable.Identifier{"shop", "evo"}, len(all), 30*time.Second)

	reg, err := sr.NewClient(sr.URLs("http://" + n.RegistryAddr()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.CreateSchema(ctx, subject, sr.Schema{Schema: icebergOrderV2Proto, Type: sr.TypeProtobuf}); err == nil {
		t.Errorf("v2 registered under BACKWARD compatibility; its type changes break it")
	}
	if res := reg.SetCompatibility(ctx, sr.SetCompatibility{Level: sr.CompatNone}, subject); res[0].Err != nil {
		t.Fatalf("set compatibility NONE: %v", res[0].Err)
	}
	id2, v2 := registerOrder(t, n.RegistryAddr(), subject, icebergOrderV2Proto)
	if id2 == id1 {
		t.Fatalf("v2 got v1's id %d", id1)
	}
	for i := 10; i < 30; i++ {
		if i%2 == 0 {
			send(id2, v2, richOrderV2(v1, v2, i), true)
		} else {
			send(id1, v1, richOrder(v1, i), false) // producers not yet upgraded
		}
	}
	ident := icetable.Identifier{"shop", "evo"}
	rows := waitRows(t, n.CatalogAddr(), ident, len(all), 30*time.Second)

	sc := loadTable(t, n.CatalogAddr(), ident).Schema()
	for name, typ := range map[string]iceberggo.Type{
		"val.i64": iceberggo.PrimitiveTypes.Int64, "val.i64__v2": iceberggo.PrimitiveTypes.String,
		"val.channel": iceberggo.PrimitiveTypes.String, "val.refund.memo": iceberggo.PrimitiveTypes.String,
		"val.money.memo": iceberggo.PrimitiveTypes.String, "val.lines.element.qty": iceberggo.PrimitiveTypes.Int64,
		"val.lines.element.qty__v2": iceberggo.PrimitiveTypes.String,
	} {
		if f, ok := sc.FindFieldByName(name); !ok || !f.Type.Equals(typ) {
			t.Errorf("column %s: %v (found %v), want %s", name, f.Type, ok, typ)
		}
	}
	newRows := 0
	for i, s := range all {
		row := rows[fmt.Sprint(s.rec.Partition, "/", s.rec.Offset)]
		if row == nil {
			t.Fatalf("record %d not in the table", i)
		}
		val := row["val"].(map[string]any)
		if val["__err__"] != nil || val["__raw__"] != nil {
			t.Errorf("record %d: __err__ %v", i, val["__err__"])
		}
		want := expectMessage(s.msg.ProtoReflect())
		if s.v2 {
			newRows++
			rename(want, "i64", "i64__v2")
			for _, l := range want["lines"].([]any) {
				rename(l.(map[string]any), "qty", "qty__v2")
			}
			if val["channel"] == nil || val["i64"] != nil || val["refund"] == nil {
				t.Errorf("v2 record %d: channel %v i64 %v refund %v", i, val["channel"], val["i64"], val["refund"])
			}
		} else if val["channel"] != nil || val["i64__v2"] != nil || val["i64"] == nil {
			t.Errorf("v1 record %d: channel %v i64__v2 %v i64 %v", i, val["channel"], val["i64__v2"], val["i64"])
		}
		for _, d := range matchValue("val", want, val) {
			t.Errorf("record %d (v2 %v): %s", i, s.v2, d)
		}
	}
	t.Logf("%d rows (%d of v2, id %d) match their records; v2's columns added, changed types in __v2 columns", len(all), newRows, id2)
}

// rename moves m[from] to m[to].
func rename(m map[string]any, from, to string) {
	m[to] = m[from]
	delete(m, from)
}
