package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/tributary-io/tributary/internal/metastore"
)

// objectRefs gathers (object key, reference count) rows: key and n are
// the scan targets, add appends them.
type objectRefs struct {
	key    string
	n      int64
	keys   []string
	counts []int64
}

func (r *objectRefs) add() error {
	r.keys = append(r.keys, r.key)
	r.counts = append(r.counts, r.n)
	return nil
}

// addRefs records n more index entries pointing into object key, creating
// it (dead at once if n is 0, with its size if known). Adding references
// to a dead object is ErrConflict: the collector may be deleting it.
func addRefs(ctx context.Context, tx pgx.Tx, key string, n, size int64) error {
	var refs int64
	err := tx.QueryRow(ctx, sqlObjectAddRefs, key, n, size).Scan(&refs)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("object %s is dead and may be deleted: %w", key, metastore.ErrConflict)
	}
	return err
}

// dropRefs removes counts[i] references from object keys[i] (keys
// distinct), locking the objects in key order first. An unknown object
// or a count below zero is errCorrupt.
func dropRefs(ctx context.Context, tx pgx.Tx, keys []string, counts []int64) error {
	if len(keys) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	b.Queue(sqlObjectsLock, keys)
	b.Queue(sqlObjectsDropRefs, keys, counts)
	res := tx.SendBatch(ctx, b)
	defer func() { _ = res.Close() }() // for the error returns, whose error is the one that matters; success returns Close's own
	if _, err := res.Exec(); err != nil {
		return err
	}
	tag, err := res.Exec()
	if err != nil {
		return err
	}
	if tag.RowsAffected() != int64(len(keys)) {
		return fmt.Errorf("%d of %d objects the index references are unknown: %w",
			int64(len(keys))-tag.RowsAffected(), len(keys), errCorrupt)
	}
	return res.Close()
}

// DeadObjects lists up to limit objects no index entry references, in key
// order. limit < 1 means no limit.
func (s *Store) DeadObjects(ctx context.Context, limit int) ([]string, error) {
	var keys []string
	err := s.retry(ctx, func() (err error) {
		rows, _ := s.pool.Query(ctx, sqlObjectsDead, sqlLimit(limit))
		keys, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list dead objects: %w", err)
	}
	return keys, nil
}

// sqlLimit is a LIMIT parameter: NULL (no limit) for limit < 1.
func sqlLimit(limit int) *int64 {
	if limit < 1 {
		return nil
	}
	l := int64(limit)
	return &l
}

// ForgetObjects drops the dead ones among keys; live and unknown keys are
// left alone.
func (s *Store) ForgetObjects(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return ctx.Err()
	}
	err := s.retry(ctx, func() error {
		_, err := s.pool.Exec(ctx, sqlObjectsForget, keys)
		return err
	})
	if err != nil {
		return fmt.Errorf("forget %d objects: %w", len(keys), err)
	}
	return nil
}

// KnownObjects maps every key given to whether the store knows it.
func (s *Store) KnownObjects(ctx context.Context, keys []string) (map[string]bool, error) {
	known := make(map[string]bool, len(keys))
	err := s.retry(ctx, func() error {
		rows, _ := s.pool.Query(ctx, sqlObjectsKnown, keys)
		found, err := pgx.CollectRows(rows, pgx.RowTo[string])
		for _, k := range keys {
			known[k] = false
		}
		for _, k := range found {
			known[k] = true
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("look up %d objects: %w", len(keys), err)
	}
	return known, nil
}
