package protobuf

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

const sinkText = `i32: -1 i64: 1 u32: 2 u64: 3 s32: -4 s64: -5 f32: 6 f64: 7 sf32: -8 sf64: -9 fl: 1.5 db: 2.5
b: true s: "héllo" by: "\x00\xff" e: E_ONE child { s: "c" child { i32: 1 } }
ri32: [1, -2, 3] rs64: [-1, 1] rf32: [1, 2] rdb: [0.5] rb: [true, false] rs: ["a", "b"] rby: ["\x01"] re: [E_ONE, E_ZERO]
rchild { u32: 1 } rchild { } unpacked: [1, 2, 3]
m_si { key: "k" value: 1 } m_is { key: -1 value { s: "v" } } m_bs { key: true value: "t" } m_ue { key: 7 value: E_ONE }
os: "oneof" opt: ""`

const sink2Text = `s: "plain" G { x: 1 back { s: "b" } } RG { t: "one" } RG { t: "two" } unpacked: [1, 2] packed: [3, 4] e: B m { key: "k" value { s: "v" } }`

const sink3Text = `checked: "ok" unchecked: "ok" delimited { checked: "d" } expanded: [1, 2] packed: [3] m { key: "a" value: "b" }`

func TestVerify(t *testing.T) {
	sink := codecOf(t, testdataSchema(t, "sink.proto"), "Sink")
	old := codecOf(t, testdataSchema(t, "sink2.proto"), "Old")
	ed := codecOf(t, testdataSchema(t, "sink3.proto"), "Ed")
	tag := protowire.AppendTag
	str := func(num protowire.Number, s string) []byte {
		return protowire.AppendString(tag(nil, num, protowire.BytesType), s)
	}
	for _, tc := range []struct {
		name    string
		c       *Codec
		payload []byte
		ok      bool
	}{
		{"sink", sink, encodeText(t, sink, sinkText), true},
		{"proto2", old, encodeText(t, old, sink2Text), true},
		{"editions", ed, encodeText(t, ed, sink3Text), true},
		{"empty", sink, nil, true},
		{"bad utf-8, proto3", sink, str(14, "\xff"), false},
		{"bad utf-8 in a repeated string", sink, str(26, "\xff"), false},
		{"bad utf-8 in a map key", sink, protowire.AppendBytes(tag(nil, 31, protowire.BytesType), str(1, "\xff")), false},
		{"bad utf-8 deep down", sink, protowire.AppendBytes(tag(nil, 17, protowire.BytesType), str(14, "\xff")), false},
		{"bad utf-8, proto2", old, str(1, "\xff"), true},
		// The Go runtime checks editions strings only for descriptors that
		// say so (EnforceUTF8), which protocompile's do not: accepted, as
		// by proto.Unmarshal.
		{"bad utf-8, editions default", ed, str(1, "\xff"), true},
		{"bad utf-8, editions NONE", ed, str(2, "\xff"), true},
		{"wrong wire type is unknown", sink, protowire.AppendFixed32(tag(nil, 1, protowire.Fixed32Type), 1), true},
		{"packed run of fixed32 cut short", sink, protowire.AppendBytes(tag(nil, 23, protowire.BytesType), []byte{1, 2, 3}), false},
		{"packed run with a bad varint", sink, protowire.AppendBytes(tag(nil, 21, protowire.BytesType), []byte{0x80}), false},
		{"unpacked element of a packed field", sink, protowire.AppendVarint(tag(nil, 21, protowire.VarintType), 5), true},
		{"field number 0", sink, []byte{0x00, 0x01}, false},
		{"truncated length", sink, []byte{0x72, 0x05, 'a'}, false},
		{"unknown field with a runaway varint", sink, []byte("2\xa4\xa4\x8f\x8f\x8f\x8f\x8f\x8f\x8f"), false},
		{"unknown group not closed", sink, tag(nil, 99, protowire.StartGroupType), false},
		{"stray end group", sink, tag(nil, 99, protowire.EndGroupType), false},
		{"group field", old, protowire.AppendVarint(tag(tag(nil, 2, protowire.StartGroupType), 3, protowire.VarintType), 1), false},
	} {
		payload := tc.payload
		if tc.name == "group field" { // close the group properly: valid
			payload, tc.ok = tag(payload, 2, protowire.EndGroupType), true
		}
		err := tc.c.Verify(payload)
		ref := proto.Unmarshal(payload, tc.c.New())
		if (err == nil) != tc.ok || (ref == nil) != tc.ok {
			t.Errorf("%s: Verify = %v, proto.Unmarshal = %v, want ok=%v", tc.name, err, ref, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrDecode) {
			t.Errorf("%s: %v is not ErrDecode", tc.name, err)
		}
	}
}

func TestVerifyDepth(t *testing.T) {
	sink := codecOf(t, testdataSchema(t, "sink.proto"), "Sink")
	nest := func(levels int) []byte {
		var b []byte
		for range levels {
			b = protowire.AppendBytes(protowire.AppendTag(nil, 17, protowire.BytesType), b)
		}
		return b
	}
	for _, levels := range []int{9999, 10000} {
		payload := nest(levels)
		err, ref := sink.Verify(payload), proto.Unmarshal(payload, sink.New())
		if (err == nil) != (ref == nil) {
			t.Errorf("%d levels: Verify = %v, proto.Unmarshal = %v", levels, err, ref)
		}
	}
}

func TestPlans(t *testing.T) {
	for _, tc := range []struct {
		src                   string
		rules, decodeToVerify bool
	}{
		{p3 + "message A { int32 a = 1; B b = 2; } message B { string s = 1; }", false, false},
		{p3 + "import \"buf/validate/validate.proto\";\nmessage A { B b = 1; } message B { string s = 1 [(buf.validate.field).string.min_len = 1]; }", true, false},
		{p3 + "import \"buf/validate/validate.proto\";\nmessage A { option (buf.validate.message).cel = {id: \"x\", expression: \"true\"}; }", true, false},
		{p3 + "import \"buf/validate/validate.proto\";\nmessage A { oneof o { option (buf.validate.oneof).required = true; int32 a = 1; } }", true, false},
		{p2 + "message A { optional B b = 1; } message B { required int32 x = 1; }", false, true},
		{p2 + "message A { extensions 100 to 199; }", false, true},
		{p3 + "message A { map<string, B> m = 1; } message B { A back = 1; }", false, false},
	} {
		got := planFor(mustCompile(t, tc.src, nil).Messages().Get(0))
		if got.rules != tc.rules || got.decodeToVerify != tc.decodeToVerify {
			t.Errorf("%s\nplan %+v", tc.src, got)
		}
	}
}

func TestCheckWithoutRulesAllocatesNothing(t *testing.T) {
	sink := codecOf(t, testdataSchema(t, "sink.proto"), "Sink")
	payload := encodeText(t, sink, sinkText)
	allocs := testing.AllocsPerRun(100, func() {
		if err := sink.Check(payload); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Check allocates %v times", allocs)
	}
}
