package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tributary-io/tributary/arrowconv"
	"github.com/tributary-io/tributary/iceberg"
	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/wait"
	"github.com/tributary-io/tributary/log/read"
	"github.com/tributary-io/tributary/log/recordbatch"
	"github.com/tributary-io/tributary/schema/wire"
	"github.com/tributary-io/tributary/topicconfig"
)

// pipeline copies one topic into its table. Everything but mu and st is
// owned by the goroutine running run.
type pipeline struct {
	m     *Manager
	topic metastore.Topic
	tc    topicconfig.Archive
	lease string
	log   *slog.Logger
	// The topic's subjects (subject), built once, not per unframed record.
	keySubject, valSubject string

	mu sync.Mutex
	st status

	// Per session (see session).
	tbl        *iceberg.Table
	next       map[int32]int64 // next offset to read
	keyConv    map[string]*conv
	valConv    map[string]*conv
	lastKey    lastConv // the key converter last found, reused while ids repeat
	lastVal    lastConv
	frame      wire.Frame // resolve's envelope, its indexes' storage reused
	rows       *iceberg.RowBuilder
	seg        segment
	done       []arrow.RecordBatch
	buffered   int64 // bytes, also counted in m.used
	nBuffered  int
	firstAt    time.Time // when the oldest buffered record was read
	lastIngest int64     // µs; ingest timestamps never go back
	headers    []iceberg.Header
}

// conv is a converter for one message type and where it lands.
type conv struct {
	c     *arrowconv.Converter
	shape *iceberg.Shape
}

// lastConv is the converter found for a schema id and message indexes:
// the next record with the same ones takes it without building a map key.
type lastConv struct {
	id      int
	indexes []int
	c       *conv
}

// segment is the run of buffered rows with the same key and val
// converters (nil: raw); rows of the next pair start a new one.
type segment struct {
	key, val *conv
}

func newPipeline(m *Manager, tp metastore.Topic, tc topicconfig.Archive) *pipeline {
	p := &pipeline{m: m, topic: tp, tc: tc, lease: "iceberg/" + tc.Catalog + "/" + tc.Table,
		log:        m.opts.Logger.With("topic", tp.Name, "table", tc.Table),
		keySubject: subject(tp.Name, true), valSubject: subject(tp.Name, false)}
	p.st.TableStatus = TableStatus{Topic: tp.Name, Catalog: tc.Catalog, Table: tc.Table,
		Committed: map[int32]int64{}, HighWater: map[int32]int64{}}
	return p
}

// run runs sessions until ctx ends, backing off after failures.
func (p *pipeline) run(ctx context.Context) {
	backoff := time.Second
	for ctx.Err() == nil {
		err := p.guardedSession(ctx)
		p.reset()
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			p.setErr(err)
			p.log.Warn("iceberg ingest: pipeline failed; resuming from the table", "err", err, "retry_in", backoff)
		}
		if wait.Sleep(ctx, backoff) != nil {
			return
		}
		if err != nil {
			backoff = min(2*backoff, 30*time.Second)
		} else {
			backoff = time.Second
		}
	}
}

// guardedSession runs session, turning a panic into an error: it is
// logged with its stack and counted (Options.Panics), and run restarts the
// pipeline after its backoff, resuming from the table as after any
// failure, so the table stays exactly-once. session's deferred lease
// release has run by then.
func (p *pipeline) guardedSession(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = p.panicked(r)
		}
	}()
	return p.session(ctx)
}

// panicked logs a recovered panic with its stack, counts it, and returns
// the error that ends the session.
func (p *pipeline) panicked(r any) error {
	p.log.Error("iceberg ingest: pipeline panicked; restarting it", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
	if c := p.m.opts.Panics; c != nil {
		c.Inc()
	}
	return fmt.Errorf("pipeline panic: %v: %w", r, ErrPanic)
}

// session holds the table's lease, opens the table and copies until an
// error, the loss of the lease, or ctx's end. It returns nil when the
// lease is held elsewhere.
func (p *pipeline) session(ctx context.Context) error {
	held, err := p.m.opts.Meta.AcquireLease(ctx, p.lease, p.m.opts.Holder, p.m.opts.LeaseTTL)
	if err != nil {
		return fmt.Errorf("acquire lease %s: %w", p.lease, err)
	}
	if !held {
		p.setLease(false, 0)
		return nil
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	renewed := make(chan struct{})
	go p.keepLease(ctx, cancel, renewed)
	defer func() {
		cancel(nil)
		<-renewed
		rctx, rc := context.WithTimeout(context.Background(), 2*time.Second)
		if err := p.m.opts.Meta.ReleaseLease(rctx, p.lease, p.m.opts.Holder); err != nil {
			// Not fatal: the lease expires after its TTL, and another
			// node takes the table over only then.
			p.log.Warn("iceberg ingest: release lease", "lease", p.lease, "err", err)
		}
		rc()
		p.setLease(false, 0)
	}()
	p.setLease(true, 0)
	if err := p.open(ctx); err != nil {
		return err
	}
	err = p.copy(ctx)
	if cause := context.Cause(ctx); errors.Is(cause, ErrLeaseLost) || errors.Is(cause, ErrPanic) {
		return cause
	}
	return err
}

// keepLease renews the lease every third of its TTL; a failed or refused
// renewal cancels the session.
func (p *pipeline) keepLease(ctx context.Context, cancel context.CancelCauseFunc, done chan struct{}) {
	defer close(done)
	defer func() {
		if r := recover(); r != nil {
			cancel(p.panicked(r)) // ends the session; run restarts it
		}
	}()
	ttl := p.m.opts.LeaseTTL
	t := time.NewTicker(ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rctx, rc := context.WithTimeout(ctx, ttl/3)
		held, err := p.m.opts.Meta.AcquireLease(rctx, p.lease, p.m.opts.Holder, ttl)
		rc()
		if err != nil || !held {
			cancel(fmt.Errorf("%w: %s (renewal: held %v, err %v)", ErrLeaseLost, p.lease, held, err))
			return
		}
	}
}

// open loads (or creates) the table and sets the read positions: the
// table's offsets, else the log start (backfill).
func (p *pipeline) open(ctx context.Context) error {
	cat, err := p.m.opts.Catalogs.Catalog(ctx, p.tc.Catalog)
	if err != nil {
		return err
	}
	p.tbl, err = iceberg.Open(ctx, cat, p.tc.Ident, iceberg.Options{Granularity: iceberg.Granularity(p.tc.Granularity), Mem: p.m.opts.Mem,
		Attempts: p.m.opts.CommitAttempts, Backoff: p.m.opts.CommitBackoff})
	if err != nil {
		return err
	}
	committed := p.tbl.Offsets()
	p.next = map[int32]int64{}
	for part := range p.topic.Partitions {
		st, err := p.m.opts.Meta.Partition(ctx, metastore.PartitionKey{Topic: p.topic.ID, Partition: part})
		if err != nil {
			return fmt.Errorf("partition %d: %w", part, err)
		}
		next, ok := committed[part]
		if !ok || next < st.LogStart {
			if ok {
				p.setErr(fmt.Errorf("partition %d: offsets %d..%d left the log before they were ingested", part, next, st.LogStart-1))
			}
			next = st.LogStart
		}
		p.next[part] = next
		p.noteHighWater(part, st.HighWater)
	}
	p.noteCommitted(committed, 0, false)
	p.noteOpened(p.tbl.LastCommit())
	p.keyConv, p.valConv = map[string]*conv{}, map[string]*conv{}
	p.rows = iceberg.NewRowBuilder(p.m.opts.Mem)
	return nil
}

// reset drops the session's buffer and converters.
func (p *pipeline) reset() {
	p.releaseDone()
	for _, cs := range []map[string]*conv{p.keyConv, p.valConv} {
		for _, c := range cs {
			c.c.Release()
		}
	}
	p.keyConv, p.valConv, p.seg = nil, nil, segment{}
	p.lastKey, p.lastVal = lastConv{}, lastConv{}
	if p.rows != nil {
		p.rows.Release()
		p.rows = nil
	}
	p.unbuffer()
}

func (p *pipeline) releaseDone() {
	for _, b := range p.done {
		b.Release()
	}
	p.done = nil
}

func (p *pipeline) unbuffer() {
	p.m.used.Add(-p.buffered)
	p.buffered, p.nBuffered, p.firstAt = 0, 0, time.Time{}
}

// copy reads every partition in turn, commits when due, and waits for
// new data when there is none.
func (p *pipeline) copy(ctx context.Context) error {
	pks := make([]metastore.PartitionKey, p.topic.Partitions)
	for i := range pks {
		pks[i] = metastore.PartitionKey{Topic: p.topic.ID, Partition: int32(i)}
	}
	for {
		wake, unwatch := p.m.opts.Reader.Watch(pks)
		progressed, err := p.readRound(ctx, pks)
		if err == nil && p.due() {
			err = p.commit(ctx)
		}
		if err != nil {
			unwatch()
			return err
		}
		if !progressed {
			if err := p.wait(ctx, wake); err != nil {
				unwatch()
				return err
			}
		}
		unwatch()
	}
}

func (p *pipeline) wait(ctx context.Context, wake <-chan struct{}) error {
	d := time.Second
	if p.nBuffered > 0 {
		d = min(d, time.Until(p.firstAt.Add(p.tc.CommitInterval)))
	}
	t := time.NewTimer(max(d, time.Millisecond))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-wake:
	case <-t.C:
	}
	return nil
}

// due: the interval has passed since the oldest buffered record was
// read, or a buffer is full.
func (p *pipeline) due() bool {
	if p.nBuffered == 0 {
		return false
	}
	return p.full() || time.Since(p.firstAt) >= p.tc.CommitInterval
}

func (p *pipeline) full() bool {
	return p.buffered >= p.m.opts.MaxPipelineBytes || (p.buffered > 0 && p.m.used.Load() >= p.m.opts.MaxTotalBytes)
}

// readRound reads each partition once.
func (p *pipeline) readRound(ctx context.Context, pks []metastore.PartitionKey) (bool, error) {
	progressed := false
	for _, pk := range pks {
		if p.full() {
			if err := p.commit(ctx); err != nil {
				return progressed, err
			}
		}
		for p.buffered == 0 && p.m.used.Load() >= p.m.opts.MaxTotalBytes {
			if err := wait.Sleep(ctx, 50*time.Millisecond); err != nil { // others hold the memory
				return progressed, err
			}
		}
		got, err := p.readPartition(ctx, pk)
		if err != nil {
			return progressed, err
		}
		progressed = progressed || got
	}
	p.setLease(true, p.nBuffered)
	return progressed, nil
}

func (p *pipeline) readPartition(ctx context.Context, pk metastore.PartitionKey) (bool, error) {
	part := pk.Partition
	next := p.next[part]
	res, err := p.m.opts.Reader.Read(ctx, pk, next, p.m.opts.ReadBytes, false)
	if errors.Is(err, read.ErrOffsetOutOfRange) {
		p.noteHighWater(part, res.State.HighWater)
		if next < res.State.LogStart {
			p.setErr(fmt.Errorf("partition %d: offsets %d..%d left the log before they were ingested", part, next, res.State.LogStart-1))
			p.next[part] = res.State.LogStart
			return true, nil
		}
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read partition %d at %d: %w", part, next, err)
	}
	p.noteHighWater(part, res.State.HighWater)
	if len(res.Records) == 0 {
		return false, nil
	}
	var ferr error
	werr := recordbatch.Walk(res.Records, func(h recordbatch.Header, raw []byte) bool {
		ferr = p.batch(ctx, part, h, raw)
		return ferr == nil
	})
	if ferr != nil {
		return true, ferr
	}
	if werr != nil {
		return true, fmt.Errorf("partition %d at %d: %w", part, next, werr)
	}
	return p.next[part] != next, nil
}

// batch adds the records of one stored batch from p.next on.
func (p *pipeline) batch(ctx context.Context, part int32, h recordbatch.Header, raw []byte) error {
	last := h.BaseOffset + int64(h.LastOffsetDelta)
	next := p.next[part]
	if last < next {
		return nil
	}
	if h.Control() {
		p.next[part] = last + 1
		return nil
	}
	rs, err := recordbatch.OpenBatch(raw)
	if err != nil {
		// Stored data that does not open is corruption: report and go on.
		p.setErr(fmt.Errorf("partition %d offsets %d..%d: batch does not open: %w", part, h.BaseOffset, last, err))
		p.next[part] = last + 1
		return nil
	}
	var rerr error
	eerr := rs.Each(func(r *recordbatch.Record) bool {
		off := h.BaseOffset + int64(r.OffsetDelta)
		if off < next {
			return true
		}
		rerr = p.record(ctx, part, off, h.BaseOffset, r)
		return rerr == nil
	})
	if rerr != nil {
		return rerr
	}
	if eerr != nil {
		p.setErr(fmt.Errorf("partition %d offsets %d..%d: %w", part, h.BaseOffset, last, eerr))
	}
	p.next[part] = last + 1
	return nil
}
