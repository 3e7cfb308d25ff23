// Package protobuf is Tributary's run-time Protobuf schema library: the
// schema registry, the broker's enforcement and the Iceberg ingest all call
// it. It compiles Confluent-registry schema text, walks Confluent
// message-index paths, judges compatibility between versions, and decodes
// and validates record payloads through a per-schema-id cache.
//
// # Compile
//
// [Compile] turns a .proto source (a registry "schema" string) into a
// protoreflect.FileDescriptor with protocompile, at run time. Imports are
// found through [Imports], a callback from import path to source text: the
// registry resolves a schema's references (name = import path, subject,
// version) recursively and hands them over, as a map ([MapImports]) or
// lazily. Some files resolve without being registered:
//
//   - google/protobuf/*.proto (the well-known types, from the Go runtime's
//     registry) and buf/validate/validate.proto (protovalidate's rules, from
//     its generated Go package) always come from the binary; a reference of
//     the same name is ignored, so every schema shares one
//     google.protobuf.Timestamp and one buf.validate.field.
//   - confluent/meta.proto and confluent/type/decimal.proto, which
//     Confluent's serializers import without registering, are built in but
//     give way to a reference of the same name.
//
// Confluent's serializers send a schema as a base64 FileDescriptorProto
// instead: [ParseDescriptor] recognizes that form and [DescriptorText]
// links it (imports found as for a source) and prints it as .proto text
// (jhump/protoreflect/v2's protoprint: it prints every option, custom
// ones included, and editions; writing our own printer would mean
// re-deriving protoc's option syntax), refusing it unless the text
// compiles back to the same descriptor.
//
// Errors are a [*CompileError] listing file:line:col: message for each
// problem (it wraps [ErrInvalidSchema]); its Error() is what the registry
// returns with error code 42201.
//
// # Sameness
//
// [Fingerprint] is a SHA-256 of the compiled file's descriptor (the
// FileDescriptorProto without source info, serialized deterministically).
// Comments, whitespace, the spelling of type names (Foo, pkg.Foo, .pkg.Foo)
// and the order options are written in do not change it; anything that
// changes the compiled schema does. It covers the one file, not its imports:
// the registry dedupes on (fingerprint, references), as Confluent does on
// (canonical text, references). There is no text normalizer: the registry
// keeps the text it was given.
//
// # Message indexes
//
// [MessageByIndexes] and [IndexesOf] convert between a message descriptor
// and its Confluent message-index path (see package schema/wire for the
// bytes). Indexes count messages in declaration order, skipping the
// synthetic map-entry messages protoc adds for map fields, as Confluent's
// Java serde (which walks the parsed .proto text) does. confluent-kafka-go
// counts map entries (it uses protoreflect's Index), so the two disagree for
// a message declared after a map field in the same scope; we follow Java,
// the reference implementation. An empty path means [0], the first message.
//
// # Compatibility
//
// [Check] judges a new schema against earlier versions of a subject under a
// Confluent [Level]. The rules are Confluent's ProtobufSchema rules (its
// protobuf diff package), judged from the reader's side: BACKWARD compares
// the new schema reading data written with the old, FORWARD the old reading
// the new, FULL both; the _TRANSITIVE levels check every earlier version,
// the others only the latest. Each [Incompatibility] carries Confluent's
// errorType name (FIELD_SCALAR_KIND_CHANGED …) and path (#/Msg/2), and a
// message naming the message and field. Where we differ from Confluent:
//
//   - Reusing an enum value's number for a different name
//     (ENUM_CONST_CHANGED) is incompatible here, compatible in Confluent:
//     the wire does not change, but the value's meaning and its string form
//     (which Iceberg tables store) do. Adding, removing and aliasing values
//     stay compatible.
//   - A field that becomes proto2 required is REQUIRED_FIELD_ADDED, one
//     that stops being required REQUIRED_FIELD_REMOVED, whatever its type;
//     Confluent lets string and bytes fields change label freely.
//   - A number or enum field switching between singular and repeated is
//     FIELD_NUMERIC_LABEL_CHANGED for proto3 fields without a label too
//     (Confluent compares written labels only, so it misses
//     "int32 a" → "repeated int32 a", which packed encoding breaks).
//   - A proto2 group and a message field are different kinds
//     (FIELD_KIND_CHANGED): they are encoded differently.
//   - FIELD_NAMED_TYPE_CHANGED means the field now names another message;
//     an incompatible change inside a same-named message is reported once,
//     where it is, and not again on every field of that type.
//   - Messages reached through imports are compared structurally when a
//     field refers to them; Confluent skips the comparison when both
//     versions name the same subject and version of the reference, which we
//     cannot see (an identical imported file compares equal anyway).
//
// As in Confluent, removing a field is compatible even if a later version
// reuses its number with another type: only the transitive levels (or a
// reserved statement) catch that.
//
// # Decode and validate
//
// A [Schema] is a compiled file with the machinery to read its messages; its
// [Codec] for one message decodes payloads into dynamicpb messages and runs
// the protovalidate rules (buf.validate options) the schema carries.
// [Codec.Check] is what the broker calls per record: parse, then validate;
// it returns [ErrDecode] or a [*ValidationError] whose violations name the
// field and rule ("line_items[0].quantity: must be greater than 0
// [uint64.gt]"). When no type the message reaches carries rules, Check is
// [Codec.Verify]: a scan of the wire format that gives proto.Unmarshal's
// verdict without building the message or allocating (FuzzCheck holds the
// two to the same verdict). When rules must run, a payload Verify accepts
// is decoded into a flat message (flat.go: fields in a slice by index,
// strings and bytes sliced from the payload, no reflection-driven Set)
// instead of a dynamicpb one, unless the types need what it does not
// handle (groups, closed enums, extensions, required fields); FuzzFlat
// holds it to proto.Equal with dynamicpb's message and to the same
// verdict. Fields whose only rule is string.email or string.uuid are
// checked first by a plain scan equivalent to protovalidate's expression
// (fastrules.go): a value that passes skips protovalidate's check of the
// field, any other gets it, so violations are protovalidate's own.
// [Codec.Decode] serves readers such as the
// Iceberg ingest. [CheckRules] tells the registry whether a schema's rules
// can be evaluated at all. [Cache] maps schema ids to Schemas through a
// [Loader], bounded (least recently used out), loading each id once however
// many goroutines ask; a hit costs a map lookup under a mutex and does not
// allocate.
//
// Concurrency: Compile, Check, MessageByIndexes and IndexesOf are pure.
// Schema, Codec and Cache are safe for concurrent use.
package protobuf
