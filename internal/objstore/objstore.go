// Package objstore is the boundary to object storage: the durable home of the
// log. Intake objects (batches of many partitions written by one flush) and
// segments (one partition's batches rewritten together) live here; the
// metadata store says which byte ranges of which objects hold which offsets.
//
// Contract every backend keeps (checked by objstoretest.Run):
//   - Put is atomic and durable: when it returns nil the whole object is
//     readable, survives a crash of this process and of the machine (local
//     backends fsync the file and its directory); a reader never sees a
//     partial object. Put of an existing key replaces it whole.
//   - Get and GetRange of a missing key return an error wrapping ErrNotFound.
//   - GetRange(off, n) returns exactly n bytes, or an error wrapping
//     ErrRangeInvalid when [off, off+n) is not inside the object.
//   - Delete of a missing key is not an error.
//   - List returns every object whose key starts with prefix, sorted by key.
//
// Keys are slash-separated relative paths ("intake/000123-ab12.obj"); they
// never start with a slash nor contain "..".
package objstore

import (
	"context"
	"time"
)

// Store is an object store backend: local directory, S3, or a wrapper
// (fault injection, metrics) around one of them. Safe for concurrent use.
type Store interface {
	Put(ctx context.Context, key string, data []byte) error
	Get(ctx context.Context, key string) ([]byte, error)
	GetRange(ctx context.Context, key string, off, n int64) ([]byte, error)
	Delete(ctx context.Context, key string) error
	List(ctx context.Context, prefix string) ([]ObjectInfo, error)
	Close() error
}

// RangeReader is a Store that reads a range into the caller's buffer
// (Local: one pread straight into it), where GetRange allocates and
// zeroes a buffer of its own. The read path reads cold ranges of such a
// store into the fetch response and leaves caching them to the operating
// system's page cache. Wrappers (metrics) implement it exactly when the
// store they wrap does.
type RangeReader interface {
	// ReadRange fills dst with the len(dst) bytes at off, with GetRange's
	// errors: ErrNotFound for a missing key, ErrRangeInvalid when
	// [off, off+len(dst)) is not inside the object.
	ReadRange(ctx context.Context, key string, off int64, dst []byte) error
}

// Preparer is a Store that can make a new key's name durable ahead of its
// Put (Local: the file is created and its directory fsynced beforehand),
// so that the Put itself needs one fsync, of the data, instead of two
// (the data, then the directory entry of its rename). Until its Put
// returns, a prepared key is not an object: List omits it and a Get may
// find it empty or partial, so only keys nobody reads before their Put
// returns are prepared (intake objects, read only once indexed). A Put
// of a prepared key is durable when it returns nil, like any Put. A
// prepared key that will not be Put is given up with Delete. A crash
// leaves prepared keys as empty objects, which nothing references
// (housekeeping's orphan sweep deletes them).
type Preparer interface {
	Prepare(ctx context.Context, key string) error
}

// ObjectInfo describes one stored object.
type ObjectInfo struct {
	Key      string
	Size     int64
	Modified time.Time
}
