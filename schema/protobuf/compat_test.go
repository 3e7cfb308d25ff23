package protobuf

import (
	"context"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// mustCompile compiles src (with imports) or fails the test.
func mustCompile(t testing.TB, src string, imports map[string]string) protoreflect.FileDescriptor {
	t.Helper()
	fd, err := Compile(context.Background(), "", src, MapImports(imports))
	if err != nil {
		t.Fatalf("compile: %v\n%s", err, src)
	}
	return fd
}

func types(in []Incompatibility) []string {
	out := []string{}
	for _, i := range in {
		out = append(out, i.Type+" "+i.Path)
	}
	return out
}

const p3 = "syntax = \"proto3\";\npackage shop.v1;\n"
const p2 = "syntax = \"proto2\";\npackage shop.v1;\n"

// compatCases are old → new schema pairs with the differences that break
// BACKWARD (the new schema reading old data) and FORWARD (the old schema
// reading new data). FULL is both.
var compatCases = []struct {
	name          string
	old, new      string
	backward, fwd []string
}{
	// Compatible both ways.
	{name: "add field",
		old: p3 + "message A { int32 a = 1; }",
		new: p3 + "message A { int32 a = 1; string b = 2; }"},
	{name: "remove field",
		old: p3 + "message A { int32 a = 1; string b = 2; }",
		new: p3 + "message A { int32 a = 1; reserved 2; }"},
	{name: "rename field",
		old: p3 + "message A { int32 a = 1; }",
		new: p3 + "message A { int32 renamed = 1; }"},
	{name: "varints int32 int64 uint32 uint64 bool",
		old: p3 + "message A { int32 a = 1; int64 b = 2; uint32 c = 3; uint64 d = 4; bool e = 5; }",
		new: p3 + "message A { int64 a = 1; uint64 b = 2; bool c = 3; int32 d = 4; uint32 e = 5; }"},
	{name: "string to bytes",
		old: p3 + "message A { string a = 1; bytes b = 2; }",
		new: p3 + "message A { bytes a = 1; string b = 2; }"},
	{name: "int32 to enum",
		old: p3 + "message A { int32 status = 1; }",
		new: p3 + "enum Status { UNKNOWN = 0; OK = 1; }\nmessage A { Status status = 1; }"},
	{name: "fixed32 sfixed32, fixed64 sfixed64, sint32 sint64",
		old: p3 + "message A { fixed32 a = 1; fixed64 b = 2; sint32 c = 3; }",
		new: p3 + "message A { sfixed32 a = 1; sfixed64 b = 2; sint64 c = 3; }"},
	{name: "implicit to explicit presence",
		old: p3 + "message A { int32 a = 1; }",
		new: p3 + "message A { optional int32 a = 1; }"},
	{name: "string and message become repeated",
		old: p3 + "message A { string a = 1; B b = 2; }\nmessage B {}",
		new: p3 + "message A { repeated string a = 1; repeated B b = 2; }\nmessage B {}"},
	{name: "reorder messages",
		old: p3 + "message A { B b = 1; }\nmessage B { int32 x = 1; }",
		new: p3 + "message B { int32 x = 1; }\nmessage A { B b = 1; }"},
	{name: "qualified type names and comments",
		old: p3 + "message A { B b = 1; }\nmessage B { int32 x = 1; }",
		new: p3 + "// A holds a B.\nmessage A {\n  .shop.v1.B b = 1; // qualified\n}\nmessage B { int32 x = 1; }"},
	{name: "enum values added and removed",
		old: p3 + "enum E { E_UNKNOWN = 0; E_A = 1; E_B = 2; }\nmessage A { E e = 1; }",
		new: p3 + "enum E { E_UNKNOWN = 0; E_A = 1; E_C = 3; }\nmessage A { E e = 1; }"},
	{name: "enum alias keeps the old name",
		old: p3 + "enum E { E_UNKNOWN = 0; E_A = 1; }\nmessage A { E e = 1; }",
		new: p3 + "enum E { option allow_alias = true; E_UNKNOWN = 0; E_A = 1; E_ALPHA = 1; }\nmessage A { E e = 1; }"},
	{name: "enum removed with its field",
		old: p3 + "enum E { E_UNKNOWN = 0; }\nmessage A { E e = 1; int32 x = 2; }",
		new: p3 + "message A { int32 x = 2; }"},
	{name: "single field into a new oneof",
		old: p3 + "message A { string a = 1; string b = 2; }",
		new: p3 + "message A { string a = 1; oneof o { string b = 2; } }"},
	{name: "oneof renamed with the same members",
		old: p3 + "message A { oneof o { string a = 1; int32 b = 2; } }",
		new: p3 + "message A { oneof kind { string a = 1; int32 b = 2; } }"},
	{name: "member moved out of a oneof (backward only)",
		old: p3 + "message A { oneof o { string a = 1; int32 b = 2; } }",
		new: p3 + "message A { int32 b = 2; oneof o { string a = 1; } }",
		// Read by the old schema, b joins a's oneof again.
		fwd: []string{"FIELD_MOVED_TO_EXISTING_ONEOF #/A/o"}},
	{name: "whole oneof deleted",
		old: p3 + "message A { int32 x = 3; oneof o { string a = 1; int32 b = 2; } }",
		new: p3 + "message A { int32 x = 3; }"},
	{name: "map value widened",
		old: p3 + "message A { map<string, int32> m = 1; }",
		new: p3 + "message A { map<string, int64> m = 1; }"},
	{name: "well-known types",
		old: p3 + "import \"google/protobuf/timestamp.proto\";\nmessage A { google.protobuf.Timestamp at = 1; }",
		new: p3 + "import \"google/protobuf/timestamp.proto\";\nimport \"google/protobuf/duration.proto\";\nmessage A { google.protobuf.Timestamp at = 1; google.protobuf.Duration d = 2; }"},

	// Breaking at least one way.
	{name: "int32 to string",
		old:      p3 + "message A { int32 a = 1; }",
		new:      p3 + "message A { string a = 1; }",
		backward: []string{"FIELD_SCALAR_KIND_CHANGED #/A/1"},
		fwd:      []string{"FIELD_SCALAR_KIND_CHANGED #/A/1"}},
	{name: "number reused with another type",
		old:      p3 + "message A { int32 count = 1; }",
		new:      p3 + "message A { string label = 1; }",
		backward: []string{"FIELD_SCALAR_KIND_CHANGED #/A/1"},
		fwd:      []string{"FIELD_SCALAR_KIND_CHANGED #/A/1"}},
	{name: "message to scalar",
		old:      p3 + "message A { B b = 1; }\nmessage B { int32 x = 1; }",
		new:      p3 + "message A { string b = 1; }\nmessage B { int32 x = 1; }",
		backward: []string{"FIELD_KIND_CHANGED #/A/1"},
		fwd:      []string{"FIELD_KIND_CHANGED #/A/1"}},
	{name: "sint32 to int32",
		old:      p3 + "message A { sint32 a = 1; }",
		new:      p3 + "message A { int32 a = 1; }",
		backward: []string{"FIELD_SCALAR_KIND_CHANGED #/A/1"},
		fwd:      []string{"FIELD_SCALAR_KIND_CHANGED #/A/1"}},
	{name: "fixed32 to int32, float to double",
		old:      p3 + "message A { fixed32 a = 1; float b = 2; }",
		new:      p3 + "message A { int32 a = 1; double b = 2; }",
		backward: []string{"FIELD_SCALAR_KIND_CHANGED #/A/1", "FIELD_SCALAR_KIND_CHANGED #/A/2"},
		fwd:      []string{"FIELD_SCALAR_KIND_CHANGED #/A/1", "FIELD_SCALAR_KIND_CHANGED #/A/2"}},
	{name: "field points to another message",
		old:      p3 + "message A { B b = 1; }\nmessage B { int32 x = 1; }\nmessage C { int32 x = 1; }",
		new:      p3 + "message A { C b = 1; }\nmessage B { int32 x = 1; }\nmessage C { int32 x = 1; }",
		backward: []string{"FIELD_NAMED_TYPE_CHANGED #/A/1"},
		fwd:      []string{"FIELD_NAMED_TYPE_CHANGED #/A/1"}},
	{name: "change inside a referenced message",
		old:      p3 + "message A { B b = 1; }\nmessage B { int32 x = 1; }",
		new:      p3 + "message A { B b = 1; }\nmessage B { string x = 1; }",
		backward: []string{"FIELD_SCALAR_KIND_CHANGED #/B/1"},
		fwd:      []string{"FIELD_SCALAR_KIND_CHANGED #/B/1"}},
	{name: "top-level message removed",
		old:      p3 + "message A { int32 a = 1; }\nmessage B { int32 b = 1; }",
		new:      p3 + "message A { int32 a = 1; }",
		backward: []string{"MESSAGE_REMOVED #/B"}},
	{name: "top-level message added",
		old: p3 + "message A { int32 a = 1; }",
		new: p3 + "message A { int32 a = 1; }\nmessage B { int32 b = 1; }",
		fwd: []string{"MESSAGE_REMOVED #/B"}},
	{name: "nested message removed",
		old:      p3 + "message A { message In { int32 x = 1; } In in = 1; }",
		new:      p3 + "message A { reserved 1; }",
		backward: []string{"MESSAGE_REMOVED #/A/In"},
		fwd:      nil},
	{name: "number becomes repeated",
		old:      p3 + "message A { int32 a = 1; }",
		new:      p3 + "message A { repeated int32 a = 1; }",
		backward: []string{"FIELD_NUMERIC_LABEL_CHANGED #/A/1"},
		fwd:      []string{"FIELD_NUMERIC_LABEL_CHANGED #/A/1"}},
	{name: "enum becomes repeated",
		old:      p3 + "enum E { E_UNKNOWN = 0; }\nmessage A { repeated E e = 1; }",
		new:      p3 + "enum E { E_UNKNOWN = 0; }\nmessage A { E e = 1; }",
		backward: []string{"FIELD_NUMERIC_LABEL_CHANGED #/A/1"},
		fwd:      []string{"FIELD_NUMERIC_LABEL_CHANGED #/A/1"}},
	{name: "two fields moved into one oneof",
		old:      p3 + "message A { string a = 1; string b = 2; }",
		new:      p3 + "message A { oneof o { string a = 1; string b = 2; } }",
		backward: []string{"MULTIPLE_FIELDS_MOVED_TO_ONEOF #/A/o"},
		fwd:      nil},
	{name: "field moved into an existing oneof",
		old:      p3 + "message A { string a = 1; oneof o { string b = 2; string c = 3; } }",
		new:      p3 + "message A { oneof o { string a = 1; string b = 2; string c = 3; } }",
		backward: []string{"FIELD_MOVED_TO_EXISTING_ONEOF #/A/o"}},
	{name: "fields of two oneofs merged",
		old:      p3 + "message A { oneof x { string a = 1; } oneof y { string b = 2; } }",
		new:      p3 + "message A { oneof z { string a = 1; string b = 2; } }",
		backward: []string{"FIELD_MOVED_TO_EXISTING_ONEOF #/A/z"}},
	{name: "oneof member removed",
		old:      p3 + "message A { oneof o { string a = 1; int32 b = 2; } }",
		new:      p3 + "message A { oneof o { string a = 1; } }",
		backward: []string{"ONEOF_FIELD_REMOVED #/A/o/2"},
		fwd:      nil},
	{name: "oneof member added",
		old:      p3 + "message A { oneof o { string a = 1; } }",
		new:      p3 + "message A { oneof o { string a = 1; int32 b = 2; } }",
		backward: nil,
		fwd:      []string{"ONEOF_FIELD_REMOVED #/A/o/2"}},
	{name: "type change hidden by a oneof rename",
		old:      p3 + "message A { oneof o { string a = 1; int32 b = 2; } }",
		new:      p3 + "message A { oneof k { string a = 1; string b = 2; } }",
		backward: []string{"FIELD_SCALAR_KIND_CHANGED #/A/k/2"},
		fwd:      []string{"FIELD_SCALAR_KIND_CHANGED #/A/o/2"}},
	{name: "enum value number reused",
		old:      p3 + "enum Status { UNKNOWN = 0; ACTIVE = 1; }\nmessage A { Status s = 1; }",
		new:      p3 + "enum Status { UNKNOWN = 0; DELETED = 1; }\nmessage A { Status s = 1; }",
		backward: []string{"ENUM_CONST_CHANGED #/Status/1"},
		fwd:      []string{"ENUM_CONST_CHANGED #/Status/1"}},
	{name: "package changed",
		old:      p3 + "message A { int32 a = 1; }",
		new:      "syntax = \"proto3\";\npackage shop.v2;\nmessage A { int32 a = 1; }",
		backward: []string{"PACKAGE_CHANGED #/"},
		fwd:      []string{"PACKAGE_CHANGED #/"}},
	{name: "required field added",
		old:      p2 + "message A { optional int32 a = 1; }",
		new:      p2 + "message A { optional int32 a = 1; required string b = 2; }",
		backward: []string{"REQUIRED_FIELD_ADDED #/A/2"},
		fwd:      []string{"REQUIRED_FIELD_REMOVED #/A/2"}},
	{name: "string becomes required",
		old:      p2 + "message A { optional string a = 1; }",
		new:      p2 + "message A { required string a = 1; }",
		backward: []string{"REQUIRED_FIELD_ADDED #/A/1"},
		fwd:      []string{"REQUIRED_FIELD_REMOVED #/A/1"}},
	{name: "map value type changed",
		old:      p3 + "message A { map<string, int32> m = 1; }",
		new:      p3 + "message A { map<string, string> m = 1; }",
		backward: []string{"FIELD_SCALAR_KIND_CHANGED #/A/1"},
		fwd:      []string{"FIELD_SCALAR_KIND_CHANGED #/A/1"}},
	{name: "map to repeated message",
		old:      p3 + "message A { map<string, int32> m = 1; }",
		new:      p3 + "message A { repeated E m = 1; }\nmessage E { string key = 1; int32 value = 2; }",
		backward: []string{"FIELD_KIND_CHANGED #/A/1"},
		fwd:      []string{"FIELD_KIND_CHANGED #/A/1", "MESSAGE_REMOVED #/E"}},
	{name: "group to message",
		old:      p2 + "message A { optional group G = 1 { optional int32 x = 2; } }",
		new:      p2 + "message A { optional G g = 1; message G { optional int32 x = 2; } }",
		backward: []string{"FIELD_KIND_CHANGED #/A/1"},
		fwd:      []string{"FIELD_KIND_CHANGED #/A/1"}},
}

func TestCheckPairs(t *testing.T) {
	for _, tc := range compatCases {
		t.Run(tc.name, func(t *testing.T) {
			old, next := mustCompile(t, tc.old, nil), mustCompile(t, tc.new, nil)
			prev := []protoreflect.FileDescriptor{old}
			want := func(w []string) []string {
				if w == nil {
					return []string{}
				}
				return w
			}
			if got := types(Check(Backward, next, prev)); !slices.Equal(got, want(tc.backward)) {
				t.Errorf("BACKWARD = %q, want %q", got, want(tc.backward))
			}
			if got := types(Check(Forward, next, prev)); !slices.Equal(got, want(tc.fwd)) {
				t.Errorf("FORWARD = %q, want %q", got, want(tc.fwd))
			}
			full := append(slices.Clone(want(tc.backward)), want(tc.fwd)...)
			if got := types(Check(Full, next, prev)); !slices.Equal(got, full) {
				t.Errorf("FULL = %q, want %q", got, full)
			}
			if got := Check(None, next, prev); len(got) != 0 {
				t.Errorf("NONE = %v", got)
			}
			for _, i := range Check(Full, next, prev) {
				if i.Message == "" || i.Previous != 0 || (i.Reader != "new" && i.Reader != "old") {
					t.Errorf("incomplete incompatibility %+v", i)
				}
			}
		})
	}
}

func TestCheckMessages(t *testing.T) {
	old := mustCompile(t, p3+"message LineItem { uint64 quantity = 3; }\nmessage Cart { repeated LineItem line_items = 2; }", nil)
	next := mustCompile(t, p3+"message LineItem { string quantity = 3; }", nil)
	got := Check(Full, next, []protoreflect.FileDescriptor{old})
	var msgs []string
	for _, i := range got {
		msgs = append(msgs, i.String())
	}
	want := []string{
		"#/LineItem/3: field LineItem.quantity (3) changed from uint64 to string, which are encoded differently (FIELD_SCALAR_KIND_CHANGED)",
		"#/Cart: message Cart was removed (MESSAGE_REMOVED)",
		"#/LineItem/3: field LineItem.quantity (3) changed from uint64 to string, which are encoded differently (FIELD_SCALAR_KIND_CHANGED)",
	}
	if !slices.Equal(msgs, want) {
		t.Errorf("messages:\n%s\nwant:\n%s", strings.Join(msgs, "\n"), strings.Join(want, "\n"))
	}
	if got[0].Reader != "new" || got[2].Reader != "old" {
		t.Errorf("readers: %+v", got)
	}
}

func TestCheckTransitive(t *testing.T) {
	v1 := mustCompile(t, p3+"message A { int32 a = 1; string keep = 2; }", nil)
	v2 := mustCompile(t, p3+"message A { string keep = 2; }", nil)
	v3 := mustCompile(t, p3+"message A { string a = 1; string keep = 2; }", nil)
	history := []protoreflect.FileDescriptor{v1, v2}
	for _, level := range []Level{Backward, Forward, Full} {
		if got := Check(level, v3, history); len(got) != 0 {
			t.Errorf("%v: %v (only the latest version counts)", level, got)
		}
	}
	for _, level := range []Level{BackwardTransitive, ForwardTransitive, FullTransitive} {
		got := Check(level, v3, history)
		if len(got) == 0 {
			t.Fatalf("%v accepts a number reused with another type", level)
		}
		for _, i := range got {
			if i.Previous != 0 || i.Type != "FIELD_SCALAR_KIND_CHANGED" {
				t.Errorf("%v: %+v", level, i)
			}
		}
	}
	if got := Check(BackwardTransitive, v3, nil); got != nil {
		t.Errorf("first version: %v", got)
	}
}

func TestCheckThroughReferences(t *testing.T) {
	main := p3 + "import \"shop/money.proto\";\nmessage Order { shop.common.Money total = 1; }"
	v1 := mustCompile(t, main, map[string]string{
		"shop/money.proto": "syntax = \"proto3\";\npackage shop.common;\nmessage Money { int64 units = 1; int32 nanos = 2; }"})
	same := mustCompile(t, main, map[string]string{
		"shop/money.proto": "syntax = \"proto3\";\npackage shop.common;\n// v2: docs only\nmessage Money { int64 units = 1; int32 nanos = 2; string currency = 3; }"})
	broken := mustCompile(t, main, map[string]string{
		"shop/money.proto": "syntax = \"proto3\";\npackage shop.common;\nmessage Money { double units = 1; int32 nanos = 2; }"})
	prev := []protoreflect.FileDescriptor{v1}
	if got := Check(FullTransitive, same, prev); len(got) != 0 {
		t.Errorf("compatible reference change: %v", got)
	}
	got := types(Check(Backward, broken, prev))
	if !slices.Equal(got, []string{"FIELD_SCALAR_KIND_CHANGED #/Money/1"}) {
		t.Errorf("incompatible reference change: %q", got)
	}
}

func TestParseLevel(t *testing.T) {
	for l := None; l <= FullTransitive; l++ {
		got, err := ParseLevel(strings.ToLower(l.String()))
		if err != nil || got != l {
			t.Errorf("ParseLevel(%q) = %v, %v", l.String(), got, err)
		}
	}
	if _, err := ParseLevel("SIDEWAYS"); err == nil {
		t.Error("ParseLevel accepted SIDEWAYS")
	}
}
