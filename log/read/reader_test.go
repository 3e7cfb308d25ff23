package read_test

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/metastore/boltstore"
	"github.com/tributary-io/tributary/internal/objstore"
	"github.com/tributary-io/tributary/log/intake"
	"github.com/tributary-io/tributary/log/read"
	"github.com/tributary-io/tributary/log/recordbatch"
)

// env writes through the real write path (embedded metadata store, local
// object store behind the fault-injecting wrapper) and reads with readers
// made by newReader.
type env struct {
	meta  metastore.Store
	obj   *objstore.Faulty
	local *objstore.Local // under obj
	pk    metastore.PartitionKey
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	meta, err := boltstore.Open(filepath.Join(dir, "meta.db"), boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = meta.Close() })
	local, err := objstore.NewLocal(filepath.Join(dir, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = local.Close() })
	tp, err := meta.CreateTopic(t.Context(), metastore.TopicSpec{Name: "t", Partitions: 1})
	if err != nil {
		t.Fatal(err)
	}
	return &env{meta: meta, obj: objstore.NewFaulty(local), local: local, pk: metastore.PartitionKey{Topic: tp.ID}}
}

func (e *env) reader(cacheBytes int64) *read.Reader {
	return read.NewReader(read.Config{CacheBytes: cacheBytes}, e.meta, e.obj)
}

// write produces batches of the given sizes, one flush each, with the
// hooks of r (nil: none, so nothing reaches a reader's cache).
func (e *env) write(t *testing.T, r *read.Reader, sizes ...int) {
	t.Helper()
	var hooks intake.Hooks
	if r != nil {
		hooks = intake.Hooks{OnCommit: r.OnCommit, OnFlushed: r.OnFlushed}
	}
	w := intake.NewWriter(intake.Config{Linger: time.Millisecond}, e.obj, e.meta, hooks, slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer func() { _ = w.Close() }()
	for _, n := range sizes {
		recs := make([]recordbatch.NewRecord, n)
		for i := range recs {
			recs[i] = recordbatch.NewRecord{Value: []byte(fmt.Sprint("v", i)), Timestamp: 1_700_000_000_000}
		}
		p, err := w.Submit(t.Context(), []intake.Part{{Partition: e.pk, Data: recordbatch.Build(recs), NumRecords: int32(n),
			MaxTimestamp: 1_700_000_000_000, ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1}})
		if err != nil {
			t.Fatal(err)
		}
		if r := p.Wait(t.Context())[0]; r.Err != nil {
			t.Fatal(r.Err)
		}
	}
}

// batches lists the (baseOffset, count) of the batches in a read.
func batches(t *testing.T, res read.Result) [][2]int64 {
	t.Helper()
	var out [][2]int64
	if err := recordbatch.Walk(res.Records, func(h recordbatch.Header, _ []byte) bool {
		out = append(out, [2]int64{h.BaseOffset, int64(h.NumRecords)})
		return true
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// The index finds the batch holding the offset asked for, later batches
// follow with their base offsets patched to their log offsets, and
// maxBytes stops after the first batch (which is whole, KIP-74) unless
// strict.
func TestReadFindsTheBatchOfAnOffset(t *testing.T) {
	e := newEnv(t)
	r := e.reader(1 << 20)
	e.write(t, r, 3, 2, 4, 1) // offsets 0-2, 3-4, 5-8, 9
	for _, c := range []struct {
		offset int64
		want   [][2]int64
	}{
		{0, [][2]int64{{0, 3}, {3, 2}, {5, 4}, {9, 1}}},
		{4, [][2]int64{{3, 2}, {5, 4}, {9, 1}}},
		{7, [][2]int64{{5, 4}, {9, 1}}},
		{9, [][2]int64{{9, 1}}},
	} {
		res, err := r.Read(t.Context(), e.pk, c.offset, 1<<20, false)
		if err != nil {
			t.Fatal(err)
		}
		got := batches(t, res)
		if fmt.Sprint(got) != fmt.Sprint(c.want) || res.State.HighWater != 10 {
			t.Errorf("read at %d: %v (high water %d), want %v", c.offset, got, res.State.HighWater, c.want)
		}
	}
	res, err := r.Read(t.Context(), e.pk, 3, 1, false)
	if err != nil || fmt.Sprint(batches(t, res)) != "[[3 2]]" || res.NumRecords != 2 {
		t.Fatalf("one byte allowed: %v (%d records), %v; want the first batch whole", batches(t, res), res.NumRecords, err)
	}
	if res, err := r.Read(t.Context(), e.pk, 3, 1, true); err != nil || len(res.Records) != 0 {
		t.Fatalf("strict, one byte allowed: %d bytes, %v", len(res.Records), err)
	}
}

// Data the write path hands over (OnCommit) for a partition being read is
// read from the cache with no object read; a reader that did not see it misses once, reads the
// adjacent ranges of one object in one ranged read, then hits. Without a
// cache every read goes to the object store.
func TestReadCacheHitAndMiss(t *testing.T) {
	e := newEnv(t)
	hooked := e.reader(1 << 20)
	// A read before the writes makes pk a partition being read, the only
	// kind written through (TestWriteThroughOnlyForPartitionsRead); its
	// answer, on an empty log, does not matter here.
	_, _ = hooked.Read(t.Context(), e.pk, 0, 1<<20, false)
	e.write(t, hooked, 2, 2, 2)
	gets := func() int { return e.obj.Calls(objstore.OpGetRange) }
	readAll := func(r *read.Reader) {
		t.Helper()
		if res, err := r.Read(t.Context(), e.pk, 0, 1<<20, false); err != nil || res.NumRecords != 6 {
			t.Fatalf("read: %d records, %v", res.NumRecords, err)
		}
	}
	readAll(hooked)
	if n := gets(); n != 0 {
		t.Fatalf("%d object reads for data the write path cached", n)
	}
	cold := e.reader(1 << 20)
	readAll(cold)
	if n := gets(); n != 3 {
		t.Fatalf("cold read: %d object reads, want 3 (one per flush object)", n)
	}
	readAll(cold)
	if n := gets(); n != 3 {
		t.Fatalf("second read: %d more object reads, want none", n-3)
	}
	uncached := e.reader(0)
	readAll(uncached)
	readAll(uncached)
	if n := gets() - 3; n != 6 {
		t.Fatalf("no cache: %d object reads for two reads of three objects, want 6", n)
	}
}

// Offsets: the high water mark reads as empty (a consumer at the end
// waits); past it or below the log start is ErrOffsetOutOfRange with the
// partition's state, so the broker can answer OFFSET_OUT_OF_RANGE.
func TestReadOffsetsOutOfRange(t *testing.T) {
	e := newEnv(t)
	r := e.reader(1 << 20)
	e.write(t, r, 3, 3)
	res, err := r.Read(t.Context(), e.pk, 6, 1<<20, false)
	if err != nil || len(res.Records) != 0 || res.State.HighWater != 6 {
		t.Fatalf("at the high water: %d bytes, %v, state %+v", len(res.Records), err, res.State)
	}
	for _, off := range []int64{7, 1 << 40} {
		res, err := r.Read(t.Context(), e.pk, off, 1<<20, false)
		if !errors.Is(err, read.ErrOffsetOutOfRange) || res.State.HighWater != 6 {
			t.Fatalf("past the end (%d): %v, state %+v", off, err, res.State)
		}
	}
	if _, err := e.meta.DeleteRecords(t.Context(), e.pk, 3); err != nil {
		t.Fatal(err)
	}
	res, err = r.Read(t.Context(), e.pk, 1, 1<<20, false)
	if !errors.Is(err, read.ErrOffsetOutOfRange) || res.State.LogStart != 3 {
		t.Fatalf("below the log start: %v, state %+v", err, res.State)
	}
	if res, err := r.Read(t.Context(), e.pk, 3, 1<<20, false); err != nil || fmt.Sprint(batches(t, res)) != "[[3 3]]" {
		t.Fatalf("at the log start: %v %v", batches(t, res), err)
	}
}
