package intake

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
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

// BenchmarkIntakePacedLatency: the write path alone at 20 MB/s (one
// submit per millisecond of six 3.4 KiB parts, as a producer at 20,000
// 1 KiB records/s over six partitions) on real stores with every fsync on,
// for 2 s per b.N; reports the p50 and p99 of Submit to acknowledgement
// for the old fixed 5 ms linger with a temp file and rename per object
// (two fsyncs), group commit (Linger 0) with the same, and group commit
// writing into prepared objects (one fsync per object, the default); and
// the p50, p99 and max of each stage (Pending.Stages: queue, object,
// index).
func BenchmarkIntakePacedLatency(b *testing.B) {
	for _, c := range []struct {
		name     string
		linger   time.Duration
		prepared bool
	}{
		{"linger=5ms,rename", 5 * time.Millisecond, false},
		{"group,rename", 0, false},
		{"group,prepared", 0, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			w, pks := pacedWriter(b, c.linger, c.prepared)
			var lat [4][]time.Duration // total, queue, object, index
			for range b.N {
				for _, s := range pacedRun(b, w, pks, 2*time.Second) {
					for i, d := range s {
						lat[i] = append(lat[i], d)
					}
				}
			}
			for i, name := range []string{"", "queue-", "object-", "index-"} {
				slices.Sort(lat[i])
				l := lat[i]
				b.ReportMetric(float64(l[len(l)/2].Microseconds())/1000, name+"p50-ms")
				b.ReportMetric(float64(l[len(l)*99/100].Microseconds())/1000, name+"p99-ms")
				b.ReportMetric(float64(l[len(l)-1].Microseconds())/1000, name+"max-ms")
			}
		})
	}
}

// plainStore hides the optional interfaces of the store it embeds
// (objstore.Preparer): every Put is a temp file, fsync, rename and
// directory fsync.
type plainStore struct{ objstore.Store }

func pacedWriter(b *testing.B, linger time.Duration, prepared bool) (*Writer, []metastore.PartitionKey) {
	b.Helper()
	dir := b.TempDir()
	meta, err := boltstore.Open(filepath.Join(dir, "meta.db"), boltstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	local, err := objstore.NewLocal(filepath.Join(dir, "objects"))
	if err != nil {
		b.Fatal(err)
	}
	top, err := meta.CreateTopic(context.Background(), metastore.TopicSpec{Name: "t", Partitions: 6})
	if err != nil {
		b.Fatal(err)
	}
	var obj objstore.Store = plainStore{local}
	if prepared {
		obj = local
	}
	w := NewWriter(Config{Linger: linger}, obj, meta, Hooks{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	b.Cleanup(func() {
		_ = w.Close()     // always nil
		_ = meta.Close()  // a benchmark store going away
		_ = local.Close() // holds nothing
	})
	pks := make([]metastore.PartitionKey, 6)
	for i := range pks {
		pks[i] = metastore.PartitionKey{Topic: top.ID, Partition: int32(i)}
	}
	return w, pks
}

// pacedRun submits one request a millisecond for d and returns each
// request's latency from Submit to acknowledgement, then its queue,
// object and index stages (Pending.Stages).
func pacedRun(b *testing.B, w *Writer, pks []metastore.PartitionKey, d time.Duration) [][4]time.Duration {
	b.Helper()
	data := make([]byte, 3400)
	var mu sync.Mutex
	var lat [][4]time.Duration
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for end := time.Now().Add(d); time.Now().Before(end); <-tick.C {
		parts := make([]Part, len(pks))
		for i, pk := range pks {
			parts[i] = Part{Partition: pk, Data: data, NumRecords: 1, ProducerID: metastore.NoProducerID}
		}
		start := time.Now()
		p, err := w.Submit(context.Background(), parts)
		if err != nil {
			b.Fatal(err)
		}
		wg.Go(func() {
			if r := p.Wait(context.Background()); r[0].Err != nil {
				b.Error(r[0].Err)
			}
			total, st := time.Since(start), p.Stages()
			mu.Lock()
			lat = append(lat, [4]time.Duration{total, st.Queue, st.Object, st.Index})
			mu.Unlock()
		})
	}
	wg.Wait()
	return lat
}
