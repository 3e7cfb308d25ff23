package read

import "errors"

var (
	// ErrOffsetOutOfRange: the offset is below the log start or above the
	// log end (OFFSET_OUT_OF_RANGE).
	ErrOffsetOutOfRange = errors.New("fetch: offset out of range")
	// ErrCorrupt: stored bytes do not parse as record batches.
	ErrCorrupt = errors.New("fetch: stored data is corrupt")
)
