package postgres_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/metastore/postgres"
	"github.com/tributary-io/tributary/internal/testpg"
)

// brokers opens n stores on one fresh database, as n brokers would, each
// with its own pool. They open at once, so migrations race too.
func brokers(t *testing.T, n int) []*postgres.Store {
	t.Helper()
	dsn := testpg.DSN(t)
	stores := make([]*postgres.Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range stores {
		wg.Go(func() {
			stores[i], errs[i] = postgres.Open(t.Context(), dsn, postgres.Options{})
		})
	}
	wg.Wait()
	for i, s := range stores {
		if s != nil {
			t.Cleanup(func() { s.Close() })
		}
		if errs[i] != nil {
			t.Fatalf("broker %d open: %v", i, errs[i])
		}
	}
	return stores
}

// TestAppendThroughThreeBrokers appends from three goroutines through
// three store handles to the same partitions, each broker also an
// idempotent producer, and checks that offsets come out dense and unique
// and that every acknowledged batch is where it was acknowledged.
func TestAppendThroughThreeBrokers(t *testing.T) {
	const nBrokers, appends, nParts = 3, 60, 4
	stores := brokers(t, nBrokers)
	topic, err := stores[0].CreateTopic(t.Context(), metastore.TopicSpec{Name: "t", Partitions: nParts})
	if err != nil {
		t.Fatal(err)
	}
	type acked struct {
		base   int64
		n      int32
		object string
	}
	var mu sync.Mutex
	got := make([][]acked, nParts)
	errs := make([]error, nBrokers)
	var wg sync.WaitGroup
	for w, s := range stores {
		wg.Go(func() {
			seq := make([]int32, nParts)
			for i := range appends {
				var batches []metastore.AppendBatch
				for j := range 1 + i%nParts { // overlapping sets of partitions, in varying order
					p := int32((w + i + j) % nParts)
					b := metastore.AppendBatch{
						Partition: metastore.PartitionKey{Topic: topic.ID, Partition: p},
						Pos:       int64(j) * 10, Size: 10, NumRecords: int32(1 + (i+j)%3),
						ProducerID: int64(w), BaseSequence: seq[p],
					}
					seq[p] += b.NumRecords
					batches = append(batches, b)
				}
				key := fmt.Sprintf("b%d/%d", w, i)
				res, err := s.Append(t.Context(), metastore.ObjectRef{Key: key, Size: 10 * int64(len(batches))}, batches)
				if err != nil {
					errs[w] = fmt.Errorf("broker %d append %d: %w", w, i, err)
					return
				}
				mu.Lock()
				for k, r := range res {
					if r.Err != nil || r.Duplicate {
						errs[w] = fmt.Errorf("broker %d append %d batch %d: %+v", w, i, k, r)
					}
					p := batches[k].Partition.Partition
					got[p] = append(got[p], acked{r.BaseOffset, batches[k].NumRecords, key})
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	for p := range int32(nParts) {
		entries, st, err := stores[p%nBrokers].ReadIndex(t.Context(), metastore.PartitionKey{Topic: topic.ID, Partition: p}, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(got[p], func(a, b acked) int { return int(a.base - b.base) })
		if len(entries) != len(got[p]) {
			t.Fatalf("partition %d: %d entries, %d acknowledged batches", p, len(entries), len(got[p]))
		}
		next := int64(0)
		for i, e := range entries {
			a := got[p][i]
			if e.BaseOffset != next || a.base != e.BaseOffset || e.LastOffset-e.BaseOffset+1 != int64(a.n) || e.ObjectKey != a.object {
				t.Fatalf("partition %d: entry %+v where %d expected, acknowledged %+v", p, e, next, a)
			}
			next = e.LastOffset + 1
		}
		if st.HighWater != next {
			t.Fatalf("partition %d: HighWater %d, entries end at %d", p, st.HighWater, next)
		}
	}
}

// TestIdempotentRetryThroughAnotherBroker retries a batch through another
// broker's handle: the shared producer state deduplicates it.
func TestIdempotentRetryThroughAnotherBroker(t *testing.T) {
	stores := brokers(t, 2)
	topic, err := stores[0].CreateTopic(t.Context(), metastore.TopicSpec{Name: "t", Partitions: 1})
	if err != nil {
		t.Fatal(err)
	}
	b := metastore.AppendBatch{Partition: metastore.PartitionKey{Topic: topic.ID}, Size: 10, NumRecords: 5, ProducerID: 9}
	first, err := stores[0].Append(t.Context(), metastore.ObjectRef{Key: "a", Size: 10}, []metastore.AppendBatch{b})
	if err != nil || first[0].Err != nil {
		t.Fatalf("append: %+v, %v", first, err)
	}
	retry, err := stores[1].Append(t.Context(), metastore.ObjectRef{Key: "b", Size: 10}, []metastore.AppendBatch{b})
	if err != nil || !retry[0].Duplicate || retry[0].BaseOffset != first[0].BaseOffset {
		t.Fatalf("retry through another broker: %+v, %v", retry, err)
	}
}

// TestMembershipAcrossBrokers checks that registrations and leases made
// through one handle bind the others.
func TestMembershipAcrossBrokers(t *testing.T) {
	stores := brokers(t, 2)
	ctx := t.Context()
	a, err := stores[0].RegisterBroker(ctx, -1, metastore.BrokerInfo{Instance: "a", Host: "h", Port: 1}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	b, err := stores[1].RegisterBroker(ctx, -1, metastore.BrokerInfo{Instance: "b", Host: "h", Port: 2}, time.Minute)
	if err != nil || b.NodeID == a.NodeID {
		t.Fatalf("second broker got %+v, %v; first has %d", b, err, a.NodeID)
	}
	for i, s := range stores {
		live, err := s.LiveBrokers(ctx)
		if err != nil || len(live) != 2 || live[0].Instance != "a" || live[1].Instance != "b" {
			t.Fatalf("broker %d sees %+v, %v", i, live, err)
		}
	}
	if ok, err := stores[0].AcquireLease(ctx, "retention", "a", time.Minute); !ok || err != nil {
		t.Fatalf("acquire: %v, %v", ok, err)
	}
	if ok, err := stores[1].AcquireLease(ctx, "retention", "b", time.Minute); ok || err != nil {
		t.Fatalf("second holder acquired: %v, %v", ok, err)
	}
}
