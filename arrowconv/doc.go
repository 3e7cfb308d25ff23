// Package arrowconv turns Protobuf records into Arrow rows, for ingest
// to write as Parquet into Iceberg tables.
//
// [Schema] maps a message descriptor to an Arrow schema that uses only
// Arrow types iceberg-go converts to Iceberg types (table.ArrowSchemaToIceberg).
// A [Converter], compiled once per descriptor, walks each record's wire
// bytes with protowire (no dynamicpb message per record) and appends one
// row to its builders; [Converter.NewRecordBatch] hands the rows over.
//
// # Type mapping
//
//	Protobuf                          Arrow                        Iceberg
//	--------------------------------  ---------------------------  ---------------------------
//	bool                              bool                         boolean
//	int32, sint32, sfixed32           int32                        int
//	uint32, fixed32                   int64                        long   (never int: see below)
//	int64, sint64, sfixed64           int64                        long
//	uint64, fixed64                   decimal128(20, 0)            decimal(20, 0)
//	  with Options.Uint64AsInt64      int64 (same 64 bits)         long
//	float                             float32                      float
//	double                            float64                      double
//	string                            utf8                         string
//	bytes                             binary                       binary
//	enum                              utf8: the value's name       string
//	message, group                    struct (null when absent)    struct
//	repeated T                        list<element: T not null>    list<T>, element required
//	map<K, V>                         map<K, V not null>           map<K, V>, value optional (see below)
//	oneof members                     one nullable field each      optional fields
//	google.protobuf.Timestamp         timestamp[us, UTC]           timestamptz
//	google.protobuf.Duration          int64: microseconds          long
//	google.protobuf.*Value wrappers   the wrapped type, nullable   as the wrapped type
//	google.protobuf.Struct, Value,    utf8: JSON                   string
//	  ListValue, Any
//	a message past MaxRecursion       utf8: JSON                   string
//	unknown fields, extensions        binary __unrecognized__      binary
//
// Every field is nullable (Iceberg optional): a record that cannot be
// decoded becomes a row of nulls beside its __err__ and __raw__, and
// optional columns are what schema evolution can add. Names are the
// Protobuf field names, in declaration order, as Bufstream does.
//
// Map values are never null in the rows (a map entry without a value has
// the default), and the Arrow type says so; the table column declares
// them optional all the same (package iceberg does, when it adds the
// column), because iceberg-go v0.7.0 cannot read back a map whose values
// are required. Engines therefore see map<string, long> with an optional
// value; every reader handles it, and no value is ever null. List
// elements stay required.
//
// 32-bit unsigned values become long. An Arrow uint32 would convert to
// an Iceberg int, and every value from 2^31 up would read back negative.
//
// uint64 and fixed64 become decimal(20,0). Iceberg has no unsigned
// types, and reinterpreting the 64 bits as a long repeats the uint32
// mistake one size up: values from 2^63 up (hashes, random IDs, trace
// IDs) would read back negative, so they would sort, compare, sum and
// bucket wrong. decimal(20,0) holds every uint64 exactly and in order,
// and Spark, Trino, DuckDB and PyIceberg read it natively. It costs a
// 9-byte fixed-length Parquet value instead of 8 and slower arithmetic.
// Where only equality matters (IDs, hashes), Options.Uint64AsInt64 gives
// the two's-complement long instead.
//
// # Semantics
//
// Decoding follows proto.Unmarshal; the table tests use protojson of a
// dynamicpb message as their oracle.
//
//   - Presence. A field with explicit presence (proto2 optional, proto3
//     optional, oneof members, messages, wrappers, Timestamp, Duration)
//     is null when absent. A field with implicit presence (a plain proto3
//     scalar) is its value, zero included, never null. A proto2 default
//     is not filled in: absent is null. A missing proto2 required field
//     fails the record with [ErrRequiredMissing].
//   - Repetition. The last value of a singular scalar wins. Repeated
//     scalars are read packed or unpacked, in any mix. Occurrences of a
//     singular message merge. Setting a oneof member clears the member
//     set before it. An empty repeated field or map is an empty list or
//     map, not null.
//   - Maps. A map entry without a key or value has the default (the empty
//     message for message values). If a key appears twice the last entry
//     wins, as in proto.Unmarshal. Unknown fields inside an entry are
//     dropped, as proto.Unmarshal drops them.
//   - A known field that arrives with the wrong wire type is an unknown
//     field, as in proto.Unmarshal.
//   - Enums are names. A number the enum does not declare is written as
//     its decimal digits ("7"), for open and closed enums alike. Aliases
//     take the first name declared for the number, as protojson does.
//   - Strings must be UTF-8, whatever the syntax or the utf8_validation
//     feature says: an Iceberg string is UTF-8, and a record that breaks
//     this fails with [ErrInvalidUTF8] (so it lands with its __raw__
//     bytes) instead of writing a string a reader may refuse. This is
//     stricter than proto.Unmarshal for proto2 and for
//     utf8_validation = NONE.
//   - Timestamp is microseconds since the epoch, rounded down (toward
//     −∞, so 1969-12-31T23:59:59.999999999Z is −1µs). Duration is
//     microseconds rounded toward zero; Iceberg has no interval type and
//     microseconds match timestamptz, so ts + dur stays in one unit.
//     Either one outside the range its .proto allows fails the record
//     with [ErrOutOfRange], as protojson refuses it too.
//   - JSON columns are protojson with the Protobuf field names, compacted
//     (protojson's own output varies its spacing). A Value that protojson
//     cannot render (a NaN number, no kind set) fails the record with
//     [ErrJSON]. An Any whose type Options.Resolver cannot find becomes
//     {"@type": url, "value": base64 of the bytes}, so it is kept.
//   - Recursion. A message type may appear Options.MaxRecursion times
//     (default 3) on any path from the root; at the next level its field
//     is the JSON of that message. Struct, Value, ListValue and Any are
//     recursive too, hence JSON.
//   - Unknown fields and extensions are kept, wire-encoded and in arrival
//     order, in a binary __unrecognized__ column at the end of the top
//     level and of every message struct: the bytes proto.Unmarshal keeps
//     as that message's unknown fields, so the record can be rebuilt.
//     Null when there are none. A message with no fields always has the
//     column (Parquet has no empty groups). Fields inside a JSON column
//     are not kept; nor are they in map entries or in the well-known
//     types mapped to one scalar.
//   - Groups (proto2) and delimited message encoding (editions) are
//     structs like any message. The message-set wire format is refused
//     with [ErrUnsupported].
//
// # Field metadata
//
// Every Arrow field carries MetaNumber (the Protobuf field number; not
// on list elements), MetaName (the field's full name) and MetaType (the
// Protobuf type of its values), so the Iceberg side can tie columns to
// Protobuf fields when it assigns stable Iceberg field IDs. No
// PARQUET:field_id is written unless Options.FieldID gives one: field
// numbers are not unique across nested messages, Iceberg IDs must be.
//
// # Errors and atomicity
//
// Append either appends one complete row or returns an error and leaves
// every builder exactly as it was. It decodes in two passes: the first
// parses the record into scratch frames (pooled, reused from row to
// row), applying the merge rules above, then checks what needs the whole
// message (required fields, ranges, JSON); every error comes from it.
// The second appends the frames to the builders and cannot fail. Error
// values wrap [ErrMalformed], [ErrInvalidUTF8], [ErrRequiredMissing],
// [ErrOutOfRange] or [ErrJSON].
//
// # Concurrency
//
// A Converter holds builders and scratch space: one per goroutine. Schema
// is safe to call from any goroutine.
package arrowconv
