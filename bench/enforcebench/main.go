// Command enforcebench measures what broker-side schema enforcement costs
// a producer: produce MB/s to one in-process Tributary node, in the same
// run, for three topics fed the same records — an order event of about
// twenty fields over four nested messages, 300–500 bytes encoded, in the
// Confluent wire format:
//
//	plain      no enforcement
//	parsed     a data_enforcement policy: schema id of <topic>-value, payload parses (on_parse_error REJECT_BATCH)
//	validated  bufstream.validate.mode=reject: parse and protovalidate (standard and CEL rules)
//
// Each topic is produced to in turn, rounds times, and the best round of
// each is reported with its ratio to plain, in MB/s and in the process's
// CPU time per record (client included: user and system time over the
// round). On a busy machine the CPU ratio is the steadier of the two:
// throughput depends on the share of the cores the run gets, CPU per
// record hardly. It also times the enforcer's own per-record work on the
// same batches without the network or the log, which is what the ratios
// are made of.
//
//	go run ./bench/enforcebench
//	go run ./bench/enforcebench --records 200000 --rounds 3
//
// Where the cost goes (see the per-record figures it prints): each batch
// is decompressed once, by the produce path's validation, which hands its
// records on to the enforcer (recordbatch.ValidateOpen; a parse-only check
// runs inside validation's own walk of the records, ValidateVisit); the
// records' headers are not copied; each value's envelope is parsed
// without allocating and its codec found in the per-schema-id cache (two
// map lookups, the last codec reused). A parse-only check reads the
// records in one pass and scans the wire format against the descriptor
// without building a message (schema/protobuf's Codec.Verify: a table per
// message type decides most values by their one-byte tag; about 0.3 µs
// for the order). Validation decodes into a flat message instead, making
// the same checks as it goes (fields in a slice by index, strings and
// bytes sliced from the payload, lists, maps and chunks reused: about 1
// µs for the order) and runs protovalidate, which is most of the rest:
// about 2.5 µs, its e-mail and UUID regular expressions skipped for the
// values that pass a plain scan of the same rule (BENCHMARKS.md has the
// figures). On a machine with few cores that CPU is taken from the same
// cores the produce path uses, so the throughput ratio is about (log
// cost) / (log cost + enforcement cost) per byte.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/tributary-io/tributary/broker/enforce"
	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/internal/freeport"
	"github.com/tributary-io/tributary/log/recordbatch"
	"github.com/tributary-io/tributary/node"
	"github.com/tributary-io/tributary/topicconfig"
)

type options struct {
	records    int
	rounds     int
	partitions int
	linger     time.Duration
}

func main() {
	var o options
	flag.IntVar(&o.records, "records", 100_000, "records per topic per round")
	flag.IntVar(&o.rounds, "rounds", 2, "rounds (each produces to every topic once)")
	flag.IntVar(&o.partitions, "partitions", 3, "partitions per topic")
	flag.DurationVar(&o.linger, "linger", 5*time.Millisecond, "intake linger of the node")
	only := flag.String("only", "", "measure only this topic (plain, parsed, validated)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the produce rounds to this file")
	flag.Parse()
	if *only != "" {
		topics = []string{*only}
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			if err := pprof.StartCPUProfile(f); err != nil {
				fmt.Fprintln(os.Stderr, "enforcebench: cpuprofile:", err)
			}
			defer pprof.StopCPUProfile()
		}
	}
	if err := run(o); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "enforcebench:", err)
		os.Exit(1)
	}
}

var topics = []string{"plain", "parsed", "validated"}

func run(o options) error {
	regAddr, err := freeport.Addr()
	if err != nil {
		return err
	}
	n, dir, err := startNode(o, regAddr)
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }()             // best effort: a leftover temporary directory harms nothing
	defer func() { _ = n.Close(context.Background()) }() // the figures are printed; a shutdown error changes none
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	addr, regURL := n.KafkaAddr(), "http://"+regAddr
	if err := createTopics(ctx, addr, o); err != nil {
		return err
	}
	id, err := register(ctx, regURL)
	if err != nil {
		return err
	}
	values, err := orderValues(id, 4096)
	if err != nil {
		return err
	}
	avg := 0
	for _, v := range values {
		avg += len(v)
	}
	avg /= len(values)
	fmt.Printf("cores=%d GOMAXPROCS=%d records=%d/topic/round rounds=%d value≈%dB (order event, ~20 fields, 4 nested messages) partitions=%d acks=all idempotent linger=%v\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), o.records, o.rounds, avg, o.partitions, o.linger)
	best := map[string]float64{}
	cpu := map[string]float64{} // least CPU µs per record of any round
	for round := 1; round <= o.rounds; round++ {
		for _, t := range topics {
			before := cpuTime()
			mbps, err := produce(ctx, addr, t, values, o.records)
			if err != nil {
				return fmt.Errorf("%s: %w", t, err)
			}
			per := float64((cpuTime() - before).Nanoseconds()) / 1000 / float64(o.records)
			fmt.Printf("  round %d  %-9s %6.1f MB/s  %6.2f µs CPU/record\n", round, t, mbps, per)
			best[t] = max(best[t], mbps)
			if c, ok := cpu[t]; !ok || per < c {
				cpu[t] = per
			}
		}
	}
	fmt.Println("produce (best round; CPU is the process's, client included, so it holds on a busy machine):")
	for _, t := range topics {
		fmt.Printf("  %-9s %6.1f MB/s  %8.0f records/s  ratio to plain %.2f   %6.2f µs CPU/record  CPU ratio %.2f\n",
			t, best[t], best[t]*(1<<20)/float64(avg), best[t]/best["plain"], cpu[t], cpu["plain"]/cpu[t])
	}
	if best["plain"] == 0 {
		return nil
	}
	costs, err := perRecord(ctx, regURL, values)
	if err != nil {
		return err
	}
	logCost := cpu["plain"]
	fmt.Printf("cost: without enforcement the run spends about %.1f µs of CPU per record (client included);\n", logCost)
	fmt.Printf("      a parse check adds %.1f µs, validation %.1f µs: expected ratios about %.2f and %.2f when CPU-bound.\n",
		costs[0], costs[1], logCost/(logCost+costs[0]), logCost/(logCost+costs[1]))
	return nil
}

// perRecord times the enforcer alone on 100-record batches of the same
// values: what each record costs the broker's CPU (the process's CPU time,
// the node idle meanwhile), without network, log or client, in µs,
// parse-only then validated.
func perRecord(ctx context.Context, regURL string, values [][]byte) ([2]float64, error) {
	var costs [2]float64
	reg := []config.NamedRegistry{{Name: "csr", Confluent: &config.ConfluentRegistry{URL: regURL}}}
	pol := []config.Policy{{Topics: config.StringMatcher{Equal: "parsed"}, SchemaRegistry: "csr", Values: config.Element{OnParseError: config.RejectBatch}}}
	enf, err := enforce.New(enforce.Config{Registries: reg, Produce: pol, Default: reg[0].Confluent}, nil)
	if err != nil {
		return costs, err
	}
	var recs []recordbatch.NewRecord
	for i := range 100 {
		recs = append(recs, recordbatch.NewRecord{Value: values[i], Timestamp: time.Now().UnixMilli()})
	}
	batch := recordbatch.Build(recs)
	batches, opened, err := recordbatch.ValidateOpen(batch, recordbatch.ValidateOptions{})
	if err != nil {
		return costs, err
	}
	fmt.Println("enforcer alone, CPU per record (one goroutine):")
	for i, c := range []struct {
		name    string
		topic   string
		configs map[string]string
	}{
		{"read records + envelope + codec lookup + parse (Verify)", "parsed", nil},
		{"... + decode and protovalidate", "validated", map[string]string{topicconfig.ValidateMode: "reject"}},
	} {
		p := enf.Produce(c.topic, topicconfig.Parse(c.configs).Validation)
		if res, err := p.CheckOpen(ctx, 0, batch, batches, opened); err != nil || res.Rejected {
			return costs, fmt.Errorf("%s: %v %v", c.topic, err, res.Message)
		}
		const iters = 1000
		start := cpuTime()
		for range iters {
			if _, err := p.CheckOpen(ctx, 0, batch, batches, opened); err != nil {
				return costs, fmt.Errorf("%s: %w", c.topic, err)
			}
		}
		per := (cpuTime() - start) / (iters * 100)
		costs[i] = float64(per.Nanoseconds()) / 1000
		fmt.Printf("  %-56s %6.2f µs  (%.0f MB/s of values per core)\n", c.name, float64(per.Nanoseconds())/1000,
			float64(len(batch))/100/float64(per.Nanoseconds())*1e9/(1<<20))
	}
	return costs, nil
}

func startNode(o options, regAddr string) (*node.Node, string, error) {
	dir, err := os.MkdirTemp("", "enforcebench-")
	if err != nil {
		return nil, "", err
	}
	yaml := fmt.Sprintf(`version: v1beta1
data_enforcement:
  schema_registries:
    - name: csr
      confluent:
        url: http://%s
  produce:
    - topics: { equal: parsed }
      schema_registry: csr
      values:
        on_parse_error: REJECT_BATCH
        on_no_schema: REJECT_BATCH
`, regAddr)
	cfg, err := config.Parse([]byte(yaml))
	if err != nil {
		return nil, "", err
	}
	cfg.DataDir = dir
	cfg.Kafka.Listeners[0].ListenAddress = "127.0.0.1:0"
	cfg.Kafka.Listeners[0].AdvertiseAddress = ""
	cfg.Admin.ListenAddress = "127.0.0.1:0"
	cfg.Catalog.ListenAddress = "127.0.0.1:0"
	cfg.Registry.ListenAddress = regAddr
	cfg.Intake.Linger = o.linger
	n, err := node.Start(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), node.Hooks{})
	return n, dir, err
}

func createTopics(ctx context.Context, addr string, o options) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	for _, t := range topics {
		var cfg map[string]*string
		if t == "validated" {
			mode := "reject"
			cfg = map[string]*string{topicconfig.ValidateMode: &mode}
		}
		res, err := adm.CreateTopic(ctx, int32(o.partitions), 1, cfg, t)
		if err == nil {
			err = res.Err
		}
		if err != nil {
			return fmt.Errorf("create %s: %w", t, err)
		}
	}
	return nil
}

func register(ctx context.Context, url string) (int, error) {
	cl, err := sr.NewClient(sr.URLs(url))
	if err != nil {
		return 0, err
	}
	id := 0
	for _, t := range topics {
		ss, err := cl.CreateSchema(ctx, t+"-value", sr.Schema{Schema: orderProto, Type: sr.TypeProtobuf})
		if err != nil {
			return 0, fmt.Errorf("register: %w", err)
		}
		id = ss.ID
	}
	return id, nil
}

// produce sends count records, cycling through values, as fast as the
// client allows, and returns MB/s of record values acknowledged.
func produce(ctx context.Context, addr, topic string, values [][]byte, count int) (float64, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(topic),
		kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerBatchMaxBytes(1<<20), kgo.MaxBufferedRecords(50_000))
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	bytes := 0
	r := rand.New(rand.NewPCG(1, 1))
	start := time.Now()
	for i := range count {
		v := values[(i+r.IntN(7))%len(values)]
		bytes += len(v)
		wg.Add(1)
		cl.Produce(ctx, &kgo.Record{Value: v}, func(_ *kgo.Record, err error) {
			if err != nil {
				mu.Lock()
				firstErr = err
				mu.Unlock()
			}
			wg.Done()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return 0, firstErr
	}
	return float64(bytes) / (1 << 20) / elapsed.Seconds(), nil
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
