package boltstore

import (
	"fmt"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
)

// DefaultOpenTimeout is how long Open waits for another process to release
// the database file before giving up.
const DefaultOpenTimeout = 2 * time.Second

// Options tunes Open. The zero value is the production setting.
type Options struct {
	// OpenTimeout bounds the wait for the file lock held by another process
	// (another broker on the same data directory). Zero means
	// DefaultOpenTimeout; negative is invalid.
	OpenTimeout time.Duration

	// NoSync skips fsync on commit. Unsafe: a machine crash can lose
	// acknowledged offsets. For tests and benchmarks only. Default false.
	NoSync bool

	// Reserve is how many bytes of disk the file keeps allocated past its
	// used pages for writes that free space, so that topics, records and
	// dead objects can be deleted on a full disk (see reserve.go). Zero
	// means DefaultReserve (8 MiB); negative means none.
	Reserve int64
}

// Validate reports whether o is usable.
func (o Options) Validate() error {
	if o.OpenTimeout < 0 {
		return fmt.Errorf("boltstore options: negative OpenTimeout %v: %w", o.OpenTimeout, metastore.ErrInvalidRequest)
	}
	return nil
}

func (o Options) reserve() int64 {
	switch {
	case o.Reserve == 0:
		return DefaultReserve
	case o.Reserve < 0:
		return 0
	}
	return o.Reserve
}

func (o Options) openTimeout() time.Duration {
	if o.OpenTimeout == 0 {
		return DefaultOpenTimeout
	}
	return o.OpenTimeout
}
