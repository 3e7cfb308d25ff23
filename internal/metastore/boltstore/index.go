package boltstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/tributary-io/tributary/internal/metastore"
)

// Partition returns a partition's offsets.
func (s *Store) Partition(ctx context.Context, pk metastore.PartitionKey) (metastore.PartitionState, error) {
	var st metastore.PartitionState
	err := s.view(ctx, func(t *tx) error {
		var err error
		st, err = t.partition(pk)
		return err
	})
	if err != nil {
		return metastore.PartitionState{}, fmt.Errorf("read partition %v: %w", pk, err)
	}
	return st, nil
}

// PartitionStates reads every existing partition of pks in one read
// transaction.
func (s *Store) PartitionStates(ctx context.Context, pks []metastore.PartitionKey) (map[metastore.PartitionKey]metastore.PartitionState, error) {
	out := make(map[metastore.PartitionKey]metastore.PartitionState, len(pks))
	err := s.view(ctx, func(t *tx) error {
		for _, pk := range pks {
			st, err := t.partition(pk)
			if errors.Is(err, metastore.ErrUnknownPartition) {
				continue
			}
			if err != nil {
				return err
			}
			out[pk] = st
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %d partitions: %w", len(pks), err)
	}
	return out, nil
}

// ReadIndex returns up to limit entries (limit < 1: all) starting with the
// one holding from, found with one cursor seek and at most one step back.
func (s *Store) ReadIndex(ctx context.Context, pk metastore.PartitionKey, from int64, limit int) ([]metastore.IndexEntry, metastore.PartitionState, error) {
	var entries []metastore.IndexEntry
	var st metastore.PartitionState
	err := s.view(ctx, func(t *tx) error {
		var err error
		if st, err = t.partition(pk); err != nil || from >= st.HighWater {
			return err
		}
		entries, err = t.readIndex(pk, max(from, 0), limit)
		return err
	})
	if err != nil {
		return nil, metastore.PartitionState{}, fmt.Errorf("read index of %v from %d: %w", pk, from, err)
	}
	return entries, st, nil
}

func (t *tx) readIndex(pk metastore.PartitionKey, from int64, limit int) ([]metastore.IndexEntry, error) {
	prefix := partKey(pk)
	c := t.index.Cursor()
	k, v, err := seekEntry(c, pk, from)
	var entries []metastore.IndexEntry
	for ; err == nil && k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if limit > 0 && len(entries) == limit {
			break
		}
		var e metastore.IndexEntry
		e, err = decodeEntry(k, v)
		entries = append(entries, e)
	}
	return entries, err
}

// seekEntry positions c on the entry of partition prefix holding offset
// from or, if none does, the first one after it. Entries never overlap, so
// the one holding from is either keyed exactly at from or is the last one
// keyed before it.
func seekEntry(c *bolt.Cursor, pk metastore.PartitionKey, from int64) (k, v []byte, err error) {
	prefix, target := partKey(pk), indexKey(pk, from)
	k, v = c.Seek(target)
	if bytes.Equal(k, target) {
		return k, v, nil
	}
	var prevK, prevV []byte
	if k == nil {
		prevK, prevV = c.Last()
	} else {
		prevK, prevV = c.Prev()
	}
	if prevK != nil && bytes.HasPrefix(prevK, prefix) {
		last, err := entryLastOffset(prevK, prevV)
		if err != nil || last >= from {
			return prevK, prevV, err
		}
	}
	k, v = c.Seek(target)
	return k, v, nil
}

// TrimIndex removes the entries ending below before and raises LogStart.
func (s *Store) TrimIndex(ctx context.Context, pk metastore.PartitionKey, before int64) (int, error) {
	var n int
	err := s.free(ctx, func(t *tx) error {
		var err error
		n, err = t.trimIndex(pk, before)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("trim index of %v before %d: %w", pk, before, err)
	}
	return n, nil
}

func (t *tx) trimIndex(pk metastore.PartitionKey, before int64) (int, error) {
	st, err := t.partition(pk)
	if err != nil {
		return 0, err
	}
	n, next, err := t.dropBelow(pk, &st, before)
	if err != nil {
		return 0, err
	}
	st.LogStart = max(st.LogStart, next)
	return n, t.putPartition(pk, st)
}

// DeleteRecords moves the log start to offset (HighWater for -1) and
// removes the entries wholly below it.
func (s *Store) DeleteRecords(ctx context.Context, pk metastore.PartitionKey, offset int64) (metastore.PartitionState, error) {
	var st metastore.PartitionState
	err := s.free(ctx, func(t *tx) error {
		var err error
		if st, err = t.partition(pk); err != nil {
			return err
		}
		target, err := metastore.DeleteTarget(st, offset)
		if err != nil || target == st.LogStart {
			return err
		}
		if _, _, err := t.dropBelow(pk, &st, target); err != nil {
			return err
		}
		st.LogStart = target
		return t.putPartition(pk, st)
	})
	if err != nil {
		return metastore.PartitionState{}, fmt.Errorf("delete records of %v before %d: %w", pk, offset, err)
	}
	return st, nil
}

// dropBelow removes pk's entries whose LastOffset is below before, taking
// them off st, and returns how many went and the BaseOffset of the first
// one left (st.HighWater when none is).
func (t *tx) dropBelow(pk metastore.PartitionKey, st *metastore.PartitionState, before int64) (int, int64, error) {
	prefix := partKey(pk)
	var dropped []metastore.IndexEntry
	next := st.HighWater // LogStart when no entry remains
	c := t.index.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		e, err := decodeEntry(k, v)
		if err != nil {
			return 0, 0, err
		}
		if e.LastOffset >= before {
			next = e.BaseOffset
			break
		}
		dropped = append(dropped, e)
	}
	return len(dropped), next, t.removeEntries(pk, st, dropped)
}

// removeEntries deletes entries of pk, takes their sizes off st.Bytes and
// releases their object references.
func (t *tx) removeEntries(pk metastore.PartitionKey, st *metastore.PartitionState, entries []metastore.IndexEntry) error {
	refs := map[string]int64{}
	for _, e := range entries {
		if err := t.index.Delete(indexKey(pk, e.BaseOffset)); err != nil {
			return err
		}
		st.Bytes -= e.Size
		refs[e.ObjectKey]++
	}
	return t.dropRefs(refs)
}

// ReplaceIndex swaps the consecutive entries old for repl (segment
// rewrite). It is ErrConflict if any of old is not in the index exactly as
// given, or if repl's object is already dead.
func (s *Store) ReplaceIndex(ctx context.Context, pk metastore.PartitionKey, old []metastore.IndexEntry, repl metastore.IndexEntry) error {
	if err := metastore.ValidateReplace(old, repl); err != nil {
		return fmt.Errorf("replace index of %v: %w", pk, err)
	}
	err := s.update(ctx, func(t *tx) error {
		st, err := t.partition(pk)
		if err != nil {
			return err
		}
		if err := t.checkEntries(pk, old); err != nil {
			return err
		}
		// Reference the new object before releasing the old ones, so a
		// rewrite into an object that old entries point into keeps it live.
		if err := t.addRefs(repl.ObjectKey, 1, 0); err != nil {
			return err
		}
		if err := t.removeEntries(pk, &st, old); err != nil {
			return err
		}
		if err := t.index.Put(indexKey(pk, repl.BaseOffset), encodeEntry(repl)); err != nil {
			return err
		}
		st.Bytes += repl.Size
		return t.putPartition(pk, st)
	})
	if err != nil {
		return fmt.Errorf("replace index of %v at [%d, %d] with object %s: %w",
			pk, repl.BaseOffset, repl.LastOffset, repl.ObjectKey, err)
	}
	return nil
}

// checkEntries reports ErrConflict unless every entry is stored as given.
func (t *tx) checkEntries(pk metastore.PartitionKey, entries []metastore.IndexEntry) error {
	for _, want := range entries {
		k := indexKey(pk, want.BaseOffset)
		v := t.index.Get(k)
		if v == nil {
			return fmt.Errorf("entry at %d is gone: %w", want.BaseOffset, metastore.ErrConflict)
		}
		got, err := decodeEntry(k, v)
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("entry at %d changed: %w", want.BaseOffset, metastore.ErrConflict)
		}
	}
	return nil
}
