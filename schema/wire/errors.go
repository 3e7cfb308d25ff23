package wire

import "errors"

var (
	// ErrShort means the bytes end before the frame does.
	ErrShort = errors.New("wire: frame too short")
	// ErrMagic means the first byte is not a known magic byte (0x00, or
	// 0x01 in a header).
	ErrMagic = errors.New("wire: unknown magic byte")
	// ErrIndexes means the Protobuf message-index path is malformed: a bad
	// varint, a negative or out-of-range count or index, or more indexes
	// than bytes left or than MaxIndexes.
	ErrIndexes = errors.New("wire: malformed message indexes")
)
