package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	icerest "github.com/apache/iceberg-go/catalog/rest"
	icetable "github.com/apache/iceberg-go/table"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/tributary-io/tributary/arrowconv"
	"github.com/tributary-io/tributary/iceberg"
	"github.com/tributary-io/tributary/internal/benchpb"
	"github.com/tributary-io/tributary/schema/protobuf"
	"github.com/tributary-io/tributary/schema/wire"
)

// batchRows is how many rows go into one Arrow record batch (ingest cuts
// a batch when the schema changes or at commit; 4096 is arrowconv's
// benchmark figure).
const batchRows = 4096

// stageResult is one measured loop.
type stageResult struct {
	name    string
	records int
	wall    time.Duration
	cpu     time.Duration
	outB    int64 // Parquet bytes written; 0 if none
}

// stage runs step for records 0, 1, 2 … (cycling over the inputs) for
// at least d, then finish, on this goroutine; CPU time is the process's
// (user + system, every thread, GC included) over the loop and finish.
type stage struct {
	name   string
	step   func(i int) error
	finish func() (outBytes int64, err error)
}

func (s stage) run(d time.Duration) (stageResult, error) {
	runtime.GC()
	r := stageResult{name: s.name}
	start, cpu0 := time.Now(), benchpb.CPUTime()
	for i := 0; ; i++ {
		if i%1024 == 0 && time.Since(start) >= d {
			r.records = i
			break
		}
		if err := s.step(i); err != nil {
			return r, fmt.Errorf("%s: record %d: %w", s.name, i, err)
		}
	}
	if s.finish != nil {
		out, err := s.finish()
		if err != nil {
			return r, fmt.Errorf("%s: %w", s.name, err)
		}
		r.outB = out
	}
	r.wall, r.cpu = time.Since(start), benchpb.CPUTime()-cpu0
	return r, nil
}

// throughput measures, on one goroutine, proto.Unmarshal into generated
// code (the ceiling) and the conversion stages on the same bytes, and
// prints records and bytes per CPU-second.
func throughput(ctx context.Context, o options, catalogAddr string) error {
	recs, mean := benchpb.Orders(32768)
	md := (&benchpb.Order{}).ProtoReflect().Descriptor()
	fmt.Printf("decode → Arrow → Parquet: %d distinct orders (bench.proto: 20 fields, nested, a list, a map, a oneof), %d bytes mean; one goroutine, %v per stage; GOMAXPROCS %d\n",
		len(recs), mean, o.stageTime, runtime.GOMAXPROCS(0))

	stages := []struct {
		name string
		mk   func() (stage, error)
	}{
		{"unmarshal", func() (stage, error) { return unmarshalStage(recs), nil }},
		{"arrow", func() (stage, error) { return arrowStage(md, recs) }},
		{"parquet", func() (stage, error) { return parquetStage(md, recs) }},
		{"ingest", func() (stage, error) {
			// Every order of a commit distinct, as a real topic's are: a
			// commit that held each order several times would flatter
			// dictionaries (smaller, and hashed longer before the writer
			// gives up on them) against real data.
			in := recs
			if o.commitRecords > len(recs) {
				in, _ = benchpb.Orders(o.commitRecords)
			}
			return ingestStage(ctx, catalogAddr, md, in, o.commitRecords, o.batchRows, o.tableProps)
		}},
	}
	var results []stageResult
	for _, st := range stages {
		if !slices.Contains(strings.Split(o.stages, ","), st.name) {
			continue
		}
		s, err := st.mk()
		if err != nil {
			return err
		}
		r, err := s.run(o.stageTime)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	printThroughput(results, mean)
	return nil
}

func printThroughput(rs []stageResult, mean int) {
	fmt.Printf("\n%-58s %14s %10s %10s %9s %12s %10s\n", "stage", "records/cpu-s", "MB/cpu-s", "MiB/cpu-s", "÷ ceiling", "records/s", "Parquet B/rec")
	base := 0.0
	for i, r := range rs {
		perCPU := float64(r.records) / r.cpu.Seconds()
		if i == 0 && strings.HasPrefix(r.name, "proto.Unmarshal") {
			base = perCPU
		}
		ratio := "-"
		if base > 0 {
			ratio = strconv.FormatFloat(perCPU/base, 'f', 2, 64)
		}
		pq := "-"
		if r.outB > 0 {
			pq = strconv.FormatFloat(float64(r.outB)/float64(r.records), 'f', 1, 64)
		}
		fmt.Printf("%-58s %14.0f %10.1f %10.1f %9s %12.0f %10s\n", r.name, perCPU,
			perCPU*float64(mean)/1e6, perCPU*float64(mean)/(1<<20), ratio, float64(r.records)/r.wall.Seconds(), pq)
	}
	last := rs[len(rs)-1]
	if !strings.HasPrefix(last.name, "ingest path") {
		return
	}
	mib := float64(last.records) * float64(mean) / (1 << 20) / last.cpu.Seconds()
	fmt.Printf("\nThe published figure to beat is about 5 MiB/s per core (the aim: ten times that, 50 MiB/s): the whole ingest path does %.1f MiB/s per core, %.1f× it.\n", mib, mib/5)
	if base > 0 {
		fmt.Printf("Issue 13's goal is the ceiling's speed (proto.Unmarshal into generated code, ≥ 100 MiB/s per core on a quiet machine): the ingest path runs at %.2f of the ceiling measured in this run.\n",
			float64(last.records)/last.cpu.Seconds()/base)
	}
	fmt.Println("Per-core rates are records per CPU-second of the whole process (getrusage), so the catalog's and the GC's work count; records/s is wall-clock.")
}

func unmarshalStage(recs [][]byte) stage {
	var m benchpb.Order
	return stage{name: "proto.Unmarshal into generated code (the ceiling)", step: func(i int) error {
		m.Reset()
		return proto.Unmarshal(recs[i%len(recs)], &m)
	}}
}

// arrowStage: wire bytes → Arrow builders, a record batch every batchRows.
func arrowStage(md protoreflect.MessageDescriptor, recs [][]byte) (stage, error) {
	c, err := arrowconv.NewConverter(md, arrowconv.Options{})
	if err != nil {
		return stage{}, err
	}
	return stage{name: "arrowconv: decode → Arrow", step: func(i int) error {
		if err := c.Append(recs[i%len(recs)]); err != nil {
			return err
		}
		if c.Len() == batchRows {
			c.NewRecordBatch().Release()
		}
		return nil
	}, finish: func() (int64, error) {
		c.Release()
		return 0, nil
	}}, nil
}

// parquetStage: the same, each batch written by pqarrow with zstd and
// Iceberg's row-group row limit (as arrowconv's BenchmarkConvertParquet).
func parquetStage(md protoreflect.MessageDescriptor, recs [][]byte) (stage, error) {
	c, err := arrowconv.NewConverter(md, arrowconv.Options{})
	if err != nil {
		return stage{}, err
	}
	var out countingWriter
	w, err := pqarrow.NewFileWriter(c.Schema(), &out,
		parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Zstd), parquet.WithMaxRowGroupLength(1<<20)),
		pqarrow.DefaultWriterProps())
	if err != nil {
		return stage{}, err
	}
	flush := func() error {
		rec := c.NewRecordBatch()
		defer rec.Release()
		return w.WriteBuffered(rec)
	}
	return stage{name: "arrowconv + pqarrow: decode → Arrow → Parquet (zstd)", step: func(i int) error {
		if err := c.Append(recs[i%len(recs)]); err != nil {
			return err
		}
		if c.Len() == batchRows {
			return flush()
		}
		return nil
	}, finish: func() (int64, error) {
		defer c.Release()
		if c.Len() > 0 {
			if err := flush(); err != nil {
				return 0, err
			}
		}
		err := w.Close()
		return int64(out), err
	}}, nil
}

// ingestStage is what ingest does per record once it has read it from
// the log: parse the Confluent envelope, decode the value with
// arrowconv, add the reserved and kafka columns (iceberg.RowBuilder),
// and every commitRecords commit the batches as one snapshot through the
// built-in catalog (conform to the table schema, Parquet with the
// table's properties, manifests, the REST commit). Rows are cut into a
// batch every cutEvery records, or, when cutEvery is 0, only at the
// commit, as ingest does (it cuts only there and where a record's schema
// changes): one batch of commitRecords rows.
func ingestStage(ctx context.Context, catalogAddr string, md protoreflect.MessageDescriptor, recs [][]byte, commitRecords, cutEvery int, tableProps string) (stage, error) {
	cat, err := icerest.NewCatalog(ctx, "bench", "http://"+catalogAddr)
	if err != nil {
		return stage{}, err
	}
	props := map[string]string{}
	for kv := range strings.SplitSeq(tableProps, ",") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			props[k] = v
		} else if kv != "" {
			return stage{}, fmt.Errorf("--table-props: %q is not k=v", kv)
		}
	}
	tbl, err := iceberg.Open(ctx, cat, icetable.Identifier{"bench", "throughput"}, iceberg.Options{Properties: props})
	if err != nil {
		return stage{}, err
	}
	c, err := arrowconv.NewConverter(md, arrowconv.Options{})
	if err != nil {
		return stage{}, err
	}
	_, shape, err := tbl.Prepare(ctx, nil, c.Schema())
	if err != nil {
		return stage{}, err
	}
	framed := make([][]byte, len(recs))
	for i, r := range recs {
		framed[i] = append(wire.Append(nil, 1, protobuf.IndexesOf(md)), r...)
	}
	rows := iceberg.NewRowBuilder(nil)
	var done []arrow.RecordBatch
	var written int64
	key := []byte("customer-key")
	cut := func() error {
		vals := c.NewRecordBatch()
		defer vals.Release()
		b, err := rows.Finish(nil, shape, nil, vals)
		if err != nil {
			return err
		}
		done = append(done, b)
		return nil
	}
	commit := func(next int64) error {
		if c.Len() > 0 {
			if err := cut(); err != nil {
				return err
			}
		}
		if len(done) == 0 {
			return nil
		}
		err := tbl.Commit(ctx, done, map[int32]int64{0: next})
		for _, b := range done {
			b.Release()
		}
		done = done[:0]
		if s := tbl.Iceberg().CurrentSnapshot(); err == nil && s != nil && s.Summary != nil {
			n, _ := strconv.ParseInt(s.Summary.Properties["added-files-size"], 10, 64)
			written += n
		}
		return err
	}
	now := time.Now().UnixMicro()
	var meta iceberg.Meta
	last := 0
	return stage{name: "ingest path: envelope → Arrow → Iceberg rows → Parquet → commit", step: func(i int) error {
		last = i
		b := framed[i%len(framed)]
		f, err := wire.Parse(b)
		if err != nil {
			return err
		}
		if err := c.Append(f.Payload); err != nil {
			return err
		}
		meta = iceberg.Meta{Offset: int64(i), EventTimestamp: now, IngestTimestamp: now, BatchStart: int64(i)}
		rows.Append(&meta, iceberg.Part{Raw: key}, iceberg.Part{Prefix: b[:len(b)-len(f.Payload)]})
		if cutEvery > 0 && c.Len() == cutEvery {
			if err := cut(); err != nil {
				return err
			}
		}
		if (i+1)%commitRecords == 0 {
			return commit(int64(i) + 1)
		}
		return nil
	}, finish: func() (int64, error) {
		defer c.Release()
		defer rows.Release()
		err := commit(int64(last) + 1)
		return written, err
	}}, nil
}

type countingWriter int64

func (w *countingWriter) Write(p []byte) (int, error) {
	*w += countingWriter(len(p))
	return len(p), nil
}

var _ io.Writer = (*countingWriter)(nil)
