package boltstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/tributary-io/tributary/internal/metastore"
)

// schemaVersion is the layout described in doc.go. Bump it, and add a
// migration in Open, whenever a bucket or an encoding changes.
//
//	1: topics, partitions, index, producers, objects, counters
//	2: groups and group_offsets (a version 1 file gains them, empty)
//	3: kv (a version 1 or 2 file gains it, empty)
const schemaVersion = 3

var (
	bucketMeta       = []byte("meta")
	bucketTopics     = []byte("topics")
	bucketTopicIDs   = []byte("topic_ids")
	bucketPartitions = []byte("partitions")
	bucketIndex      = []byte("index")
	bucketProducers  = []byte("producers")
	bucketObjects    = []byte("objects")
	bucketDead       = []byte("dead")
	bucketCounters   = []byte("counters")
	bucketGroups     = []byte("groups")
	bucketOffsets    = []byte("group_offsets")
	bucketKV         = []byte("kv")

	allBuckets = [][]byte{
		bucketMeta, bucketTopics, bucketTopicIDs, bucketPartitions, bucketIndex,
		bucketProducers, bucketObjects, bucketDead, bucketCounters,
		bucketGroups, bucketOffsets, bucketKV,
	}

	keyVersion = []byte("version")
)

// Store is the bbolt metadata store. Safe for concurrent use; see doc.go
// for the concurrency model.
type Store struct {
	db *bolt.DB
	// writer is a one-slot semaphore held around every Update so that
	// waiting for the single writer honours the caller's context.
	writer chan struct{}
	// cluster holds broker registrations and leases (in memory; see
	// cluster.go).
	cluster *cluster
	closed  atomic.Bool
	// reserve is the space kept for writes that free space (reserve.go);
	// guarded by writer.
	reserve reserve
}

var _ metastore.Store = (*Store)(nil)

// Open opens (creating if needed) the store in the file at path, creating
// its directory if missing. It fails with an error wrapping
// metastore.ErrUnavailable if another process holds the file for longer
// than opts.OpenTimeout.
func Open(path string, opts Options) (*Store, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("open metadata store %s: %w: %w", path, metastore.ErrUnavailable, err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout: opts.openTimeout(),
		NoSync:  opts.NoSync,
		// As etcd: the hashmap freelist stays fast on large fragmented
		// files, and not syncing it saves a write per commit at the cost
		// of a freelist rebuild when opening after a crash.
		FreelistType:   bolt.FreelistMapType,
		NoFreelistSync: true,
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open metadata store %s: locked by another process after %v: %w: %w",
			path, opts.openTimeout(), metastore.ErrUnavailable, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open metadata store %s: %w: %w", path, metastore.ErrUnavailable, err)
	}
	if err := db.Update(initSchema); err != nil {
		_ = db.Close() // the schema error returned is the one that matters
		return nil, fmt.Errorf("open metadata store %s: %w: %w", path, metastore.ErrUnavailable, err)
	}
	s := &Store{db: db, writer: make(chan struct{}, 1), cluster: newCluster(), reserve: reserve{size: opts.reserve(), noSync: opts.NoSync}}
	if s.reserve.size > 0 {
		if s.reserve.file, err = os.OpenFile(path, os.O_RDWR, 0); err != nil {
			_ = db.Close() // as above: the open error is the one that matters
			return nil, fmt.Errorf("open metadata store %s for its reserve: %w: %w", path, metastore.ErrUnavailable, err)
		}
	}
	// On a full disk the store opens low: deletes run, other writes wait
	// for space. Any other failure to reserve leaves the file as it is.
	if used, err := usedBytes(db); err == nil {
		_ = s.topUp(used)
	}
	return s, nil
}

// initSchema creates the buckets of a new file, checks the version of an
// existing one and migrates an older one. Every migration so far only
// adds buckets, which creating the missing ones does.
func initSchema(tx *bolt.Tx) error {
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketMeta, err)
	}
	v := meta.Get(keyVersion)
	if v != nil && (len(v) != 4 || binary.BigEndian.Uint32(v) < 1 || binary.BigEndian.Uint32(v) > schemaVersion) {
		return fmt.Errorf("schema version %x, this build reads 1 to %d: %w", v, schemaVersion, errSchema)
	}
	for _, name := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	if v != nil && binary.BigEndian.Uint32(v) == schemaVersion {
		return nil
	}
	return meta.Put(keyVersion, binary.BigEndian.AppendUint32(nil, schemaVersion))
}

// Close closes the database after in-flight transactions end. Calling it
// again is a no-op; other methods then fail with ErrUnavailable.
func (s *Store) Close() error {
	s.closed.Store(true)
	err := s.db.Close()
	if f := s.reserve.file; f != nil {
		// Under the writer slot, so no topUp is using it.
		s.writer <- struct{}{}
		_ = f.Close() // only ever fallocate'd and fsync'd: nothing to flush; a second Close is a no-op
		<-s.writer
	}
	if err != nil {
		return fmt.Errorf("close metadata store: %w: %w", metastore.ErrUnavailable, err)
	}
	return nil
}

// view runs fn in a read-only transaction.
func (s *Store) view(ctx context.Context, fn func(*tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return classify(s.db.View(func(btx *bolt.Tx) error {
		t, err := wrapTx(btx)
		if err != nil {
			return err
		}
		return fn(t)
	}))
}

// update runs fn in the one read-write transaction, after waiting for the
// writer slot or until ctx is done. fn's error rolls everything back. On
// a full disk it fails with errNoSpace instead (see reserve.go).
func (s *Store) update(ctx context.Context, fn func(*tx) error) error {
	return s.write(ctx, false, fn)
}

// free is update for a write that frees space: it runs on the reserve
// when the disk is full.
func (s *Store) free(ctx context.Context, fn func(*tx) error) error {
	return s.write(ctx, true, fn)
}

func (s *Store) write(ctx context.Context, freeing bool, fn func(*tx) error) error {
	select {
	case s.writer <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.writer }()
	if err := ctx.Err(); err != nil {
		return err
	}
	return classify(s.db.Update(func(btx *bolt.Tx) error {
		// Before this commit allocates pages: btx.Size() is where the
		// last commit left the used pages.
		if err := s.keepReserve(btx.Size(), freeing); err != nil {
			return err
		}
		t, err := wrapTx(btx)
		if err != nil {
			return err
		}
		return fn(t)
	}))
}

// domainErrors are the outcomes of the store's rules; anything else coming
// out of a transaction is a failure of the store itself.
var domainErrors = []error{
	metastore.ErrTopicExists, metastore.ErrUnknownTopic, metastore.ErrUnknownPartition,
	metastore.ErrInvalidPartitions, metastore.ErrOutOfOrderSequence,
	metastore.ErrInvalidProducerEpoch, metastore.ErrConflict, metastore.ErrInvalidRequest,
	metastore.ErrUnknownGroup, metastore.ErrIllegalGeneration, metastore.ErrUnknownKey,
	metastore.ErrOffsetOutOfRange, context.Canceled, context.DeadlineExceeded,
}

// classify wraps store failures (I/O, closed database, corruption) with
// metastore.ErrUnavailable and passes rule outcomes through.
func classify(err error) error {
	if err == nil {
		return nil
	}
	for _, d := range domainErrors {
		if errors.Is(err, d) {
			return err
		}
	}
	return fmt.Errorf("%w: %w", metastore.ErrUnavailable, err)
}
