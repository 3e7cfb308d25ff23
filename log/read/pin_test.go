package read

import (
	"time"

	"testing"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/log/intake"
)

// committedSlice is one small part of a large flush buffer, as the write
// path hands it to OnCommit.
func committedSlice(t *testing.T, pk metastore.PartitionKey, flush []byte, pos, size int64) intake.Committed {
	t.Helper()
	return intake.Committed{
		Partition: pk,
		Entry:     metastore.IndexEntry{ObjectKey: "intake/x.obj", Pos: pos, Size: size},
		Data:      flush[pos : pos+size],
	}
}

// TestCacheDoesNotPinFlushBuffers: a small entry written through into the
// cache used to be a slice of its whole flush buffer (4-64 MiB), so one
// hot entry kept the buffer alive while the cache counted a few bytes.
func TestCacheDoesNotPinFlushBuffers(t *testing.T) {
	r := NewReader(Config{CacheBytes: 64 << 20}, nil, nil)
	pk := metastore.PartitionKey{Topic: metastore.TopicID{1}, Partition: 3}
	r.tail.note(pk, nowForTest())
	flush := make([]byte, 8<<20)
	c := committedSlice(t, pk, flush, 1<<20, 100)
	r.OnCommit([]intake.Committed{c})
	got, ok := r.cache.get(cacheKey{c.Entry.ObjectKey, c.Entry.Pos, c.Entry.Size})
	if !ok {
		t.Fatal("entry of a partition read lately not written through")
	}
	if len(got) != 100 || cap(got) > 4096 {
		t.Fatalf("cached entry: len %d, cap %d: it still slices the %d-byte flush buffer", len(got), cap(got), len(flush))
	}
	if &got[0] == &flush[1<<20] {
		t.Fatal("cached entry shares the flush buffer's memory")
	}
}

// TestWriteThroughOnlyForPartitionsRead: with 1,000 partitions produced
// to and nobody reading, write-through used to fill the whole cache with
// data no fetch asked for (RSS 80 → 467 MiB in 5 minutes).
func TestWriteThroughOnlyForPartitionsRead(t *testing.T) {
	r := NewReader(Config{CacheBytes: 64 << 20}, nil, nil)
	read := metastore.PartitionKey{Topic: metastore.TopicID{1}, Partition: 0}
	unread := metastore.PartitionKey{Topic: metastore.TopicID{1}, Partition: 1}
	r.tail.note(read, nowForTest())
	flush := make([]byte, 1<<20)
	a, b := committedSlice(t, read, flush, 0, 1000), committedSlice(t, unread, flush, 1000, 1000)
	r.OnCommit([]intake.Committed{a, b})
	if _, ok := r.cache.get(cacheKey{a.Entry.ObjectKey, a.Entry.Pos, a.Entry.Size}); !ok {
		t.Error("entry of the partition being read not cached")
	}
	if _, ok := r.cache.get(cacheKey{b.Entry.ObjectKey, b.Entry.Pos, b.Entry.Size}); ok {
		t.Error("entry of a partition nobody reads was cached")
	}
	if r.cache.size != 1000 {
		t.Errorf("cache counts %d bytes, want 1000", r.cache.size)
	}
}

// TestOwnBytes: a ranged read's entry is copied out when it is less than
// half of the read buffer, and kept in place otherwise.
func TestOwnBytes(t *testing.T) {
	buf := make([]byte, 1000)
	if b := ownBytes(buf[10:20], len(buf)); &b[0] == &buf[10] {
		t.Error("small entry kept in its read buffer")
	}
	if b := ownBytes(buf[0:600], len(buf)); &b[0] != &buf[0] {
		t.Error("entry of most of the buffer copied")
	}
}

func nowForTest() time.Time { return time.Now() }
