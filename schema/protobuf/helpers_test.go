package protobuf

import (
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// testdataSchema compiles testdata/name.
func testdataSchema(t testing.TB, name string) *Schema {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return NewSchema(mustCompile(t, string(src), nil))
}

// codecOf returns the codec of the named message of s.
func codecOf(t testing.TB, s *Schema, name string) *Codec {
	t.Helper()
	md, err := MessageByName(s.File, name)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.CodecFor(md)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// encodeText encodes a text-format message of c's type.
func encodeText(t testing.TB, c *Codec, text string) []byte {
	t.Helper()
	m := c.New()
	if err := prototext.Unmarshal([]byte(text), m); err != nil {
		t.Fatalf("text: %v\n%s", err, text)
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func fieldOf(md protoreflect.MessageDescriptor, name string) protoreflect.FieldDescriptor {
	return md.Fields().ByName(protoreflect.Name(name))
}
