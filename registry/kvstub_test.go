package registry

// TEMPORARY stand-in for metastore.KV until the real one (boltstore,
// postgres) is committed; deleted then, and every test moves to the real
// embedded store.

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/tributary-io/tributary/internal/metastore"
)

type mapKV struct {
	mu sync.Mutex
	m  map[string]metastore.KVEntry
}

func newMapKV() *mapKV { return &mapKV{m: map[string]metastore.KVEntry{}} }

func (k *mapKV) KVGet(_ context.Context, key string) (metastore.KVEntry, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e, ok := k.m[key]
	if !ok {
		return e, fmt.Errorf("%s: %w", key, metastore.ErrUnknownKey)
	}
	return e, nil
}

func (k *mapKV) KVList(_ context.Context, prefix, after string, limit int) ([]metastore.KVEntry, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []metastore.KVEntry
	for key, e := range k.m {
		if strings.HasPrefix(key, prefix) && key > after {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (k *mapKV) KVApply(_ context.Context, ops []metastore.KVOp) ([]metastore.KVEntry, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	seen := map[string]bool{}
	for _, op := range ops {
		if seen[op.Key] {
			return nil, fmt.Errorf("key %s twice: %w", op.Key, metastore.ErrInvalidRequest)
		}
		seen[op.Key] = true
		e, ok := k.m[op.Key]
		switch {
		case op.Expect == metastore.KVAny:
		case op.Expect == metastore.KVAbsent && ok,
			op.Expect > 0 && (!ok || e.Version != op.Expect):
			return nil, fmt.Errorf("key %s: %w", op.Key, metastore.ErrConflict)
		}
	}
	out := make([]metastore.KVEntry, len(ops))
	for i, op := range ops {
		if op.Delete {
			delete(k.m, op.Key)
			out[i] = metastore.KVEntry{Key: op.Key}
			continue
		}
		e := k.m[op.Key]
		e = metastore.KVEntry{Key: op.Key, Value: append([]byte(nil), op.Value...), Version: e.Version + 1}
		k.m[op.Key] = e
		out[i] = e
	}
	return out, nil
}
