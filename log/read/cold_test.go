package read_test

import (
	"bytes"
	"context"
	"fmt"
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
// now sized once from the index entries and the local store reads
// straight into it: one buffer of about the result's size.
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
	if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(3*len(res.Records)/2); got > limit {
		t.Fatalf("a read of %d bytes allocated %d bytes, want at most %d (the result)", len(res.Records), got, limit)
	}
}

// TestReadIntoTheResultReadsAsRangedReads: reads straight into the result
// (a RangeReader: the local store) give byte for byte what ranged reads
// through the cache give, for every offset, budget and strictness, on
// entries of several batches each, some side by side in one object: the
// batches before the offset and past the budget are dropped in place and
// the kept ones moved down with their base offsets patched.
func TestReadIntoTheResultReadsAsRangedReads(t *testing.T) {
	e := newEnv(t)
	local := e.local
	w := intake.NewWriter(intake.Config{}, local, e.meta, intake.Hooks{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	batch := func(n int) []byte {
		recs := make([]recordbatch.NewRecord, n)
		for i := range recs {
			recs[i] = recordbatch.NewRecord{Value: fmt.Appendf(nil, "value %d of %d", i, n), Timestamp: 1_700_000_000_000}
		}
		return recordbatch.Build(recs)
	}
	part := func(sizes ...int) intake.Part {
		var data []byte
		total := 0
		for _, n := range sizes {
			data = append(data, batch(n)...)
			total += n
		}
		return intake.Part{Partition: e.pk, Data: data, NumRecords: int32(total), MaxTimestamp: 1_700_000_000_000,
			ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1}
	}
	// One flush of two parts side by side in one object, then two flushes
	// of one part: entries of 3, 2, 1 and 2 batches; 17 records.
	for _, parts := range [][]intake.Part{{part(2, 3, 1), part(2, 2)}, {part(4)}, {part(1, 2)}} {
		p, err := w.Submit(t.Context(), parts)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range p.Wait(t.Context()) {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	ranged, direct := e.reader(0), read.NewReader(read.Config{}, e.meta, local)
	for offset := int64(0); offset <= 17; offset++ {
		for _, maxBytes := range []int{1, 100, 150, 300, 1 << 20} {
			for _, strict := range []bool{false, true} {
				want, werr := ranged.Read(t.Context(), e.pk, offset, maxBytes, strict)
				got, gerr := direct.Read(t.Context(), e.pk, offset, maxBytes, strict)
				if werr != nil || gerr != nil {
					t.Fatalf("offset %d, %d bytes, strict %v: %v, %v", offset, maxBytes, strict, werr, gerr)
				}
				if !bytes.Equal(got.Records, want.Records) || got.NumRecords != want.NumRecords {
					t.Fatalf("offset %d, %d bytes, strict %v: read into the result %v (%d records), ranged reads %v (%d records)",
						offset, maxBytes, strict, batches(t, got), got.NumRecords, batches(t, want), want.NumRecords)
				}
			}
		}
	}
	if res, err := direct.Read(t.Context(), e.pk, 4, 1<<20, false); err != nil || fmt.Sprint(batches(t, res)) != "[[2 3] [5 1] [6 2] [8 2] [10 4] [14 1] [15 2]]" {
		t.Fatalf("read at 4: %v, %v", batches(t, res), err)
	}
}

// BenchmarkReadAppend is BenchmarkReadCold into one reused buffer, as the
// fetch handler reads: no allocation and zeroing of 1 MiB per read.
func BenchmarkReadAppend(b *testing.B) {
	r, pk := coldPartition(b)
	b.ReportAllocs()
	b.SetBytes(int64(1 << 20))
	var buf []byte
	b.ResetTimer()
	for range b.N {
		res, err := r.ReadAppend(context.Background(), pk, 0, 1<<20, false, buf)
		if err != nil {
			b.Fatal(err)
		}
		if res.NumRecords < 1000 {
			b.Fatalf("read %d records, want a full 1 MiB", res.NumRecords)
		}
		buf = res.Records
	}
}

// TestReadAppendReusesTheBuffer: a read into a buffer with room is made
// in it (same first byte, nothing allocated for the data), and gives the
// same batches as a read into nothing; a buffer too small is outgrown.
func TestReadAppendReusesTheBuffer(t *testing.T) {
	r, pk := coldPartition(t)
	ctx := context.Background()
	want, err := r.Read(ctx, pk, 100, 1<<20, false)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 3, 2<<20)
	for i := range buf {
		buf[i] = 0xee // what a reused buffer held: not part of the result
	}
	got, err := r.ReadAppend(ctx, pk, 100, 1<<20, false, buf)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Records, want.Records) || got.NumRecords != want.NumRecords {
		t.Fatalf("read into a buffer: %d bytes, %d records; want %d, %d", len(got.Records), got.NumRecords, len(want.Records), want.NumRecords)
	}
	if &got.Records[0] != &buf[:1][0] {
		t.Fatal("the read did not go into the buffer it was given")
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 5 {
		if _, err := r.ReadAppend(ctx, pk, 100, 1<<20, false, buf); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	if perRead := (after.TotalAlloc - before.TotalAlloc) / 5; perRead > 256<<10 {
		t.Fatalf("%d bytes allocated per 1 MiB read into a reused buffer: the data did not go into it", perRead)
	}
	small := make([]byte, 0, 10)
	out, err := r.ReadAppend(ctx, pk, 100, 1<<20, false, small)
	if err != nil || !bytes.Equal(out.Records, want.Records) {
		t.Fatalf("read into a small buffer: %d bytes, %v", len(out.Records), err)
	}
}
