package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tributary-io/tributary/internal/metastore"
)

// conflictRetries bounds the re-runs of a namespace or catalog change
// whose KVApply met a concurrent change (a commit has its own bound,
// Options.CommitRetryTimeout). Each re-run reads afresh, so it only repeats
// while others keep winning.
const conflictRetries = 16

// kvErr classifies a metadata-store failure: unavailability becomes
// ErrUnavailable (503); conflicts and missing keys keep their metastore
// sentinels for the caller to judge.
func kvErr(op string, err error) error {
	if errors.Is(err, metastore.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w: %w", op, ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// getNamespace reads a namespace: its record and the entry (for its
// version). An absent namespace is ErrNoSuchNamespace.
func (s *Server) getNamespace(ctx context.Context, ns []string) (nsRecord, metastore.KVEntry, error) {
	e, err := s.kv.KVGet(ctx, nsKey(ns))
	if errors.Is(err, metastore.ErrUnknownKey) {
		return nsRecord{}, e, noSuchNamespace(ns)
	}
	if err != nil {
		return nsRecord{}, e, kvErr("read namespace "+joinNS(ns), err)
	}
	var rec nsRecord
	if err := json.Unmarshal(e.Value, &rec); err != nil {
		return nsRecord{}, e, fmt.Errorf("decode namespace %s: %w", joinNS(ns), err)
	}
	if rec.Properties == nil {
		rec.Properties = map[string]string{}
	}
	return rec, e, nil
}

// getTable reads a table's record and entry. An absent table is
// ErrNoSuchTable.
func (s *Server) getTable(ctx context.Context, id ident) (tableRecord, metastore.KVEntry, error) {
	e, err := s.kv.KVGet(ctx, tableKey(id))
	if errors.Is(err, metastore.ErrUnknownKey) {
		return tableRecord{}, e, noSuchTable(id)
	}
	if err != nil {
		return tableRecord{}, e, kvErr("read table "+id.String(), err)
	}
	var rec tableRecord
	if err := json.Unmarshal(e.Value, &rec); err != nil {
		return tableRecord{}, e, fmt.Errorf("decode table %s: %w", id, err)
	}
	return rec, e, nil
}

// touch is an op that rewrites an entry as it is, failing the KVApply if
// the entry changed since it was read. A create puts one on its namespace
// so that it cannot land in a namespace being dropped.
func touch(e metastore.KVEntry) metastore.KVOp {
	return metastore.KVOp{Key: e.Key, Expect: e.Version, Value: e.Value}
}

// retryConflicts runs f again while it fails with a KV conflict, at most
// conflictRetries times; a conflict that outlasts them is ErrUnavailable.
func retryConflicts(op string, f func() error) error {
	for i := 0; ; i++ {
		err := f()
		if !errors.Is(err, metastore.ErrConflict) {
			return err
		}
		if i == conflictRetries {
			return fmt.Errorf("%s: %w", op, &clientError{ErrUnavailable, "Service unavailable: " + op + ": too many concurrent changes"})
		}
	}
}

// apply runs one KVApply, classifying its failure.
func (s *Server) apply(ctx context.Context, op string, ops []metastore.KVOp) error {
	if _, err := s.kv.KVApply(ctx, ops); err != nil {
		return kvErr(op, err)
	}
	return nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("catalog: encode %T: %v", v, err))
	}
	return b
}
