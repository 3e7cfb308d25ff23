package protobuf

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/bufbuild/protocompile"
	"github.com/jhump/protoreflect/v2/protoprint"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// ErrUnfaithful means a descriptor printed as .proto text does not
// compile back to the same descriptor, so it is not stored as text.
var ErrUnfaithful = errors.New("descriptor does not survive printing as .proto text")

// ParseDescriptor reads the other form Confluent's registry accepts for a
// PROTOBUF schema: a serialized FileDescriptorProto, base64-encoded (the
// standard alphabet, padded, as Java's Base64 and Python's b64encode
// write it). Confluent's serializers (Java, confluent-kafka-go,
// confluent-kafka-python) send this form. It reports false when s is not
// such base64 or does not parse as a FileDescriptorProto; whether the
// descriptor links is for [DescriptorText] to say.
//
// Callers try s as .proto text first, as Confluent does: a text schema is
// never taken for a descriptor.
func ParseDescriptor(s string) (*descriptorpb.FileDescriptorProto, bool) {
	b, err := base64.StdEncoding.Strict().DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) == 0 {
		return nil, false
	}
	fdp := new(descriptorpb.FileDescriptorProto)
	if err := proto.Unmarshal(b, fdp); err != nil {
		return nil, false
	}
	return fdp, true
}

// DescriptorText links fdp (under [DefaultPath], its imports found through
// imports and the built-in files, as [Compile] finds them) and prints it
// as .proto text with protoprint, then checks that the text compiles back
// to the same descriptor: source info and json_name values equal to the
// default do not count (protoc leaves json_name out of the descriptors it
// embeds; protocompile fills it in). A descriptor that does not link is a
// *CompileError; one whose text differs wraps [ErrUnfaithful] and
// [ErrInvalidSchema].
func DescriptorText(ctx context.Context, fdp *descriptorpb.FileDescriptorProto, imports Imports) (string, error) {
	in := proto.Clone(fdp).(*descriptorpb.FileDescriptorProto)
	in.Name = proto.String(DefaultPath)
	in.SourceCodeInfo = nil
	for _, m := range in.MessageType {
		fillJSONNames(m)
	}
	fd, err := compile(ctx, DefaultPath, func() protocompile.SearchResult {
		return protocompile.SearchResult{Proto: in}
	}, imports)
	if err != nil {
		return "", err
	}
	if fd, err = revalidate(fd); err != nil {
		return "", err
	}
	text, err := printProto(fd)
	if err != nil {
		return "", err
	}
	back, err := Compile(ctx, DefaultPath, text, imports)
	if err != nil {
		return "", fmt.Errorf("%w: %w: the printed text does not compile: %w", ErrInvalidSchema, ErrUnfaithful, err)
	}
	if !bytes.Equal(descriptorForCompare(fd), descriptorForCompare(back)) {
		return "", fmt.Errorf("%w: %w", ErrInvalidSchema, ErrUnfaithful)
	}
	return text, nil
}

// revalidate rebuilds a linked descriptor with protodesc, whose checks
// are stricter than protocompile's for a descriptor it did not compile
// from source (FuzzDescriptorText found an extension without extendee
// that protocompile linked and the printer then crashed on).
func revalidate(fd protoreflect.FileDescriptor) (protoreflect.FileDescriptor, error) {
	deps := new(protoregistry.Files)
	if err := registerImports(deps, fd, map[string]bool{}); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSchema, err)
	}
	out, err := protodesc.NewFile(protodesc.ToFileDescriptorProto(fd), deps)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSchema, err)
	}
	return out, nil
}

// registerImports adds fd's imports, transitively, to files.
func registerImports(files *protoregistry.Files, fd protoreflect.FileDescriptor, seen map[string]bool) error {
	imps := fd.Imports()
	for i := 0; i < imps.Len(); i++ {
		imp := imps.Get(i).FileDescriptor
		if seen[imp.Path()] {
			continue
		}
		seen[imp.Path()] = true
		if err := registerImports(files, imp, seen); err != nil {
			return err
		}
		if err := files.RegisterFile(imp); err != nil {
			return err
		}
	}
	return nil
}

// printProto prints fd as .proto text. protoprint is fed what clients
// send: a panic in it is that input's failure, not the registry's.
func printProto(fd protoreflect.FileDescriptor) (text string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: print: %v", ErrInvalidSchema, r)
		}
	}()
	var p protoprint.Printer
	text, err = p.PrintProtoToString(fd)
	if err != nil {
		return "", fmt.Errorf("%w: print: %w", ErrInvalidSchema, err)
	}
	return text, nil
}

// descriptorForCompare is fd's descriptor as DescriptorText compares it: without
// source info and without json_name where it is the default.
func descriptorForCompare(fd protoreflect.FileDescriptor) []byte {
	fdp := protodesc.ToFileDescriptorProto(fd)
	fdp.SourceCodeInfo = nil
	for _, m := range fdp.MessageType {
		dropDefaultJSONNames(m)
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(fdp)
	if err != nil {
		panic("schema/protobuf: marshal descriptor: " + err.Error())
	}
	return b
}

// fillJSONNames gives every field without a json_name the default one,
// as protoc does when it compiles a source: protocompile's linker takes a
// missing json_name for a custom "".
func fillJSONNames(m *descriptorpb.DescriptorProto) {
	for _, f := range m.Field {
		if f.JsonName == nil {
			f.JsonName = proto.String(jsonName(f.GetName()))
		}
	}
	for _, n := range m.NestedType {
		fillJSONNames(n)
	}
}

func dropDefaultJSONNames(m *descriptorpb.DescriptorProto) {
	for _, f := range m.Field {
		if f.JsonName != nil && f.GetJsonName() == jsonName(f.GetName()) {
			f.JsonName = nil
		}
	}
	for _, n := range m.NestedType {
		dropDefaultJSONNames(n)
	}
}

// jsonName is protoc's default JSON name: underscores dropped, the letter
// after each one upper-cased.
func jsonName(name string) string {
	var b strings.Builder
	up := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '_':
			up = true
		case up && 'a' <= c && c <= 'z':
			b.WriteByte(c - 'a' + 'A')
			up = false
		default:
			b.WriteByte(c)
			up = false
		}
	}
	return b.String()
}
