package registry

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"
	goproto "google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tributary-io/tributary/schema/protobuf"
)

// sent is text as Confluent's serializers send it: the base64
// FileDescriptorProto of the compiled file (named path, no source info,
// no default json_name, as protoc embeds it in generated code).
func sent(t *testing.T, path, text string, imports map[string]string) string {
	t.Helper()
	fd, err := protobuf.Compile(t.Context(), path, text, protobuf.MapImports(imports))
	if err != nil {
		t.Fatal(err)
	}
	fdp := protodesc.ToFileDescriptorProto(fd)
	fdp.SourceCodeInfo = nil
	var clear func(m *descriptorpb.DescriptorProto)
	clear = func(m *descriptorpb.DescriptorProto) {
		for _, f := range m.Field {
			f.JsonName = nil // none of the test schemas sets a custom one
		}
		for _, n := range m.NestedType {
			clear(n)
		}
	}
	for _, m := range fdp.MessageType {
		clear(m)
	}
	b, err := goproto.Marshal(fdp)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// Regression (issue 9): confluent-kafka's ProtobufSerializer registers
// its schema as a base64 FileDescriptorProto, which was refused with
// "schema.proto:1:1: syntax error". Either form of one schema gets one
// id, whichever comes first, and the stored text is .proto text.
func TestDescriptorSchemaSameIDAsText(t *testing.T) {
	for _, descFirst := range []bool{false, true} {
		r := newTestRegistry(t, newStore(t), Options{})
		desc := proto(sent(t, "test/v.proto", protoV1, nil))
		first, second := proto(protoV1), desc
		if descFirst {
			first, second = desc, proto(protoV1)
		}
		id := r.register("a-value", first)
		if id2 := r.register("b-value", second); id2 != id {
			t.Fatalf("descFirst=%v: ids %d and %d", descFirst, id, id2)
		}
		if id3 := r.register("a-value", desc); id3 != id {
			t.Fatalf("descriptor again: id %d, want %d", id3, id)
		}
		text := r.expect(200, "GET", "/schemas/ids/1/schema", "")
		if !strings.Contains(text, "message M") || !strings.Contains(text, "package test.v;") {
			t.Fatalf("stored text %q", text)
		}
		if vs, err := r.cl.SubjectVersions(ctx(t), "a-value"); err != nil || len(vs) != 1 {
			t.Fatalf("a-value versions %v %v", vs, err)
		}
	}
}

// Lookups (POST /subjects/{s}) and compatibility checks take the
// descriptor form too.
func TestDescriptorSchemaLookupAndCompat(t *testing.T) {
	r := newTestRegistry(t, newStore(t), Options{})
	id := r.register("s", proto(protoV1))
	ss, err := r.cl.LookupSchema(ctx(t), "s", proto(sent(t, "v.proto", protoV1Reformatted, nil)))
	if err != nil || ss.ID != id || ss.Version != 1 {
		t.Fatalf("lookup %+v %v", ss, err)
	}
	ok, err := r.cl.CheckCompatibility(ctx(t), "s", -1, proto(sent(t, "v.proto", protoV2AddField, nil)))
	if err != nil || !ok.Is {
		t.Fatalf("compatible change: %+v %v", ok, err)
	}
	body, _ := json.Marshal(map[string]string{"schemaType": "PROTOBUF", "schema": sent(t, "v.proto", protoV2KindChange, nil)})
	got := r.expect(200, "POST", "/compatibility/subjects/s/versions/latest?verbose=true", string(body))
	if !strings.Contains(got, `"is_compatible":false`) || !strings.Contains(got, "FIELD_SCALAR_KIND_CHANGED") {
		t.Fatalf("incompatible change: %s", got)
	}
}

// References resolve for a descriptor (import path = reference name, as
// Confluent's serializers name them), well-known types and
// buf/validate/validate.proto without references; the schema gets the
// id of its text form with the same references.
func TestDescriptorSchemaReferences(t *testing.T) {
	r := newTestRegistry(t, newStore(t), Options{})
	r.register("test/common.proto", proto(sent(t, "test/common.proto", protoCommon, nil)))
	ref := sr.SchemaReference{Name: "test/common.proto", Subject: "test/common.proto", Version: 1}
	imports := map[string]string{"test/common.proto": protoCommon}
	id := r.register("order-value", proto(sent(t, "test/order.proto", protoOrder, imports), ref))
	if id2 := r.register("order2-value", proto(protoOrder, ref)); id2 != id {
		t.Fatalf("text form id %d, descriptor form %d", id2, id)
	}
	// A client that does not skip known types registers
	// google/protobuf/timestamp.proto too and references it; the
	// reference is accepted (the built-in file is the one used).
	ts := protodesc.ToFileDescriptorProto(timestamppb.File_google_protobuf_timestamp_proto)
	tsBytes, err := goproto.Marshal(ts)
	if err != nil {
		t.Fatal(err)
	}
	r.register("google/protobuf/timestamp.proto", proto(base64.StdEncoding.EncodeToString(tsBytes)))
	tsRef := sr.SchemaReference{Name: "google/protobuf/timestamp.proto", Subject: "google/protobuf/timestamp.proto", Version: 1}
	r.register("order3-value", proto(sent(t, "test/order.proto", protoOrder, imports), ref, tsRef))
	// A descriptor whose import is not among the references is invalid.
	_, err = r.cl.RegisterSchema(ctx(t), "bad-value", proto(sent(t, "test/order.proto", protoOrder, imports)), -1, -1)
	wantCode(t, err, 422, 42201)
}

// ?format=serialized answers the descriptor, and registering that answer
// again (as a client copying a schema does) finds the same id.
func TestDescriptorSchemaSerializedRoundTrip(t *testing.T) {
	r := newTestRegistry(t, newStore(t), Options{})
	id := r.register("s", proto(sent(t, "v.proto", protoV1, nil)))
	s, err := r.cl.SchemaByID(sr.WithParams(ctx(t), sr.Format("serialized")), id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := base64.StdEncoding.DecodeString(s.Schema); err != nil {
		t.Fatalf("serialized is not base64: %q", s.Schema)
	}
	if id2 := r.register("copy", proto(s.Schema)); id2 != id {
		t.Fatalf("re-registered serialized form: id %d, want %d", id2, id)
	}
	ss, err := r.cl.SchemaByVersion(sr.WithParams(ctx(t), sr.Format("serialized")), "copy", 1)
	if err != nil || ss.Schema.Schema != s.Schema {
		t.Fatalf("serialized by version %q %v", ss.Schema.Schema, err)
	}
}

// Base64 that is not a descriptor, or a descriptor that does not link,
// is an invalid schema (42201), not a server error.
func TestDescriptorSchemaInvalid(t *testing.T) {
	r := newTestRegistry(t, newStore(t), Options{})
	bad := &descriptorpb.FileDescriptorProto{
		Name:        goproto.String("x.proto"),
		Syntax:      goproto.String("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{{Name: goproto.String("M"), Field: []*descriptorpb.FieldDescriptorProto{{Name: goproto.String("f"), Number: goproto.Int32(1), Type: descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum(), TypeName: goproto.String(".Nope"), Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum()}}}},
	}
	b, _ := goproto.Marshal(bad)
	for _, s := range []string{base64.StdEncoding.EncodeToString([]byte("not a descriptor at all")), base64.StdEncoding.EncodeToString(b)} {
		_, err := r.cl.RegisterSchema(ctx(t), "s", proto(s), -1, -1)
		wantCode(t, err, 422, 42201)
	}
}
