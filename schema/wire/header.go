package wire

import "fmt"

// Record header names of Confluent's header-carried schema ids
// (io.confluent.kafka.serializers.schema.id.SchemaId).
const (
	KeySchemaIDHeader   = "__key_schema_id"
	ValueSchemaIDHeader = "__value_schema_id"
)

// HeaderName is the record header that carries the schema reference of a
// record's key (isKey) or value.
func HeaderName(isKey bool) string {
	if isKey {
		return KeySchemaIDHeader
	}
	return ValueSchemaIDHeader
}

// ParseHeader parses the value of a schema-id header: magic 0x01 and a
// 16-byte GUID, or magic 0x00 and a 4-byte id, then the Protobuf
// message-index path. A value that stops after the id is taken as path [0].
// The returned frame has no payload.
func ParseHeader(v []byte) (Frame, error) {
	var f Frame
	err := parseHeaderInto(&f, v)
	return f, err
}

func parseHeaderInto(f *Frame, v []byte) error {
	if len(v) == 0 {
		return ErrShort
	}
	g := Frame{Indexes: f.Indexes[:0]}
	var rest []byte
	switch v[0] {
	case MagicID:
		id, r, err := ParseID(v)
		if err != nil {
			return err
		}
		g.ID, rest = id, r
	case MagicGUID:
		if len(v) < 17 {
			return ErrShort
		}
		g.HasGUID = true
		copy(g.GUID[:], v[1:17])
		rest = v[17:]
	default:
		return fmt.Errorf("%w 0x%02x", ErrMagic, v[0])
	}
	if len(rest) == 0 {
		g.Indexes = append(g.Indexes, 0)
		*f = g
		return nil
	}
	idx, rest, err := ParseIndexes(g.Indexes, rest)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return fmt.Errorf("%w: %d bytes after the path", ErrIndexes, len(rest))
	}
	g.Indexes = idx
	*f = g
	return nil
}

// AppendHeader appends a header value carrying a schema id and a
// message-index path (magic 0x00).
func AppendHeader(dst []byte, id int, indexes []int) []byte {
	return Append(dst, id, indexes)
}

// AppendGUIDHeader appends a header value carrying a schema GUID and a
// message-index path (magic 0x01), as Confluent's HeaderSchemaIdSerializer
// writes it.
func AppendGUIDHeader(dst []byte, guid [16]byte, indexes []int) []byte {
	dst = append(dst, MagicGUID)
	dst = append(dst, guid[:]...)
	return AppendIndexes(dst, indexes)
}

// ParseRecord finds the schema reference of a record key or value the way
// Confluent's DualSchemaIdDeserializer does: header is the value of the last
// __key_schema_id / __value_schema_id header (see HeaderName), nil when the
// record has none or its value is null. With a header, the whole payload is
// the message; without, the payload must carry the prefix.
func ParseRecord(header, payload []byte) (Frame, error) {
	var f Frame
	err := ParseRecordInto(&f, header, payload)
	return f, err
}

// ParseRecordInto is ParseRecord writing into f, reusing f.Indexes.
func ParseRecordInto(f *Frame, header, payload []byte) error {
	if header == nil {
		return ParseInto(f, payload)
	}
	if err := parseHeaderInto(f, header); err != nil {
		return fmt.Errorf("header: %w", err)
	}
	f.Payload = payload
	return nil
}
