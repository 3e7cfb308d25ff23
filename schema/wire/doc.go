// Package wire reads and writes the Confluent Schema Registry framing of a
// Kafka record key or value, the envelope every Confluent-compatible serializer
// (Java, librdkafka, confluent-kafka-go, franz-go's sr.Serde) puts around the
// encoded message:
//
//	byte 0      magic 0x00
//	bytes 1-4   schema id, big-endian (a Java int: the registry's global id)
//	...         Protobuf only: the message-index path (below)
//	...         the encoded message (the payload)
//
// The message-index path says which message of the schema's .proto file the
// payload holds: the index of a top-level message in declaration order, then
// of a message nested in it, and so on. It is written as a zig-zag varint
// count followed by that many zig-zag varint indexes; the path [0] (the first
// message, by far the most common) is abbreviated to the single byte 0x00
// (count 0). Non-canonical spellings (count 1, index 0) are accepted.
//
// # Schema id in a record header
//
// Confluent Platform 8 serializers can carry the schema reference in a record
// header instead of the payload (HeaderSchemaIdSerializer): header
// "__value_schema_id" for values and "__key_schema_id" for keys, whose value
// is either magic 0x01 followed by the schema's 16-byte GUID, or magic 0x00
// followed by the 4-byte id; for Protobuf the message-index path follows.
// The payload then carries no prefix at all. As Confluent's
// DualSchemaIdDeserializer, [ParseRecord] prefers the last such header when
// the record has one with a non-null value and falls back to the payload
// prefix otherwise. These are the names and the layout Confluent's own
// SchemaId class defines; Bufstream documents that it does not read schema
// ids from headers at all, so there is no other convention to follow.
//
// # Bounds
//
// Parsing never allocates more than the index slice of a well-formed frame:
// a count larger than the bytes left (each index takes at least one byte) or
// than [MaxIndexes] is refused before any allocation, as are negative counts
// and indexes and values outside the 32-bit range Java writes. [ParseInto]
// reuses the caller's index slice, so a steady stream of frames parses
// without allocating.
//
// This package knows nothing about Protobuf descriptors; package
// schema/protobuf turns a path into a message descriptor.
package wire
