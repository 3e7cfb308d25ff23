// Command groupbench measures a broker's consumer-group coordination with
// franz-go members:
//
//   - rebalance: a group of three members is stable; a fourth joins. The
//     figure is the time from the fourth client's creation until all four
//     hold assignments that cover every partition exactly once, over
//     several rounds (the fourth leaves between rounds, and the time until
//     the three cover everything again is reported too), for the eager
//     range balancer and the cooperative-sticky one;
//   - OffsetCommit latency: one member commits offsets for every partition
//     (CommitOffsetsSync, one request each), a few thousand times; and
//     OffsetFetch latency through kadm.
//
// Without --brokers it starts a Tributary node in process on a temporary
// data dir; with --brokers it measures whatever listens there, with the
// same client code.
//
//	go run ./bench/groupbench
//	go run ./bench/groupbench --brokers 127.0.0.1:9092 --rounds 10
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/node"
)

type options struct {
	brokers    string
	topic      string
	partitions int
	rounds     int
	commits    int
	fetches    int
	heartbeat  time.Duration
	session    time.Duration
	settle     time.Duration // the most one rebalance may take before the run fails
}

func main() {
	var o options
	flag.StringVar(&o.brokers, "brokers", "", "broker to measure; empty starts a Tributary node in process")
	flag.StringVar(&o.topic, "topic", "groupbench", "topic to create and consume")
	flag.IntVar(&o.partitions, "partitions", 8, "partitions of the topic")
	flag.IntVar(&o.rounds, "rounds", 5, "join/leave rounds per balancer")
	flag.IntVar(&o.commits, "commits", 3000, "OffsetCommit requests to time")
	flag.IntVar(&o.fetches, "fetches", 500, "OffsetFetch requests to time")
	flag.DurationVar(&o.heartbeat, "heartbeat", 500*time.Millisecond, "members' heartbeat interval (members learn of a rebalance on a heartbeat)")
	flag.DurationVar(&o.session, "session", 10*time.Second, "members' session timeout")
	flag.DurationVar(&o.settle, "settle-timeout", 60*time.Second, "fail if a rebalance takes longer")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "groupbench:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	addr, broker := o.brokers, o.brokers
	if addr == "" {
		n, dir, err := startNode()
		if err != nil {
			return err
		}
		defer func() { _ = os.RemoveAll(dir) }()             // best effort: a leftover temporary directory harms nothing
		defer func() { _ = n.Close(context.Background()) }() // the figures are printed; a shutdown error changes none
		addr, broker = n.KafkaAddr(), "tributary(in-process)"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	adm, err := newAdmin(addr)
	if err != nil {
		return err
	}
	defer adm.Close()
	if err := prepareTopic(ctx, adm, addr, o); err != nil {
		return err
	}
	fmt.Printf("broker=%s cores=%d GOMAXPROCS=%d partitions=%d heartbeat=%v session=%v\n",
		broker, runtime.NumCPU(), runtime.GOMAXPROCS(0), o.partitions, o.heartbeat, o.session)
	for _, b := range []struct {
		name string
		bal  kgo.GroupBalancer
	}{
		{"range (eager)", kgo.RangeBalancer()},
		{"cooperative-sticky", kgo.CooperativeStickyBalancer()},
	} {
		join, leave, err := rebalanceRounds(ctx, addr, "groupbench-"+strings.Fields(b.name)[0], b.bal, o)
		if err != nil {
			return fmt.Errorf("rebalance with %s: %w", b.name, err)
		}
		fmt.Printf("rebalance %s: 4th member joins → all 4 assigned: p50=%v max=%v; it leaves → 3 assigned: p50=%v max=%v (%d rounds)\n",
			b.name, quantile(join, 0.5), quantile(join, 1), quantile(leave, 0.5), quantile(leave, 1), o.rounds)
	}
	lat, took, err := commitLatency(ctx, addr, o)
	if err != nil {
		return fmt.Errorf("offset commits: %w", err)
	}
	fmt.Printf("offset commit (%d partitions per request, one member, sync): p50=%v p99=%v max=%v over %d commits (%.0f commits/s)\n",
		o.partitions, quantile(lat, 0.5), quantile(lat, 0.99), quantile(lat, 1), len(lat), float64(len(lat))/took.Seconds())
	flat, err := fetchLatency(ctx, adm, o)
	if err != nil {
		return fmt.Errorf("offset fetches: %w", err)
	}
	fmt.Printf("offset fetch (kadm FetchOffsets, one group): p50=%v p99=%v max=%v over %d fetches\n",
		quantile(flat, 0.5), quantile(flat, 0.99), quantile(flat, 1), len(flat))
	return nil
}

func startNode() (*node.Node, string, error) {
	dir, err := os.MkdirTemp("", "groupbench-")
	if err != nil {
		return nil, "", err
	}
	cfg := config.Default()
	cfg.DataDir = dir
	cfg.Kafka.Listeners[0].ListenAddress = "127.0.0.1:0"
	cfg.Kafka.Listeners[0].AdvertiseAddress = ""
	cfg.Admin.ListenAddress = "127.0.0.1:0"
	n, err := node.Start(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), node.Hooks{})
	return n, dir, err
}

func newAdmin(addr string) (*kadm.Client, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		return nil, err
	}
	return kadm.NewClient(cl), nil
}

// prepareTopic creates the topic and writes 100 records to each partition,
// so that commits have offsets below the high watermark to name.
func prepareTopic(ctx context.Context, adm *kadm.Client, addr string, o options) error {
	resp, err := adm.CreateTopic(ctx, int32(o.partitions), 1, nil, o.topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		return fmt.Errorf("create topic %s: %w", o.topic, err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(o.topic), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		return err
	}
	defer cl.Close()
	var recs []*kgo.Record
	for p := range int32(o.partitions) {
		for i := range 100 {
			recs = append(recs, &kgo.Record{Partition: p, Value: fmt.Appendf(nil, "%d-%d", p, i)})
		}
	}
	return cl.ProduceSync(ctx, recs...).FirstErr()
}

// quantile is the q-quantile of ds (q = 1: the maximum), rounded.
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[int(q*float64(len(s)-1))].Round(10 * time.Microsecond)
}

var errSettle = errors.New("group did not settle")
