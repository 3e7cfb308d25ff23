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
}

// Validate reports whether o is usable.
func (o Options) Validate() error {
	if o.OpenTimeout < 0 {
		return fmt.Errorf("boltstore options: negative OpenTimeout %v: %w", o.OpenTimeout, metastore.ErrInvalidRequest)
	}
	return nil
}

func (o Options) openTimeout() time.Duration {
	if o.OpenTimeout == 0 {
		return DefaultOpenTimeout
	}
	return o.OpenTimeout
}
