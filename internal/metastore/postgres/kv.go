package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tributary-io/tributary/internal/metastore"
)

// KV (metastore.KV): table kv. Keys are text in the "C" collation, so
// they compare byte-wise as the contract asks; metastore.ValidateKVKey
// keeps out what text cannot hold (invalid UTF-8, NUL). Locks: kv rows
// only, in key order (see KVApply and doc.go).

var _ metastore.KV = (*Store)(nil)

// KVGet returns key's entry.
func (s *Store) KVGet(ctx context.Context, key string) (metastore.KVEntry, error) {
	if err := metastore.ValidateKVKey(key); err != nil {
		return metastore.KVEntry{}, err
	}
	e := metastore.KVEntry{Key: key}
	err := s.retry(ctx, func() error {
		err := s.pool.QueryRow(ctx, sqlKVGet, key).Scan(&e.Version, &e.Value)
		if errors.Is(err, pgx.ErrNoRows) {
			return metastore.ErrUnknownKey
		}
		return err
	})
	if err != nil {
		return metastore.KVEntry{}, fmt.Errorf("get key %q: %w", key, err)
	}
	return e, nil
}

// KVList returns up to limit entries under prefix after after, in key
// order, in one statement whose key range the primary key index serves.
func (s *Store) KVList(ctx context.Context, prefix, after string, limit int) ([]metastore.KVEntry, error) {
	if err := metastore.ValidateKVList(prefix, after); err != nil {
		return nil, err
	}
	var lim *int64 // NULL: no limit
	if limit > 0 {
		lim = new(int64(limit))
	}
	var entries []metastore.KVEntry
	err := s.retry(ctx, func() error {
		entries = nil
		var rows pgx.Rows
		if end := prefixEnd(prefix); end != "" {
			rows, _ = s.pool.Query(ctx, sqlKVList, prefix, after, end, lim)
		} else {
			rows, _ = s.pool.Query(ctx, sqlKVListOpen, prefix, after, lim)
		}
		var e metastore.KVEntry
		_, err := pgx.ForEachRow(rows, []any{&e.Key, &e.Version, &e.Value}, func() error {
			entries = append(entries, e) // each row scans into a new Value
			return nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list keys %q after %q: %w", prefix, after, err)
	}
	return entries, nil
}

// prefixEnd returns the least text above every text that starts with
// prefix (UTF-8), or "" when there is none (prefix is empty or all
// U+10FFFF): prefix with its last character replaced by the next one,
// after dropping trailing U+10FFFF. UTF-8's byte order is the order of
// code points, and no character lies between one and the next, so the
// texts in [prefix, prefixEnd(prefix)) are exactly those with the prefix.
func prefixEnd(prefix string) string {
	for prefix != "" {
		r, size := utf8.DecodeLastRuneInString(prefix)
		prefix = prefix[:len(prefix)-size]
		switch {
		case r == utf8.MaxRune:
			continue
		case r == 0xD7FF: // the surrogates D800–DFFF are no characters
			r = 0xE000
		default:
			r++
		}
		return prefix + string(r)
	}
	return ""
}

// KVApply checks and applies ops in one transaction: it locks the rows
// of the keys that exist (kv_lock, in key order), checks every Expect
// against them, and then writes in key order too, in one pipelined
// batch: an UPDATE or DELETE of a locked row, or an INSERT of an absent
// key that conflicts on the primary key if another transaction created
// it since (a create) or updates that row (a KVAny write). Transactions
// sharing keys thus take turns on the rows that exist and on the keys
// they create. One case still crosses the order: a KVAny write of a key
// created after the lock read, whose row another KVApply may have locked
// in the meantime; Postgres breaks such a deadlock and tx runs the
// transaction again.
func (s *Store) KVApply(ctx context.Context, ops []metastore.KVOp) ([]metastore.KVEntry, error) {
	if err := metastore.ValidateKVOps(ops); err != nil {
		return nil, err
	}
	if len(ops) == 0 {
		return []metastore.KVEntry{}, nil
	}
	keys := make([]string, len(ops))
	for i, op := range ops {
		keys[i] = op.Key
	}
	order := make([]int, len(ops)) // indexes of ops by key
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(ops[a].Key, ops[b].Key) })

	out := make([]metastore.KVEntry, len(ops))
	err := s.tx(ctx, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, sqlKVLock, keys)
		stored := map[string]int64{}
		var key string
		var version int64
		_, err := pgx.ForEachRow(rows, []any{&key, &version}, func() error {
			stored[key] = version
			return nil
		})
		if err != nil {
			return err
		}
		for i, op := range ops {
			if err := metastore.CheckKVExpect(op, stored[op.Key]); err != nil {
				return err
			}
			out[i] = metastore.KVWritten(op, stored[op.Key])
		}
		b := &pgx.Batch{}
		for _, i := range order {
			queueKVWrite(b, ops[i], stored[ops[i].Key], &out[i])
		}
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return nil, fmt.Errorf("apply %d key-value ops: %w", len(ops), err)
	}
	return out, nil
}

// queueKVWrite queues the statement that applies op over the stored
// version (0: absent when locking), whose Expect held; e is the entry as
// written, whose Version the statement's answer sets when it was not
// known ahead. A delete of an absent key needs none.
func queueKVWrite(b *pgx.Batch, op metastore.KVOp, stored int64, e *metastore.KVEntry) {
	lost := func() error {
		return fmt.Errorf("key %q changed while locked at version %d: %w", op.Key, stored, metastore.ErrConflict)
	}
	switch {
	case op.Delete && stored == 0:
	case op.Delete:
		b.Queue(sqlKVDelete, op.Key, stored).Exec(func(tag pgconn.CommandTag) error {
			if tag.RowsAffected() != 1 {
				return lost()
			}
			return nil
		})
	case stored != 0:
		b.Queue(sqlKVUpdate, op.Key, stored, e.Value).QueryRow(func(row pgx.Row) error {
			err := row.Scan(&e.Version)
			if errors.Is(err, pgx.ErrNoRows) {
				return lost()
			}
			return err
		})
	case op.Expect == metastore.KVAbsent:
		b.Queue(sqlKVInsert, op.Key, e.Value).Exec(func(tag pgconn.CommandTag) error {
			if tag.RowsAffected() != 1 {
				return fmt.Errorf("key %q was created concurrently, expected absent: %w", op.Key, metastore.ErrConflict)
			}
			return nil
		})
	default: // KVAny on a key absent when locking
		b.Queue(sqlKVUpsert, op.Key, e.Value).QueryRow(func(row pgx.Row) error { return row.Scan(&e.Version) })
	}
}
