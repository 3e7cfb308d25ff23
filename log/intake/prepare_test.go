package intake

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/metastore/boltstore"
	"github.com/tributary-io/tributary/internal/objstore"
)

// recordingLocal is the local store, recording which keys were prepared
// and which were Put.
type recordingLocal struct {
	*objstore.Local
	mu       sync.Mutex
	prepared map[string]bool
	puts     []string
}

func (r *recordingLocal) Prepare(ctx context.Context, key string) error {
	r.mu.Lock()
	r.prepared[key] = true
	r.mu.Unlock()
	return r.Local.Prepare(ctx, key)
}

func (r *recordingLocal) Put(ctx context.Context, key string, data []byte) error {
	r.mu.Lock()
	r.puts = append(r.puts, key)
	r.mu.Unlock()
	return r.Local.Put(ctx, key, data)
}

// TestFlushWritesIntoAPreparedObject: every intake object write on local
// disk cost two fsyncs (the temp file, then the directory after its
// rename) before the index commit, on the path of every produce's
// acknowledgement. The writer now prepares the next object's key while a
// flush is indexed, so every flush writes into a file whose name is
// durable already (one fsync); the key prepared for a flush that never
// comes is deleted at Close, leaving exactly the indexed objects.
func TestFlushWritesIntoAPreparedObject(t *testing.T) {
	dir := t.TempDir()
	meta, err := boltstore.Open(filepath.Join(dir, "meta.db"), boltstore.Options{})
	if err != nil {
		t.Fatalf("open boltstore: %v", err)
	}
	t.Cleanup(func() { _ = meta.Close() }) // a test store going away
	local, err := objstore.NewLocal(filepath.Join(dir, "objects"))
	if err != nil {
		t.Fatalf("open local object store: %v", err)
	}
	top, err := meta.CreateTopic(t.Context(), metastore.TopicSpec{Name: "t", Partitions: 1})
	if err != nil {
		t.Fatalf("create topic: %v", err)
	}
	pk := metastore.PartitionKey{Topic: top.ID}
	obj := &recordingLocal{Local: local, prepared: map[string]bool{}}
	w := NewWriter(Config{}, obj, meta, Hooks{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	for i := range 5 { // one flush each: every submit is awaited
		if r := submitPart(t, w, pk, "part").Wait(t.Context()); r[0].Err != nil || r[0].BaseOffset != int64(i) {
			t.Fatalf("flush %d: offset %d, %v", i, r[0].BaseOffset, r[0].Err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	obj.mu.Lock()
	defer obj.mu.Unlock()
	if len(obj.puts) != 5 {
		t.Fatalf("%d object writes, want 5", len(obj.puts))
	}
	for _, key := range obj.puts {
		if !obj.prepared[key] {
			t.Errorf("object %s written without being prepared: two fsyncs on the produce path", key)
		}
	}
	infos, err := local.List(t.Context(), "intake/")
	if err != nil {
		t.Fatal(err)
	}
	known, err := meta.KnownObjects(t.Context(), obj.puts)
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 5 {
		t.Fatalf("%d objects after Close, want the 5 written (the unused prepared key deleted)", len(infos))
	}
	for _, o := range infos {
		if !known[o.Key] || o.Size == 0 {
			t.Errorf("object %s (%d bytes) left after Close is not an indexed flush", o.Key, o.Size)
		}
	}
	if ents, err := filepath.Glob(filepath.Join(dir, "objects", "intake", "*")); err != nil || len(ents) != 5 {
		t.Fatalf("files under intake/: %d (%v), want 5: the prepared key of no flush was left behind", len(ents), err)
	}
}

// slowLocal is the local store whose Prepare and Put take fixed extra
// (fake) time, as their fsyncs do.
type slowLocal struct {
	*objstore.Local
	prepare, put time.Duration
}

func (s slowLocal) Prepare(ctx context.Context, key string) error {
	time.Sleep(s.prepare)
	return s.Local.Prepare(ctx, key)
}

func (s slowLocal) Put(ctx context.Context, key string, data []byte) error {
	time.Sleep(s.put)
	return s.Local.Put(ctx, key, data)
}

// TestFlusherNeverWaitsForAPrepare: the flusher prepared the next key
// itself right after each flush, so once the next flush's write overlapped
// the previous commit (group commit), a part arriving mid-flush also
// waited for that Prepare's fsyncs (file and directory) before its own
// object write. Keys are now prepared ahead by a goroutine of their own.
// Fake time: Prepare 30 ms, Put 10 ms, commit 10 ms; A at t=0 is written
// [0,10] and indexed [10,20]; B, submitted at t=5, is written [10,20]
// into a key prepared ahead while A is indexed, and indexed [20,30]:
// acknowledged 25 ms after its submit, not 55 (a Prepare [10,40] first).
func TestFlusherNeverWaitsForAPrepare(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		meta, err := boltstore.Open(filepath.Join(dir, "meta.db"), boltstore.Options{})
		if err != nil {
			t.Fatalf("open boltstore: %v", err)
		}
		local, err := objstore.NewLocal(filepath.Join(dir, "objects"))
		if err != nil {
			t.Fatalf("open local object store: %v", err)
		}
		top, err := meta.CreateTopic(t.Context(), metastore.TopicSpec{Name: "t", Partitions: 1})
		if err != nil {
			t.Fatalf("create topic: %v", err)
		}
		pk := metastore.PartitionKey{Topic: top.ID}
		w := NewWriter(Config{}, slowLocal{local, 30 * time.Millisecond, 10 * time.Millisecond},
			slowAppend{meta, 10 * time.Millisecond}, Hooks{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
		t.Cleanup(func() {
			_ = w.Close()     // always nil
			_ = meta.Close()  // a test store going away
			_ = local.Close() // holds nothing
		})
		time.Sleep(time.Second) // an idle writer: its keys are prepared
		a := submitPart(t, w, pk, "a")
		time.Sleep(5 * time.Millisecond)
		start := time.Now()
		b := submitPart(t, w, pk, "b")
		if r := a.Wait(t.Context()); r[0].Err != nil {
			t.Fatalf("a: %v", r[0].Err)
		}
		if r := b.Wait(t.Context()); r[0].Err != nil || r[0].BaseOffset != 1 {
			t.Fatalf("b: offset %d, %v", r[0].BaseOffset, r[0].Err)
		}
		if d := b.Stages().Done.Sub(start); d != 25*time.Millisecond {
			t.Fatalf("b acknowledged %v after its submit, want 25ms (queue %v)", d, b.Stages().Queue)
		}
	})
}
