package broker

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"testing"
	"time"
)

// chunkReader returns its data a few bytes per Read, as a slow client's
// socket does.
type chunkReader struct {
	data  []byte
	sizes []byte // read sizes, cycled; 0 counts as 1
	i     int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := 1
	if len(r.sizes) > 0 {
		n = max(1, int(r.sizes[r.i%len(r.sizes)]))
		r.i++
	}
	n = min(n, len(p), len(r.data))
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

// testChunk is readBody's first allocation in the fuzz target, small so
// that bodies of several chunks stay quick.
const testChunk = 256

// FuzzReadBody: readBody, which grows its buffer as bytes arrive, reads
// exactly what io.ReadFull into a buffer of the declared size reads,
// however the bytes are split, and reports a short body as
// io.ErrUnexpectedEOF.
func FuzzReadBody(f *testing.F) {
	f.Add([]byte("hello world"), []byte{3, 1, 200}, uint32(11))
	f.Add([]byte("short"), []byte{1}, uint32(100))
	f.Add(bytes.Repeat([]byte{7}, 3*testChunk+5), []byte{255, 0, 17}, uint32(3*testChunk+5))
	f.Fuzz(func(t *testing.T, data, sizes []byte, declared uint32) {
		n := int(declared % (4*testChunk + 1))
		if n == 0 {
			return
		}
		got, err := readBody(&chunkReader{data: data, sizes: sizes}, n, testChunk, func() error { return nil })
		want := make([]byte, n)
		_, werr := io.ReadFull(bytes.NewReader(data), want)
		switch {
		case werr != nil:
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("%d of %d bytes: err %v, want unexpected EOF", len(data), n, err)
			}
		case err != nil:
			t.Fatalf("readBody: %v", err)
		case !bytes.Equal(got, want):
			t.Fatalf("read %d bytes differ", n)
		case cap(got) > n:
			t.Fatalf("buffer of %d bytes for a %d-byte body", cap(got), n)
		}
	})
}

// TestReadBodyGrowsWithBytes: a body declared 100 MiB of which 10 bytes
// arrive allocates one chunk, not 100 MiB (it once allocated the declared
// size before reading).
func TestReadBodyGrowsWithBytes(t *testing.T) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	_, err := readBody(&chunkReader{data: make([]byte, 10), sizes: []byte{4}}, 100<<20, frameChunk, func() error { return nil })
	runtime.ReadMemStats(&ms)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err %v, want unexpected EOF", err)
	}
	if alloc := ms.TotalAlloc - before; alloc > 2*frameChunk {
		t.Fatalf("allocated %d KiB for 10 bytes of a 100 MiB frame", alloc>>10)
	}
}

// TestByteBudget: acquire waits while the budget is spent and proceeds on
// release; a request larger than the budget takes the whole budget; stop
// ends a wait without taking anything.
func TestByteBudget(t *testing.T) {
	b := newByteBudget(100, nil)
	never := make(chan struct{})
	got, err := b.acquire(60, never, never)
	if err != nil || got != 60 {
		t.Fatalf("acquire 60: %d %v", got, err)
	}
	done := make(chan int64)
	go func() {
		n, _ := b.acquire(500, never, never) // larger than the budget: waits for all of it
		done <- n
	}()
	select {
	case n := <-done:
		t.Fatalf("acquired %d while 60 of 100 were held", n)
	case <-time.After(50 * time.Millisecond):
	}
	b.release(60)
	if n := <-done; n != 100 {
		t.Fatalf("an oversized request took %d, want the whole budget", n)
	}
	stop := make(chan struct{})
	go func() {
		_, err := b.acquire(1, stop, never)
		done <- map[bool]int64{true: 1}[errors.Is(err, errDraining)]
	}()
	close(stop)
	if n := <-done; n != 1 {
		t.Fatal("stop did not end the wait with errDraining")
	}
	b.release(100)
	if b.used != 0 {
		t.Fatalf("used %d after releasing everything", b.used)
	}
}
