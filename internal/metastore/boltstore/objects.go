package boltstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/tributary-io/tributary/internal/metastore"
)

// addRefs records n more index entries pointing into object key, creating
// the object (with its size, if known) when it is new. An object created
// with n == 0 is dead at once. Adding references to a dead object is
// ErrConflict: the collector may already be deleting it.
func (t *tx) addRefs(key string, n, size int64) error {
	v := t.objects.Get([]byte(key))
	if v == nil {
		if err := t.objects.Put([]byte(key), encodeObject(objectRecord{refs: n, size: size})); err != nil {
			return err
		}
		if n == 0 {
			return t.dead.Put([]byte(key), nil)
		}
		return nil
	}
	o, err := decodeObject(key, v)
	if err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	if o.refs == 0 {
		return fmt.Errorf("object %s is dead and may be deleted: %w", key, metastore.ErrConflict)
	}
	o.refs += n
	return t.objects.Put([]byte(key), encodeObject(o))
}

// dropRefs removes refs[key] references from each object, marking the ones
// left with none dead.
func (t *tx) dropRefs(refs map[string]int64) error {
	keys := make([]string, 0, len(refs))
	for k := range refs {
		keys = append(keys, k)
	}
	slices.Sort(keys) // sorted puts touch each bbolt page once
	for _, key := range keys {
		if err := t.dropRef(key, refs[key]); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) dropRef(key string, n int64) error {
	v := t.objects.Get([]byte(key))
	if v == nil {
		return fmt.Errorf("object %s referenced by the index is unknown: %w", key, errCorrupt)
	}
	o, err := decodeObject(key, v)
	if err != nil {
		return err
	}
	if o.refs < n {
		return fmt.Errorf("object %s has %d refs, dropping %d: %w", key, o.refs, n, errCorrupt)
	}
	o.refs -= n
	if err := t.objects.Put([]byte(key), encodeObject(o)); err != nil {
		return err
	}
	if o.refs == 0 {
		return t.dead.Put([]byte(key), nil)
	}
	return nil
}

// DeadObjects lists up to limit objects no index entry references, in key
// order. limit < 1 means no limit.
func (s *Store) DeadObjects(ctx context.Context, limit int) ([]string, error) {
	var keys []string
	err := s.view(ctx, func(t *tx) error {
		c := t.dead.Cursor()
		for k, _ := c.First(); k != nil && (limit < 1 || len(keys) < limit); k, _ = c.Next() {
			keys = append(keys, string(k))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list dead objects: %w", err)
	}
	return keys, nil
}

// ForgetObjects drops the dead ones among keys; live and unknown keys are
// left alone.
func (s *Store) ForgetObjects(ctx context.Context, keys []string) error {
	err := s.free(ctx, func(t *tx) error {
		for _, key := range keys {
			if t.dead.Get([]byte(key)) == nil {
				continue
			}
			if err := t.dead.Delete([]byte(key)); err != nil {
				return err
			}
			if err := t.objects.Delete([]byte(key)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("forget %d objects: %w", len(keys), err)
	}
	return nil
}

// KnownObjects maps every key given to whether the store knows it.
func (s *Store) KnownObjects(ctx context.Context, keys []string) (map[string]bool, error) {
	known := make(map[string]bool, len(keys))
	err := s.view(ctx, func(t *tx) error {
		for _, key := range keys {
			known[key] = t.objects.Get([]byte(key)) != nil
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("look up %d objects: %w", len(keys), err)
	}
	return known, nil
}
