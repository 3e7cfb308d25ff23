package arrowconv

import (
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// Options tune the mapping and the converter. The zero value is the
// default described on each field.
type Options struct {
	// Mem allocates the Arrow builders' buffers. Default:
	// memory.DefaultAllocator.
	Mem memory.Allocator

	// MaxRecursion is how many times one message type may appear on a
	// path from the root (the root counts) before a field of that type
	// becomes a JSON string instead of a struct. Only recursive schemas
	// reach it. Default: 3.
	MaxRecursion int

	// Uint64AsInt64 maps uint64, fixed64 and google.protobuf.UInt64Value
	// to long by reinterpreting the 64 bits (values at or above 2^63 read
	// back negative). Default false: decimal(20,0), which holds every
	// uint64 exactly and keeps its order. See doc.go.
	Uint64AsInt64 bool

	// DiscardUnknown drops unknown fields instead of keeping them in a
	// binary __unrecognized__ column on each message struct. Default
	// false. A message with no fields keeps the column anyway: Parquet
	// has no empty groups.
	DiscardUnknown bool

	// FieldID, if set, is called once per Arrow field (list elements and
	// map keys and values included) with its path of Arrow names from
	// the root (e.g. ["items", "element", "sku"]; the slice is reused,
	// copy it to keep it); a result above zero is written to the field's
	// metadata under PARQUET:field_id, the key iceberg-go and pqarrow
	// read. Default: no field IDs (the Iceberg side assigns them).
	FieldID func(path []string) int

	// Resolver finds the message types named by google.protobuf.Any
	// type URLs when an Any is rendered as JSON. Default:
	// protoregistry.GlobalTypes. An Any it cannot resolve is rendered as
	// {"@type": url, "value": base64} rather than failing the record.
	Resolver Resolver
}

// Resolver is what protojson needs to expand google.protobuf.Any.
type Resolver interface {
	protoregistry.MessageTypeResolver
	protoregistry.ExtensionTypeResolver
}

const defaultMaxRecursion = 3

func (o Options) withDefaults() Options {
	if o.Mem == nil {
		o.Mem = memory.DefaultAllocator
	}
	if o.MaxRecursion <= 0 {
		o.MaxRecursion = defaultMaxRecursion
	}
	if o.Resolver == nil {
		o.Resolver = protoregistry.GlobalTypes
	}
	return o
}
