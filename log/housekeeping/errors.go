package housekeeping

import "errors"

var (
	// ErrInvalidConfig: New was given a config that cannot run (a
	// non-positive interval, target size or orphan grace, a negative age).
	ErrInvalidConfig = errors.New("housekeeping: invalid config")
	// ErrCorrupt: an index entry's bytes do not frame as whole batches
	// taking exactly its offsets; the entry is left as it is.
	ErrCorrupt = errors.New("housekeeping: stored data does not match the index")
)
