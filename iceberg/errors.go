package iceberg

import "errors"

var (
	// ErrFenced: the table's offsets moved since this Table last read them
	// (another writer committed); the caller must reopen and resume from
	// the table's offsets.
	ErrFenced = errors.New("iceberg: table offsets changed under this writer")
	// ErrLayout: the table exists but is not laid out as this package
	// writes (a reserved column missing or of another type).
	ErrLayout = errors.New("iceberg: table layout does not match")
	// ErrSchema: a batch does not fit the table schema (a bug: Prepare
	// should have made it fit).
	ErrSchema = errors.New("iceberg: batch does not fit the table schema")
	// ErrUnknownState: commits kept ending with their outcome unknown and
	// the commit id was not found; the caller may call Commit again with
	// the same rows and offsets, which looks again first.
	ErrUnknownState = errors.New("iceberg: commit state unknown")
)
