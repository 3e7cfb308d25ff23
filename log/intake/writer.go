package intake

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/objstore"
)

// Config tunes the write path.
type Config struct {
	// Linger is how long the first part buffered in an idle writer waits
	// for company before a flush. 0 is group commit: an idle writer
	// flushes a part at once, the object write of the next flush starts
	// as soon as parts wait, while the previous flush is indexed, and
	// parts arriving meanwhile gather into the flush after, so a light
	// load pays one flush per produce and a heavy load batches by itself
	// (doc.go). Default 0.
	Linger time.Duration
	// MaxBytes flushes early once this much is buffered (default 4 MiB).
	MaxBytes int
	// MaxBufferedBytes bounds memory: Submit blocks while more than this is
	// buffered or being flushed (default 64 MiB).
	MaxBufferedBytes int64
	// FlushTimeout bounds one flush's object write plus commit (default 30s).
	FlushTimeout time.Duration
	// NodeID goes into intake object keys so brokers never collide.
	NodeID int32
}

func (c *Config) defaults() {
	if c.Linger < 0 {
		c.Linger = 0
	}
	if c.MaxBytes <= 0 {
		c.MaxBytes = 4 << 20
	}
	if c.MaxBufferedBytes <= 0 {
		c.MaxBufferedBytes = 64 << 20
	}
	if c.FlushTimeout <= 0 {
		c.FlushTimeout = 30 * time.Second
	}
}

// Part is one partition's validated record set from one produce request.
// When Data holds several batches, the producer fields are the first
// batch's and NumRecords covers them all.
type Part struct {
	Partition     metastore.PartitionKey
	Data          []byte
	NumRecords    int32
	MaxTimestamp  int64
	ProducerID    int64
	ProducerEpoch int16
	BaseSequence  int32
}

// Result is a Part's outcome; Err wraps ErrStorage, ErrClosed or one of the
// metastore per-batch errors.
type Result = metastore.AppendResult

// Committed describes one flushed and indexed Part, for OnCommit.
type Committed struct {
	Partition metastore.PartitionKey
	Entry     metastore.IndexEntry
	Data      []byte
}

// Hooks let the read path learn of new data without polling.
type Hooks struct {
	// OnCommit is called after each successful flush with the parts that
	// were indexed (duplicates and refused batches excluded).
	OnCommit func([]Committed)
	// OnFlushed is called after every flush, failed ones included, with the
	// partitions it touched: a failed commit's outcome may be unknown (it
	// may have applied), and a duplicate's data is in the log, so waiting
	// readers of all of them should look again.
	OnFlushed func([]metastore.PartitionKey)
	// OnBuffered reports the bytes buffered or in flight, for a gauge.
	OnBuffered func(int64)
}

// Writer is the write path. Safe for concurrent use. mu guards the fields
// below it; the flusher goroutine owns a flush once it takes the buffer.
type Writer struct {
	cfg   Config
	obj   objstore.Store
	prep  objstore.Preparer // obj, when it can prepare keys; else nil
	meta  metastore.Store
	hooks Hooks
	log   *slog.Logger
	// ready carries keys prepared ahead by the preparer goroutine ("" when
	// a Prepare failed), when prep is set (prepare.go); stopPrep stops it
	// and prepExited is closed when it has.
	ready      chan string
	stopPrep   chan struct{}
	prepExited chan struct{}

	mu       sync.Mutex
	space    *sync.Cond // signalled when buffered bytes drop
	buf      []*Pending
	bufBytes int
	firstAt  time.Time // when the oldest buffered part arrived
	inFlight int64     // bytes buffered plus bytes being flushed
	closed   bool
	closing  chan struct{} // closed by Close: a flush stops waiting for a store that is out
	kick     chan struct{} // wakes the flusher
	commits  chan *job     // flusher → committer, unbuffered: one commit overlaps one write
	// committedN counts the jobs the committer finished; commitDone
	// signals each (dropped when a signal is already pending).
	committedN atomic.Int64
	commitDone chan struct{}
	done       chan struct{} // closed when the flusher and the committer have exited
}

// Pending is one Submit's parts awaiting their flush.
type Pending struct {
	parts   []Part
	results []Result
	done    chan struct{}
	// submitted is when Submit queued the parts; stages is set before
	// done is closed.
	submitted time.Time
	stages    Stages
}

// Stages is where a flushed Pending's time went, from Submit to its
// acknowledgement, for the produce stage histogram (docs/metrics.md).
// The four add up to the time from Submit to done.
type Stages struct {
	// Queue is from Submit to its flush taking the buffer: the wait for
	// the flush in flight (group commit) or the linger.
	Queue time.Duration
	// Object is the object write, its fsync included (layout too).
	Object time.Duration
	// Index is from the object being durable to the index commit being
	// done, the wait for the committer included.
	Index time.Duration
	// Done is when the results were set.
	Done time.Time
}

// Stages returns where the time of a completed Pending went; zero before
// done (Wait returned its results).
func (p *Pending) Stages() Stages {
	select {
	case <-p.done:
		return p.stages
	default:
		return Stages{}
	}
}

// NewWriter starts the flusher goroutine; Close stops it.
func NewWriter(cfg Config, obj objstore.Store, meta metastore.Store, hooks Hooks, log *slog.Logger) *Writer {
	cfg.defaults()
	w := &Writer{cfg: cfg, obj: obj, meta: meta, hooks: hooks, log: log,
		closing: make(chan struct{}), kick: make(chan struct{}, 1), commits: make(chan *job), commitDone: make(chan struct{}, 1), done: make(chan struct{})}
	w.prep, _ = obj.(objstore.Preparer)
	w.space = sync.NewCond(&w.mu)
	w.startPreparer()
	committed := make(chan struct{})
	go w.runCommits(committed)
	go w.run(committed)
	return w
}

// Submit queues parts for the next flush, in call order. It blocks while the
// buffer is full, until ctx is done.
func (w *Writer) Submit(ctx context.Context, parts []Part) (*Pending, error) {
	p := &Pending{parts: parts, results: make([]Result, len(parts)), done: make(chan struct{}), submitted: time.Now()}
	size := 0
	for _, pt := range parts {
		size += len(pt.Data)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.waitSpace(ctx, int64(size)); err != nil {
		return nil, err
	}
	if len(w.buf) == 0 {
		w.firstAt = time.Now()
	}
	w.buf = append(w.buf, p)
	w.bufBytes += size
	w.inFlight += int64(size)
	w.report()
	if len(w.buf) == 1 || w.bufBytes >= w.cfg.MaxBytes || w.bufBytes >= w.overlapAt() {
		select {
		case w.kick <- struct{}{}:
		default:
		}
	}
	return p, nil
}

// waitSpace blocks until size more bytes fit; w.mu must be held.
func (w *Writer) waitSpace(ctx context.Context, size int64) error {
	if w.inFlight+size <= w.cfg.MaxBufferedBytes || w.inFlight == 0 {
		return nilIfOpen(w.closed)
	}
	stop := context.AfterFunc(ctx, func() {
		w.mu.Lock()
		w.space.Broadcast()
		w.mu.Unlock()
	})
	defer stop()
	for !w.closed && w.inFlight+size > w.cfg.MaxBufferedBytes && w.inFlight > 0 {
		if ctx.Err() != nil {
			return fmt.Errorf("wait for intake buffer space: %w", ctx.Err())
		}
		w.space.Wait()
	}
	return nilIfOpen(w.closed)
}

func nilIfOpen(closed bool) error {
	if closed {
		return ErrClosed
	}
	return nil
}

func (w *Writer) report() {
	if w.hooks.OnBuffered != nil {
		w.hooks.OnBuffered(w.inFlight)
	}
}

// Wait blocks until the parts are flushed (or ctx ends) and returns their
// results, parallel to the submitted parts. When ctx ends first the parts
// may still commit later; the results then say so with ctx's error.
func (p *Pending) Wait(ctx context.Context) []Result {
	select {
	case <-p.done:
		return p.results
	case <-ctx.Done():
		out := make([]Result, len(p.parts))
		for i := range out {
			out[i].Err = fmt.Errorf("wait for flush: %w", ctx.Err())
		}
		return out
	}
}

// Close flushes what is buffered and stops the flusher; later Submits get
// ErrClosed.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		<-w.done
		return nil
	}
	w.closed = true
	close(w.closing)
	w.space.Broadcast()
	w.mu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default:
	}
	<-w.done
	return nil
}

// runCommits is the committer: it indexes the flusher's written objects
// one at a time, in order, and releases their buffer space.
func (w *Writer) runCommits(exited chan<- struct{}) {
	defer close(exited)
	for j := range w.commits {
		w.commit(j)
		w.mu.Lock()
		w.inFlight -= int64(j.size)
		w.report()
		w.space.Broadcast()
		w.mu.Unlock()
		w.committedN.Add(1)
		select {
		case w.commitDone <- struct{}{}:
		default:
		}
	}
}

// awaitCommit (Linger > 0 only) waits until the committer has finished the sent jobs,
// unless the gathered bytes reach the overlap threshold or the writer
// closes first: below it a flush grows while the previous one commits
// (fewer, larger objects and transactions), at it producers are about to
// be held back by MaxBufferedBytes, so the flush is written at once.
func (w *Writer) awaitCommit(sent int64) {
	for w.committedN.Load() < sent {
		w.mu.Lock()
		pressed, closed := w.bufBytes >= w.overlapAt(), w.closed
		w.mu.Unlock()
		if pressed || closed {
			return
		}
		select {
		case <-w.commitDone:
		case <-w.kick: // a part arrived: look again
		}
	}
}

// overlapAt is the gathered bytes at which the next object write starts
// while the previous flush commits: half of MaxBufferedBytes, at least
// MaxBytes.
func (w *Writer) overlapAt() int {
	return max(w.cfg.MaxBytes, int(w.cfg.MaxBufferedBytes/2))
}

// run is the flusher: it waits for the first buffered part, lingers, then
// takes the whole buffer and writes it as one object, forever until closed
// and empty. The committer indexes each written object while the flusher
// gathers and writes the next (Pipelining in doc.go).
func (w *Writer) run(committed <-chan struct{}) {
	defer close(w.done)
	defer w.stopPreparer()
	defer func() { <-committed }()
	defer close(w.commits)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var sent int64
	for {
		<-w.kick
		w.mu.Lock()
		full, closed := w.bufBytes >= w.cfg.MaxBytes, w.closed
		// Parts that arrived during the previous flush have waited already.
		linger := w.cfg.Linger - time.Since(w.firstAt)
		w.mu.Unlock()
		if !full && !closed && linger > 0 {
			timer.Reset(linger)
			select {
			case <-timer.C:
			case <-w.kick: // size reached or closing: flush now
				timer.Stop()
			}
		}
		if w.cfg.Linger > 0 {
			w.awaitCommit(sent)
		}
		w.mu.Lock()
		batch, size := w.buf, w.bufBytes
		w.buf, w.bufBytes = nil, 0
		closed = w.closed
		w.mu.Unlock()
		if len(batch) > 0 {
			w.commits <- w.write(batch, size)
			sent++
		}
		if closed {
			w.mu.Lock()
			empty := len(w.buf) == 0
			w.mu.Unlock()
			if empty {
				return
			}
			select {
			case w.kick <- struct{}{}:
			default:
			}
		}
	}
}

// objectKey names a new intake object: time-ordered, unique per broker.
func (w *Writer) objectKey() string {
	var r [6]byte
	rand.Read(r[:])
	return fmt.Sprintf("intake/%016x-%d-%s.obj", time.Now().UnixNano(), w.cfg.NodeID, hex.EncodeToString(r[:]))
}
