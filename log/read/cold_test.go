package read_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/metastore/boltstore"
	"github.com/tributary-io/tributary/internal/objstore"
	"github.com/tributary-io/tributary/log/intake"
	"github.com/tributary-io/tributary/log/read"
	"github.com/tributary-io/tributary/log/recordbatch"
)

// BenchmarkReadCold: a consumer catching up, as in a ConsumerPerformance
// run after a produce: 1 MiB reads (a Java consumer's
// max.partition.fetch.bytes) of a coldPartition. Reports MB/s and the
// bytes allocated per read.
func BenchmarkReadCold(b *testing.B) {
	r, pk := coldPartition(b)
	b.ReportAllocs()
	b.SetBytes(int64(1 << 20))
	b.ResetTimer()
	for range b.N {
		res, err := r.Read(context.Background(), pk, 0, 1<<20, false)
		if err != nil {
			b.Fatal(err)
		}
		if res.NumRecords < 1000 {
			b.Fatalf("read %d records, want a full 1 MiB", res.NumRecords)
		}
	}
}

// coldPartition is a partition written as 64 flushes of one 16 KiB batch
// (16 records of 1 KiB, a producer's batch.size), and a reader without a
// cache, so every read goes to the object files.
func coldPartition(b testing.TB) (*read.Reader, metastore.PartitionKey) {
	b.Helper()
	dir := b.TempDir()
	meta, err := boltstore.Open(filepath.Join(dir, "meta.db"), boltstore.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = meta.Close() }) // a benchmark store going away
	local, err := objstore.NewLocal(filepath.Join(dir, "objects"))
	if err != nil {
		b.Fatal(err)
	}
	tp, err := meta.CreateTopic(context.Background(), metastore.TopicSpec{Name: "t", Partitions: 1})
	if err != nil {
		b.Fatal(err)
	}
	pk := metastore.PartitionKey{Topic: tp.ID}
	w := intake.NewWriter(intake.Config{}, local, meta, intake.Hooks{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	recs := make([]recordbatch.NewRecord, 16)
	for i := range recs {
		recs[i] = recordbatch.NewRecord{Value: make([]byte, 1000), Timestamp: 1_700_000_000_000}
	}
	data := recordbatch.Build(recs)
	for range 64 {
		p, err := w.Submit(context.Background(), []intake.Part{{Partition: pk, Data: data, NumRecords: 16,
			MaxTimestamp: 1_700_000_000_000, ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1}})
		if err != nil {
			b.Fatal(err)
		}
		if r := p.Wait(context.Background())[0]; r.Err != nil {
			b.Fatal(r.Err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	return read.NewReader(read.Config{}, meta, local), pk
}

// TestReadAllocatesItsResultOnce: a 1 MiB read of 64 index entries grew
// its result by append, batch after batch, allocating 6.2 MB for 1 MiB
// (BenchmarkReadCold): consume ran at 0.85x Kafka, the copying showing as
// memmove and memclr at the top of the broker's profile. The result is
// now sized once from the index entries: one buffer for the result, one
// for the file reads.
func TestReadAllocatesItsResultOnce(t *testing.T) {
	r, pk := coldPartition(t)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res, err := r.Read(t.Context(), pk, 0, 1<<20, false)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if res.NumRecords < 1000 {
		t.Fatalf("read %d records, want a full 1 MiB", res.NumRecords)
	}
	if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(5*len(res.Records)/2); got > limit {
		t.Fatalf("a read of %d bytes allocated %d bytes, want at most %d (the result and its file reads)", len(res.Records), got, limit)
	}
}
