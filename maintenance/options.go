package maintenance

import (
	"io"
	"log/slog"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	icetable "github.com/apache/iceberg-go/table"
)

// Defaults of Options.
const (
	// DefaultExpireAge is the snapshot age kept when the table sets no
	// history.expire.max-snapshot-age-ms.
	DefaultExpireAge = 24 * time.Hour
	// DefaultThinAfter and DefaultThinInterval thin the history kept
	// by expiry (thin.go): every snapshot of the last DefaultThinAfter,
	// then one per DefaultThinInterval back to the expiry age, so a day
	// of one-second commits keeps about 300 + 96 snapshots instead of
	// 86,400. Commit latency and metadata.json size grow with the count
	// (about 0.8 KB and, on the built-in catalog, a quarter of a
	// millisecond per snapshot: go run ./bench/historybench).
	DefaultThinAfter    = 5 * time.Minute
	DefaultThinInterval = 15 * time.Minute
	// DefaultThinBatch is a Runner's fewest snapshots worth a thinning
	// commit (a minute of 1 s commits), so thinning does not add a
	// metadata rewrite to every run.
	DefaultThinBatch = 60
	// DefaultOrphanAge is the safety window of orphan removal: a file
	// younger than this may belong to a commit still in flight.
	DefaultOrphanAge = 72 * time.Hour
	// DefaultMinInputFiles is the fewest small files of one partition
	// worth a rewrite.
	DefaultMinInputFiles = 2
	// DefaultMaxGroupBytes is the default MaxGroupBytes.
	DefaultMaxGroupBytes = 64 << 20
	// DefaultMinManifests is the count of small manifests at which they
	// are merged: every ingest commit adds one, and every query reads
	// them all (DuckDB and PyIceberg pay a few ms each: the steady-state
	// bench, BENCHMARKS.md). Merging rewrites metadata only.
	DefaultMinManifests = 4
	// DefaultCheckInterval and DefaultSmallFiles are the Runner's: with
	// ingest committing every second, a table gets at most about
	// DefaultSmallFiles + DefaultCheckInterval/1s small files before they
	// are merged (config's iceberg_maintenance defaults are the same). A
	// check of a table nothing committed to since the last one reads its
	// metadata only.
	DefaultCheckInterval = 2 * time.Second
	DefaultSmallFiles    = 4
	// DefaultCommitAttempts bounds how often the rewrite commit is tried
	// when ingest keeps committing under it.
	DefaultCommitAttempts = 20
)

// Options choose what Run does. The zero value compacts and expires with
// the table's properties and the defaults above, and removes no orphans.
type Options struct {
	// TargetFileSize overrides the table's write.target-file-size-bytes.
	TargetFileSize int64
	// MaxGroupBytes caps the Parquet bytes of a chunk rewritten in
	// memory (decoded whole to be ordered) and so its output files; a
	// streamed group has no cap. Default DefaultMaxGroupBytes.
	MaxGroupBytes int64
	// Tiered makes compaction size-tiered (see tiered): what a Runner
	// does, run after run under ingest. Off, every small file of a
	// partition is bin-packed, as a one-shot tributary compact wants.
	Tiered bool
	// MinInputFiles: a partition with fewer small files is left alone.
	MinInputFiles int
	// Retention, when positive, drops the table partitions whose rows
	// are all older than it (by kafka.event_timestamp) before compacting.
	Retention time.Duration
	// MinManifests: the current snapshot's manifests are merged when
	// there are this many. Default DefaultMinManifests.
	MinManifests int
	// NoCompact, NoExpire skip those steps (NoCompact skips manifest
	// merging too).
	NoCompact, NoExpire bool
	// ExpireOlderThan overrides the table's max snapshot age.
	ExpireOlderThan time.Duration
	// ThinAfter and ThinInterval override the table's
	// tributary.history.thin-after-ms and thin-interval-ms (defaults
	// DefaultThinAfter, DefaultThinInterval); a negative ThinInterval
	// turns thinning off. ThinBatch: fewer snapshots to thin than this
	// wait for a later run (default 1).
	ThinAfter, ThinInterval time.Duration
	ThinBatch               int
	// RemoveOrphans turns the orphan pass on; OrphanOlderThan is its
	// window (DefaultOrphanAge when 0; negative means no window, for
	// tests and a table nothing else writes).
	RemoveOrphans   bool
	OrphanOlderThan time.Duration
	// DryRun plans and reports without writing or deleting anything.
	DryRun bool
	// CommitAttempts bounds the rewrite commit's tries. Default 20.
	CommitAttempts int
	// Mem allocates the sorted batches. memory.DefaultAllocator.
	Mem    memory.Allocator
	Logger *slog.Logger
	// Progress, when set, is called after each compaction group is
	// written, with the bytes and files read so far and in all.
	Progress func(Progress)
}

// Progress is how far a compaction is.
type Progress struct {
	Table                 string
	FilesDone, FilesTotal int
	BytesDone, BytesTotal int64
}

func (o Options) withDefaults() Options {
	if o.MinInputFiles <= 0 {
		o.MinInputFiles = DefaultMinInputFiles
	}
	if o.OrphanOlderThan == 0 {
		o.OrphanOlderThan = DefaultOrphanAge
	}
	if o.OrphanOlderThan < 0 {
		o.OrphanOlderThan = 0
	}
	if o.MaxGroupBytes <= 0 {
		o.MaxGroupBytes = DefaultMaxGroupBytes
	}
	if o.MinManifests <= 0 {
		o.MinManifests = DefaultMinManifests
	}
	if o.CommitAttempts <= 0 {
		o.CommitAttempts = DefaultCommitAttempts
	}
	if o.Mem == nil {
		o.Mem = memory.DefaultAllocator
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return o
}

// targetSize is the output file size for tbl: the option, else the
// table's property (MaxGroupBytes caps it for chunks rewritten in
// memory only).
func (o Options) targetSize(tbl *icetable.Table) int64 {
	t := o.TargetFileSize
	if t <= 0 {
		t = tbl.Properties().GetInt64(icetable.WriteTargetFileSizeBytesKey, icetable.WriteTargetFileSizeBytesDefault)
	}
	return t
}
