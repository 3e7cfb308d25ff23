package intake

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/metastore/boltstore"
	"github.com/tributary-io/tributary/internal/objstore"
)

// gatedMeta holds each Append until the test releases it, and says when
// one has started.
type gatedMeta struct {
	metastore.Store
	started chan string   // the object key of each Append as it starts
	release chan struct{} // one receive lets one Append proceed
}

func (g *gatedMeta) Append(ctx context.Context, obj metastore.ObjectRef, b []metastore.AppendBatch) ([]metastore.AppendResult, error) {
	g.started <- obj.Key
	<-g.release
	return g.Store.Append(ctx, obj, b)
}

// watchedObjects reports each Put's key once it is written.
type watchedObjects struct {
	objstore.Store
	put chan string
}

func (o *watchedObjects) Put(ctx context.Context, key string, data []byte) error {
	err := o.Store.Put(ctx, key, data)
	o.put <- key
	return err
}

// testStores opens a bbolt metadata store and a local object store in a
// temporary directory and creates a topic of one partition. t's cleanup
// closes the stores after whatever the caller registers later (its
// writer), since cleanups run last registered first.
func testStores(t *testing.T) (*boltstore.Store, *objstore.Local, metastore.PartitionKey) {
	t.Helper()
	dir := t.TempDir()
	meta, err := boltstore.Open(filepath.Join(dir, "meta.db"), boltstore.Options{})
	if err != nil {
		t.Fatalf("open boltstore: %v", err)
	}
	local, err := objstore.NewLocal(filepath.Join(dir, "objects"))
	if err != nil {
		t.Fatalf("open local object store: %v", err)
	}
	t.Cleanup(func() {
		_ = meta.Close()  // a test store going away
		_ = local.Close() // holds nothing
	})
	top, err := meta.CreateTopic(t.Context(), metastore.TopicSpec{Name: "t", Partitions: 1})
	if err != nil {
		t.Fatalf("create topic: %v", err)
	}
	return meta, local, metastore.PartitionKey{Topic: top.ID, Partition: 0}
}

// gatedEnv is a writer with cfg over real stores (testStores), its index
// commits gated and its object writes reported.
func gatedEnv(t *testing.T, cfg Config) (*Writer, *gatedMeta, *watchedObjects, metastore.PartitionKey) {
	t.Helper()
	meta, local, pk := testStores(t)
	g := &gatedMeta{Store: meta, started: make(chan string, 4), release: make(chan struct{}, 4)}
	o := &watchedObjects{Store: local, put: make(chan string, 4)}
	w := NewWriter(cfg, o, g, Hooks{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(func() {
		for range 4 {
			g.release <- struct{}{} // let a commit still held (a failed test) finish
		}
		_ = w.Close() // always nil
	})
	return w, g, o, pk
}

func pipelineEnv(t *testing.T, maxBytes int, maxBuffered int64) (*Writer, *gatedMeta, *watchedObjects, metastore.PartitionKey) {
	t.Helper()
	return gatedEnv(t, Config{Linger: time.Millisecond, MaxBytes: maxBytes, MaxBufferedBytes: maxBuffered})
}

func recv(t *testing.T, ch <-chan string, what string) string {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatalf("no %s within 5s", what)
		return ""
	}
}

// TestObjectWriteOverlapsPreviousCommit: the object write of flush N+1
// used to wait for flush N's index commit, so S3 + Postgres throughput was
// one round trip of each at a time. Now N+1, once half the buffer bound is
// gathered, is written while N commits, N+1 is acknowledged only after its own commit,
// and offsets keep submission order.
func TestObjectWriteOverlapsPreviousCommit(t *testing.T) {
	w, g, o, pk := pipelineEnv(t, 4, 40) // overlap from 20 bytes gathered
	ctx := t.Context()
	first, err := w.Submit(ctx, []Part{{Partition: pk, Data: []byte("first"), NumRecords: 2, ProducerID: -1}})
	if err != nil {
		t.Fatal(err)
	}
	key1 := recv(t, o.put, "put of the first flush")
	if got := recv(t, g.started, "commit of the first flush"); got != key1 {
		t.Fatalf("commit of %s, want %s", got, key1)
	}
	// The first commit is held; the second flush's object must still be written.
	second, err := w.Submit(ctx, []Part{{Partition: pk, Data: []byte("second part, 24 bytes...."), NumRecords: 3, ProducerID: -1}})
	if err != nil {
		t.Fatal(err)
	}
	key2 := recv(t, o.put, "put of the second flush while the first commits")
	select {
	case k := <-g.started:
		t.Fatalf("commit of %s started before the first commit ended", k)
	case <-second.done:
		t.Fatal("second flush acknowledged before its commit")
	case <-time.After(50 * time.Millisecond):
	}
	g.release <- struct{}{}
	r1 := first.Wait(ctx)
	if got := recv(t, g.started, "commit of the second flush"); got != key2 {
		t.Fatalf("second commit of %s, want %s", got, key2)
	}
	select {
	case <-second.done:
		t.Fatal("second flush acknowledged before its commit")
	default:
	}
	g.release <- struct{}{}
	r2 := second.Wait(ctx)
	if r1[0].Err != nil || r2[0].Err != nil {
		t.Fatalf("results: %v, %v", r1[0].Err, r2[0].Err)
	}
	if r1[0].BaseOffset != 0 || r2[0].BaseOffset != 2 {
		t.Fatalf("base offsets %d and %d, want 0 and 2 (submission order)", r1[0].BaseOffset, r2[0].BaseOffset)
	}
}

// TestSmallFlushGrowsWhileThePreviousCommits: a flush below half the
// buffer bound is not written while the previous one commits, even past
// MaxBytes; parts arriving meanwhile join
// it, so a moderate load makes one object per commit, not one per part.
func TestSmallFlushGrowsWhileThePreviousCommits(t *testing.T) {
	w, g, o, pk := pipelineEnv(t, 4, 1<<20) // MaxBytes reached, overlap threshold not
	ctx := t.Context()
	first, err := w.Submit(ctx, []Part{{Partition: pk, Data: []byte("first"), NumRecords: 1, ProducerID: -1}})
	if err != nil {
		t.Fatal(err)
	}
	recv(t, o.put, "put of the first flush")
	recv(t, g.started, "commit of the first flush")
	var later []*Pending
	for range 3 {
		p, err := w.Submit(ctx, []Part{{Partition: pk, Data: []byte("later"), NumRecords: 1, ProducerID: -1}})
		if err != nil {
			t.Fatal(err)
		}
		later = append(later, p)
	}
	select {
	case k := <-o.put:
		t.Fatalf("%s written while the first flush commits, though far from the buffer bound", k)
	case <-time.After(50 * time.Millisecond):
	}
	g.release <- struct{}{}
	first.Wait(ctx)
	recv(t, o.put, "put of the second flush")
	recv(t, g.started, "commit of the second flush")
	g.release <- struct{}{}
	for i, p := range later {
		if r := p.Wait(ctx); r[0].Err != nil || r[0].BaseOffset != int64(1+i) {
			t.Fatalf("later part %d: offset %d, %v", i, r[0].BaseOffset, r[0].Err)
		}
	}
	select {
	case k := <-o.put:
		t.Fatalf("third object %s: the three later parts were not one flush", k)
	default:
	}
}
