package postgres

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/tributary-io/tributary/internal/metastore"
)

// Partition returns a partition's offsets.
func (s *Store) Partition(ctx context.Context, pk metastore.PartitionKey) (metastore.PartitionState, error) {
	var st metastore.PartitionState
	err := s.retry(ctx, func() error {
		return scanPartition(s.pool.QueryRow(ctx, sqlPartition, pk.Topic, pk.Partition), pk, &st)
	})
	if err != nil {
		return metastore.PartitionState{}, fmt.Errorf("read partition %v: %w", pk, err)
	}
	return st, nil
}

// PartitionStates reads every existing partition of pks with one
// statement.
func (s *Store) PartitionStates(ctx context.Context, pks []metastore.PartitionKey) (map[metastore.PartitionKey]metastore.PartitionState, error) {
	topics := make([]metastore.TopicID, len(pks))
	parts := make([]int32, len(pks))
	for i, pk := range pks {
		topics[i], parts[i] = pk.Topic, pk.Partition
	}
	var out map[metastore.PartitionKey]metastore.PartitionState
	err := s.retry(ctx, func() error {
		out = make(map[metastore.PartitionKey]metastore.PartitionState, len(pks))
		rows, err := s.pool.Query(ctx, sqlPartitionStates, topics, parts)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var pk metastore.PartitionKey
			var st metastore.PartitionState
			if err := rows.Scan(&pk.Topic, &pk.Partition, &st.LogStart, &st.HighWater, &st.Bytes); err != nil {
				return err
			}
			out[pk] = st
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("read %d partitions: %w", len(pks), err)
	}
	return out, nil
}

// scanPartition reads (log_start, high_water, bytes); no row is
// ErrUnknownPartition.
func scanPartition(row pgx.Row, pk metastore.PartitionKey, st *metastore.PartitionState) error {
	err := row.Scan(&st.LogStart, &st.HighWater, &st.Bytes)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("partition %v: %w", pk, metastore.ErrUnknownPartition)
	}
	return err
}

// ReadIndex returns up to limit entries (limit < 1: all) starting with the
// one holding from, and the partition's state, from one statement (one
// snapshot, one round trip).
func (s *Store) ReadIndex(ctx context.Context, pk metastore.PartitionKey, from int64, limit int) ([]metastore.IndexEntry, metastore.PartitionState, error) {
	var entries []metastore.IndexEntry
	var st metastore.PartitionState
	err := s.retry(ctx, func() (err error) {
		entries, st, err = s.readIndex(ctx, pk, max(from, 0), limit)
		return err
	})
	if err != nil {
		return nil, metastore.PartitionState{}, fmt.Errorf("read index of %v from %d: %w", pk, from, err)
	}
	return entries, st, nil
}

func (s *Store) readIndex(ctx context.Context, pk metastore.PartitionKey, from int64, limit int) ([]metastore.IndexEntry, metastore.PartitionState, error) {
	rows, _ := s.pool.Query(ctx, sqlIndexRead, pk.Topic, pk.Partition, from, sqlLimit(limit))
	defer rows.Close()
	var st metastore.PartitionState
	var entries []metastore.IndexEntry
	found := false
	for rows.Next() {
		found = true
		var base, last, pos, size, ts *int64
		var key *string
		if err := rows.Scan(&st.LogStart, &st.HighWater, &st.Bytes, &base, &last, &key, &pos, &size, &ts); err != nil {
			return nil, st, err
		}
		if base != nil {
			entries = append(entries, metastore.IndexEntry{
				BaseOffset: *base, LastOffset: *last, ObjectKey: *key, Pos: *pos, Size: *size, MaxTimestamp: *ts,
			})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, st, err
	}
	if !found {
		return nil, st, fmt.Errorf("partition %v: %w", pk, metastore.ErrUnknownPartition)
	}
	return entries, st, nil
}

// TrimIndex removes the entries ending below before, releases their
// object references and raises LogStart.
func (s *Store) TrimIndex(ctx context.Context, pk metastore.PartitionKey, before int64) (int, error) {
	var n int
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var st metastore.PartitionState
		if err := scanPartition(tx.QueryRow(ctx, sqlPartitionForUpdate, pk.Topic, pk.Partition), pk, &st); err != nil {
			return err
		}
		var bytes int64
		var err error
		if n, bytes, err = dropBelow(ctx, tx, pk, before); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, sqlPartitionTrim, pk.Topic, pk.Partition, bytes)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("trim index of %v before %d: %w", pk, before, err)
	}
	return n, nil
}

// DeleteRecords moves the log start to offset (HighWater for -1) and
// removes the entries wholly below it, under the partition's row lock.
func (s *Store) DeleteRecords(ctx context.Context, pk metastore.PartitionKey, offset int64) (metastore.PartitionState, error) {
	var st metastore.PartitionState
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if err := scanPartition(tx.QueryRow(ctx, sqlPartitionForUpdate, pk.Topic, pk.Partition), pk, &st); err != nil {
			return err
		}
		target, err := metastore.DeleteTarget(st, offset)
		if err != nil || target == st.LogStart {
			return err
		}
		_, bytes, err := dropBelow(ctx, tx, pk, target)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, sqlPartitionDeleteRecords, pk.Topic, pk.Partition, target, bytes); err != nil {
			return err
		}
		st.LogStart, st.Bytes = target, st.Bytes-bytes
		return nil
	})
	if err != nil {
		return metastore.PartitionState{}, fmt.Errorf("delete records of %v before %d: %w", pk, offset, err)
	}
	return st, nil
}

// dropBelow removes pk's entries ending below before and releases their
// object references; it returns how many went and their bytes. The
// caller holds the partition's row lock and updates its row.
func dropBelow(ctx context.Context, tx pgx.Tx, pk metastore.PartitionKey, before int64) (n int, bytes int64, err error) {
	var refs objectRefs
	var size int64
	rows, _ := tx.Query(ctx, sqlIndexTrim, pk.Topic, pk.Partition, before)
	_, err = pgx.ForEachRow(rows, []any{&refs.key, &refs.n, &size}, func() error {
		n += int(refs.n)
		bytes += size
		return refs.add()
	})
	if err != nil {
		return 0, 0, err
	}
	return n, bytes, dropRefs(ctx, tx, refs.keys, refs.counts)
}

// ReplaceIndex swaps the consecutive entries old for repl (segment
// rewrite). It is ErrConflict if any of old is not in the index exactly as
// given, or if repl's object is dead.
func (s *Store) ReplaceIndex(ctx context.Context, pk metastore.PartitionKey, old []metastore.IndexEntry, repl metastore.IndexEntry) error {
	if err := metastore.ValidateReplace(old, repl); err != nil {
		return fmt.Errorf("replace index of %v: %w", pk, err)
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var st metastore.PartitionState
		if err := scanPartition(tx.QueryRow(ctx, sqlPartitionForUpdate, pk.Topic, pk.Partition), pk, &st); err != nil {
			return err
		}
		if err := checkEntries(ctx, tx, pk, old); err != nil {
			return err
		}
		return replaceEntries(ctx, tx, pk, old, repl)
	})
	if err != nil {
		return fmt.Errorf("replace index of %v at [%d, %d] with object %s: %w",
			pk, repl.BaseOffset, repl.LastOffset, repl.ObjectKey, err)
	}
	return nil
}

// checkEntries reports ErrConflict unless every entry is stored as given.
func checkEntries(ctx context.Context, tx pgx.Tx, pk metastore.PartitionKey, entries []metastore.IndexEntry) error {
	bases := make([]int64, len(entries))
	for i, e := range entries {
		bases[i] = e.BaseOffset
	}
	rows, _ := tx.Query(ctx, sqlIndexEntriesAt, pk.Topic, pk.Partition, bases)
	var e metastore.IndexEntry
	stored := map[int64]metastore.IndexEntry{}
	_, err := pgx.ForEachRow(rows, []any{&e.BaseOffset, &e.LastOffset, &e.ObjectKey, &e.Pos, &e.Size, &e.MaxTimestamp}, func() error {
		stored[e.BaseOffset] = e
		return nil
	})
	if err != nil {
		return err
	}
	for _, want := range entries {
		got, ok := stored[want.BaseOffset]
		if !ok {
			return fmt.Errorf("entry at %d is gone: %w", want.BaseOffset, metastore.ErrConflict)
		}
		if got != want {
			return fmt.Errorf("entry at %d changed: %w", want.BaseOffset, metastore.ErrConflict)
		}
	}
	return nil
}

// replaceEntries references repl's object (before releasing the old
// ones, so a rewrite into an object the old entries point into keeps it
// live), swaps the entries and adjusts the partition's bytes. The objects
// are locked in key order first.
func replaceEntries(ctx context.Context, tx pgx.Tx, pk metastore.PartitionKey, old []metastore.IndexEntry, repl metastore.IndexEntry) error {
	drop := map[string]int64{}
	bases := make([]int64, len(old))
	delta := repl.Size
	for i, e := range old {
		drop[e.ObjectKey]++
		bases[i] = e.BaseOffset
		delta -= e.Size
	}
	keys := slices.Sorted(maps.Keys(drop))
	counts := make([]int64, len(keys))
	for i, k := range keys {
		counts[i] = drop[k]
	}
	if _, err := tx.Exec(ctx, sqlObjectsLock, append(slices.Clone(keys), repl.ObjectKey)); err != nil {
		return err
	}
	if err := addRefs(ctx, tx, repl.ObjectKey, 1, 0); err != nil {
		return err
	}
	if err := dropRefs(ctx, tx, keys, counts); err != nil {
		return err
	}
	var cols entryColumns
	cols.add(pk, repl)
	b := &pgx.Batch{}
	b.Queue(sqlIndexDeleteAt, pk.Topic, pk.Partition, bases)
	b.Queue(sqlIndexInsert, cols.topics, cols.parts, cols.bases, cols.lasts, repl.ObjectKey, cols.poss, cols.sizes, cols.maxTSs)
	b.Queue(sqlPartitionAddBytes, pk.Topic, pk.Partition, delta)
	return tx.SendBatch(ctx, b).Close()
}
