package intake

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/metastore/boltstore"
	"github.com/tributary-io/tributary/internal/objstore"
)

// slowPut and slowAppend add a fixed round trip to the object write and the
// index commit, as S3 and a remote Postgres do, so the benchmark measures
// how the write path overlaps them rather than this machine's CPU.
type slowPut struct {
	objstore.Store
	d time.Duration
}

func (s slowPut) Put(ctx context.Context, key string, data []byte) error {
	time.Sleep(s.d)
	return s.Store.Put(ctx, key, data)
}

type slowAppend struct {
	metastore.Store
	d time.Duration
}

func (s slowAppend) Append(ctx context.Context, obj metastore.ObjectRef, b []metastore.AppendBatch) ([]metastore.AppendResult, error) {
	time.Sleep(s.d)
	return s.Store.Append(ctx, obj, b)
}

// BenchmarkIntakeRoundTrips: 16 producers, each with up to 8 parts of 256
// KiB in flight (as a client with several requests in flight), submit
// back to back through a writer whose object write takes 40ms and index
// commit 20ms (MaxBytes 4 MiB, MaxBufferedBytes 32 MiB); reports MB/s.
func BenchmarkIntakeRoundTrips(b *testing.B) {
	dir := b.TempDir()
	meta, err := boltstore.Open(filepath.Join(dir, "meta.db"), boltstore.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = meta.Close() }() // a benchmark store going away
	local, err := objstore.NewLocal(filepath.Join(dir, "objects"))
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = local.Close() }()
	top, err := meta.CreateTopic(context.Background(), metastore.TopicSpec{Name: "t", Partitions: 16})
	if err != nil {
		b.Fatal(err)
	}
	w := NewWriter(Config{Linger: 5 * time.Millisecond, MaxBytes: 4 << 20, MaxBufferedBytes: 32 << 20},
		slowPut{local, 40 * time.Millisecond}, slowAppend{meta, 20 * time.Millisecond}, Hooks{},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer func() { _ = w.Close() }()
	part := make([]byte, 256<<10)
	const producers = 16
	b.SetBytes(int64(len(part)))
	b.ResetTimer()
	var wg sync.WaitGroup
	per := (b.N + producers - 1) / producers
	for p := range producers {
		inflight := make(chan *Pending, 8)
		wg.Go(func() {
			for pend := range inflight {
				if r := pend.Wait(context.Background()); r[0].Err != nil {
					b.Error(r[0].Err)
				}
			}
		})
		wg.Go(func() {
			defer close(inflight)
			for range per {
				pend, err := w.Submit(context.Background(), []Part{{Partition: metastore.PartitionKey{Topic: top.ID, Partition: int32(p)},
					Data: part, NumRecords: 1, ProducerID: metastore.NoProducerID}})
				if err != nil {
					b.Error(err)
					return
				}
				inflight <- pend
			}
		})
	}
	wg.Wait()
}
