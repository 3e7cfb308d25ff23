package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	iceberggo "github.com/apache/iceberg-go"
	icecatalog "github.com/apache/iceberg-go/catalog"
	icerest "github.com/apache/iceberg-go/catalog/rest"
	icetable "github.com/apache/iceberg-go/table"

	"github.com/tributary-io/tributary/arrowconv"
	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/iceberg"
	"github.com/tributary-io/tributary/internal/benchpb"
	"github.com/tributary-io/tributary/internal/metastore/boltstore"
	"github.com/tributary-io/tributary/maintenance"
)

// steadyOptions: the steady-state run. Ingest commits rate records every
// second for dur, on top of history seconds' worth of rows already in the
// table (written as 60 s commits and compacted once, as the runner would
// have), while a maintenance Runner with serve's defaults
// (config.Default's iceberg_maintenance) maintains the table. Every
// sample, the queries are timed on the live table and on one file of the
// same rows.
type steadyOptions struct {
	dur, sample, history time.Duration
	rate                 int
	runs                 int  // timed runs of each query per sample (the median is kept)
	icebergGo            bool // time iceberg-go too (slow: its filter reads every column)
	smallFiles           int  // the runner's small_file_threshold when > 0 (else serve's default)
}

// ingester commits orders the way ingest does (package iceberg), three
// Kafka partitions, each commit's records a chunk per partition.
type ingester struct {
	tbl   *iceberg.Table
	conv  *arrowconv.Converter
	rows  *iceberg.RowBuilder
	shape *iceberg.Shape
	recs  [][]byte
	next  map[int32]int64
	i     int
	// added is the data file bytes the commits added (atomic: the bench
	// reads it while ingest runs).
	added atomic.Int64
}

func newIngester(ctx context.Context, tbl *iceberg.Table) (*ingester, error) {
	conv, err := arrowconv.NewConverter((&benchpb.Order{}).ProtoReflect().Descriptor(), arrowconv.Options{})
	if err != nil {
		return nil, err
	}
	_, shape, err := tbl.Prepare(ctx, nil, conv.Schema())
	if err != nil {
		conv.Release()
		return nil, err
	}
	recs, _ := benchpb.Orders(20000)
	return &ingester{tbl: tbl, conv: conv, rows: iceberg.NewRowBuilder(nil), shape: shape, recs: recs, next: tbl.Offsets()}, nil
}

func (g *ingester) release() { g.conv.Release(); g.rows.Release() }

// commit appends n records stamped from event time ts (µs), a
// millisecond apart, and commits them.
func (g *ingester) commit(ctx context.Context, n int, ts int64) error {
	key := []byte("customer-key")
	next := map[int32]int64{}
	for k, v := range g.next {
		next[k] = v
	}
	for j := range n {
		p := int32(j * 3 / n) // a chunk per partition, as ingest reads them
		if err := g.conv.Append(g.recs[g.i%len(g.recs)]); err != nil {
			return err
		}
		g.rows.Append(&iceberg.Meta{Partition: p, Offset: next[p], EventTimestamp: ts + int64(j)*1000/int64(max(1, n/1000)),
			IngestTimestamp: ts, BatchStart: next[p]}, iceberg.Part{Raw: key}, iceberg.Part{})
		next[p]++
		g.i++
	}
	vals := g.conv.NewRecordBatch()
	b, err := g.rows.Finish(nil, g.shape, nil, vals)
	vals.Release()
	if err != nil {
		return err
	}
	defer b.Release()
	if err := g.tbl.Commit(ctx, []arrow.RecordBatch{b}, next); err != nil {
		return err
	}
	g.next = next
	if snap := g.tbl.Iceberg().CurrentSnapshot(); snap != nil {
		n, _ := strconv.ParseInt(snap.Summary.Properties["added-files-size"], 10, 64)
		g.added.Add(n)
	}
	return nil
}

// quietLog drops iceberg-go's warnings that a previous metadata file it
// meant to delete is gone: the catalog deleted it first (it keeps
// write.metadata.previous-versions-max itself), every commit of the run.
type quietLog struct{ w io.Writer }

func (q quietLog) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("Failed to delete old metadata file")) {
		return len(p), nil
	}
	return q.w.Write(p)
}

func runSteady(o options) error {
	ctx := context.Background()
	log.SetOutput(quietLog{os.Stderr})
	defer log.SetOutput(os.Stderr)
	dir, err := os.MkdirTemp("", "maintenancebench-steady")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }() // best effort: a leftover temporary directory harms nothing
	ident := icetable.Identifier{"bench", "live"}
	cat, tbl, stop, err := openBench(ctx, dir, ident)
	if err != nil {
		return err
	}
	defer stop()
	g, err := newIngester(ctx, tbl)
	if err != nil {
		return err
	}
	defer g.release()
	so := o.steady
	// History: so.history of rows at so.rate, as 60 s commits, compacted.
	start := time.Now().Add(-so.history).UnixMicro()
	for s := time.Duration(0); s < so.history; s += time.Minute {
		if err := g.commit(ctx, so.rate*60, start+s.Microseconds()); err != nil {
			return err
		}
	}
	if so.history > 0 {
		if _, err := maintenance.Run(ctx, cat, ident, maintenance.Options{NoExpire: true}); err != nil {
			return err
		}
	}
	mc := config.Default().IcebergMaintenance
	if so.smallFiles > 0 {
		mc.SmallFileThreshold = so.smallFiles
	}
	fmt.Printf("steady state: ingest commits %d records/s every second for %s on %s of history; maintenance on serve's defaults "+
		"(check_interval %s, small_file_threshold %d, interval %s, target %s); queries every %s, live table vs one file of the same rows\n",
		so.rate, so.dur, so.history, mc.CheckInterval, mc.SmallFileThreshold, mc.Interval, "the table's", so.sample)
	st, err := boltstore.Open(filepath.Join(dir, "leases.db"), boltstore.Options{NoSync: true})
	if err != nil {
		return err
	}
	defer func() { _ = st.Close() }() // the bench's own store, read by nothing after
	var logs strings.Builder
	r, err := maintenance.NewRunner(maintenance.RunnerOptions{
		Leases: st, Holder: "bench",
		Catalog: func(context.Context, string) (icecatalog.Catalog, error) { return cat, nil },
		Tables:  func() []maintenance.TableRef { return []maintenance.TableRef{{Catalog: "bench", Table: "bench.live"}} },
		// As node.startMaintenance builds it from the config.
		Interval: mc.Interval, CheckInterval: mc.CheckInterval, SmallFiles: mc.SmallFileThreshold,
		Run: maintenance.Options{TargetFileSize: int64(mc.TargetFileSize), ExpireOlderThan: mc.ExpireOlderThan,
			RemoveOrphans: mc.OrphanOlderThan > 0, OrphanOlderThan: mc.OrphanOlderThan},
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return err
	}
	py, err := startEngines(ctx)
	if err != nil {
		return err
	}
	defer py.stop()
	addedBefore := g.added.Load() // the history's: compacted before the runner starts
	r.Start()
	defer r.Stop()

	ictx, cancel := context.WithCancel(ctx)
	ingestErr := make(chan error, 1)
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ictx.Done():
				ingestErr <- nil
				return
			case now := <-t.C:
				if err := g.commit(ictx, so.rate, now.UnixMicro()); err != nil && ictx.Err() == nil {
					ingestErr <- err
					return
				}
			}
		}
	}()
	var samples []sample
	deadline := time.Now().Add(so.dur)
	for n := 0; time.Now().Before(deadline); n++ {
		select {
		case err := <-ingestErr:
			cancel()
			return fmt.Errorf("ingest: %w", err)
		case <-time.After(so.sample):
		}
		s, err := sampleSteady(ctx, cat, ident, py, so, n)
		if err != nil {
			cancel()
			return err
		}
		samples = append(samples, s)
	}
	cancel()
	if err := <-ingestErr; err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	r.Stop()
	if end, err := cat.LoadTable(ctx, ident); err == nil {
		if sh, err := tableShape(ctx, end); err == nil {
			fmt.Printf("live table at the end: %s\n", sh)
		}
	}
	ingested := g.added.Load() - addedBefore
	for _, s := range r.Status() {
		if s.LastRun != nil {
			fmt.Printf("maintenance: %d runs, last: %s\n", s.Runs, s.LastRun)
		}
		fmt.Printf("write amplification: ingest added %.1f MiB of data files; maintenance read and rewrote %.1f MiB into %.1f MiB: "+
			"%.2f bytes rewritten per byte ingested (%d files rewritten into %d)\n",
			float64(ingested)/(1<<20), float64(s.BytesRewrittenTotal)/(1<<20), float64(s.BytesWrittenTotal)/(1<<20),
			float64(s.BytesRewrittenTotal)/float64(max(1, ingested)), s.FilesRewrittenTotal, s.FilesWrittenTotal)
		if s.LastError != "" {
			fmt.Printf("maintenance: last error %s\n", s.LastError)
		}
	}
	if logs.Len() > 0 {
		fmt.Print("maintenance warnings:\n", logs.String())
	}
	printRatioSummary(samples, so)
	return nil
}

// engines are the query engines the steady run times, in the order
// printed: DuckDB and PyIceberg (queries.py) and, with
// --steady-iceberg-go, iceberg-go (in process).
var engines = []string{"DuckDB", "PyIceberg"}

// sample is one sample's ratios (live over one file) by engine and query,
// and the live table's shape.
type sample struct {
	ratios map[string][]float64
	shape  shape
}

// sampleSteady times the queries on the live table and on one file of
// its rows in every engine, and prints them. Both tables are pinned (the
// metadata file loaded), so they hold the same rows while ingest goes on;
// every engine's result must be the same on both.
func sampleSteady(ctx context.Context, cat *icerest.Catalog, ident icetable.Identifier, py *pyEngines, so steadyOptions, n int) (sample, error) {
	live, err := cat.LoadTable(ctx, ident)
	if err != nil {
		return sample{}, err
	}
	sh, err := tableShape(ctx, live)
	if err != nil {
		return sample{}, err
	}
	one, drop, err := oneFileCopy(ctx, cat, live, n)
	if err != nil {
		return sample{}, err
	}
	defer drop()
	cut, err := lastTenth(ctx, live)
	if err != nil {
		return sample{}, err
	}
	s := sample{ratios: map[string][]float64{}, shape: sh}
	var locs [2]string
	for i, t := range []*icetable.Table{live, one} {
		if locs[i], err = pinMetadata(t, py.dir, fmt.Sprintf("%d-%d", n, i)); err != nil {
			return s, err
		}
	}
	ans, err := py.query(locs[0], locs[1], cut, so.runs)
	if err != nil {
		return s, err
	}
	got := map[string][]timing{"DuckDB": fromEngine(ans.DuckDB), "PyIceberg": fromEngine(ans.PyIceberg)}
	if so.icebergGo {
		if got["iceberg-go"], err = icebergGoTimings(ctx, live, one, cut, so.runs); err != nil {
			return s, err
		}
	}
	fmt.Printf("  sample %2d: %s\n", n, sh)
	for _, e := range steadyEngines(so) {
		var parts []string
		for i, q := range got[e] {
			if q.live != q.one {
				return s, fmt.Errorf("sample %d: %s: %s: %v live, %v on one file", n, e, q.name, q.live, q.one)
			}
			s.ratios[e] = append(s.ratios[e], q.ratio)
			parts = append(parts, fmt.Sprintf("%s %s/%s=%.2fx", shortName(i), q.tLive.Round(100*time.Microsecond), q.tOne.Round(100*time.Microsecond), q.ratio))
		}
		fmt.Printf("    %-10s %s\n", e, strings.Join(parts, "; "))
	}
	return s, nil
}

// timing is one query's figures in one engine at one sample: the median
// times on the live table and the one file, the median of the ratios of
// runs taken in turn (live, one file), and each table's result.
type timing struct {
	name        string
	tLive, tOne time.Duration
	ratio       float64
	live, one   string
}

func newTiming(name string, live, one []float64, rl, ro any) timing {
	ratios := make([]float64, len(live))
	for i := range live {
		ratios[i] = live[i] / one[i]
	}
	med := func(v []float64) float64 {
		v = slices.Clone(v)
		slices.Sort(v)
		return v[len(v)/2]
	}
	return timing{name: name, tLive: time.Duration(med(live) * float64(time.Second)), tOne: time.Duration(med(one) * float64(time.Second)),
		ratio: med(ratios), live: fmt.Sprint(rl), one: fmt.Sprint(ro)}
}

// icebergGoTimings times the queries in iceberg-go, in process: a warming
// run, then runs pairs (live, one file).
func icebergGoTimings(ctx context.Context, live, one *icetable.Table, cut int64, runs int) ([]timing, error) {
	var tl, to [][]float64
	var rl, ro []any
	for r := range runs + 1 {
		for i, t := range []*icetable.Table{live, one} {
			qs, err := timeQueries(ctx, t, cut, 1, median)
			if err != nil {
				return nil, err
			}
			if r == 0 { // warming
				continue
			}
			for q := range qs {
				if r == 1 && i == 0 {
					tl, to, rl, ro = append(tl, nil), append(to, nil), append(rl, qs[q].result), append(ro, nil)
				}
				if i == 0 {
					tl[q] = append(tl[q], qs[q].took.Seconds())
				} else {
					to[q], ro[q] = append(to[q], qs[q].took.Seconds()), qs[q].result
				}
			}
		}
	}
	out := make([]timing, len(tl))
	for q := range tl {
		out[q] = newTiming(shortName(q), tl[q], to[q], rl[q], ro[q])
	}
	return out, nil
}

// pinMetadata writes tbl's metadata (as loaded) to a file of its own
// under dir and returns its location: the catalog deletes a table's
// metadata files past write.metadata.previous-versions-max, which a
// table ingest and maintenance commit to every second reaches within a
// sample. The snapshots' manifest lists and files stay (expiry keeps the
// run's snapshots).
func pinMetadata(tbl *icetable.Table, dir, name string) (string, error) {
	b, err := json.Marshal(tbl.Metadata())
	if err != nil {
		return "", fmt.Errorf("pin metadata: %w", err)
	}
	p := filepath.Join(dir, "pinned-"+name+".metadata.json")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		return "", fmt.Errorf("pin metadata: %w", err)
	}
	return "file://" + p, nil
}

// fromEngine turns queries.py's answers into timings.
func fromEngine(qs []engineQuery) []timing {
	out := make([]timing, len(qs))
	for i, q := range qs {
		out[i] = newTiming(q.Name, q.LiveS, q.OneS, q.Live, q.One)
	}
	return out
}

func shortName(i int) string { return []string{"count", "filter", "nested sum"}[i] }

// shape is what a query engine pays for in a table besides its rows.
type shape struct {
	rows, dataFiles, deleteFiles   int64
	dataManifests, deleteManifests int
	snapshots                      int
	metadataBytes                  int64 // the metadata.json
	listBytes                      int64 // the current snapshot's manifest list
	fileRows                       []int64
}

func (s shape) String() string {
	return fmt.Sprintf("%d rows, %d data files %v rows, %d delete files, %d+%d manifests (data+delete; list %d B), %d snapshots, metadata.json %.0f KiB",
		s.rows, s.dataFiles, s.fileRows, s.deleteFiles, s.dataManifests, s.deleteManifests, s.listBytes, s.snapshots, float64(s.metadataBytes)/1024)
}

// tableShape reads tbl's shape from its metadata and manifest list.
func tableShape(ctx context.Context, tbl *icetable.Table) (shape, error) {
	sh := shape{snapshots: len(tbl.Metadata().Snapshots())}
	fs, err := tbl.FS(ctx)
	if err != nil {
		return sh, err
	}
	sh.metadataBytes = fileSize(tbl.MetadataLocation())
	snap := tbl.CurrentSnapshot()
	if snap == nil {
		return sh, nil
	}
	sh.listBytes = fileSize(snap.ManifestList)
	tasks, err := tbl.Scan().PlanFiles(ctx)
	if err != nil {
		return sh, err
	}
	for _, t := range tasks {
		sh.fileRows = append(sh.fileRows, t.File.Count())
	}
	slices.Sort(sh.fileRows)
	slices.Reverse(sh.fileRows)
	ms, err := snap.Manifests(fs)
	if err != nil {
		return sh, err
	}
	for _, m := range ms {
		live := int64(m.AddedDataFiles()) + int64(m.ExistingDataFiles())
		if m.ManifestContent() == iceberggo.ManifestContentDeletes {
			sh.deleteManifests++
			sh.deleteFiles += live
			continue
		}
		sh.dataManifests++
		sh.dataFiles += live
		sh.rows += m.AddedRows() + m.ExistingRows()
	}
	return sh, nil
}

// fileSize is the size of a local (file://) file, or -1.
func fileSize(loc string) int64 {
	u, err := url.Parse(loc)
	if err != nil || (u.Scheme != "file" && u.Scheme != "") {
		return -1
	}
	fi, err := os.Stat(u.Path)
	if err != nil {
		return -1
	}
	return fi.Size()
}

// oneFileCopy writes the rows of tbl's current snapshot to a new table as
// one commit: one file per table partition (one here: a day).
func oneFileCopy(ctx context.Context, cat *icerest.Catalog, tbl *icetable.Table, n int) (*icetable.Table, func(), error) {
	ident := icetable.Identifier{"bench", fmt.Sprintf("one_%d", n)}
	sc, recs, err := tbl.Scan().ToArrowRecords(ctx)
	if err != nil {
		return nil, nil, err
	}
	var batches []arrow.RecordBatch
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	for rec, err := range recs {
		if err != nil {
			return nil, nil, err
		}
		batches = append(batches, rec)
	}
	rdr, err := array.NewRecordReader(sc, batches)
	if err != nil {
		return nil, nil, err
	}
	defer rdr.Release()
	spec := tbl.Spec()
	dst, err := cat.CreateTable(ctx, ident, tbl.Schema(), icecatalog.WithPartitionSpec(&spec),
		icecatalog.WithProperties(tbl.Properties()))
	if err != nil {
		return nil, nil, err
	}
	drop := func() { _ = cat.DropTable(ctx, ident) } // best effort: the bench's temporary tables go with its directory
	tx := dst.NewTransaction()
	if err := tx.Append(ctx, rdr, nil); err != nil {
		drop()
		return nil, nil, err
	}
	out, err := tx.Commit(ctx)
	if err != nil {
		drop()
		return nil, nil, err
	}
	return out, drop, nil
}

// steadyEngines are the engines so times.
func steadyEngines(so steadyOptions) []string {
	if so.icebergGo {
		return append(slices.Clone(engines), "iceberg-go")
	}
	return engines
}

func printRatioSummary(samples []sample, so steadyOptions) {
	fmt.Println("steady state, live table / one file (median, worst over the samples):")
	for _, e := range steadyEngines(so) {
		for q := range 3 {
			var rs []float64
			for _, s := range samples {
				if q < len(s.ratios[e]) {
					rs = append(rs, s.ratios[e][q])
				}
			}
			if len(rs) == 0 {
				continue
			}
			sort.Float64s(rs)
			fmt.Printf("  %-10s %-12s median %.2fx, worst %.2fx over %d samples\n", e, shortName(q), rs[len(rs)/2], rs[len(rs)-1], len(rs))
		}
	}
	var files, manifests, snaps, meta []float64
	for _, s := range samples {
		files = append(files, float64(s.shape.dataFiles))
		manifests = append(manifests, float64(s.shape.dataManifests+s.shape.deleteManifests))
		snaps = append(snaps, float64(s.shape.snapshots))
		meta = append(meta, float64(s.shape.metadataBytes)/1024)
	}
	mm := func(v []float64) string {
		if len(v) == 0 {
			return "-"
		}
		sort.Float64s(v)
		return fmt.Sprintf("median %.0f, max %.0f", v[len(v)/2], v[len(v)-1])
	}
	fmt.Printf("  live table: data files %s; manifests %s; snapshots %s; metadata.json KiB %s\n", mm(files), mm(manifests), mm(snaps), mm(meta))
}
