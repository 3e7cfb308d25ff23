package protobuf

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// asSent is fd as Confluent's serializers send it: the
// FileDescriptorProto protoc embeds in generated code (named path, no
// source info, json_name only where the source sets one), serialized and base64-encoded.
func asSent(t testing.TB, fd protoreflect.FileDescriptor, path string) string {
	t.Helper()
	fdp := protodesc.ToFileDescriptorProto(fd)
	fdp.Name = proto.String(path)
	fdp.SourceCodeInfo = nil
	for _, m := range fdp.MessageType {
		clearJSONNames(m)
	}
	b, err := proto.Marshal(fdp)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

func clearJSONNames(m *descriptorpb.DescriptorProto) {
	for _, f := range m.Field {
		if f.GetJsonName() == jsonName(f.GetName()) {
			f.JsonName = nil
		}
	}
	for _, n := range m.NestedType {
		clearJSONNames(n)
	}
}

// outerSrc has nested messages and enums, a map, a oneof, an import of
// a well-known type and options, in an order that message indexes see.
const outerSrc = `syntax = "proto3";
package test.nested;

import "google/protobuf/timestamp.proto";

option go_package = "example.com/nested";

message Outer {
  message Inner {
    enum Kind { KIND_UNSPECIFIED = 0; KIND_A = 1; }
    Kind kind = 1;
    map<string, int64> counts = 2;
  }
  Inner inner = 1;
  repeated Inner more = 2 [deprecated = true];
  oneof choice { string s = 3; int32 n = 4; }
  google.protobuf.Timestamp at = 5;
  optional string maybe = 6;
  string snake_case_name = 7 [json_name = "custom"];
  reserved 10 to 12;
  reserved "gone";
}

message Second { Outer.Inner inner = 1; }
`

// Every test schema (proto3 with protovalidate rules, proto2 with groups
// and extensions, editions) and one with nested types survive the trip
// descriptor → text → descriptor, and the text gets the fingerprint of
// the source it came from.
func TestDescriptorText(t *testing.T) {
	srcs := map[string]string{"nested": outerSrc}
	for _, name := range []string{"cart.proto", "order.proto", "sink.proto", "sink2.proto", "sink3.proto"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		srcs[name] = string(b)
	}
	for name, src := range srcs {
		t.Run(name, func(t *testing.T) {
			fd := mustCompile(t, src, nil)
			fdp, ok := ParseDescriptor(asSent(t, fd, "client/"+name))
			if !ok {
				t.Fatal("ParseDescriptor refused a descriptor")
			}
			text, _, err := DescriptorText(context.Background(), fdp, nil)
			if err != nil {
				t.Fatal(err)
			}
			back := mustCompile(t, text, nil)
			if Fingerprint(back) != Fingerprint(fd) {
				t.Fatalf("printed text compiles to another descriptor:\n%s", text)
			}
			if again, _, _ := DescriptorText(context.Background(), fdp, nil); again != text {
				t.Fatal("two prints differ")
			}
		})
	}
}

// Message indexes of nested messages are the same in the printed text.
func TestDescriptorTextIndexes(t *testing.T) {
	fd := mustCompile(t, outerSrc, nil)
	fdp, _ := ParseDescriptor(asSent(t, fd, "n.proto"))
	text, _, err := DescriptorText(context.Background(), fdp, nil)
	if err != nil {
		t.Fatal(err)
	}
	back := mustCompile(t, text, nil)
	for _, path := range [][]int{{0}, {0, 0}, {1}} {
		a, err1 := MessageByIndexes(fd, path)
		b, err2 := MessageByIndexes(back, path)
		if err1 != nil || err2 != nil || a.FullName() != b.FullName() {
			t.Fatalf("%v: %v %v / %v %v", path, a, err1, b, err2)
		}
	}
}

// Imports resolve through Imports as for text; a missing one is an
// invalid schema.
func TestDescriptorTextImports(t *testing.T) {
	common := "syntax = \"proto3\";\npackage c;\nmessage Money { int64 units = 1; }\n"
	src := "syntax = \"proto3\";\npackage o;\nimport \"c/common.proto\";\nmessage O { c.Money m = 1; }\n"
	imports := map[string]string{"c/common.proto": common}
	fd := mustCompile(t, src, imports)
	fdp, _ := ParseDescriptor(asSent(t, fd, "o.proto"))
	text, _, err := DescriptorText(context.Background(), fdp, MapImports(imports))
	if err != nil || !strings.Contains(text, `import "c/common.proto"`) {
		t.Fatalf("%v\n%s", err, text)
	}
	if _, _, err := DescriptorText(context.Background(), fdp, nil); !errors.Is(err, ErrInvalidSchema) {
		t.Fatalf("missing import: %v", err)
	}
}

// Custom options survive: ones defined in a referenced file and in the
// built-in confluent/meta.proto, which Confluent's serializers import
// without registering.
func TestDescriptorTextCustomOptions(t *testing.T) {
	opts := "syntax = \"proto3\";\npackage o;\nimport \"google/protobuf/descriptor.proto\";\n" +
		"message Tag { string name = 1; repeated int32 ids = 2; }\n" +
		"extend google.protobuf.MessageOptions { Tag tag = 50001; }\n" +
		"extend google.protobuf.FieldOptions { string label = 50002; }\n"
	src := `syntax = "proto3";
package p;
import "o/opts.proto";
import "confluent/meta.proto";
message M {
  option (o.tag) = { name: "m", ids: [1, 2] };
  string a = 1 [(o.label) = "first", (confluent.field_meta).doc = "the a field"];
}
`
	imports := map[string]string{"o/opts.proto": opts}
	fd := mustCompile(t, src, imports)
	fdp, _ := ParseDescriptor(asSent(t, fd, "p.proto"))
	text, back, err := DescriptorText(context.Background(), fdp, MapImports(imports))
	if err != nil {
		t.Fatal(err)
	}
	if Fingerprint(back) != Fingerprint(fd) || !strings.Contains(text, "the a field") || !strings.Contains(text, "first") {
		t.Fatalf("options lost:\n%s", text)
	}
}

// selfOptionsSrc declares custom options and uses them, and Confluent's
// built-in field_meta: a fuzz seed whose option bytes mutate.
const selfOptionsSrc = `syntax = "proto3";
package so;
import "google/protobuf/descriptor.proto";
import "confluent/meta.proto";
message Tag { string name = 1; repeated int32 ids = 2; }
extend google.protobuf.MessageOptions { Tag tag = 50001; }
extend google.protobuf.FieldOptions { string label = 50002; }
message M {
  option (tag) = { name: "m", ids: [1, 2] };
  string a = 1 [(label) = "first", (confluent.field_meta).doc = "the a field"];
}
`

// ParseDescriptor takes only base64 that parses as a FileDescriptorProto:
// never .proto text, never other bytes.
func TestParseDescriptorRefuses(t *testing.T) {
	for _, s := range []string{"", outerSrc, "syntax", "abcd", "////", base64.StdEncoding.EncodeToString([]byte{0xff, 0xff, 0xff}), "bm90IGEgZGVzY3JpcHRvcg"} {
		if _, ok := ParseDescriptor(s); ok {
			t.Errorf("ParseDescriptor(%q) took it", s)
		}
	}
}

// FuzzDescriptorText feeds arbitrary strings to the descriptor decoder
// (base64 → FileDescriptorProto → .proto text), as the registry does with
// a schema that is not .proto text; with raw set, the input is taken as
// descriptor bytes and base64-encoded first, so that mutations reach the
// FileDescriptorProto rather than break the base64. Invariant: nothing
// panics; an error is an ErrInvalidSchema; whatever DescriptorText
// accepts is text that compiles, and the descriptor of that text prints
// to the same text again.
//
// The corpus keeps testdata/fuzz/FuzzDescriptorText/45f22b9c11924398, a
// descriptor with an extension that names no extendee: protocompile
// linked it and protoprint panicked on it, until DescriptorText checked
// the linked file again with protodesc.
func FuzzDescriptorText(f *testing.F) {
	add := func(fd protoreflect.FileDescriptor, path string) {
		s := asSent(f, fd, path)
		f.Add(s, false)
		b, _ := base64.StdEncoding.DecodeString(s)
		f.Add(string(b), true)
	}
	add(mustCompile(f, outerSrc, nil), "n.proto")
	add(mustCompile(f, selfOptionsSrc, nil), "o.proto")
	for _, name := range []string{"cart.proto", "sink2.proto", "sink3.proto"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		add(mustCompile(f, string(b), nil), name)
	}
	f.Add("", false)
	f.Add("CgA=", false)
	f.Fuzz(func(t *testing.T, s string, raw bool) {
		if raw {
			s = base64.StdEncoding.EncodeToString([]byte(s))
		}
		fdp, ok := ParseDescriptor(s)
		if !ok {
			return
		}
		ctx := context.Background()
		text, _, err := DescriptorText(ctx, fdp, nil)
		if err != nil {
			if !errors.Is(err, ErrInvalidSchema) {
				t.Fatalf("error outside ErrInvalidSchema: %v", err)
			}
			return
		}
		fd, err := Compile(ctx, "", text, nil)
		if err != nil {
			t.Fatalf("accepted text does not compile: %v\n%s", err, text)
		}
		again, _, err := DescriptorText(ctx, protodesc.ToFileDescriptorProto(fd), nil)
		if err != nil || again != text {
			t.Fatalf("second print: %v\n%s\n---\n%s", err, text, again)
		}
	})
}
