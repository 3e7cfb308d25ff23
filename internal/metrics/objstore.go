package metrics

import (
	"context"
	"time"

	"github.com/tributary-io/tributary/internal/objstore"
)

// ObjectStore wraps store so that every call is counted and timed in
// m.ObjectStoreOps and m.ObjectStoreLatency, labelled with the objstore.Op
// name ("put", "get", "get_range", "delete", "list") and the result. Close
// is passed through unmeasured. The wrapper is an objstore.RangeReader
// when store is one (its reads count as "get_range"), and an
// objstore.Preparer when store is one (Prepare counts as "put"): the
// local store is both.
func ObjectStore(m *Metrics, store objstore.Store) objstore.Store {
	s := &objectStore{m: m, inner: store}
	rr, isRR := store.(objstore.RangeReader)
	p, isP := store.(objstore.Preparer)
	switch {
	case isRR && isP:
		return &localObjectStore{rangeObjectStore: &rangeObjectStore{objectStore: s, rr: rr}, preparer: preparer{s, p}}
	case isRR:
		return &rangeObjectStore{objectStore: s, rr: rr}
	case isP:
		return &prepObjectStore{objectStore: s, preparer: preparer{s, p}}
	}
	return s
}

// preparer counts an objstore.Preparer's Prepare as a "put" of store.
type preparer struct {
	store *objectStore
	p     objstore.Preparer
}

func (s preparer) Prepare(ctx context.Context, key string) error {
	start := time.Now()
	err := s.p.Prepare(ctx, key)
	s.store.done(objstore.OpPut, start, err)
	return err
}

// prepObjectStore is objectStore over a Preparer that is no RangeReader
// (the local store under a test wrapper).
type prepObjectStore struct {
	*objectStore
	preparer
}

// localObjectStore is objectStore over a RangeReader and Preparer.
type localObjectStore struct {
	*rangeObjectStore
	preparer
}

var (
	_ objstore.Preparer    = (*prepObjectStore)(nil)
	_ objstore.Preparer    = (*localObjectStore)(nil)
	_ objstore.RangeReader = (*localObjectStore)(nil)
)

// rangeObjectStore is objectStore over a RangeReader.
type rangeObjectStore struct {
	*objectStore
	rr objstore.RangeReader
}

var _ objstore.RangeReader = (*rangeObjectStore)(nil)

func (s *rangeObjectStore) ReadRange(ctx context.Context, key string, off int64, dst []byte) error {
	start := time.Now()
	err := s.rr.ReadRange(ctx, key, off, dst)
	s.done(objstore.OpGetRange, start, err)
	return err
}

type objectStore struct {
	m     *Metrics
	inner objstore.Store
}

var _ objstore.Store = (*objectStore)(nil)

func (s *objectStore) done(op objstore.Op, start time.Time, err error) {
	observe(s.m.ObjectStoreOps, s.m.ObjectStoreLatency, string(op), start, err)
}

func (s *objectStore) Put(ctx context.Context, key string, data []byte) error {
	start := time.Now()
	err := s.inner.Put(ctx, key, data)
	s.done(objstore.OpPut, start, err)
	return err
}

func (s *objectStore) Get(ctx context.Context, key string) ([]byte, error) {
	start := time.Now()
	data, err := s.inner.Get(ctx, key)
	s.done(objstore.OpGet, start, err)
	return data, err
}

func (s *objectStore) GetRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	start := time.Now()
	data, err := s.inner.GetRange(ctx, key, off, n)
	s.done(objstore.OpGetRange, start, err)
	return data, err
}

func (s *objectStore) Delete(ctx context.Context, key string) error {
	start := time.Now()
	err := s.inner.Delete(ctx, key)
	s.done(objstore.OpDelete, start, err)
	return err
}

func (s *objectStore) List(ctx context.Context, prefix string) ([]objstore.ObjectInfo, error) {
	start := time.Now()
	infos, err := s.inner.List(ctx, prefix)
	s.done(objstore.OpList, start, err)
	return infos, err
}

func (s *objectStore) Close() error { return s.inner.Close() }
