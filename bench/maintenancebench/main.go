// Command maintenancebench measures table maintenance: it writes a table
// of many small files the way ingest does (commits of a few thousand
// realistic orders over three Kafka partitions), times three queries with
// iceberg-go (a count, a filter on kafka.event_timestamp, a sum over the
// nested val.total.units), compacts the table with package maintenance,
// and times the queries again. It prints compaction MB/s per core (input
// bytes over CPU seconds, the whole process) and wall time, and each
// query's before/after ratio.
//
//	go run ./bench/maintenancebench [--bytes 64MiB] [--commit-records 2000]
//
// With --steady DURATION it measures the steady state instead: ingest
// commits --steady-rate records every second (on --steady-history of rows
// already compacted) while a maintenance Runner with serve's default
// iceberg_maintenance settings keeps the table, and every --steady-sample
// the same queries are timed on the live table and on one file of the
// same rows, printed as ratios (then the median and worst per engine and
// query), with the live table's shape (data files, manifests, snapshots,
// metadata.json size) and the write amplification maintenance cost. The
// steady run times the queries in DuckDB and PyIceberg (queries.py, in a
// virtualenv under the user cache dir or $MAINTENANCEBENCH_VENV, filled
// from PyPI on first use) and, with --steady-iceberg-go, in iceberg-go:
// one warming run, then the median of --steady-runs.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	iceberggo "github.com/apache/iceberg-go"
	icerest "github.com/apache/iceberg-go/catalog/rest"
	icetable "github.com/apache/iceberg-go/table"

	"github.com/tributary-io/tributary/arrowconv"
	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/iceberg"
	"github.com/tributary-io/tributary/internal/benchcatalog"
	"github.com/tributary-io/tributary/internal/benchpb"
	"github.com/tributary-io/tributary/maintenance"
)

type options struct {
	bytes         config.ByteSize
	commitRecords int
	dir           string
	pristine      string
	noQueries     bool
	steady        steadyOptions
}

func main() {
	o := options{bytes: 64 * config.MiB, commitRecords: 2000}
	flag.Func("bytes", "Parquet bytes of small files to write before compacting (default 64MiB)", func(s string) error {
		b, err := config.ParseByteSize(s)
		o.bytes = b
		return err
	})
	flag.IntVar(&o.commitRecords, "commit-records", o.commitRecords, "records per commit (one small file each)")
	flag.StringVar(&o.dir, "dir", "", "work directory (default: a temporary one, removed)")
	flag.BoolVar(&o.noQueries, "no-queries", false, "time the compaction only, not the queries before and after")
	flag.StringVar(&o.pristine, "pristine", "", "with --dir: a copy of the table before compaction is kept here, and reused (not written again) when it exists")
	flag.DurationVar(&o.steady.dur, "steady", 0, "instead: the steady-state run, this long (ingest committing every second, maintenance on serve's defaults)")
	flag.DurationVar(&o.steady.sample, "steady-sample", 20*time.Second, "steady state: time the queries this often")
	flag.DurationVar(&o.steady.history, "steady-history", 30*time.Minute, "steady state: rows already in the table, in seconds of ingest")
	flag.BoolVar(&o.steady.icebergGo, "steady-iceberg-go", false, "steady state: time the queries in iceberg-go too (slow: it reads every column to filter)")
	flag.IntVar(&o.steady.runs, "steady-runs", 3, "steady state: timed runs of each query per sample and engine (after one that warms); the median is kept")
	flag.IntVar(&o.steady.rate, "steady-rate", 200, "steady state: records per second (three Kafka partitions)")
	flag.IntVar(&o.steady.smallFiles, "steady-small-files", 0, "steady state: the maintenance runner's small_file_threshold (default serve's)")
	flag.Parse()
	run := run
	if o.steady.dur > 0 {
		run = runSteady
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "maintenancebench:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	ctx := context.Background()
	if o.dir == "" {
		d, err := os.MkdirTemp("", "maintenancebench")
		if err != nil {
			return err
		}
		defer func() { _ = os.RemoveAll(d) }() // best effort: a leftover temporary directory harms nothing
		o.dir = d
	}
	ident := icetable.Identifier{"bench", "orders"}
	reuse := o.pristine != "" && exists(o.pristine)
	if reuse {
		if err := copyDir(o.pristine, o.dir); err != nil {
			return err
		}
	}
	cat, tbl, stop, err := openBench(ctx, o.dir, ident)
	if err != nil {
		return err
	}
	defer stop()
	fmt.Printf("maintenancebench: %d cores (GOMAXPROCS %d), writing %s of small Parquet files, %d records per commit\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), o.bytes, o.commitRecords)
	if !reuse {
		t0 := time.Now()
		files, bytes, rows, err := writeSmallFiles(ctx, tbl, o)
		if err != nil {
			return err
		}
		fmt.Printf("wrote %d files, %.1f MiB, %d rows (mean file %.0f KiB) in %s\n", files, float64(bytes)/(1<<20), rows,
			float64(bytes)/float64(files)/1024, time.Since(t0).Round(time.Millisecond))
		if o.pristine != "" {
			if err := copyDir(o.dir, o.pristine); err != nil {
				return err
			}
		}
	}

	before, err := cat.LoadTable(ctx, ident)
	if err != nil {
		return err
	}
	var qb []query
	if !o.noQueries {
		if qb, err = runQueries(ctx, before); err != nil {
			return err
		}
	}

	if prof := os.Getenv("MAINTENANCEBENCH_CPUPROFILE"); prof != "" {
		f, err := os.Create(prof)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	resetPeakRSS()
	stopHeap := heapAtPeak(os.Getenv("MAINTENANCEBENCH_MEMPROFILE"))
	cpu0, w0 := benchpb.CPUTime(), time.Now()
	rep, err := maintenance.Run(ctx, cat, ident, maintenance.Options{NoExpire: true})
	if err != nil {
		return err
	}
	cpu, wall := benchpb.CPUTime()-cpu0, time.Since(w0)
	stopHeap()
	pprof.StopCPUProfile() // the compaction only (a no-op when not profiling)
	peak := peakRSS()
	mb := float64(rep.BytesRewritten) / (1 << 20)
	fmt.Printf("compaction: %d files (%.1f MiB) → %d files (%.1f MiB) in %s wall, %s CPU: %.1f MB/s per core, %.1f MB/s wall\n",
		rep.FilesRewritten, mb, rep.FilesWritten, float64(rep.BytesWritten)/(1<<20), wall.Round(time.Millisecond), cpu.Round(time.Millisecond),
		float64(rep.BytesRewritten)/1e6/cpu.Seconds(), float64(rep.BytesRewritten)/1e6/wall.Seconds())
	fmt.Printf("peak RSS during compaction: %s\n", peak)
	if o.noQueries {
		return nil
	}

	after, err := cat.LoadTable(ctx, ident)
	if err != nil {
		return err
	}
	qa, err := runQueries(ctx, after)
	if err != nil {
		return err
	}
	fmt.Println("queries (iceberg-go, best of 3):        before      after   before/after")
	for i := range qb {
		if qb[i].result != qa[i].result {
			return fmt.Errorf("query %q: %v before, %v after compaction", qb[i].name, qb[i].result, qa[i].result)
		}
		fmt.Printf("  %-36s %9s %10s %8.1fx   (result %v)\n", qb[i].name, qb[i].took.Round(time.Millisecond), qa[i].took.Round(time.Millisecond),
			qb[i].took.Seconds()/qa[i].took.Seconds(), qa[i].result)
	}
	return nil
}

// writeSmallFiles commits batches of orders, three partitions
// interleaved, until the table holds o.bytes of data files.
func writeSmallFiles(ctx context.Context, tbl *iceberg.Table, o options) (files int, bytes, rows int64, err error) {
	md := (&benchpb.Order{}).ProtoReflect().Descriptor()
	conv, err := arrowconv.NewConverter(md, arrowconv.Options{})
	if err != nil {
		return 0, 0, 0, err
	}
	defer conv.Release()
	_, shape, err := tbl.Prepare(ctx, nil, conv.Schema())
	if err != nil {
		return 0, 0, 0, err
	}
	rb := iceberg.NewRowBuilder(nil)
	defer rb.Release()
	recs, _ := benchpb.Orders(20000)
	next := map[int32]int64{}
	start := time.Now().UnixMicro()
	key := []byte("customer-key")
	for i := 0; bytes < int64(o.bytes); {
		for range o.commitRecords {
			p := int32(i / 500 % 3) // ingest reads a partition a chunk at a time
			if err := conv.Append(recs[i%len(recs)]); err != nil {
				return files, bytes, rows, err
			}
			ts := start + int64(i)*1000 // a record per ms of event time
			rb.Append(&iceberg.Meta{Partition: p, Offset: next[p], EventTimestamp: ts, IngestTimestamp: ts, BatchStart: next[p]},
				iceberg.Part{Raw: key}, iceberg.Part{})
			next[p]++
			i++
			rows++
		}
		vals := conv.NewRecordBatch()
		b, err := rb.Finish(nil, shape, nil, vals)
		vals.Release()
		if err != nil {
			return files, bytes, rows, err
		}
		err = tbl.Commit(ctx, []arrow.RecordBatch{b}, next)
		b.Release()
		if err != nil {
			return files, bytes, rows, err
		}
		sum := tbl.Iceberg().CurrentSnapshot().Summary.Properties
		files, _ = strconv.Atoi(sum["total-data-files"])
		bytes, _ = strconv.ParseInt(sum["total-files-size"], 10, 64)
	}
	return files, bytes, rows, nil
}

type query struct {
	name   string
	took   time.Duration
	result any
}

// runQueries times each query three times and keeps the best.
func runQueries(ctx context.Context, tbl *icetable.Table) ([]query, error) {
	cut, err := lastTenth(ctx, tbl)
	if err != nil {
		return nil, err
	}
	return timeQueries(ctx, tbl, cut, 3, func(took []time.Duration) time.Duration { return slices.Min(took) })
}

// lastTenth is where the last tenth of tbl's event time starts (µs), the
// filter query's cut.
func lastTenth(ctx context.Context, tbl *icetable.Table) (int64, error) {
	lo, hi, err := eventRange(ctx, tbl)
	if err != nil {
		return 0, err
	}
	return hi - (hi-lo)/10, nil
}

// timeQueries runs each query runs times and keeps pick of the times (the
// best, the median).
func timeQueries(ctx context.Context, tbl *icetable.Table, cut int64, runs int, pick func([]time.Duration) time.Duration) ([]query, error) {
	qs := []struct {
		name string
		run  func() (any, error)
	}{
		{"count(*)", func() (any, error) {
			return sumColumn(ctx, tbl, nil, "kafka.offset", func(a arrow.Array) int64 { return int64(a.Len()) })
		}},
		{"select * where event_timestamp in last 10%", func() (any, error) {
			f := iceberggo.GreaterThanEqual(iceberggo.Reference("kafka.event_timestamp"), cut)
			return sumColumn(ctx, tbl, f, "kafka.offset", func(a arrow.Array) int64 { return int64(a.Len()) })
		}},
		{"sum(val.total.units)", func() (any, error) {
			return sumColumn(ctx, tbl, nil, "val.total.units", sumInt64)
		}},
	}
	var out []query
	for _, q := range qs {
		var took []time.Duration
		var res any
		for range runs {
			t := time.Now()
			r, err := q.run()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", q.name, err)
			}
			took, res = append(took, time.Since(t)), r
		}
		out = append(out, query{q.name, pick(took), res})
	}
	return out, nil
}

// median is the median of took (the upper one of an even count).
func median(took []time.Duration) time.Duration {
	s := slices.Clone(took)
	slices.Sort(s)
	return s[len(s)/2]
}

// sumColumn scans one column (a dotted path) with an optional row filter
// and folds f over its arrays.
func sumColumn(ctx context.Context, tbl *icetable.Table, filter iceberggo.BooleanExpression, col string, f func(arrow.Array) int64) (int64, error) {
	opts := []icetable.ScanOption{icetable.WithSelectedFields(col)}
	if filter != nil {
		// Every column: iceberg-go v0.7.0 fails ("invalid") a row
		// filter with a projection of nested fields on this layout.
		opts = []icetable.ScanOption{icetable.WithRowFilter(filter)}
	}
	_, recs, err := tbl.Scan(opts...).ToArrowRecords(ctx)
	if err != nil {
		return 0, err
	}
	var total int64
	for rec, err := range recs {
		if err != nil {
			return 0, err
		}
		a := leaf(rec, col)
		if a == nil {
			rec.Release()
			return 0, fmt.Errorf("no column %s", col)
		}
		total += f(a)
		rec.Release()
	}
	return total, nil
}

// leaf finds a dotted column in rec (through structs).
func leaf(rec arrow.RecordBatch, path string) arrow.Array {
	var cur arrow.Array
	for i, part := range splitDots(path) {
		if i == 0 {
			idx := rec.Schema().FieldIndices(part)
			if len(idx) == 0 {
				return nil
			}
			cur = rec.Column(idx[0])
			continue
		}
		st, ok := cur.(*array.Struct)
		if !ok {
			return nil
		}
		fi, ok := st.DataType().(*arrow.StructType).FieldIdx(part)
		if !ok {
			return nil
		}
		cur = st.Field(fi)
	}
	return cur
}

func splitDots(s string) []string {
	var out []string
	start := 0
	for i := range len(s) {
		if s[i] == '.' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func sumInt64(a arrow.Array) int64 {
	ints, ok := a.(*array.Int64)
	if !ok {
		return 0
	}
	var s int64
	for i := range ints.Len() {
		if ints.IsValid(i) {
			s += ints.Value(i)
		}
	}
	return s
}

// eventRange is the table's min and max kafka.event_timestamp (µs).
func eventRange(ctx context.Context, tbl *icetable.Table) (int64, int64, error) {
	_, recs, err := tbl.Scan(icetable.WithSelectedFields("kafka.event_timestamp")).ToArrowRecords(ctx)
	if err != nil {
		return 0, 0, err
	}
	lo, hi := int64(1<<62), int64(-1<<62)
	for rec, err := range recs {
		if err != nil {
			return 0, 0, err
		}
		ts, ok := leaf(rec, "kafka.event_timestamp").(*array.Timestamp)
		if !ok {
			rec.Release()
			return 0, 0, errors.New("kafka.event_timestamp is not a timestamp")
		}
		for i := range ts.Len() {
			v := int64(ts.Value(i))
			lo, hi = min(lo, v), max(hi, v)
		}
		rec.Release()
	}
	return lo, hi, nil
}

// benchProps are table properties from MAINTENANCEBENCH_PROPS (k=v,k=v),
// to try writer settings.
func benchProps() map[string]string {
	out := map[string]string{}
	for _, kv := range strings.Split(os.Getenv("MAINTENANCEBENCH_PROPS"), ",") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			out[k] = v
		}
	}
	return out
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// copyDir replaces dst by a copy of src (cp -a: the table's paths are
// absolute, so a pristine copy is restored to the --dir it was made in).
func copyDir(src, dst string) error {
	if err := os.RemoveAll(dst); err != nil {
		return err
	}
	if out, err := exec.Command("cp", "-a", src, dst).CombinedOutput(); err != nil {
		return fmt.Errorf("cp -a %s %s: %w: %s", src, dst, err, out)
	}
	return nil
}

// heapAtPeak, when path is set, writes a heap profile to it each time
// the live heap reaches a new high (checked every 200 ms) until stop.
func heapAtPeak(path string) (stop func()) {
	if path == "" {
		return func() {}
	}
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		var high uint64
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc <= high {
				continue
			}
			high = ms.HeapAlloc
			if f, err := os.Create(path); err == nil {
				_ = pprof.WriteHeapProfile(f) // a bench aid: a failed profile shows as an empty file
				_ = f.Close()
			}
		}
	}()
	return func() { close(done); <-finished }
}

// resetPeakRSS returns freed memory to the system and resets the peak
// resident set (VmHWM), so peakRSS measures what follows only.
func resetPeakRSS() {
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		fmt.Fprintln(os.Stderr, "maintenancebench: peak RSS not reset:", err)
	}
}

// peakRSS is the process's peak resident set (VmHWM), or "unknown".
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// openBench serves a catalog on a warehouse under dir and opens the
// bench's table ident in it (created with benchProps); stop ends the
// catalog.
func openBench(ctx context.Context, dir string, ident icetable.Identifier) (*icerest.Catalog, *iceberg.Table, func(), error) {
	catURL, stop, err := benchcatalog.Serve(dir)
	if err != nil {
		return nil, nil, nil, err
	}
	cat, err := icerest.NewCatalog(ctx, "bench", catURL)
	if err != nil {
		stop()
		return nil, nil, nil, err
	}
	tbl, err := iceberg.Open(ctx, cat, ident, iceberg.Options{Properties: benchProps()})
	if err != nil {
		stop()
		return nil, nil, nil, err
	}
	return cat, tbl, stop, nil
}
