package wire

import (
	"encoding/binary"
	"fmt"
	"math"
)

const (
	// MagicID starts a frame (and a header value) that carries a 4-byte
	// schema id.
	MagicID = 0x00
	// MagicGUID starts a header value that carries a 16-byte schema GUID.
	// Confluent never writes it in a payload prefix.
	MagicGUID = 0x01

	// PrefixLen is the length of the magic byte and the schema id.
	PrefixLen = 5

	// MaxIndexes bounds the length of a message-index path (nesting depth).
	// protoc refuses source nested this deep, so a longer path is garbage.
	MaxIndexes = 100
)

// Frame is a parsed Confluent envelope.
type Frame struct {
	// ID is the schema id (when !HasGUID), the 4 bytes read as a Java int.
	ID int
	// GUID is the schema GUID (when HasGUID); only header values carry one.
	GUID    [16]byte
	HasGUID bool
	// Indexes is the Protobuf message-index path, never empty after a
	// Protobuf parse: [0] when the frame abbreviates it.
	Indexes []int
	// Payload is the encoded message. It aliases the parsed bytes.
	Payload []byte
}

// Parse parses a Protobuf-framed record key or value: magic 0x00, the
// schema id, the message-index path, then the payload.
func Parse(b []byte) (Frame, error) {
	var f Frame
	err := ParseInto(&f, b)
	return f, err
}

// ParseInto is Parse writing into f, reusing f.Indexes' storage: on the hot
// path a caller keeps one Frame and parses every record into it without
// allocating.
func ParseInto(f *Frame, b []byte) error {
	id, rest, err := ParseID(b)
	if err != nil {
		return err
	}
	idx, rest, err := ParseIndexes(f.Indexes[:0], rest)
	if err != nil {
		return err
	}
	*f = Frame{ID: id, Indexes: idx, Payload: rest}
	return nil
}

// ParseID reads the magic byte and schema id shared by every Confluent
// format (Avro and JSON Schema frames end there) and returns the rest.
func ParseID(b []byte) (id int, rest []byte, err error) {
	if len(b) < PrefixLen {
		return 0, nil, ErrShort
	}
	if b[0] != MagicID {
		return 0, nil, fmt.Errorf("%w 0x%02x", ErrMagic, b[0])
	}
	return int(int32(binary.BigEndian.Uint32(b[1:5]))), b[5:], nil
}

// ParseIndexes reads a message-index path from the front of b, appending the
// indexes to dst, and returns the extended slice and the bytes after the
// path. The count is checked against the bytes left before dst grows.
func ParseIndexes(dst []int, b []byte) ([]int, []byte, error) {
	n, rest, err := readVarint32(b)
	if err != nil {
		return dst, b, err
	}
	switch {
	case n == 0:
		return append(dst, 0), rest, nil
	case n < 0 || n > MaxIndexes || int(n) > len(rest):
		return dst, b, fmt.Errorf("%w: count %d with %d bytes left", ErrIndexes, n, len(rest))
	}
	for range n {
		var i int32
		if i, rest, err = readVarint32(rest); err != nil {
			return dst, b, err
		}
		if i < 0 {
			return dst, b, fmt.Errorf("%w: negative index %d", ErrIndexes, i)
		}
		dst = append(dst, int(i))
	}
	return dst, rest, nil
}

// readVarint32 reads one zig-zag varint that must fit a Java int.
func readVarint32(b []byte) (int32, []byte, error) {
	v, n := binary.Varint(b)
	if n <= 0 {
		if n == 0 {
			return 0, b, fmt.Errorf("%w: truncated varint", ErrIndexes)
		}
		return 0, b, fmt.Errorf("%w: varint overflows", ErrIndexes)
	}
	if v < math.MinInt32 || v > math.MaxInt32 {
		return 0, b, fmt.Errorf("%w: %d is out of 32-bit range", ErrIndexes, v)
	}
	return int32(v), b[n:], nil
}

// Append appends a Protobuf frame prefix (magic, schema id, message-index
// path) to dst; the caller appends the payload after it. An empty path is
// written as [0].
func Append(dst []byte, id int, indexes []int) []byte {
	dst = AppendID(dst, id)
	return AppendIndexes(dst, indexes)
}

// AppendID appends the magic byte and the schema id (the whole prefix of an
// Avro or JSON Schema frame).
func AppendID(dst []byte, id int) []byte {
	dst = append(dst, MagicID)
	return binary.BigEndian.AppendUint32(dst, uint32(int32(id)))
}

// AppendIndexes appends a message-index path, [0] (or an empty path) as the
// single byte 0x00, as Confluent's serializers do.
func AppendIndexes(dst []byte, indexes []int) []byte {
	if len(indexes) == 0 || len(indexes) == 1 && indexes[0] == 0 {
		return append(dst, 0)
	}
	dst = binary.AppendVarint(dst, int64(len(indexes)))
	for _, i := range indexes {
		dst = binary.AppendVarint(dst, int64(i))
	}
	return dst
}
