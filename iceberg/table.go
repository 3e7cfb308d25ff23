package iceberg

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	iceberggo "github.com/apache/iceberg-go"
	icecatalog "github.com/apache/iceberg-go/catalog"
	icetable "github.com/apache/iceberg-go/table"

	// s3:// table files go through the log's S3 client constructor.
	_ "github.com/tributary-io/tributary/iceberg/s3io"
)

// Options tune a Table. The zero value is the default on each field.
type Options struct {
	// Granularity partitions a table this package creates. Default Daily.
	// An existing table keeps its spec.
	Granularity Granularity
	// Properties are added to a table this package creates. Defaults: zstd
	// Parquet at level 1, pages of up to 100,000 rows and 4 MiB, no
	// dictionary for kafka.offset, kafka.batch_start and the timestamps
	// (writeDefaults, also applied to tables that do not set them), 128
	// MiB row groups, 256 MiB files.
	Properties map[string]string
	// Mem allocates conformed batches. Default memory.DefaultAllocator.
	Mem memory.Allocator
	// Attempts bounds how many times one Commit call tries. Default 6.
	Attempts int
	// Backoff is the first wait between attempts, doubling. Default 200ms.
	Backoff time.Duration
}

func (o Options) withDefaults() Options {
	if o.Granularity == "" {
		o.Granularity = Daily
	}
	if o.Mem == nil {
		o.Mem = memory.DefaultAllocator
	}
	if o.Attempts <= 0 {
		o.Attempts = 6
	}
	if o.Backoff <= 0 {
		o.Backoff = 200 * time.Millisecond
	}
	return o
}

// defaultProperties are set on tables this package creates.
//
// Every ingest commit merges the table's small manifests into one
// (commit.manifest-merge.enabled at min-count 2): a query engine opens
// every manifest of the snapshot to plan (DuckDB 1.4 about 1.7 ms each,
// and 0.26 ms per entry, live or deleted, on a loaded 2-core machine),
// and a fast append would carry forward every manifest, including the
// one of DELETED entries each compaction leaves, until maintenance merges
// them. Merging drops the entries earlier snapshots deleted. A manifest
// is merged while under commit.manifest.target-size-bytes, set to 256
// KiB (about 350 files' entries), so a commit rewrites at most that much
// metadata whatever the table's size (BENCHMARKS.md, DuckDB).
var defaultProperties = map[string]string{
	"format-version":                             "2",
	"write.parquet.row-group-size-bytes":         strconv.Itoa(128 << 20),
	"write.target-file-size-bytes":               strconv.Itoa(256 << 20),
	"write.metadata.metrics.default":             "truncate(16)",
	"write.metadata.delete-after-commit.enabled": "true",
	"write.metadata.previous-versions-max":       "50",
	icetable.ManifestMergeEnabledKey:             "true",
	icetable.ManifestMinMergeCountKey:            "2",
	icetable.ManifestTargetSizeBytesKey:          strconv.Itoa(256 << 10),
}

// Table is one Iceberg table ingest writes. Not safe for concurrent use.
type Table struct {
	cat     icecatalog.Catalog
	ident   icetable.Identifier
	opts    Options
	tbl     *icetable.Table
	offsets map[int32]int64
	source  OffsetsSource
	// stale: a commit failed since the table was last loaded, maybe
	// applied; the next commit must reload and look for it first.
	stale bool
}

// Open loads the table, creating its namespace (every level) and the
// table itself when missing, and reads the offsets it holds.
func Open(ctx context.Context, cat icecatalog.Catalog, ident icetable.Identifier, opts Options) (*Table, error) {
	t := &Table{cat: cat, ident: ident, opts: opts.withDefaults()}
	tbl, err := cat.LoadTable(ctx, ident)
	if errors.Is(err, icecatalog.ErrNoSuchTable) {
		tbl, err = t.create(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("open table %s: %w", t.Name(), err)
	}
	if err := checkLayout(tbl.Schema()); err != nil {
		return nil, fmt.Errorf("open table %s: %w", t.Name(), err)
	}
	if err := t.load(ctx, tbl); err != nil {
		return nil, fmt.Errorf("open table %s: %w", t.Name(), err)
	}
	return t, nil
}

func (t *Table) create(ctx context.Context) (*icetable.Table, error) {
	ns := t.ident[:len(t.ident)-1]
	for i := 1; i <= len(ns); i++ {
		err := t.cat.CreateNamespace(ctx, ns[:i], nil)
		if err != nil && !errors.Is(err, icecatalog.ErrNamespaceAlreadyExists) {
			return nil, fmt.Errorf("create namespace %s: %w", strings.Join(ns[:i], "."), err)
		}
	}
	sc := baseSchema()
	spec, err := partitionSpec(sc, t.opts.Granularity)
	if err != nil {
		return nil, err
	}
	props := iceberggo.Properties{}
	maps.Copy(props, defaultProperties)
	maps.Copy(props, writeDefaults)
	maps.Copy(props, t.opts.Properties)
	tbl, err := t.cat.CreateTable(ctx, t.ident, sc, icecatalog.WithPartitionSpec(&spec), icecatalog.WithProperties(props))
	if errors.Is(err, icecatalog.ErrTableAlreadyExists) { // another broker won the race
		return t.cat.LoadTable(ctx, t.ident)
	}
	return tbl, err
}

// checkLayout makes sure the reserved columns are there.
func checkLayout(sc *iceberggo.Schema) error {
	for _, p := range []string{ColKey + "." + ColRaw, ColVal + "." + ColRaw, ColHeaders, ColKafka + "." + ColOffset, ColKafka + "." + ColPartition} {
		if _, ok := sc.FindFieldByName(p); !ok {
			return fmt.Errorf("%w: no column %s", ErrLayout, p)
		}
	}
	return nil
}

// set records tbl as just committed by this Table: its head carries the
// offsets.
func (t *Table) set(tbl *icetable.Table) {
	off, ok := snapshotOffsets(tbl)
	if !ok {
		off = map[int32]int64{}
	}
	t.tbl, t.offsets, t.source, t.stale = tbl, off, FromSnapshot, false
}

// load records tbl as loaded from the catalog, reading its offsets with
// every fallback (ReadOffsets).
func (t *Table) load(ctx context.Context, tbl *icetable.Table) error {
	off, src, err := ReadOffsets(ctx, tbl)
	if err != nil {
		return err
	}
	t.tbl, t.offsets, t.source, t.stale = tbl, off, src, false
	return nil
}

// OffsetsSource says where Offsets came from when the table was last
// loaded.
func (t *Table) OffsetsSource() OffsetsSource { return t.source }

// Name is the table's dotted identifier.
func (t *Table) Name() string { return strings.Join(t.ident, ".") }

// Iceberg is the iceberg-go table as last loaded or committed.
func (t *Table) Iceberg() *icetable.Table { return t.tbl }

// Offsets returns, per partition, the next offset to ingest according to
// the table (partitions never committed are absent).
func (t *Table) Offsets() map[int32]int64 { return maps.Clone(t.offsets) }

// LastCommit is when the table's current snapshot was committed (by
// ingest, maintenance or another engine), zero when it has none: what a
// restarted broker shows as the table's last commit before its own first.
func (t *Table) LastCommit() time.Time {
	if t.tbl == nil {
		return time.Time{}
	}
	s := t.tbl.CurrentSnapshot()
	if s == nil {
		return time.Time{}
	}
	return time.UnixMilli(s.TimestampMs)
}

// Added is what the current snapshot added: data files and their bytes
// (its summary's added-data-files and added-files-size; zero when absent).
// Right after a Commit that is the commit's own.
func (t *Table) Added() (files, bytes int64) {
	if t.tbl == nil || t.tbl.CurrentSnapshot() == nil || t.tbl.CurrentSnapshot().Summary == nil {
		return 0, 0
	}
	props := t.tbl.CurrentSnapshot().Summary.Properties
	files, _ = strconv.ParseInt(props["added-data-files"], 10, 64)
	bytes, _ = strconv.ParseInt(props["added-files-size"], 10, 64)
	return files, bytes
}

// Refresh reloads the table from the catalog.
func (t *Table) Refresh(ctx context.Context) error {
	tbl, err := t.cat.LoadTable(ctx, t.ident)
	if err != nil {
		return fmt.Errorf("load table %s: %w", t.Name(), err)
	}
	if err := t.load(ctx, tbl); err != nil {
		return fmt.Errorf("load table %s: %w", t.Name(), err)
	}
	return nil
}

func encodeOffsets(m map[int32]int64) string {
	s := make(map[string]int64, len(m))
	for p, o := range m {
		s[strconv.Itoa(int(p))] = o
	}
	b, _ := json.Marshal(s) // sorted keys
	return string(b)
}

func decodeOffsets(v string) (map[int32]int64, error) {
	var s map[string]int64
	if err := json.Unmarshal([]byte(v), &s); err != nil {
		return nil, err
	}
	m := make(map[int32]int64, len(s))
	for k, o := range s {
		p, err := strconv.ParseInt(k, 10, 32)
		if err != nil {
			return nil, err
		}
		m[int32(p)] = o
	}
	return m, nil
}
