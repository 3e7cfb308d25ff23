package registry

import (
	"context"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/tributary-io/tributary/internal/metastore"
)

// hookKV runs a function once, just before the next KVApply: another
// broker's write landing between this one's reads and its commit.
type hookKV struct {
	metastore.KV
	mu     sync.Mutex
	before func()
}

func (h *hookKV) KVApply(ctx context.Context, ops []metastore.KVOp) ([]metastore.KVEntry, error) {
	h.mu.Lock()
	f := h.before
	h.before = nil
	h.mu.Unlock()
	if f != nil {
		f()
	}
	return h.KV.KVApply(ctx, ops)
}

func (h *hookKV) beforeNextApply(f func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.before = f
}

// TestRegisterRacesHardDeleteOfReference: a registration referencing a
// soft-deleted version while another broker hard-deletes that version.
// The registration must not land with a dangling reference.
func TestRegisterRacesHardDeleteOfReference(t *testing.T) {
	store := newStore(t)
	hk := &hookKV{KV: store}
	a := newTestRegistry(t, hk, Options{})
	b := newTestRegistry(t, store, Options{})
	c := ctx(t)
	b.register("common", proto(protoCommon))
	if err := b.cl.DeleteSchema(c, "common", 1, sr.SoftDelete); err != nil {
		t.Fatal(err)
	}
	hk.beforeNextApply(func() {
		if err := b.cl.DeleteSchema(c, "common", 1, sr.HardDelete); err != nil {
			t.Errorf("hard delete in between: %v", err)
		}
	})
	_, err := a.cl.RegisterSchema(c, "order", proto(protoOrder, sr.SchemaReference{Name: "test/common.proto", Subject: "common", Version: 1}), -1, -1)
	wantCode(t, err, 422, 42201)
	if a.srv.conflicts.Load() == 0 {
		t.Fatal("the registration did not conflict with the delete")
	}
	if subs, _ := b.cl.Subjects(sr.WithParams(c, sr.ShowDeleted)); len(subs) != 0 {
		t.Fatalf("subjects %v", subs)
	}
}

// TestRegisterRacesCollectionOfID: a registration reusing the id of a
// schema whose last version another broker hard-deletes meanwhile. The
// registration must not point at the collected id.
func TestRegisterRacesCollectionOfID(t *testing.T) {
	store := newStore(t)
	hk := &hookKV{KV: store}
	a := newTestRegistry(t, hk, Options{})
	b := newTestRegistry(t, store, Options{})
	c := ctx(t)
	old := b.register("s1", proto(protoV1))
	if err := b.cl.DeleteSchema(c, "s1", 1, sr.SoftDelete); err != nil {
		t.Fatal(err)
	}
	hk.beforeNextApply(func() {
		if err := b.cl.DeleteSchema(c, "s1", 1, sr.HardDelete); err != nil {
			t.Errorf("hard delete in between: %v", err)
		}
	})
	id := a.register("s2", proto(protoV1))
	if id == old {
		t.Fatalf("registered under the collected id %d", id)
	}
	if a.srv.conflicts.Load() == 0 {
		t.Fatal("the registration did not conflict with the collection")
	}
	if _, err := b.cl.SchemaByID(c, old); err == nil {
		t.Fatalf("collected id %d still served", old)
	}
	if s, err := b.cl.SchemaByID(c, id); err != nil || s.Schema != protoV1 {
		t.Fatalf("new id %d: %v", id, err)
	}
}

// TestRegisterRacesRegister: two brokers register the same new schema in
// two subjects at once; the loser must take the winner's id.
func TestRegisterRacesRegister(t *testing.T) {
	store := newStore(t)
	hk := &hookKV{KV: store}
	a := newTestRegistry(t, hk, Options{})
	b := newTestRegistry(t, store, Options{})
	var other int
	hk.beforeNextApply(func() { other = b.register("s2", proto(protoV1)) })
	id := a.register("s1", proto(protoV1))
	if id != other || id != 1 {
		t.Fatalf("ids %d and %d, want both 1", id, other)
	}
	if a.srv.conflicts.Load() == 0 {
		t.Fatal("no conflict")
	}
}
