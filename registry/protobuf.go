package registry

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/tributary-io/tributary/schema/protobuf"
)

// protobufFormat compiles .proto text at run time with schema/protobuf:
// references are imports (reference name = import path); the well-known
// types and buf/validate/validate.proto resolve without references.
// Sameness is the compiled descriptor's fingerprint, so comments and
// layout do not make a new id; the text is stored as given (there is no
// Protobuf normalizer, so ?normalize changes nothing for Protobuf).
type protobufFormat struct{}

type protobufSchema struct {
	text string
	fd   protoreflect.FileDescriptor
	fp   string
}

func (p *protobufSchema) canonical() string { return p.text }
func (p *protobufSchema) identity() string  { return p.fp }

func (protobufFormat) compile(ctx context.Context, src source, _ bool) (compiled, error) {
	imports := make(map[string]string, len(src.Deps))
	for _, d := range src.Deps {
		if d.Type != typeProtobuf {
			return nil, fmt.Errorf("reference %q is a %s schema, not PROTOBUF", d.Name, d.Type)
		}
		imports[d.Name] = d.Text
	}
	text, fd, err := compileProtobuf(ctx, src.Text, protobuf.MapImports(imports))
	if err != nil {
		if errors.Is(err, protobuf.ErrInvalidSchema) || errors.Is(err, protobuf.ErrNotFound) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", errFormatFailed, err)
	}
	fp := protobuf.Fingerprint(fd)
	return &protobufSchema{text: text, fd: fd, fp: hex.EncodeToString(fp[:])}, nil
}

// compileProtobuf compiles a schema given as .proto text or, when that
// fails and it is one, as a base64 FileDescriptorProto (what Confluent's
// serializers send; Confluent's registry tries the two in this order). A
// descriptor is stored as the .proto text it prints as, compiled from
// that text: so one schema gets one id whichever form registers it.
func compileProtobuf(ctx context.Context, text string, imports protobuf.Imports) (string, protoreflect.FileDescriptor, error) {
	fd, err := protobuf.Compile(ctx, "", text, imports)
	if err == nil || !errors.Is(err, protobuf.ErrInvalidSchema) {
		return text, fd, err
	}
	fdp, ok := protobuf.ParseDescriptor(text)
	if !ok {
		return "", nil, err
	}
	printed, fd, err := protobuf.DescriptorText(ctx, fdp, imports)
	if err != nil {
		return "", nil, fmt.Errorf("base64 FileDescriptorProto %q: %w", fdp.GetName(), err)
	}
	return printed, fd, nil
}

// validate refuses a schema whose protovalidate rules (buf.validate
// options) cannot be evaluated — a CEL expression that does not compile,
// a rule for another type — now, rather than when the broker meets the
// first record.
func (protobufFormat) validate(c compiled) error {
	return protobuf.CheckRules(c.(*protobufSchema).fd)
}

// check applies Confluent's Protobuf rules (schema/protobuf.Check).
func (protobufFormat) check(level compatLevel, next compiled, prev []compiled) ([]incompat, error) {
	l, err := protobuf.ParseLevel(string(level))
	if err != nil {
		return nil, err
	}
	prevFDs := make([]protoreflect.FileDescriptor, len(prev))
	for i, p := range prev {
		prevFDs[i] = p.(*protobufSchema).fd
	}
	var out []incompat
	for _, in := range protobuf.Check(l, next.(*protobufSchema).fd, prevFDs) {
		reader := "the new schema reading data written with the old"
		if in.Reader == "old" {
			reader = "the old schema reading data written with the new"
		}
		out = append(out, incompat{prev: in.Previous, msg: fmt.Sprintf(
			"{errorType:'%s', description:'%s', path:'%s', reader:'%s'}", in.Type, in.Message, in.Path, reader)})
	}
	return out, nil
}

// render knows "serialized": the FileDescriptorProto, base64 (what
// Confluent's registry answers for ?format=serialized).
func (protobufFormat) render(c compiled, name string) (string, bool) {
	if name == "serialized" {
		return base64.StdEncoding.EncodeToString(protobuf.Descriptor(c.(*protobufSchema).fd)), true
	}
	return renderDefault(c, name)
}
