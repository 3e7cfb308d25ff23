package housekeeping

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/objstore"
)

// Options configure a Housekeeper.
type Options struct {
	// Config holds the intervals, graces and sizes; it must pass
	// config.Config.Validate's housekeeping checks (config.Default() does).
	Config config.Housekeeping
	// Logger receives one line per pass that did something or failed.
	// Default: discard.
	Logger *slog.Logger
	// Registerer, if set, gets the tributary_housekeeping_* counters.
	Registerer prometheus.Registerer
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// Lease, if set, is asked before each scheduled pass; the pass runs
	// only when it reports true. In cluster mode it takes or renews a lease
	// in the metadata store, so passes run on one broker at a time.
	// RunOnce does not ask it.
	Lease func(ctx context.Context) bool
}

// Report counts what one pass did.
type Report struct {
	// EntriesTrimmed is how many index entries retention removed.
	EntriesTrimmed int
	// SegmentsWritten is how many segment objects were written and indexed.
	SegmentsWritten int
	// EntriesMerged is how many index entries segments replaced.
	EntriesMerged int
	// BytesRewritten is the size of the segments written.
	BytesRewritten int64
	// Conflicts is how many rewrites lost to a concurrent index change;
	// their segments were deleted. Not errors.
	Conflicts int
	// DeadDeleted is how many dead objects were deleted and forgotten.
	DeadDeleted int
	// OrphansDeleted is how many orphan objects were deleted.
	OrphansDeleted int
	// Errors is how many operations failed (each retried next pass).
	Errors int
}

// Busy reports whether the pass changed anything or met an error.
func (r Report) Busy() bool {
	return r.EntriesTrimmed+r.SegmentsWritten+r.Conflicts+r.DeadDeleted+r.OrphansDeleted+r.Errors > 0
}

// maxPassErrors bounds the errors a pass returns (all are counted).
const maxPassErrors = 8

// Housekeeper runs the passes. See the package doc for what a pass does
// and the concurrency model.
type Housekeeper struct {
	cfg     config.Housekeeping
	meta    metastore.Store
	obj     objstore.Store
	log     *slog.Logger
	now     func() time.Time
	lease   func(context.Context) bool
	metrics *counters

	passMu    sync.Mutex           // held for a whole pass
	deadSeen  map[string]time.Time // dead object → first seen dead; passMu
	lastSweep time.Time            // last orphan sweep; passMu
	// settled maps a partition to the offset before which its index holds
	// only big segments, which no rewrite touches again, so each pass's
	// rewrite walk starts there instead of at the log start; passMu.
	settled map[metastore.PartitionKey]int64

	runMu sync.Mutex // guards stop and done
	stop  context.CancelFunc
	done  chan struct{}
}

// New builds a Housekeeper over the stores; nothing runs until Start, Run
// or RunOnce.
func New(opts Options, meta metastore.Store, obj objstore.Store) (*Housekeeper, error) {
	if err := validate(opts.Config); err != nil {
		return nil, err
	}
	h := &Housekeeper{
		cfg: opts.Config, meta: meta, obj: obj, log: opts.Logger, now: opts.Now, lease: opts.Lease,
		metrics: newCounters(opts.Registerer), deadSeen: map[string]time.Time{},
		settled: map[metastore.PartitionKey]int64{},
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	return h, nil
}

func validate(c config.Housekeeping) error {
	switch {
	case c.Interval <= 0:
		return fmt.Errorf("%w: interval %s is not positive", ErrInvalidConfig, c.Interval)
	case c.SegmentTargetBytes <= 0:
		return fmt.Errorf("%w: segment target %d bytes is not positive", ErrInvalidConfig, c.SegmentTargetBytes)
	case c.SegmentMinAge < 0:
		return fmt.Errorf("%w: segment min age %s is negative", ErrInvalidConfig, c.SegmentMinAge)
	case c.OrphanGrace <= 0:
		return fmt.Errorf("%w: orphan grace %s is not positive", ErrInvalidConfig, c.OrphanGrace)
	case c.DeadObjectGrace < 0:
		return fmt.Errorf("%w: dead object grace %s is negative", ErrInvalidConfig, c.DeadObjectGrace)
	}
	return nil
}

// Start runs passes every Interval on a goroutine of its own until Stop.
// A second Start before Stop does nothing.
func (h *Housekeeper) Start() {
	h.runMu.Lock()
	defer h.runMu.Unlock()
	if h.stop != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.stop, h.done = cancel, make(chan struct{})
	go func(done chan struct{}) {
		defer close(done)
		h.Run(ctx)
	}(h.done)
}

// Stop cancels the running pass, if any, and waits for the goroutine
// Start began to exit. It may be called more than once, or without Start.
func (h *Housekeeper) Stop() {
	h.runMu.Lock()
	stop, done := h.stop, h.done
	h.stop, h.done = nil, nil
	h.runMu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
}

// Run runs a pass every Interval (measured from the end of the previous
// one, the first one Interval after the call) until ctx is done.
func (h *Housekeeper) Run(ctx context.Context) {
	t := time.NewTimer(h.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if h.lease == nil || h.lease(ctx) {
			h.runLogged(ctx)
		}
		t.Reset(h.cfg.Interval)
	}
}

func (h *Housekeeper) runLogged(ctx context.Context) {
	start := time.Now()
	rep, err := h.RunOnce(ctx)
	if ctx.Err() != nil {
		return // stopping: the pass was cut short, not broken
	}
	attrs := []any{
		"trimmed", rep.EntriesTrimmed, "segments", rep.SegmentsWritten, "merged", rep.EntriesMerged,
		"rewritten_bytes", rep.BytesRewritten, "conflicts", rep.Conflicts, "dead_deleted", rep.DeadDeleted,
		"orphans_deleted", rep.OrphansDeleted, "errors", rep.Errors, "took", time.Since(start).Round(time.Millisecond),
	}
	switch {
	case err != nil:
		h.log.Warn("housekeeping pass had errors", append(attrs, "err", err)...)
	case rep.Busy():
		h.log.Info("housekeeping pass", attrs...)
	}
}

// RunOnce runs one pass (see the package doc) and reports what it did.
// The error joins the first few failures; the Report counts them all.
// A pass whose ctx ends stops early and returns ctx's error.
func (h *Housekeeper) RunOnce(ctx context.Context) (Report, error) {
	h.passMu.Lock()
	defer h.passMu.Unlock()
	p := &pass{h: h, now: h.now()}
	p.partitions(ctx)
	p.deadObjects(ctx)
	p.orphans(ctx)
	h.metrics.add(p.rep)
	if err := ctx.Err(); err != nil {
		return p.rep, fmt.Errorf("housekeeping pass: %w", err)
	}
	return p.rep, errors.Join(p.errs...)
}

// pass is the state of one pass. Only the goroutine running it touches it.
type pass struct {
	h    *Housekeeper
	now  time.Time
	rep  Report
	errs []error
}

// fail counts err and keeps it if there is room.
func (p *pass) fail(err error) {
	p.rep.Errors++
	if len(p.errs) < maxPassErrors {
		p.errs = append(p.errs, err)
	}
}

// partitions runs retention then segment rewrite on every partition.
func (p *pass) partitions(ctx context.Context) {
	topics, err := p.h.meta.Topics(ctx)
	if err != nil {
		p.fail(fmt.Errorf("list topics: %w", err))
		return
	}
	settled := make(map[metastore.PartitionKey]int64, len(p.h.settled))
	for _, t := range topics {
		for i := range t.Partitions {
			pk := metastore.PartitionKey{Topic: t.ID, Partition: i}
			settled[pk] = p.partition(ctx, t, pk)
		}
	}
	p.h.settled = settled // partitions of deleted topics drop out
}

// partition runs retention then segment rewrite on pk, and returns the
// offset the next pass's rewrite walk starts from (see settled).
func (p *pass) partition(ctx context.Context, t metastore.Topic, pk metastore.PartitionKey) int64 {
	from := p.h.settled[pk]
	if ctx.Err() != nil {
		return from
	}
	if err := p.retain(ctx, t, pk); err != nil && !gone(err) {
		p.fail(fmt.Errorf("retention of %s[%d]: %w", t.Name, pk.Partition, err))
	}
	settled, err := p.rewrite(ctx, pk, from)
	if err != nil && !gone(err) {
		p.fail(fmt.Errorf("segment rewrite of %s[%d]: %w", t.Name, pk.Partition, err))
	}
	return settled
}

// gone reports an error saying the partition was deleted during the pass.
func gone(err error) bool {
	return errors.Is(err, metastore.ErrUnknownPartition) || errors.Is(err, metastore.ErrUnknownTopic)
}

// indexPage is how many index entries one ReadIndex of a pass returns.
const indexPage = 512

// scan calls fn with each index entry of pk from the one holding offset
// from (or the log start, if later) on, in offset order, and the partition
// state read with its page, until fn returns false or an error.
func scan(ctx context.Context, meta metastore.Store, pk metastore.PartitionKey, from int64, fn func(metastore.IndexEntry, metastore.PartitionState) (bool, error)) error {
	for {
		entries, st, err := meta.ReadIndex(ctx, pk, from, indexPage)
		if err != nil {
			return err
		}
		for _, e := range entries {
			more, err := fn(e, st)
			if err != nil || !more {
				return err
			}
			from = e.LastOffset + 1
		}
		if len(entries) < indexPage || from >= st.HighWater {
			return nil
		}
	}
}
