package metastoretest

import (
	"maps"
	"slices"
	"testing"

	"github.com/tributary-io/tributary/internal/metastore"
)

// checkDead checks that DeadObjects lists exactly keys (in any order).
func (h *harness) checkDead(t *testing.T, keys ...string) {
	t.Helper()
	got, err := h.s.DeadObjects(t.Context(), 0)
	if err != nil {
		t.Fatalf("DeadObjects: %v", err)
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(keys))
	if !slices.Equal(got, want) {
		t.Fatalf("DeadObjects = %q, want %q", got, want)
	}
}

// checkKnown checks KnownObjects for the keys of want.
func (h *harness) checkKnown(t *testing.T, want map[string]bool) {
	t.Helper()
	keys := slices.Collect(maps.Keys(want))
	got, err := h.s.KnownObjects(t.Context(), keys)
	if err != nil {
		t.Fatalf("KnownObjects: %v", err)
	}
	if !maps.Equal(got, want) {
		t.Fatalf("KnownObjects = %v, want %v", got, want)
	}
}

func testObjects(t *testing.T, h *harness) {
	ctx := t.Context()
	topic := h.createTopic(t, "t", 1)
	pk := metastore.PartitionKey{Topic: topic.ID}
	nowhere := metastore.PartitionKey{Topic: topic.ID, Partition: 1}

	_, live := h.append(t, batch(pk, 1, 0, 10), batch(nowhere, 1, 10, 10))
	_, refused := h.append(t, batch(nowhere, 1, 0, 10))
	empty := "intake/empty.obj"
	if res, err := h.s.Append(ctx, metastore.ObjectRef{Key: empty, Size: 0}, nil); err != nil || len(res) != 0 {
		t.Fatalf("Append of no batches = %v, %v", res, err)
	}
	h.checkKnown(t, map[string]bool{live: true, refused: true, empty: true, "never": false})
	h.checkDead(t, refused, empty)

	one, err := h.s.DeadObjects(ctx, 1)
	if err != nil || len(one) != 1 {
		t.Fatalf("DeadObjects(1) = %q, %v", one, err)
	}

	// Appending into a dead object again would revive an object the
	// collector may be deleting.
	_, err = h.s.Append(ctx, metastore.ObjectRef{Key: refused, Size: 10}, []metastore.AppendBatch{batch(pk, 1, 0, 10)})
	mustErr(t, err, metastore.ErrConflict)
	if st := h.partition(t, pk); st.HighWater != 1 {
		t.Fatalf("refused Append took offsets: %+v", st)
	}

	if err := h.s.ForgetObjects(ctx, []string{refused, live, "never"}); err != nil {
		t.Fatalf("ForgetObjects: %v", err)
	}
	h.checkKnown(t, map[string]bool{live: true, refused: false, empty: true, "never": false})
	h.checkDead(t, empty)
	if err := h.s.ForgetObjects(ctx, nil); err != nil {
		t.Fatalf("ForgetObjects(nil): %v", err)
	}

	if _, err := h.s.TrimIndex(ctx, pk, 1); err != nil {
		t.Fatal(err)
	}
	h.checkDead(t, empty, live)
	if err := h.s.ForgetObjects(ctx, []string{empty, live}); err != nil {
		t.Fatalf("ForgetObjects: %v", err)
	}
	h.checkDead(t)
	h.checkKnown(t, map[string]bool{live: false, empty: false})
}

func testDeleteTopicReleasesObjects(t *testing.T, h *harness) {
	ctx := t.Context()
	a := h.createTopic(t, "a", 2)
	b := h.createTopic(t, "b", 1)
	pa0 := metastore.PartitionKey{Topic: a.ID}
	pa1 := metastore.PartitionKey{Topic: a.ID, Partition: 1}
	pb := metastore.PartitionKey{Topic: b.ID}

	_, shared := h.append(t, batch(pa0, 1, 0, 10), batch(pb, 1, 10, 10), batch(pa1, 2, 20, 10))
	_, onlyA := h.append(t, batch(pa1, 1, 0, 10), idem(pa0, 1, 5, 0, 0))
	if _, err := h.s.DeleteTopic(ctx, "a"); err != nil {
		t.Fatalf("DeleteTopic: %v", err)
	}
	h.checkDead(t, onlyA)
	for _, pk := range []metastore.PartitionKey{pa0, pa1} {
		_, err := h.s.Partition(ctx, pk)
		mustErr(t, err, metastore.ErrUnknownPartition)
		_, _, err = h.s.ReadIndex(ctx, pk, 0, 0)
		mustErr(t, err, metastore.ErrUnknownPartition)
	}
	h.checkDense(t, pb)

	// The new topic "a" starts empty, with no producer state.
	a2 := h.createTopic(t, "a", 1)
	pa2 := metastore.PartitionKey{Topic: a2.ID}
	res, _ := h.append(t, idem(pa2, 1, 5, 0, 3))
	mustAccept(t, res[0], 0)

	if _, err := h.s.DeleteTopic(ctx, "b"); err != nil {
		t.Fatalf("DeleteTopic: %v", err)
	}
	h.checkDead(t, onlyA, shared)
}

func testAllocateProducerID(t *testing.T, h *harness) {
	ctx := t.Context()
	last := int64(-1)
	for range 50 {
		id, err := h.s.AllocateProducerID(ctx)
		if err != nil || id <= last || id < 0 {
			t.Fatalf("AllocateProducerID = %d, %v after %d", id, err, last)
		}
		last = id
	}
	ids := make(chan int64, 8*25)
	parallel(t, 8, func(int) error {
		for range 25 {
			id, err := h.s.AllocateProducerID(ctx)
			if err != nil {
				return err
			}
			ids <- id
		}
		return nil
	})
	close(ids)
	seen := map[int64]bool{}
	for id := range ids {
		if seen[id] || id <= last {
			t.Fatalf("concurrent AllocateProducerID gave %d twice or not above %d", id, last)
		}
		seen[id] = true
	}
}
