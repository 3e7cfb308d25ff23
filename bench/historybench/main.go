// Command historybench measures what a long snapshot history costs a
// table: metadata.json size, the built-in catalog's commit latency (an
// ingest commit of 200 orders over three Kafka partitions, through
// package iceberg, as ingest commits every second) and the latency of
// loading the table (what every query and engine pays first), against
// the number of snapshots.
//
//	go run ./bench/historybench [--snapshots 1000,10000,50000,86400] [--commits 5] [--day 86400] [--thin-after D --thin-interval D]
//
// The history is synthesised (internal/synthhist): one real commit, then
// n snapshots one second apart, each with its own copy of the manifest
// list, registered in the catalog; a day of real one-second commits
// would take a day. Each size is measured without thinning (a day of
// history under history.expire.max-snapshot-age-ms alone), and, for
// "a day, thinned (steady)" is the history thinning keeps of a day of
// one-second commits (package maintenance, thin.go; its defaults or
// --thin-after, --thin-interval): the newest snapshot of each interval,
// then every second of the window. With --day N (86400 by default), N
// one-second snapshots are thinned at once by one maintenance run (a
// table that had a day of history before thinning), timed, and measured
// again.
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	icerest "github.com/apache/iceberg-go/catalog/rest"
	icetable "github.com/apache/iceberg-go/table"

	"github.com/tributary-io/tributary/arrowconv"
	"github.com/tributary-io/tributary/iceberg"
	"github.com/tributary-io/tributary/internal/benchcatalog"
	"github.com/tributary-io/tributary/internal/benchpb"
	"github.com/tributary-io/tributary/internal/synthhist"
	"github.com/tributary-io/tributary/maintenance"
)

var ident = icetable.Identifier{"kafka", "orders"}

// thinOpts are the maintenance options of the thinned run.
var thinOpts = maintenance.Options{NoCompact: true}

func main() {
	sizes := flag.String("snapshots", "1000,10000,50000,86400", "history sizes to measure, comma-separated")
	day := flag.Int("day", 86400, "history size (1 s apart) to thin with the defaults and measure again; 0: none")
	commits := flag.Int("commits", 5, "commits timed per size (the median is printed)")
	dir := flag.String("dir", "", "work directory (default: a temporary one, removed at the end)")
	flag.DurationVar(&thinOpts.ThinAfter, "thin-after", 0, "thinning's full-resolution window (default: maintenance.DefaultThinAfter)")
	flag.DurationVar(&thinOpts.ThinInterval, "thin-interval", 0, "one snapshot kept per this, before the window (default: maintenance.DefaultThinInterval)")
	flag.Parse()
	if err := run(*sizes, *day, *commits, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "historybench:", err)
		os.Exit(1)
	}
}

func run(sizes string, day, commits int, dir string) error {
	if dir == "" {
		d, err := os.MkdirTemp("", "historybench")
		if err != nil {
			return err
		}
		defer func() { _ = os.RemoveAll(d) }() // best effort: a leftover temporary directory harms nothing
		dir = d
	}
	fmt.Printf("%-30s %10s %14s %12s %12s\n", "history", "snapshots", "metadata.json", "commit p50", "load p50")
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("--snapshots: %w", err)
		}
		if err := measure(filepath.Join(dir, "n"+s), oneSecond(n), fmt.Sprintf("%d × 1 s, no thinning", n), commits, false); err != nil {
			return err
		}
	}
	if err := measure(filepath.Join(dir, "steady"), steadyDay(), "a day, thinned (steady)", commits, false); err != nil {
		return err
	}
	if day > 0 {
		return measure(filepath.Join(dir, "thinned"), oneSecond(day), fmt.Sprintf("%d × 1 s, thinned once", day), commits, true)
	}
	return nil
}

// oneSecond is n snapshot times a second apart, ending now.
func oneSecond(n int) func() []time.Time {
	return func() []time.Time {
		end, out := time.Now(), make([]time.Time, n)
		for i := range out {
			out[i] = end.Add(-time.Duration(n-1-i) * time.Second)
		}
		return out
	}
}

// steadyDay is the history thinning keeps of a day of one-second commits
// with thinOpts (else the defaults): the newest snapshot of each interval
// of the day before the window, then one a second.
func steadyDay() func() []time.Time {
	after, ivl := cmp.Or(thinOpts.ThinAfter, maintenance.DefaultThinAfter), cmp.Or(thinOpts.ThinInterval, maintenance.DefaultThinInterval)
	return func() []time.Time {
		now := time.Now().Truncate(time.Second)
		var out []time.Time
		for t := now.Add(-maintenance.DefaultExpireAge).Truncate(ivl).Add(ivl); t.Before(now.Add(-after)); t = t.Add(ivl) {
			out = append(out, t.Add(-time.Second))
		}
		for t := now.Add(-after); !t.After(now); t = t.Add(time.Second) {
			out = append(out, t)
		}
		return out
	}
}

// measure grows a table's history to n snapshots (thinned with the
// defaults when thinned), then times commits and loads.
func measure(dir string, times func() []time.Time, label string, commits int, thinned bool) error {
	ctx := context.Background()
	url, stop, err := benchcatalog.Serve(dir)
	if err != nil {
		return err
	}
	defer stop()
	cat, err := icerest.NewCatalog(ctx, "bench", url)
	if err != nil {
		return err
	}
	tbl, err := iceberg.Open(ctx, cat, ident, iceberg.Options{})
	if err != nil {
		return err
	}
	w, err := newWriter(ctx, tbl)
	if err != nil {
		return err
	}
	defer w.release()
	if err := w.commit(ctx); err != nil {
		return err
	}
	if _, err := synthhist.GrowAt(ctx, cat, ident, times()); err != nil {
		return err
	}
	if thinned {
		t0 := time.Now()
		rep, err := maintenance.Run(ctx, cat, ident, thinOpts)
		if err != nil {
			return err
		}
		fmt.Printf("# thinning run: %d snapshots thinned, %d expired, took %s\n",
			rep.SnapshotsThinned, rep.SnapshotsExpired, time.Since(t0).Round(time.Millisecond))
	}
	if tbl, err = iceberg.Open(ctx, cat, ident, iceberg.Options{}); err != nil {
		return err
	}
	w.tbl = tbl
	var took []time.Duration
	for range commits {
		t0 := time.Now()
		if err := w.commit(ctx); err != nil {
			return err
		}
		took = append(took, time.Since(t0))
	}
	var loads []time.Duration
	for range 3 {
		t0 := time.Now()
		if _, err := cat.LoadTable(ctx, ident); err != nil {
			return err
		}
		loads = append(loads, time.Since(t0))
	}
	it := tbl.Iceberg()
	size, err := fileSize(dir, it.MetadataLocation())
	if err != nil {
		return err
	}
	fmt.Printf("%-30s %10d %14s %12s %12s\n", label, len(it.Metadata().Snapshots()), mib(size),
		median(took).Round(100*time.Microsecond), median(loads).Round(100*time.Microsecond))
	return nil
}

// fileSize is the size of loc, a file:// location under dir/objects.
func fileSize(dir, loc string) (int64, error) {
	p := strings.TrimPrefix(loc, "file://")
	st, err := os.Stat(p)
	if err != nil {
		return 0, fmt.Errorf("metadata file %s: %w", loc, err)
	}
	return st.Size(), nil
}

func mib(n int64) string { return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20)) }

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// writer commits 200 orders over three Kafka partitions per commit, as
// ingest does every second.
type writer struct {
	tbl   *iceberg.Table
	conv  *arrowconv.Converter
	rows  *iceberg.RowBuilder
	shape *iceberg.Shape
	recs  [][]byte
	next  map[int32]int64
}

func newWriter(ctx context.Context, tbl *iceberg.Table) (*writer, error) {
	md := (&benchpb.Order{}).ProtoReflect().Descriptor()
	conv, err := arrowconv.NewConverter(md, arrowconv.Options{})
	if err != nil {
		return nil, err
	}
	_, shape, err := tbl.Prepare(ctx, nil, conv.Schema())
	if err != nil {
		conv.Release()
		return nil, err
	}
	recs, _ := benchpb.Orders(200)
	return &writer{tbl: tbl, conv: conv, rows: iceberg.NewRowBuilder(nil), shape: shape, recs: recs, next: tbl.Offsets()}, nil
}

func (w *writer) release() { w.conv.Release(); w.rows.Release() }

func (w *writer) commit(ctx context.Context) error {
	now := time.Now().UnixMicro()
	for i, rec := range w.recs {
		p := int32(i % 3)
		if err := w.conv.Append(rec); err != nil {
			return err
		}
		w.rows.Append(&iceberg.Meta{Partition: p, Offset: w.next[p], EventTimestamp: now, IngestTimestamp: now, BatchStart: w.next[p]},
			iceberg.Part{Raw: []byte("k")}, iceberg.Part{})
		w.next[p]++
	}
	vals := w.conv.NewRecordBatch()
	b, err := w.rows.Finish(nil, w.shape, nil, vals)
	vals.Release()
	if err != nil {
		return err
	}
	defer b.Release()
	return w.tbl.Commit(ctx, []arrow.RecordBatch{b}, w.next)
}
