package protobuf

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// flatCodecs are the messages FuzzFlat decodes both ways: with rules
// (cart, order) and every proto3 field shape (Sink: scalars, packed and
// unpacked lists, maps of each value class, oneofs, recursion).
func flatCodecs(tb testing.TB) []*Codec {
	tb.Helper()
	order, _ := orderPayload(tb)
	cs := []*Codec{
		codecOf(tb, testdataSchema(tb, "cart.proto"), "Cart"),
		order,
		codecOf(tb, testdataSchema(tb, "sink.proto"), "Sink"),
	}
	for _, c := range cs {
		if flatFor(c.Desc) == nil {
			tb.Fatalf("%s has no flat type", c.Desc.FullName())
		}
	}
	return cs
}

// flatSeeds are payloads that exercise what proto.Unmarshal does beyond
// one value per field: repeated occurrences (a message merges, a scalar
// is replaced, a list grows, a map key is replaced), oneof members that
// displace each other, fields of the wrong wire type (unknown fields),
// unpacked runs of a packed field, unknown field numbers.
func flatSeeds(tb testing.TB, cs []*Codec) [][2][]byte {
	tb.Helper()
	_, order := orderPayload(tb)
	sink := encodeText(tb, cs[2], sinkText)
	cart := encodeText(tb, cs[0], validCart)
	tag := func(n protowire.Number, t protowire.Type) []byte { return protowire.AppendTag(nil, n, t) }
	return [][2][]byte{
		{{0}, cart},
		{{0}, encodeText(tb, cs[0], cartID+zeroLine)},
		{{0}, slices.Concat(cart, cart)},
		{{1}, order},
		{{1}, slices.Concat(order, order)},
		{{1}, slices.Concat(order, tag(2, protowire.VarintType), []byte{7})}, // buyer as a varint: unknown
		{{1}, slices.Concat(order, tag(999, protowire.Fixed32Type), []byte{1, 2, 3, 4})},
		{{2}, sink},
		{{2}, slices.Concat(sink, sink)},
		{{2}, slices.Concat(sink, encodeText(tb, cs[2], `ochild { s: "x" }`), encodeText(tb, cs[2], `ou: 0`), encodeText(tb, cs[2], `m_si { key: "k" value: 2 } m_is { key: -1 value { i32: 3 } } child { i64: 4 }`))},
		{{2}, slices.Concat(tag(1, protowire.BytesType), []byte{0})},
		{{2}, encodeText(tb, cs[2], manyEntries)}, // past mapIndexMin
		{{2}, slices.Concat(encodeText(tb, cs[2], manyEntries), encodeText(tb, cs[2], `m_si { key: "k7" value: -7 } m_si { key: "new" value: 1 }`))},
	}
}

// manyEntries is a Sink whose maps have more entries than a flatMap
// searches in order.
var manyEntries = func() string {
	var b strings.Builder
	for i := range 2 * mapIndexMin {
		fmt.Fprintf(&b, `m_si { key: "k%d" value: %d } m_is { key: %d value { i32: %d } } m_ue { key: %d value: E_ONE } `, i, i, -i, i, i)
	}
	return b.String()
}()

// checkFlatAgrees decodes payload with dynamicpb (proto.Unmarshal) and as
// a flat message: each accepts what the other accepts, and the two
// messages are proto.Equal, marshal to the same bytes and get the same
// verdict from Check's validation.
func checkFlatAgrees(t *testing.T, c *Codec, payload []byte) {
	t.Helper()
	dyn := c.New()
	if err := unmarshalGuarded(payload, dyn); err != nil {
		// The flat decoder must decline it too (Check then reports
		// Decode's ErrDecode), whether proto.Unmarshal refused it or
		// panicked on it.
		if c.plan.rules && !errors.Is(c.Check(payload), ErrDecode) {
			t.Fatalf("%s: proto.Unmarshal: %v; Check: %v", c.Desc.FullName(), err, c.Check(payload))
		}
		if _, ferr := flatFor(c.Desc).decodeFlat(payload); ferr == nil {
			t.Fatalf("%s: proto.Unmarshal refused %x (%v), the flat decoder accepted it", c.Desc.FullName(), payload, err)
		}
		return
	}
	fm, err := flatFor(c.Desc).decodeFlat(payload)
	if err != nil {
		t.Fatalf("%s: proto.Unmarshal accepts %x, the flat decoder: %v", c.Desc.FullName(), payload, err)
	}
	if !proto.Equal(fm, dyn) {
		t.Fatalf("%s: flat message differs from dynamicpb's for %x", c.Desc.FullName(), payload)
	}
	det := proto.MarshalOptions{Deterministic: true}
	a, aerr := det.Marshal(fm)
	b, berr := det.Marshal(dyn)
	if aerr != nil || berr != nil || !bytes.Equal(a, b) {
		t.Fatalf("%s: marshal flat %x (%v), dynamicpb %x (%v)", c.Desc.FullName(), a, aerr, b, berr)
	}
	if !c.plan.rules {
		return
	}
	if got, want := verdict(c.Check(payload)), verdict(c.Validate(dyn)); got != want {
		t.Fatalf("%s: Check (flat) %q, Validate of dynamicpb %q", c.Desc.FullName(), got, want)
	}
}

// verdict is an error's text with its violations sorted (map entries are
// visited in map order by both messages).
func verdict(err error) string {
	if err == nil {
		return "ok"
	}
	parts := strings.Split(err.Error(), "; ")
	slices.Sort(parts)
	return strings.Join(parts, "; ")
}

func TestFlatAgreesWithDynamicpb(t *testing.T) {
	cs := flatCodecs(t)
	for i, s := range flatSeeds(t, cs) {
		c := cs[s[0][0]]
		if err := proto.Unmarshal(s[1], c.New()); err != nil {
			t.Fatalf("seed %d does not parse: %v", i, err)
		}
		checkFlatAgrees(t, c, s[1])
	}
}

// FuzzFlat: the flat decoder that Check uses for messages with rules
// accepts exactly the payloads proto.Unmarshal accepts, into a message
// proto.Equal to dynamicpb's, that marshals to the same bytes and
// validates the same.
func FuzzFlat(f *testing.F) {
	cs := flatCodecs(f)
	for _, s := range flatSeeds(f, cs) {
		f.Add(s[0][0], s[1])
	}
	f.Fuzz(func(t *testing.T, which uint8, payload []byte) {
		checkFlatAgrees(t, cs[int(which)%len(cs)], payload)
	})
}

// TestCheckOrderBuildsNoDynamicMessage: a validated record used to be
// decoded into a dynamicpb message, 104 allocations for the order (two
// thirds of the record's cost); the flat message takes a few per
// sub-message.
func TestCheckOrderBuildsNoDynamicMessage(t *testing.T) {
	c, payload := orderPayload(t)
	if err := c.Check(payload); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(20, func() { _ = c.Check(payload) }); n > 40 {
		t.Fatalf("Check of the order: %v allocations, want at most 40", n)
	}
}

// TestCheckErrorOwnsItsText: Check's flat message reads strings from the
// payload without copying it, and a CEL rule may make a field's value its
// message; the error must still read the same after the payload's bytes
// are reused (as a produce request's buffer is).
func TestCheckErrorOwnsItsText(t *testing.T) {
	c := codecOf(t, NewSchema(mustCompile(t, p3+`import "buf/validate/validate.proto";
message Echo {
  string word = 1 [(buf.validate.field).cel = {id: "echo", expression: "this"}];
  map<string, string> tags = 2 [(buf.validate.field).map.values.cel = {id: "echo_tag", expression: "this"}];
}
`, nil)), "Echo")
	if c.flat == nil {
		t.Fatal("Echo is not decoded flat; the test would not test it")
	}
	payload := encodeText(t, c, `word: "hello" tags { key: "k" value: "there" }`)
	err := c.Check(payload)
	if err == nil {
		t.Fatal("Check passed a rule that echoes a non-empty value")
	}
	want := err.Error()
	for i := range payload {
		payload[i] = 'X'
	}
	if got := err.Error(); got != want || !strings.Contains(want, "hello") || !strings.Contains(want, "there") {
		t.Errorf("error after the payload changed: %q, before: %q", got, want)
	}
}

// TestCheckOrderAllocatesNoMessage: the flat decoder used to allocate a
// list or map per field, the value slices they grew and a copy of the
// payload for every record (8 allocations for the order, and the garbage
// collection they cost was a tenth of Check); its lists and maps are now
// reused and its strings alias the payload. What is left is
// protovalidate's own (its per-call options).
func TestCheckOrderAllocatesNoMessage(t *testing.T) {
	c, payload := orderPayload(t)
	if err := c.Check(payload); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(200, func() { _ = c.Check(payload) }); n > 4 {
		t.Fatalf("Check of the order: %v allocations, want at most 4", n)
	}
}
