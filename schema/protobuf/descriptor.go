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
	"google.golang.org/protobuf/types/dynamicpb"
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
// to the same descriptor, and returns the text and what [Compile] makes of
// it. Source info, json_name values equal to the default (protoc leaves
// them out of the descriptors it embeds; protocompile fills them in) and
// the order custom options are encoded in do not count. A descriptor that
// does not link is a *CompileError; one that fails the check wraps
// [ErrUnfaithful]; every failure wraps [ErrInvalidSchema] (ctx's aside).
//
// The text is what a Confluent registry would store too, up to layout:
// Confluent prints the descriptor with its own printer.
func DescriptorText(ctx context.Context, fdp *descriptorpb.FileDescriptorProto, imports Imports) (string, protoreflect.FileDescriptor, error) {
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
		return "", nil, err
	}
	if fd, err = revalidate(fd); err != nil {
		return "", nil, err
	}
	text, err := printProto(fd)
	if err != nil {
		return "", nil, err
	}
	back, err := Compile(ctx, DefaultPath, text, imports)
	if err != nil && ctx.Err() != nil {
		return "", nil, ctx.Err()
	}
	if err != nil {
		return "", nil, fmt.Errorf("%w: %w: the printed text does not compile: %w", ErrInvalidSchema, ErrUnfaithful, err)
	}
	want, err := descriptorForCompare(fd)
	if err != nil {
		return "", nil, err
	}
	got, err := descriptorForCompare(back)
	if err != nil {
		return "", nil, err
	}
	if !bytes.Equal(want, got) {
		return "", nil, fmt.Errorf("%w: %w", ErrInvalidSchema, ErrUnfaithful)
	}
	return text, back, nil
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

// descriptorForCompare is fd's descriptor as DescriptorText compares it:
// without source info, without json_name where it is the default, and
// with custom options read as the extensions they are (a descriptor sent
// by a client may carry them as unknown fields in any order; the printer
// writes them sorted by name), so that deterministic marshalling orders
// them by number.
func descriptorForCompare(fd protoreflect.FileDescriptor) ([]byte, error) {
	fdp := protodesc.ToFileDescriptorProto(fd)
	fdp.SourceCodeInfo = nil
	for _, m := range fdp.MessageType {
		dropDefaultJSONNames(m)
	}
	det := proto.MarshalOptions{Deterministic: true}
	b, err := det.Marshal(fdp)
	if err == nil {
		out := new(descriptorpb.FileDescriptorProto)
		if err = (proto.UnmarshalOptions{Resolver: visibleExtensions(fd)}).Unmarshal(b, out); err == nil {
			b, err = det.Marshal(out)
		}
	}
	if err != nil {
		// Option bytes that do not parse as their extension: the
		// client's descriptor is broken.
		return nil, fmt.Errorf("%w: options: %w", ErrInvalidSchema, err)
	}
	return b, nil
}

// extensionResolver finds the extensions a file and its imports declare,
// then the linked-in ones (protoregistry.GlobalTypes).
type extensionResolver struct{ local *protoregistry.Types }

func (r extensionResolver) FindExtensionByName(name protoreflect.FullName) (protoreflect.ExtensionType, error) {
	if xt, err := r.local.FindExtensionByName(name); err == nil {
		return xt, nil
	}
	return protoregistry.GlobalTypes.FindExtensionByName(name)
}

func (r extensionResolver) FindExtensionByNumber(msg protoreflect.FullName, n protoreflect.FieldNumber) (protoreflect.ExtensionType, error) {
	if xt, err := r.local.FindExtensionByNumber(msg, n); err == nil {
		return xt, nil
	}
	return protoregistry.GlobalTypes.FindExtensionByNumber(msg, n)
}

// visibleExtensions collects the extensions declared in fd and in its
// imports, transitively.
func visibleExtensions(fd protoreflect.FileDescriptor) extensionResolver {
	r := extensionResolver{local: new(protoregistry.Types)}
	seen := map[string]bool{}
	var walk func(f protoreflect.FileDescriptor)
	walk = func(f protoreflect.FileDescriptor) {
		if seen[f.Path()] {
			return
		}
		seen[f.Path()] = true
		addExtensions(r.local, f.Extensions())
		addNestedExtensions(r.local, f.Messages())
		for i := 0; i < f.Imports().Len(); i++ {
			walk(f.Imports().Get(i).FileDescriptor)
		}
	}
	walk(fd)
	return r
}

func addNestedExtensions(types *protoregistry.Types, ms protoreflect.MessageDescriptors) {
	for i := 0; i < ms.Len(); i++ {
		addExtensions(types, ms.Get(i).Extensions())
		addNestedExtensions(types, ms.Get(i).Messages())
	}
}

func addExtensions(types *protoregistry.Types, xs protoreflect.ExtensionDescriptors) {
	for i := 0; i < xs.Len(); i++ {
		// A conflict (two files declaring one extension) leaves the
		// first; the compile has refused such a set already.
		_ = types.RegisterExtension(dynamicpb.NewExtensionType(xs.Get(i)))
	}
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
