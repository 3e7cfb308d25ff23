package protobuf

import (
	"crypto/sha256"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Fingerprint identifies a compiled schema file: the SHA-256 of its
// FileDescriptorProto, source info stripped, serialized deterministically.
// Two sources with the same fingerprint compile to the same descriptor
// (comments, layout, how type names are qualified and the order options are
// written in do not count). Imports count by path only: the registry
// compares references itself.
func Fingerprint(fd protoreflect.FileDescriptor) [32]byte {
	return sha256.Sum256(Descriptor(fd))
}

// Descriptor returns fd as a serialized FileDescriptorProto without source
// info, deterministically: the bytes Fingerprint hashes, and what a
// Confluent registry returns for ?format=serialized (base64-encoded).
func Descriptor(fd protoreflect.FileDescriptor) []byte {
	fdp := protodesc.ToFileDescriptorProto(fd)
	fdp.SourceCodeInfo = nil
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(fdp)
	if err != nil {
		// A descriptor built by protodesc always marshals.
		panic("schema/protobuf: marshal descriptor: " + err.Error())
	}
	return b
}
