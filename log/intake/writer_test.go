package intake_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/metastore/boltstore"
	"github.com/tributary-io/tributary/internal/objstore"
	"github.com/tributary-io/tributary/log/intake"
	"github.com/tributary-io/tributary/log/recordbatch"
)

// env is a writer over a real embedded metadata store and a local object
// store, both behind the fault-injecting wrappers.
type env struct {
	dir   string
	meta  *metastore.Faulty
	obj   *objstore.Faulty
	topic metastore.Topic
	w     *intake.Writer
	hooks intake.Hooks
}

func newEnv(t *testing.T, cfg intake.Config) *env {
	t.Helper()
	e := &env{dir: t.TempDir()}
	e.open(t)
	tp, err := e.meta.CreateTopic(t.Context(), metastore.TopicSpec{Name: "t", Partitions: 2})
	if err != nil {
		t.Fatal(err)
	}
	e.topic = tp
	e.start(t, cfg)
	return e
}

// open opens (or reopens) the stores on e.dir.
func (e *env) open(t *testing.T) {
	t.Helper()
	meta, err := boltstore.Open(filepath.Join(e.dir, "meta.db"), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	obj, err := objstore.NewLocal(filepath.Join(e.dir, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	e.meta, e.obj = metastore.NewFaulty(meta), objstore.NewFaulty(obj)
	t.Cleanup(func() {
		_ = e.obj.Close()
		_ = e.meta.Close()
	})
}

func (e *env) start(t *testing.T, cfg intake.Config) {
	t.Helper()
	e.w = intake.NewWriter(cfg, e.obj, e.meta, e.hooks, slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(func() { _ = e.w.Close() })
}

func (e *env) pk(p int32) metastore.PartitionKey {
	return metastore.PartitionKey{Topic: e.topic.ID, Partition: p}
}

// part is a valid batch of n records for partition p, values named by tag.
func (e *env) part(p int32, tag string, n int) intake.Part {
	recs := make([]recordbatch.NewRecord, n)
	for i := range recs {
		recs[i] = recordbatch.NewRecord{Value: fmt.Appendf(nil, "%s-%d", tag, i), Timestamp: 1_700_000_000_000 + int64(i)}
	}
	return intake.Part{Partition: e.pk(p), Data: recordbatch.Build(recs), NumRecords: int32(n), MaxTimestamp: 1_700_000_000_000 + int64(n-1),
		ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1}
}

func (e *env) highWater(t *testing.T, p int32) int64 {
	t.Helper()
	st, err := e.meta.Partition(t.Context(), e.pk(p))
	if err != nil {
		t.Fatal(err)
	}
	return st.HighWater
}

func submit(t *testing.T, w *intake.Writer, parts ...intake.Part) *intake.Pending {
	t.Helper()
	p, err := w.Submit(t.Context(), parts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func waitOK(t *testing.T, p *intake.Pending) []intake.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	rs := p.Wait(ctx)
	for i, r := range rs {
		if r.Err != nil {
			t.Fatalf("part %d: %v", i, r.Err)
		}
	}
	return rs
}

// Offsets are assigned in submission order, densely, across flushes and
// partitions: what idempotent sequence checks and consumers rely on. Four
// rounds of ten submits, each round awaited, make at least four flushes.
func TestFlushAssignsOffsetsInSubmitOrder(t *testing.T) {
	e := newEnv(t, intake.Config{Linger: 2 * time.Millisecond, MaxBytes: 300})
	next := map[int32]int64{}
	for round := range 4 {
		var pend []*intake.Pending
		var sizes []int
		for i := range 10 {
			n := 1 + i%3
			pend = append(pend, submit(t, e.w, e.part(int32(i%2), fmt.Sprint(round, "-", i), n)))
			sizes = append(sizes, n)
		}
		for i, p := range pend {
			r := waitOK(t, p)[0]
			part := int32(i % 2)
			if r.BaseOffset != next[part] {
				t.Fatalf("round %d submit %d (partition %d): base offset %d, want %d", round, i, part, r.BaseOffset, next[part])
			}
			next[part] += int64(sizes[i])
		}
	}
	if flushes := e.obj.Calls(objstore.OpPut); flushes < 4 {
		t.Fatalf("%d object writes for four awaited rounds", flushes)
	}
	for p, want := range next {
		if hw := e.highWater(t, p); hw != want {
			t.Fatalf("partition %d high water %d, want %d", p, hw, want)
		}
	}
}

// A produce is answered only once both the object and the index are
// durable: while the object write is slow nothing is acknowledged and the
// partition has no offsets; after, the index names an object that holds
// the bytes. Fake time (synctest): the slow write costs nothing.
func TestAckOnlyAfterDurableCommit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, intake.Config{Linger: time.Millisecond})
		e.obj.SetLatency(objstore.OpPut, 400*time.Millisecond)
		pt := e.part(0, "slow", 3)
		p := submit(t, e.w, pt)
		early, cancel := context.WithTimeout(t.Context(), 150*time.Millisecond)
		defer cancel()
		if r := p.Wait(early)[0]; !errors.Is(r.Err, context.DeadlineExceeded) {
			t.Fatalf("acknowledged during the object write: %+v", r)
		}
		if hw := e.highWater(t, 0); hw != 0 {
			t.Fatalf("high water %d before the object was written", hw)
		}
		r := waitOK(t, p)[0]
		if r.BaseOffset != 0 || e.highWater(t, 0) != 3 {
			t.Fatalf("base %d, high water %d", r.BaseOffset, e.highWater(t, 0))
		}
		entries, _, err := e.meta.ReadIndex(t.Context(), e.pk(0), 0, 10)
		if err != nil || len(entries) != 1 {
			t.Fatalf("index %v %v", entries, err)
		}
		got, err := e.obj.GetRange(t.Context(), entries[0].ObjectKey, entries[0].Pos, entries[0].Size)
		if err != nil || string(got) != string(pt.Data) {
			t.Fatalf("indexed bytes %q (%v), want the produced batch", got, err)
		}
	})
}

// An object store failure fails every part of that flush with ErrStorage
// and commits nothing; the next produce gets the same offsets.
func TestObjectStoreErrorFailsTheProduce(t *testing.T) {
	e := newEnv(t, intake.Config{Linger: time.Millisecond})
	e.obj.FailNext(objstore.OpPut, 1, nil)
	p := submit(t, e.w, e.part(0, "a", 2), e.part(1, "b", 1))
	for i, r := range p.Wait(t.Context()) {
		if !errors.Is(r.Err, intake.ErrStorage) {
			t.Fatalf("part %d: %v, want ErrStorage", i, r.Err)
		}
	}
	if e.highWater(t, 0) != 0 || e.highWater(t, 1) != 0 {
		t.Fatal("a failed flush assigned offsets")
	}
	if r := waitOK(t, submit(t, e.w, e.part(0, "c", 2)))[0]; r.BaseOffset != 0 {
		t.Fatalf("after the failure: base offset %d, want 0", r.BaseOffset)
	}
}

// A metadata-store failure after the object is written fails the produce
// too: the object is an unindexed orphan, no offset is taken.
func TestIndexCommitErrorFailsTheProduce(t *testing.T) {
	e := newEnv(t, intake.Config{Linger: time.Millisecond})
	e.meta.FailNext(metastore.MethodAppend, 1, nil)
	p := submit(t, e.w, e.part(0, "a", 2))
	if r := p.Wait(t.Context())[0]; !errors.Is(r.Err, intake.ErrStorage) {
		t.Fatalf("%v, want ErrStorage", r.Err)
	}
	if e.highWater(t, 0) != 0 {
		t.Fatal("a failed index commit assigned offsets")
	}
	if e.obj.Calls(objstore.OpPut) != 1 {
		t.Fatalf("%d object writes, want the one orphan", e.obj.Calls(objstore.OpPut))
	}
}

// Everything acknowledged survives: Close flushes what is buffered (a
// long linger would otherwise hold it), and after reopening the stores
// every acknowledged part is indexed at its offset with its bytes.
func TestNothingAckedIsLost(t *testing.T) {
	e := newEnv(t, intake.Config{Linger: time.Hour})
	want := map[int64]intake.Part{}
	var pend []*intake.Pending
	var parts []intake.Part
	for i := range 10 {
		pt := e.part(0, fmt.Sprint("r", i), 1+i%2)
		parts = append(parts, pt)
		pend = append(pend, submit(t, e.w, pt))
	}
	if err := e.w.Close(); err != nil {
		t.Fatal(err)
	}
	for i, p := range pend {
		want[waitOK(t, p)[0].BaseOffset] = parts[i]
	}
	if _, err := e.w.Submit(t.Context(), []intake.Part{e.part(0, "late", 1)}); !errors.Is(err, intake.ErrClosed) {
		t.Fatalf("submit after close: %v", err)
	}
	_ = e.obj.Close()
	_ = e.meta.Close()
	e.open(t)
	entries, _, err := e.meta.ReadIndex(t.Context(), e.pk(0), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(want) {
		t.Fatalf("%d index entries after reopening, %d acknowledged", len(entries), len(want))
	}
	for _, en := range entries {
		pt, ok := want[en.BaseOffset]
		got, err := e.obj.GetRange(t.Context(), en.ObjectKey, en.Pos, en.Size)
		if !ok || err != nil || string(got) != string(pt.Data) || en.LastOffset != en.BaseOffset+int64(pt.NumRecords)-1 {
			t.Fatalf("entry at %d: acknowledged %v, bytes match %v (%v)", en.BaseOffset, ok, string(got) == string(pt.Data), err)
		}
	}
}
