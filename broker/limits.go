package broker

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"time"

	"github.com/tributary-io/tributary/internal/metrics"
)

// Defaults of the connection limits (Options), as config's.
const (
	defaultRequestTimeout        = 30 * time.Second
	defaultIdleTimeout           = 10 * time.Minute
	defaultMaxConnections        = 10000
	defaultQueuedMaxRequestBytes = 100 << 20
)

// frameChunk is the first allocation for a frame's body; the buffer then
// grows eightfold as bytes arrive (frameGrowth), so a client declaring 100 MiB and sending 10
// bytes costs 1 MiB, not 100 MiB. 1 MiB is a producer's default
// max.request.size, so most requests are still read into one allocation.
// (What every connection together holds is bounded by the queued-bytes
// budget: a body never outgrows the size its reader acquired.)
const frameChunk = 1 << 20

// frameGrowth is how much a full body buffer grows: a client that filled
// one chunk is sending, so the next step is large (a 6 MiB produce costs
// 1 + 6 MiB, not 1 + 2 + 4 + 6), while a slow one still holds at most
// frameGrowth times what it sent.
const frameGrowth = 8

// errDraining ends a connection's reader when the broker drains.
var errDraining = errors.New("broker draining")

// errIdle ends a connection that sent nothing for Options.IdleTimeout.
var errIdle = errors.New("connection idle")

// byteBudget bounds the bytes of requests read and not yet answered across
// every connection (Kafka's queued.max.request.bytes). A reader acquires a
// frame's declared size before reading its body and the writer releases it
// once the reply is written; a frame larger than the whole budget waits
// until nothing else is held. mu guards used, wake and waiting.
type byteBudget struct {
	total int64
	gauge interface{ Set(float64) }

	mu      sync.Mutex
	used    int64
	wake    chan struct{} // closed and replaced by a release when waiting
	waiting bool          // some acquire waits on wake
}

func newByteBudget(total int64, m *metrics.Metrics) *byteBudget {
	b := &byteBudget{total: total, wake: make(chan struct{})}
	if m != nil {
		b.gauge = m.QueuedRequestBytes
	}
	return b
}

// acquire takes n bytes (at most the whole budget), waiting for releases;
// it gives up, taking nothing, when stop or done is closed. It returns the
// bytes taken, to give back to release.
func (b *byteBudget) acquire(n int64, stop, done <-chan struct{}) (int64, error) {
	n = min(n, b.total)
	for {
		b.mu.Lock()
		if b.used+n <= b.total {
			b.used += n
			b.report()
			b.mu.Unlock()
			return n, nil
		}
		wake := b.wake
		b.waiting = true
		b.mu.Unlock()
		select {
		case <-wake:
		case <-stop:
			return 0, errDraining
		case <-done:
			return 0, net.ErrClosed
		}
	}
}

// release gives back n bytes taken by acquire.
func (b *byteBudget) release(n int64) {
	if n == 0 {
		return
	}
	b.mu.Lock()
	b.used -= n
	b.report()
	if b.waiting { // wake them all; those that still do not fit wait again
		close(b.wake)
		b.wake, b.waiting = make(chan struct{}), false
	}
	b.mu.Unlock()
}

// report publishes used; b.mu is held.
func (b *byteBudget) report() {
	if b.gauge != nil {
		b.gauge.Set(float64(b.used))
	}
}

// readBody reads an n-byte frame body from r, growing its buffer as bytes
// arrive (first bytes, then frameGrowth times more, up to n) instead of allocating n up
// front. before is called before every read (to push the idle deadline
// forward).
func readBody(r io.Reader, n, first int, before func() error) ([]byte, error) {
	buf := make([]byte, 0, min(n, max(first, 1)))
	for len(buf) < n {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(n, frameGrowth*cap(buf)))
			copy(grown, buf)
			buf = grown
		}
		if err := before(); err != nil {
			return nil, err
		}
		m, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err != nil && len(buf) < n {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	return buf, nil
}

// recovered logs a recovered panic with its stack and counts it by where;
// it returns the error that replaces it.
func recovered(log *slog.Logger, m *metrics.Metrics, where string, p any, attrs ...any) error {
	log.Error("recovered panic", append([]any{"where", where, "panic", fmt.Sprint(p), "stack", string(debug.Stack())}, attrs...)...)
	if m != nil {
		m.Panics.WithLabelValues(where).Inc()
	}
	return fmt.Errorf("%s panic: %v: %w", where, p, errCloseConn)
}
