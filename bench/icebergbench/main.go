// Command icebergbench measures the Iceberg side of Tributary and prints
// the figures:
//
//   - Throughput per core of decode → Arrow → Parquet on a realistic
//     message (bench.proto: about 20 fields, nested, 300–500 bytes),
//     beside proto.Unmarshal of generated code on the same bytes (the
//     ceiling to approach): records and MB per CPU-second of arrowconv
//     alone, of arrowconv with pqarrow writing zstd Parquet, and of
//     ingest's whole per-record path (envelope, arrowconv, the table's
//     layout, Parquet with the table's properties and the commit through
//     the built-in catalog). The published figure to beat is about
//     5 MiB/s per core; the aim is ten times that.
//   - Freshness: p50/p99 from a produce acknowledgement to the row being
//     visible in a scan, on an in-process node, at a 1 s commit interval
//     and at the default one (60 s, bounded to a few commits).
//
// The message's generated code is a copy of arrowconv's benchmark message
// (internal/orderpb; arrowconv's own is internal to it), and the records
// are the same, from the same seed, as arrowconv's BenchmarkConvert*.
//
//	go run ./bench/icebergbench                         # everything (~4 min: 3 commits at 60 s)
//	go run ./bench/icebergbench --default-commits 0     # skip the 60 s interval
//	go run ./bench/icebergbench --parts throughput
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/internal/benchpb"
	"github.com/tributary-io/tributary/node"
	"github.com/tributary-io/tributary/schema/protobuf"
	"github.com/tributary-io/tributary/schema/wire"
)

type options struct {
	parts          string
	stages         string
	tableProps     string
	stageTime      time.Duration
	commitRecords  int
	batchRows      int
	rate           int
	commits1s      int
	defaultCommits int
	poll           time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.parts, "parts", "throughput,freshness", "what to measure: throughput, freshness or both")
	flag.StringVar(&o.stages, "stages", "unmarshal,arrow,parquet,ingest", "throughput: which stages run (unmarshal, arrow, parquet, ingest), with --cpuprofile to profile one alone")
	flag.StringVar(&o.tableProps, "table-props", "", "throughput, ingest path: table properties k=v,k=v the bench table is created with, over iceberg's defaults (e.g. write.parquet.compression-codec=snappy)")
	flag.DurationVar(&o.stageTime, "stage-time", 3*time.Second, "throughput: how long each stage runs")
	flag.IntVar(&o.commitRecords, "commit-records", 131072, "throughput, ingest path: records per commit (about ingest's 64 MiB buffer at 400-byte records is 160k)")
	flag.IntVar(&o.batchRows, "batch-rows", 0, "throughput, ingest path: rows per Arrow batch handed to the writer; 0 cuts only at the commit, as ingest does (one batch per commit)")
	flag.IntVar(&o.rate, "rate", 500, "freshness: records/s produced")
	flag.IntVar(&o.commits1s, "commits", 20, "freshness at a 1 s interval: data commits to measure over")
	flag.IntVar(&o.defaultCommits, "default-commits", 3, "freshness at the default interval: data commits to measure over (0 skips it)")
	flag.DurationVar(&o.poll, "poll", 10*time.Millisecond, "freshness: how often the table is loaded")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *cpuProfile != "" {
		if f, err := os.Create(*cpuProfile); err == nil {
			if err := pprof.StartCPUProfile(f); err != nil {
				fmt.Fprintln(os.Stderr, "icebergbench: cpuprofile:", err)
			}
		}
	}
	err := run(o)
	pprof.StopCPUProfile()
	if err != nil {
		fmt.Fprintln(os.Stderr, "icebergbench:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "icebergbench-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }() // best effort: a leftover temporary directory harms nothing
	n, err := startNode(dir)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		_ = n.Close(cctx) // the figures are printed; a shutdown error changes none
	}()
	fmt.Printf("icebergbench: %s/%s, %d cores, Go %s; an in-process node on %s (embedded stores)\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), strings.TrimPrefix(runtime.Version(), "go"), dir)
	if strings.Contains(o.parts, "throughput") {
		if err := throughput(ctx, o, n.CatalogAddr()); err != nil {
			return err
		}
	}
	if !strings.Contains(o.parts, "freshness") {
		return nil
	}
	id, value, err := orderValues(ctx, n.RegistryAddr())
	if err != nil {
		return err
	}
	runs := []freshRun{{name: "1 s", topic: "fresh_1s", interval: time.Second, commits: o.commits1s, rate: o.rate}}
	if o.defaultCommits > 0 {
		runs = append(runs, freshRun{name: "default", topic: "fresh_default", commits: o.defaultCommits, rate: o.rate})
	}
	for _, r := range runs {
		if err := freshness(ctx, o, n.KafkaAddr(), n.CatalogAddr(), id, value, r); err != nil {
			return err
		}
	}
	return nil
}

// startNode starts a node on dir with every listener on a free
// 127.0.0.1 port.
func startNode(dir string) (*node.Node, error) {
	cfg := config.Default()
	cfg.DataDir = dir
	cfg.Kafka.Listeners[0].ListenAddress = "127.0.0.1:0"
	cfg.Kafka.Listeners[0].AdvertiseAddress = ""
	cfg.Admin.ListenAddress = "127.0.0.1:0"
	cfg.Registry.ListenAddress = "127.0.0.1:0"
	cfg.Catalog.ListenAddress = "127.0.0.1:0"
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("TRIBUTARY_BENCH_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return node.Start(cfg, log, node.Hooks{})
}

// orderValues registers bench.proto with the node's registry and returns
// its id and the value of record i: order i (cycling) in the Confluent
// envelope.
func orderValues(ctx context.Context, registryAddr string) (int, func(int) []byte, error) {
	cl, err := sr.NewClient(sr.URLs("http://" + registryAddr))
	if err != nil {
		return 0, nil, err
	}
	ss, err := cl.CreateSchema(ctx, "orders-value", sr.Schema{Schema: benchpb.Source, Type: sr.TypeProtobuf})
	if err != nil {
		return 0, nil, fmt.Errorf("register bench.proto: %w", err)
	}
	recs, _ := benchpb.Orders(32768)
	prefix := wire.Append(nil, ss.ID, protobuf.IndexesOf((&benchpb.Order{}).ProtoReflect().Descriptor()))
	return ss.ID, func(i int) []byte {
		return append(append([]byte(nil), prefix...), recs[i%len(recs)]...)
	}, nil
}
