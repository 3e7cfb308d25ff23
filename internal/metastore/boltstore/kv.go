package boltstore

import (
	"bytes"
	"context"
	"fmt"

	"github.com/tributary-io/tributary/internal/metastore"
)

// KV (metastore.KV): the kv bucket, key → version and value. KVApply is
// one Update transaction, so the single writer makes its checks and
// writes atomic with respect to every other KVApply.

var _ metastore.KV = (*Store)(nil)

// kvStored returns key's stored version, 0 when it is absent.
func (t *tx) kvStored(key string) (int64, error) {
	v := t.kv.Get([]byte(key))
	if v == nil {
		return 0, nil
	}
	return kvVersion(key, v)
}

// KVGet returns key's entry.
func (s *Store) KVGet(ctx context.Context, key string) (metastore.KVEntry, error) {
	if err := metastore.ValidateKVKey(key); err != nil {
		return metastore.KVEntry{}, err
	}
	var e metastore.KVEntry
	err := s.view(ctx, func(t *tx) error {
		v := t.kv.Get([]byte(key))
		if v == nil {
			return metastore.ErrUnknownKey
		}
		var err error
		e, err = decodeKV(key, v)
		return err
	})
	if err != nil {
		return metastore.KVEntry{}, fmt.Errorf("get key %q: %w", key, err)
	}
	return e, nil
}

// KVList returns up to limit entries under prefix after after, in
// bbolt's (byte-wise) key order, from one cursor Seek.
func (s *Store) KVList(ctx context.Context, prefix, after string, limit int) ([]metastore.KVEntry, error) {
	if err := metastore.ValidateKVList(prefix, after); err != nil {
		return nil, err
	}
	start := max(prefix, after)
	var entries []metastore.KVEntry
	err := s.view(ctx, func(t *tx) error {
		c := t.kv.Cursor()
		for k, v := c.Seek([]byte(start)); k != nil && bytes.HasPrefix(k, []byte(prefix)); k, v = c.Next() {
			if string(k) == after {
				continue
			}
			if limit > 0 && len(entries) == limit {
				break
			}
			e, err := decodeKV(string(k), v)
			if err != nil {
				return err
			}
			entries = append(entries, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list keys %q after %q: %w", prefix, after, err)
	}
	return entries, nil
}

// KVApply checks and applies ops in one transaction; the first op whose
// Expect fails rolls back the ones before it.
func (s *Store) KVApply(ctx context.Context, ops []metastore.KVOp) ([]metastore.KVEntry, error) {
	if err := metastore.ValidateKVOps(ops); err != nil {
		return nil, err
	}
	if len(ops) == 0 {
		return []metastore.KVEntry{}, nil
	}
	out := make([]metastore.KVEntry, len(ops))
	err := s.update(ctx, func(t *tx) error {
		for i, op := range ops {
			stored, err := t.kvStored(op.Key)
			if err != nil {
				return err
			}
			if err := metastore.CheckKVExpect(op, stored); err != nil {
				return err
			}
			out[i] = metastore.KVWritten(op, stored)
			switch {
			case !op.Delete:
				err = t.kv.Put([]byte(op.Key), encodeKV(out[i].Version, out[i].Value))
			case stored != 0:
				err = t.kv.Delete([]byte(op.Key))
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("apply %d key-value ops: %w", len(ops), err)
	}
	return out, nil
}
