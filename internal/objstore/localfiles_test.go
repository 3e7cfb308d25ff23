package objstore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// readRange is ReadRange of n bytes at 0.
func readRange(t *testing.T, l *Local, key string, n int) ([]byte, error) {
	t.Helper()
	buf := make([]byte, n)
	err := l.ReadRange(context.Background(), key, 0, buf)
	return buf, err
}

func newTestLocal(t *testing.T) *Local {
	t.Helper()
	l, err := NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Error(err)
		}
	})
	return l
}

// TestReadRangeKeepsTheFileOpen: a second ReadRange of an object reads
// the file the first one opened (each used to open, fstat and close it:
// more syscalls than the pread); the file removed behind the store's back
// shows it.
func TestReadRangeKeepsTheFileOpen(t *testing.T) {
	l := newTestLocal(t)
	ctx := context.Background()
	if err := l.Put(ctx, "o/1", []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if got, err := readRange(t, l, "o/1", 5); err != nil || string(got) != "hello" {
		t.Fatalf("first read: %q, %v", got, err)
	}
	if err := os.Remove(filepath.Join(l.Root(), "o", "1")); err != nil {
		t.Fatal(err)
	}
	if got, err := readRange(t, l, "o/1", 5); err != nil || string(got) != "hello" {
		t.Fatalf("second read, file unlinked by hand: %q, %v; want it read through the open file", got, err)
	}
}

// TestReadRangeSeesEveryWrite: a kept file never hides a later Put (new
// contents, new size), Delete, or the Put of a prepared key.
func TestReadRangeSeesEveryWrite(t *testing.T) {
	l := newTestLocal(t)
	ctx := context.Background()
	if err := l.Put(ctx, "k", []byte("old")); err != nil {
		t.Fatal(err)
	}
	if got, err := readRange(t, l, "k", 3); err != nil || string(got) != "old" {
		t.Fatalf("read: %q, %v", got, err)
	}
	if err := l.Put(ctx, "k", []byte("newer")); err != nil {
		t.Fatal(err)
	}
	if got, err := readRange(t, l, "k", 5); err != nil || string(got) != "newer" {
		t.Fatalf("read after overwrite: %q, %v", got, err)
	}
	if err := l.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if _, err := readRange(t, l, "k", 1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("read after delete: %v, want ErrNotFound", err)
	}
	if err := l.Prepare(ctx, "p"); err != nil {
		t.Fatal(err)
	}
	if _, err := readRange(t, l, "p", 1); !errors.Is(err, ErrRangeInvalid) {
		t.Fatalf("read of a prepared (empty) key: %v, want ErrRangeInvalid", err)
	}
	if err := l.Put(ctx, "p", []byte("data")); err != nil {
		t.Fatal(err)
	}
	if got, err := readRange(t, l, "p", 4); err != nil || string(got) != "data" {
		t.Fatalf("read after the prepared key's Put: %q, %v", got, err)
	}
}

// tempFile is an open file for the cache's own tests.
func tempFile(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() }) // closed already by the cache, mostly
	return f
}

func isClosed(f *os.File) bool {
	_, err := f.Stat()
	return errors.Is(err, os.ErrClosed)
}

// TestFileCacheRefusesAFileOpenedBeforeAWrite: a read that opened a file
// before a write of its key finished reads it once, but does not cache
// it, so later reads open the new file.
func TestFileCacheRefusesAFileOpenedBeforeAWrite(t *testing.T) {
	c := newFileCache(4)
	_, seq, ok := c.get("k")
	if ok {
		t.Fatal("hit in an empty cache")
	}
	f := tempFile(t, "old")
	c.forget("k") // the write finishes between the read's open and its put
	cf := c.put("k", f, 3, seq)
	if _, _, ok := c.get("k"); ok {
		t.Fatal("a file opened before a write was cached")
	}
	c.release(cf)
	if !isClosed(f) {
		t.Fatal("the uncached file was left open after its read")
	}
}

// TestFileCacheBoundsAndCloses: at most max files stay open, the least
// recently used is closed first (not while a read holds it), and close
// closes the rest.
func TestFileCacheBoundsAndCloses(t *testing.T) {
	c := newFileCache(2)
	files := map[string]*os.File{}
	for _, k := range []string{"a", "b"} {
		_, seq, _ := c.get(k)
		files[k] = tempFile(t, k)
		c.release(c.put(k, files[k], 1, seq))
	}
	held, _, ok := c.get("a") // a is now the most recent, and held
	if !ok {
		t.Fatal("a not cached")
	}
	_, seq, _ := c.get("c")
	files["c"] = tempFile(t, "c")
	c.release(c.put("c", files["c"], 1, seq))
	if !isClosed(files["b"]) || isClosed(files["a"]) || isClosed(files["c"]) {
		t.Fatal("adding a third file to a cache of 2 did not close exactly the least recent (b)")
	}
	c.forget("a")
	if isClosed(files["a"]) {
		t.Fatal("a forgotten file was closed while a read held it")
	}
	c.release(held)
	if !isClosed(files["a"]) {
		t.Fatal("a forgotten file stayed open after its last read")
	}
	c.close()
	if !isClosed(files["c"]) {
		t.Fatal("close left a file open")
	}
	_, seq, _ = c.get("d")
	f := tempFile(t, "d")
	c.release(c.put("d", f, 1, seq))
	if !isClosed(f) {
		t.Fatal("a closed cache kept a file")
	}
}
