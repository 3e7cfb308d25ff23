package protobuf

import "google.golang.org/protobuf/reflect/protoreflect"

// diff returns the incompatible differences between writer (the schema the
// data was written with) and reader (the schema reading it).
func diff(writer, reader protoreflect.FileDescriptor) []Incompatibility {
	panic("schema/protobuf: Check is not implemented yet")
}
