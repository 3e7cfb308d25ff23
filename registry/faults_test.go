package registry

import (
	"fmt"
	"slices"
	"testing"

	"github.com/tributary-io/tributary/internal/metastore"
)

// TestStoreFailures: a store that fails answers 50001 and changes
// nothing; a commit whose answer is lost (done, but reported failed) is
// found again when the client retries: same id, no second version.
func TestStoreFailures(t *testing.T) {
	f := metastore.NewFaulty(newStore(t))
	r := newTestRegistry(t, f, Options{})
	unavailable := fmt.Errorf("injected: %w", metastore.ErrUnavailable)

	f.FailNext(metastore.MethodKVApply, 1, unavailable)
	_, err := r.cl.RegisterSchema(ctx(t), "s", proto(protoV1), -1, -1)
	wantCode(t, err, 500, 50001)
	if subs, _ := r.cl.Subjects(ctx(t)); len(subs) != 0 {
		t.Fatalf("a failed registration left %v", subs)
	}

	f.FailNext(metastore.MethodKVGet, 1, unavailable)
	_, err = r.cl.SchemaByID(ctx(t), 1)
	wantCode(t, err, 500, 50001)

	f.FailAfterNext(metastore.MethodKVApply, 1, unavailable)
	_, err = r.cl.RegisterSchema(ctx(t), "s", proto(protoV1), -1, -1)
	wantCode(t, err, 500, 50001)
	if id := r.register("s", proto(protoV1)); id != 1 {
		t.Fatalf("retry after a lost answer: id %d, want 1", id)
	}
	if vs, err := r.cl.SubjectVersions(ctx(t), "s"); err != nil || !slices.Equal(vs, []int{1}) {
		t.Fatalf("versions %v %v, want [1]", vs, err)
	}
}
