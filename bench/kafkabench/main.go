// Command kafkabench measures a Kafka-protocol broker with franz-go: produce
// throughput of 1 KiB records at acks=all (idempotent) over 6 partitions,
// per-record produce latency (Produce call to acknowledgement, p50/p99),
// and consume throughput from the start of the topic.
//
// Without --brokers it starts a Tributary node in process on a temporary
// data dir (embedded stores, fsync on); with --brokers it measures whatever
// listens there (an Apache Kafka on the same machine, for the comparison a
// later issue asks for), so both are measured by the same client code.
//
//	go run ./bench/kafkabench                 # Tributary, defaults
//	go run ./bench/kafkabench --brokers 127.0.0.1:9092 --topic t1
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
	"sort"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/node"
)

type options struct {
	brokers    string
	topic      string
	records    int
	size       int
	partitions int
	linger     time.Duration
	flushBytes int
	// latRate and latRecords pace a second, unsaturated run that measures
	// produce latency as a steady producer sees it.
	latRate    int
	latRecords int
}

func main() {
	var o options
	flag.StringVar(&o.brokers, "brokers", "", "broker to measure; empty starts a Tributary node in process")
	flag.StringVar(&o.topic, "topic", "bench", "topic to create and use")
	flag.IntVar(&o.records, "records", 300_000, "records to produce")
	flag.IntVar(&o.size, "size", 1024, "record value size in bytes")
	flag.IntVar(&o.partitions, "partitions", 6, "partitions of the topic")
	flag.DurationVar(&o.linger, "linger", 0, "in-process node: intake linger (0: group commit, the local-disk default)")
	flag.IntVar(&o.flushBytes, "flush-bytes", 4<<20, "in-process node: intake flush size")
	flag.IntVar(&o.latRate, "latency-rate", 5000, "records/s of the paced latency run (0 skips it)")
	flag.IntVar(&o.latRecords, "latency-records", 20_000, "records of the paced latency run")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			if err := pprof.StartCPUProfile(f); err != nil {
				fmt.Fprintln(os.Stderr, "kafkabench: cpuprofile:", err)
			}
			defer pprof.StopCPUProfile()
		}
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "kafkabench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(o options) error {
	addr := o.brokers
	if addr == "" {
		n, dir, err := startNode(o)
		if err != nil {
			return err
		}
		defer func() { _ = os.RemoveAll(dir) }()             // best effort: a leftover temporary directory harms nothing
		defer func() { _ = n.Close(context.Background()) }() // the figures are printed; a shutdown error changes none
		addr = n.KafkaAddr()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := createTopic(ctx, addr, o.topic, o); err != nil {
		return err
	}
	fmt.Printf("broker=%s cores=%d GOMAXPROCS=%d records=%d size=%dB partitions=%d acks=all idempotent=true\n",
		describe(o), runtime.NumCPU(), runtime.GOMAXPROCS(0), o.records, o.size, o.partitions)
	p, err := produce(ctx, addr, o.topic, o.records, 0, o)
	if err != nil {
		return err
	}
	c, err := consume(ctx, addr, o)
	if err != nil {
		return err
	}
	mb := float64(o.records*o.size) / (1 << 20)
	fmt.Printf("produce: %.1f MB/s  %.0f records/s  saturated latency (client queue included) p50=%v p99=%v (%.2fs)\n",
		mb/p.elapsed.Seconds(), float64(o.records)/p.elapsed.Seconds(), p.p50, p.p99, p.elapsed.Seconds())
	fmt.Printf("consume: %.1f MB/s  %.0f records/s (%.2fs)\n",
		mb/c.Seconds(), float64(o.records)/c.Seconds(), c.Seconds())
	if o.latRate <= 0 {
		return nil
	}
	lat := o.topic + "-latency"
	if err := createTopic(ctx, addr, lat, o); err != nil {
		return err
	}
	l, err := produce(ctx, addr, lat, o.latRecords, o.latRate, o)
	if err != nil {
		return err
	}
	fmt.Printf("latency at %d records/s (%.1f MB/s, unsaturated): p50=%v p99=%v over %d records\n",
		o.latRate, float64(o.latRate*o.size)/(1<<20), l.p50, l.p99, o.latRecords)
	return nil
}

func describe(o options) string {
	if o.brokers != "" {
		return o.brokers
	}
	return fmt.Sprintf("tributary(in-process, linger=%v, flush=%dB)", o.linger, o.flushBytes)
}

func startNode(o options) (*node.Node, string, error) {
	dir, err := os.MkdirTemp("", "kafkabench-")
	if err != nil {
		return nil, "", err
	}
	cfg := config.Default()
	cfg.DataDir = dir
	cfg.Kafka.Listeners[0].ListenAddress = "127.0.0.1:0"
	cfg.Kafka.Listeners[0].AdvertiseAddress = ""
	cfg.Admin.ListenAddress = "127.0.0.1:0"
	cfg.Intake.Linger = o.linger
	cfg.Intake.MaxBytes = config.ByteSize(o.flushBytes)
	n, err := node.Start(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), node.Hooks{})
	return n, dir, err
}

func createTopic(ctx context.Context, addr, topic string, o options) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		return err
	}
	defer cl.Close()
	resp, err := kadm.NewClient(cl).CreateTopic(ctx, int32(o.partitions), 1, nil, topic)
	if err != nil {
		return fmt.Errorf("create topic: %w", err)
	}
	return resp.Err
}

type produceResult struct {
	elapsed  time.Duration
	p50, p99 time.Duration
}

// produce sends count records to topic, as fast as the client allows when
// rate is 0, else paced at rate records/s, and reports per-record latency
// from the Produce call to the acknowledgement.
func produce(ctx context.Context, addr, topic string, count, rate int, o options) (produceResult, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(topic),
		kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerBatchMaxBytes(1<<20), kgo.MaxBufferedRecords(50_000))
	if err != nil {
		return produceResult{}, err
	}
	defer cl.Close()
	// Random, incompressible values (as kafka-producer-perf-test uses), each
	// record a different window of one pool, so compression cannot flatter
	// the figures.
	pool := make([]byte, 8<<20+o.size)
	_, _ = rand.NewChaCha8([32]byte{1}).Read(pool) // ChaCha8.Read never fails
	lat := make([]time.Duration, count)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	start := time.Now()
	for i := 0; i < count; i++ {
		if rate > 0 {
			time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(rate))))
		}
		i, sent := i, time.Now()
		wg.Add(1)
		off := (i * 7919) % (len(pool) - o.size)
		value := pool[off : off+o.size]
		cl.Produce(ctx, &kgo.Record{Key: []byte(fmt.Sprintf("k%d", i)), Value: value}, func(_ *kgo.Record, err error) {
			lat[i] = time.Since(sent)
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
		return produceResult{}, fmt.Errorf("produce: %w", firstErr)
	}
	sort.Slice(lat, func(a, b int) bool { return lat[a] < lat[b] })
	q := func(f float64) time.Duration { return lat[int(f*float64(len(lat)-1))].Round(10 * time.Microsecond) }
	return produceResult{elapsed: elapsed, p50: q(0.50), p99: q(0.99)}, nil
}

func consume(ctx context.Context, addr string, o options) (time.Duration, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(o.topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxBytes(64<<20))
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	start := time.Now()
	got := 0
	for got < o.records {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			return 0, fmt.Errorf("consume after %d records: %w", got, err)
		}
		got += fs.NumRecords()
	}
	return time.Since(start), nil
}
