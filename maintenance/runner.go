package maintenance

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	icecatalog "github.com/apache/iceberg-go/catalog"
	icetable "github.com/apache/iceberg-go/table"

	"github.com/tributary-io/tributary/topicconfig"
)

// Leases is the part of the metadata store a Runner needs.
type Leases interface {
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error
}

// TableRef names a table in a catalog, with its topic's retention (0:
// none; see topicconfig.ArchiveRetentionMs).
type TableRef struct {
	Catalog   string
	Table     string // namespace.table
	Retention time.Duration
}

// key is the ref without its settings, naming the table's status.
func (t TableRef) key() TableRef { return TableRef{Catalog: t.Catalog, Table: t.Table} }

// RunnerOptions configure a Runner. Zero durations take the defaults.
type RunnerOptions struct {
	Leases  Leases // required
	Holder  string // required: this broker in leases
	Catalog func(ctx context.Context, name string) (icecatalog.Catalog, error)
	// Tables lists the tables to maintain (the ones ingest writes),
	// called at every check.
	Tables func() []TableRef
	// Interval: a table with anything to do is maintained at least this
	// often. 1h.
	Interval time.Duration
	// CheckInterval: how often each table's small files are counted.
	// DefaultCheckInterval.
	CheckInterval time.Duration
	// SmallFiles: a table whose compaction plan (size-tiered: see
	// tiered) would rewrite this many data files is maintained at the
	// next check. DefaultSmallFiles.
	SmallFiles int
	// LeaseTTL of "maintenance/<catalog>/<table>". 15s.
	LeaseTTL time.Duration
	// Run is what each run does (its Logger is the Runner's).
	Run    Options
	Logger *slog.Logger
}

// TableStatus is what /-/tables and /metrics show of a table's
// maintenance, as this broker last saw it.
type TableStatus struct {
	Catalog       string    `json:"catalog"`
	Table         string    `json:"table"`
	DataFiles     int       `json:"data_files"`
	DataBytes     int64     `json:"data_bytes"`
	MeanFileBytes int64     `json:"mean_file_bytes"`
	SmallFiles    int       `json:"small_files"`
	Snapshots     int       `json:"snapshots"`
	CheckedAt     time.Time `json:"checked_at,omitzero"`
	Running       bool      `json:"running"`
	// LastRun is this broker's last maintenance of the table: when, and
	// what it did.
	LastRun     *Report   `json:"last_run,omitempty"`
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	Runs        int64     `json:"runs"`
	// The totals of this broker's runs: data files and bytes compaction
	// read and rewrote, and what it wrote (their ratio to the bytes
	// ingest adds is the write amplification maintenance costs).
	FilesRewrittenTotal int64 `json:"files_rewritten_total"`
	FilesWrittenTotal   int64 `json:"files_written_total"`
	BytesRewrittenTotal int64 `json:"bytes_rewritten_total"`
	BytesWrittenTotal   int64 `json:"bytes_written_total"`
	// OrphansAt is when this broker's last orphan pass started: the
	// first run of a table sweeps, then at most one run per Interval.
	OrphansAt time.Time `json:"orphans_at,omitzero"`

	// Skipped says why the table is not maintained (its manifests are
	// ErrUnreadableManifests), until its current snapshot changes.
	Skipped string `json:"skipped,omitempty"`
	// skippedSnapshot is the current snapshot when Skipped was set.
	skippedSnapshot int64

	// checkFailed: LastError is a check's (the table could not be loaded
	// or counted), which the next successful check clears; a run's error
	// stays until a run succeeds.
	checkFailed bool
	// counted is the snapshot the figures above were counted on: a check
	// that finds the table still at it does not count again (counting
	// reads every manifest, and checks come every few seconds).
	counted *int64
}

// Runner maintains the tables ingest writes: at every check it counts
// each table's small files and, when there are SmallFiles of them or
// Interval has passed since the last run, takes the table's lease and
// runs compaction, expiry and orphan removal. One broker of the cluster
// maintains a table at a time (the lease); the others skip it.
type Runner struct {
	opts    RunnerOptions
	started time.Time

	mu     sync.Mutex
	status map[TableRef]*TableStatus

	stop context.CancelFunc
	done chan struct{}
}

// NewRunner builds a Runner; Start runs it.
func NewRunner(opts RunnerOptions) (*Runner, error) {
	if opts.Leases == nil || opts.Holder == "" || opts.Catalog == nil || opts.Tables == nil {
		return nil, errors.New("maintenance: Leases, Holder, Catalog and Tables are required")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&opts.Interval, time.Hour)
	def(&opts.CheckInterval, DefaultCheckInterval)
	def(&opts.LeaseTTL, 15*time.Second)
	if opts.SmallFiles <= 0 {
		opts.SmallFiles = DefaultSmallFiles
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	opts.Run.Logger = opts.Logger
	opts.Run.Tiered = true // run after run: rewrite a file only once enough new rows came
	if opts.Run.ThinBatch <= 0 {
		opts.Run.ThinBatch = DefaultThinBatch // a thinning commit once a minute, not every run
	}
	opts.Run = opts.Run.withDefaults()
	return &Runner{opts: opts, status: map[TableRef]*TableStatus{}}, nil
}

// Start begins checking tables every CheckInterval.
func (r *Runner) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	r.stop, r.done, r.started = cancel, make(chan struct{}), time.Now()
	go func() {
		defer close(r.done)
		t := time.NewTicker(r.opts.CheckInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			r.CheckAll(ctx)
		}
	}()
}

// Stop stops the runner, cancelling a run in progress (what it wrote and
// did not commit is removed, or left for the orphan pass), and waits.
func (r *Runner) Stop() {
	if r.stop == nil {
		return
	}
	r.stop()
	<-r.done
}

// CheckAll checks every table once, running maintenance where due.
func (r *Runner) CheckAll(ctx context.Context) {
	for _, ref := range r.opts.Tables() {
		if ctx.Err() != nil {
			return
		}
		if err := r.check(ctx, ref); err != nil && ctx.Err() == nil {
			r.noteErr(ref, err)
			r.opts.Logger.Warn("maintenance: table", "catalog", ref.Catalog, "table", ref.Table, "err", err)
		}
	}
}

func (r *Runner) check(ctx context.Context, ref TableRef) error {
	cat, err := r.opts.Catalog(ctx, ref.Catalog)
	if err != nil {
		return err
	}
	ident, err := topicconfig.ParseTable(ref.Table)
	if err != nil {
		return err
	}
	tbl, err := cat.LoadTable(ctx, ident)
	if err != nil {
		r.update(ref, func(s *TableStatus) { s.checkFailed = true })
		return err
	}
	if r.skipping(ref, tbl) {
		return nil
	}
	st, small, ok := r.counted(ref, tbl)
	if !ok {
		st, small, err = r.count(ctx, tbl)
		if errors.Is(err, ErrUnreadableManifests) {
			r.skip(ref, tbl, err)
			return nil
		}
		if err != nil {
			r.update(ref, func(s *TableStatus) { s.checkFailed = true })
			return err
		}
	}
	r.update(ref, func(s *TableStatus) {
		s.DataFiles, s.DataBytes, s.MeanFileBytes, s.Snapshots, s.SmallFiles = st.DataFiles, st.DataBytes, st.MeanFileSize(), st.Snapshots, small
		s.CheckedAt = time.Now()
		s.Skipped, s.skippedSnapshot = "", 0
		s.counted = nil
		if snap := tbl.CurrentSnapshot(); snap != nil {
			s.counted = &snap.SnapshotID
		}
		if s.checkFailed {
			s.LastError, s.LastErrorAt, s.checkFailed = "", time.Time{}, false
		}
	})
	if !r.due(ref, small, st) {
		return nil
	}
	return r.runLeased(ctx, ref, cat, ident)
}

// skipping reports whether ref was skipped (ErrUnreadableManifests) at
// tbl's current snapshot: nothing changed since, so there is nothing to
// try again.
func (r *Runner) skipping(ref TableRef, tbl *icetable.Table) bool {
	cur := tbl.CurrentSnapshot()
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.status[ref.key()]
	return cur != nil && s != nil && s.Skipped != "" && s.skippedSnapshot == cur.SnapshotID
}

// skip marks ref as not maintained at tbl's current snapshot, saying why
// in its status and once in the log.
func (r *Runner) skip(ref TableRef, tbl *icetable.Table, err error) {
	var snap int64
	if cur := tbl.CurrentSnapshot(); cur != nil {
		snap = cur.SnapshotID
	}
	why := "not maintained until its current snapshot changes: " + err.Error()
	r.update(ref, func(s *TableStatus) {
		s.Skipped, s.skippedSnapshot, s.CheckedAt = why, snap, time.Now()
		s.LastError, s.LastErrorAt, s.checkFailed = "", time.Time{}, false
	})
	r.opts.Logger.Warn("maintenance: table skipped", "catalog", ref.Catalog, "table", ref.Table, "snapshot", snap, "why", why)
}

// counted returns ref's figures as the last check counted them when tbl
// is still at the snapshot they were counted on (ok), so a check of a
// table nothing committed to since reads no manifest.
func (r *Runner) counted(ref TableRef, tbl *icetable.Table) (st Stats, small int, ok bool) {
	snap := tbl.CurrentSnapshot()
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.status[ref.key()]
	if snap == nil || s == nil || s.counted == nil || *s.counted != snap.SnapshotID || s.checkFailed {
		return Stats{}, 0, false
	}
	return Stats{DataFiles: s.DataFiles, DataBytes: s.DataBytes, Snapshots: len(tbl.Metadata().Snapshots())}, s.SmallFiles, true
}

// testCounting, when set by a test, is called each time a check counts a
// table's files.
var testCounting func()

// count reads tbl's stats and how many of its files a compaction would
// rewrite now.
func (r *Runner) count(ctx context.Context, tbl *icetable.Table) (Stats, int, error) {
	if testCounting != nil {
		testCounting()
	}
	st := Stats{Snapshots: len(tbl.Metadata().Snapshots())}
	if tbl.CurrentSnapshot() == nil {
		return st, 0, nil
	}
	tasks, err := tbl.Scan().PlanFiles(ctx)
	if err != nil {
		return st, 0, unreadable(tbl, err)
	}
	for _, t := range tasks {
		st.DataFiles++
		st.DataBytes += t.File.FileSizeBytes()
	}
	p, _, err := plan(ctx, tbl, r.opts.Run)
	if err != nil {
		return st, 0, unreadable(tbl, err)
	}
	small := 0
	for _, g := range p.Groups {
		small += len(g.Tasks)
	}
	return st, small, nil
}

// due: enough small files, or Interval since the last run (or the
// start) with something to do.
func (r *Runner) due(ref TableRef, small int, st Stats) bool {
	if small >= r.opts.SmallFiles {
		return true
	}
	r.mu.Lock()
	last := r.started
	if s := r.status[ref.key()]; s != nil && s.LastRun != nil {
		last = s.LastRun.Started
	}
	r.mu.Unlock()
	return time.Since(last) >= r.opts.Interval && (small >= max(r.opts.Run.MinInputFiles, DefaultMinInputFiles) || st.Snapshots > 1)
}

// runLeased runs maintenance on the table while holding its lease,
// renewing it every third of its TTL; losing it cancels the run.
func (r *Runner) runLeased(ctx context.Context, ref TableRef, cat icecatalog.Catalog, ident icetable.Identifier) error {
	name := "maintenance/" + ref.Catalog + "/" + ref.Table
	held, err := r.opts.Leases.AcquireLease(ctx, name, r.opts.Holder, r.opts.LeaseTTL)
	if err != nil || !held {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(r.opts.LeaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if ok, err := r.opts.Leases.AcquireLease(ctx, name, r.opts.Holder, r.opts.LeaseTTL); err != nil || !ok {
				cancel()
				return
			}
		}
	}()
	defer func() {
		cancel()
		<-renewed
		rctx, rc := context.WithTimeout(context.Background(), 2*time.Second)
		if err := r.opts.Leases.ReleaseLease(rctx, name, r.opts.Holder); err != nil {
			// Not fatal: the lease expires after its TTL, and the table's
			// next run (here or elsewhere) waits for that.
			r.opts.Logger.Warn("maintenance: release lease", "lease", name, "err", err)
		}
		rc()
	}()
	r.update(ref, func(s *TableStatus) { s.Running = true })
	opts := r.opts.Run
	opts.Retention = ref.Retention
	// The orphan pass lists the table's files and reads every snapshot's
	// manifests: with runs every few seconds it would cost more than the
	// compactions. Its window is days, so once per Interval is plenty.
	r.mu.Lock()
	var lastOrphans time.Time // zero: this broker never swept the table
	if s := r.status[ref.key()]; s != nil {
		lastOrphans = s.OrphansAt
	}
	r.mu.Unlock()
	opts.RemoveOrphans = opts.RemoveOrphans && time.Since(lastOrphans) >= r.opts.Interval
	rep, err := Run(ctx, cat, ident, opts)
	r.update(ref, func(s *TableStatus) {
		s.Running = false
		s.Runs++
		s.FilesRewrittenTotal += int64(rep.FilesRewritten)
		s.FilesWrittenTotal += int64(rep.FilesWritten)
		s.BytesRewrittenTotal += rep.BytesRewritten
		s.BytesWrittenTotal += rep.BytesWritten
		s.LastRun = &rep
		if err == nil && opts.RemoveOrphans {
			s.OrphansAt = rep.Started
		}
		if err == nil {
			s.DataFiles, s.DataBytes, s.MeanFileBytes, s.Snapshots = rep.After.DataFiles, rep.After.DataBytes, rep.After.MeanFileSize(), rep.After.Snapshots
			s.SmallFiles = max(0, s.SmallFiles-rep.FilesRewritten)
			s.LastError, s.LastErrorAt, s.checkFailed = "", time.Time{}, false
		}
	})
	return err
}

func (r *Runner) update(ref TableRef, f func(*TableStatus)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.status[ref.key()]
	if s == nil {
		s = &TableStatus{Catalog: ref.Catalog, Table: ref.Table}
		r.status[ref.key()] = s
	}
	f(s)
}

func (r *Runner) noteErr(ref TableRef, err error) {
	r.update(ref, func(s *TableStatus) { s.LastError, s.LastErrorAt = err.Error(), time.Now() })
}

// Status returns every table's status, sorted by catalog and table.
func (r *Runner) Status() []TableStatus {
	r.mu.Lock()
	out := make([]TableStatus, 0, len(r.status))
	for _, s := range r.status {
		c := *s
		if s.LastRun != nil {
			lr := *s.LastRun
			lr.Plan = slices.Clone(lr.Plan)
			c.LastRun = &lr
		}
		out = append(out, c)
	}
	r.mu.Unlock()
	slices.SortFunc(out, func(a, b TableStatus) int {
		if c := strings.Compare(a.Catalog, b.Catalog); c != 0 {
			return c
		}
		return strings.Compare(a.Table, b.Table)
	})
	return out
}
