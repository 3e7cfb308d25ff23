package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
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
	return nil
}

func runSteady(o options) error {
	ctx := context.Background()
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
	var ratios [][]float64
	deadline := time.Now().Add(so.dur)
	for n := 0; time.Now().Before(deadline); n++ {
		select {
		case err := <-ingestErr:
			cancel()
			return fmt.Errorf("ingest: %w", err)
		case <-time.After(so.sample):
		}
		rs, err := sampleSteady(ctx, cat, ident, n)
		if err != nil {
			cancel()
			return err
		}
		ratios = append(ratios, rs)
	}
	cancel()
	if err := <-ingestErr; err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	r.Stop()
	for _, s := range r.Status() {
		if s.LastRun != nil {
			fmt.Printf("maintenance: %d runs, last: %s\n", s.Runs, s.LastRun)
		}
		if s.LastError != "" {
			fmt.Printf("maintenance: last error %s\n", s.LastError)
		}
	}
	if logs.Len() > 0 {
		fmt.Print("maintenance warnings:\n", logs.String())
	}
	printRatioSummary(ratios)
	return nil
}

// sampleSteady times the queries on the live table and on one file of
// its rows, and prints them; it returns the ratios.
func sampleSteady(ctx context.Context, cat *icerest.Catalog, ident icetable.Identifier, n int) ([]float64, error) {
	live, err := cat.LoadTable(ctx, ident)
	if err != nil {
		return nil, err
	}
	lst, err := maintenance.TableStats(ctx, live)
	if err != nil {
		return nil, err
	}
	one, drop, err := oneFileCopy(ctx, cat, live, n)
	if err != nil {
		return nil, err
	}
	defer drop()
	ql, err := runQueries(ctx, live)
	if err != nil {
		return nil, err
	}
	qo, err := runQueries(ctx, one)
	if err != nil {
		return nil, err
	}
	var out []float64
	var parts []string
	for i := range ql {
		if ql[i].result != qo[i].result {
			return nil, fmt.Errorf("sample %d: %s: %v live, %v on one file", n, ql[i].name, ql[i].result, qo[i].result)
		}
		r := ql[i].took.Seconds() / qo[i].took.Seconds()
		out = append(out, r)
		parts = append(parts, fmt.Sprintf("%s %s/%s=%.2fx", ql[i].name, ql[i].took.Round(100*time.Microsecond), qo[i].took.Round(100*time.Microsecond), r))
	}
	fmt.Printf("  sample %2d: %d rows in %d files (mean %.0f KiB): %s\n", n, ql[0].result, lst.DataFiles,
		float64(lst.MeanFileSize())/1024, strings.Join(parts, "; "))
	return out, nil
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

func printRatioSummary(ratios [][]float64) {
	names := []string{"count(*)", "filter on event_timestamp", "sum(val.total.units)"}
	fmt.Println("steady state, live table / one file (median, worst over the samples):")
	for q, name := range names {
		var rs []float64
		for _, s := range ratios {
			if q < len(s) {
				rs = append(rs, s[q])
			}
		}
		if len(rs) == 0 {
			continue
		}
		sort.Float64s(rs)
		fmt.Printf("  %-28s median %.2fx, worst %.2fx over %d samples\n", name, rs[len(rs)/2], rs[len(rs)-1], len(rs))
	}
}
