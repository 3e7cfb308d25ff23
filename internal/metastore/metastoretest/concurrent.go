package metastoretest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tributary-io/tributary/internal/metastore"
)

// parallel runs fn(0..n-1) in goroutines and fails t with their errors.
func parallel(t *testing.T, n int, fn func(i int) error) {
	t.Helper()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = fn(i) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

// testConcurrentAppends has many writers (each also an idempotent producer
// with its own sequences) and readers on the same partitions; offsets must
// come out dense and unique and every reader snapshot consistent.
func testConcurrentAppends(t *testing.T, h *harness) {
	const writers, appends, nParts = 12, 20, 3
	topic := h.createTopic(t, "t", nParts)
	pks := partitions(topic)
	type acked struct {
		base int64
		n    int32
	}
	var mu sync.Mutex
	got := make([][]acked, nParts)
	var done atomic.Bool

	readers := make(chan error, 2)
	for range cap(readers) {
		go func() { readers <- h.readUntil(t.Context(), pks, &done) }()
	}
	parallel(t, writers, func(w int) error {
		seq := make([]int32, nParts)
		for i := range appends {
			var batches []metastore.AppendBatch
			for j := range 1 + (w+i)%nParts {
				p := (w + i + j) % nParts
				b := batch(pks[p], int32(1+(w*i+j)%5), 0, 10)
				if w%2 == 0 { // half the writers are idempotent producers
					b.ProducerID, b.BaseSequence = int64(w), seq[p]
					seq[p] += b.NumRecords
				}
				batches = append(batches, b)
			}
			res, err := h.s.Append(t.Context(), objectFor(fmt.Sprintf("w%d/%d", w, i), batches), batches)
			if err != nil {
				return fmt.Errorf("writer %d append %d: %w", w, i, err)
			}
			mu.Lock()
			for k, r := range res {
				if r.Err != nil || r.Duplicate {
					mu.Unlock()
					return fmt.Errorf("writer %d append %d batch %d: %+v", w, i, k, r)
				}
				p := batches[k].Partition.Partition
				got[p] = append(got[p], acked{r.BaseOffset, batches[k].NumRecords})
			}
			mu.Unlock()
		}
		return nil
	})
	done.Store(true)
	for range cap(readers) {
		if err := <-readers; err != nil {
			t.Fatal(err)
		}
	}

	for p, pk := range pks {
		entries := h.checkDense(t, pk)
		slices.SortFunc(got[p], func(a, b acked) int { return int(a.base - b.base) })
		if len(entries) != len(got[p]) {
			t.Fatalf("partition %d: %d entries, %d acknowledged batches", p, len(entries), len(got[p]))
		}
		for i, e := range entries {
			if a := got[p][i]; a.base != e.BaseOffset || int64(a.n) != e.LastOffset-e.BaseOffset+1 {
				t.Fatalf("partition %d: acknowledged %+v, index has [%d, %d]", p, a, e.BaseOffset, e.LastOffset)
			}
		}
	}
}

// readUntil reads the whole index of pks until done, checking that every
// snapshot is dense and agrees with its own state.
func (h *harness) readUntil(ctx context.Context, pks []metastore.PartitionKey, done *atomic.Bool) error {
	for !done.Load() {
		for _, pk := range pks {
			entries, st, err := h.s.ReadIndex(ctx, pk, 0, 0)
			if err != nil {
				return fmt.Errorf("concurrent ReadIndex: %w", err)
			}
			next := st.LogStart
			for _, e := range entries {
				if e.BaseOffset != next {
					return fmt.Errorf("concurrent ReadIndex of %v: entry at %d, expected %d", pk, e.BaseOffset, next)
				}
				next = e.LastOffset + 1
			}
			if next != st.HighWater {
				return fmt.Errorf("concurrent ReadIndex of %v: entries end at %d, HighWater %d", pk, next, st.HighWater)
			}
		}
	}
	return nil
}

func testCanceledContext(t *testing.T, h *harness) {
	topic := h.createTopic(t, "t", 1)
	pk := metastore.PartitionKey{Topic: topic.ID}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()

	_, err := h.s.CreateTopic(ctx, metastore.TopicSpec{Name: "u", Partitions: 1})
	mustErr(t, err, context.Canceled)
	_, err = h.s.Append(ctx, metastore.ObjectRef{Key: "k", Size: 10}, []metastore.AppendBatch{batch(pk, 1, 0, 10)})
	mustErr(t, err, context.Canceled)
	_, err = h.s.Topic(ctx, "t")
	mustErr(t, err, context.Canceled)

	h.checkTopics(t, "t")
	if st := h.partition(t, pk); st.HighWater != 0 {
		t.Fatalf("canceled Append took offsets: %+v", st)
	}
	h.checkKnown(t, map[string]bool{"k": false})
}
