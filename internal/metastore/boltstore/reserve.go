package boltstore

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	bolt "go.etcd.io/bbolt"
)

// The reserve: space on disk kept for writes that free space.
//
// bbolt is copy-on-write: every commit, a delete included, writes its
// changed pages to free pages and frees the old ones only after. Free
// pages come from the freelist or from the end of the file, which bbolt
// grows with a sparse truncate, so on a full disk a commit that runs past
// the pages already written fails with ENOSPC: a DeleteTopic (whose
// dead-object records are new rows) could not run, and space could not be
// freed through the Kafka API. So the store keeps, past the file's used
// pages, a reserve of allocated blocks (fallocate): bbolt finds the file
// long enough and never needs the disk for them.
//
// The reserve is topped up at the start of a write transaction (bbolt
// allocates pages only in its commit) when the last commit left less
// than half of it. When topping up fails for lack of space the store is
// low: writes that free space (DeleteTopic, DeleteRecords,
// TrimIndex, ForgetObjects, DeleteGroup, DeleteOffsets, ExpireGroups) still
// run on the reserve; any other write first tries to top up again and,
// while the disk is still full, fails with an error wrapping errNoSpace
// (and syscall.ENOSPC) without touching the reserve. Filesystems without
// fallocate get no reserve (as before).

// DefaultReserve is Options.Reserve's default: room for the freeing
// commits that run while the disk is full. Measured (TestDeleteTopicOnFullDisk
// with more objects): one DeleteTopic releasing 30,000 objects fits, one of
// 60,000 does not; housekeeping's segment rewrite keeps topics far below
// that (one object per segment, not per flush). A bigger one can be freed
// in steps on a full disk: DeleteRecords up to a few offsets at a time.
const DefaultReserve = 8 << 20

// errNoSpace: the disk is full and the reserve is kept for freeing writes.
var errNoSpace = fmt.Errorf("boltstore: disk full, metadata writes other than deletes refused until space is freed: %w", syscall.ENOSPC)

// reserve tracks the allocated tail of the file. Its fields are guarded
// by Store.writer (every method runs holding the writer slot).
type reserve struct {
	size   int64 // bytes kept past the used pages; 0: no reserve
	end    int64 // the file is allocated up to here
	low    bool  // the last top-up failed for lack of space
	unsup  bool  // the filesystem cannot fallocate: no reserve
	noSync bool  // Options.NoSync: no fsync of the new size either
	// file is a handle of our own on bbolt's file (bbolt does not share
	// its own); nil when size is 0.
	file *os.File
}

// usedBytes is the end of the pages bbolt has handed out.
func usedBytes(db *bolt.DB) (int64, error) {
	var n int64
	err := db.View(func(tx *bolt.Tx) error {
		n = tx.Size()
		return nil
	})
	return n, err
}

// topUp allocates the reserve past used, the end of the used pages, when
// less than half of it is left there, or when low. It expects the writer
// slot held and no commit running.
func (s *Store) topUp(used int64) error {
	r := &s.reserve
	if r.size <= 0 || r.unsup || r.file == nil {
		return nil
	}
	if !r.low && used+r.size/2 <= r.end {
		return nil
	}
	f := r.file
	err := fallocate(f, used, r.size)
	switch {
	case errors.Is(err, syscall.ENOSPC):
		r.low = true
		return errNoSpace
	case errors.Is(err, syscall.EOPNOTSUPP), errors.Is(err, syscall.ENOSYS):
		r.unsup = true
		return nil
	case err != nil:
		return fmt.Errorf("reserve %d bytes past %d: %w", r.size, used, err)
	}
	// The file's new size must survive a crash before bbolt writes pages
	// into it without growing the file itself (bbolt syncs after growing).
	if !r.noSync {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("sync reserve: %w", err)
		}
	}
	r.end, r.low = used+r.size, false
	return nil
}

// keepReserve runs at the start of every write transaction, used being
// where the last commit left the used pages: it tops the reserve up and
// refuses a write that does not free space (errNoSpace) while the disk
// is full. Other failures to reserve are left for the next write to try
// again: the write itself may still succeed.
func (s *Store) keepReserve(used int64, freeing bool) error {
	if err := s.topUp(used); errors.Is(err, errNoSpace) && !freeing {
		return err
	}
	return nil
}
