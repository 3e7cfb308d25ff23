// Command clusterbench measures Tributary in cluster mode on this machine:
// 1, 2 and 3 broker processes (`tributary serve`, built from this module)
// on one Postgres and one S3 server (versitygw), both started here, after
// one broker on local disk and the embedded store (--local), whose MB/s the
// cluster rows are divided by ("÷ local").
//
// Each round gets a fresh database and bucket, starts its brokers, creates
// a topic of 6 partitions and runs franz-go producers (idempotent,
// acks=all, 1 KiB incompressible records) spread evenly over the brokers,
// each pinned to its broker. Two phases:
//
//   - throughput: every producer sends its share back to back; MB/s, and
//     the latency of each record from its Produce call to its
//     acknowledgement (p50/p99; under saturation this includes the time
//     spent in the client's buffer);
//   - paced: a fixed total rate (default 1000 records/s) for a few
//     seconds; the latency of a cluster that is not saturated.
//
// The paced phase also gives S3 PUTs per second and what they cost a day
// per broker at S3 Standard's request price ($0.005 per 1,000 PUTs): at
// 1,000 records/s of 1 KiB that is the cost of a 1 MB/s trickle, set by
// the intake linger (intake.s3_delay_max; compare with --set).
//
// With 3 or more brokers the round ends with a failover: the second broker
// is killed with SIGKILL and the time until a produce to every partition
// is acknowledged through the others is printed.
//
// A last round (recovery.go; --restarts, --outage, --recovery-brokers,
// --idle-for) counts the Postgres statements idle brokers send per second
// (heartbeats among them), then restarts Postgres and versitygw under
// load, five times each by default, and prints min/median/max from the
// store answering again to the first acknowledgement.
//
// Costs per MB produced, per phase: S3 PUTs and metadata-store appends
// (the brokers' own counters, tributary_objstore_operations_total{op="put"}
// and tributary_metastore_operations_total{op="append"}) and Postgres write
// transactions (transaction IDs consumed: exact, write transactions only);
// per round, Postgres committed transactions (pg_stat_database xact_commit
// from before the brokers start to after they stop, since backends publish
// that counter late: start-up, heartbeats, read-only transactions and
// shut-down included).
//
// On a machine of few cores the brokers, Postgres, versitygw and the
// clients share the CPUs: more brokers show the cost of each broker, not
// scale-out. The output says so.
//
//	go run ./bench/clusterbench                       # one local-disk broker, then 1, 2 and 3 on Postgres + S3
//	go run ./bench/clusterbench --brokers 3 --records 100000
//	go run ./bench/clusterbench --brokers= --restarts 5  # the recovery round alone
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tributary-io/tributary/internal/testpg"
	"github.com/tributary-io/tributary/internal/tests3"
)

type options struct {
	brokers    []int
	records    int
	size       int
	partitions int
	producers  int
	pacedRate  int
	pacedFor   time.Duration
	keep       bool
	set        string
	local      bool
	// the recovery round (recovery.go)
	restarts        int
	outage          time.Duration
	recoveryBrokers int
	idleFor         time.Duration
}

func main() {
	var o options
	brokers := flag.String("brokers", "1,2,3", "broker counts to measure, comma-separated")
	flag.IntVar(&o.records, "records", 200_000, "records per round in the throughput phase")
	flag.IntVar(&o.size, "size", 1024, "record value size in bytes")
	flag.IntVar(&o.partitions, "partitions", 6, "partitions of the topic")
	flag.IntVar(&o.producers, "producers", 6, "producer clients, spread evenly over the brokers")
	flag.IntVar(&o.pacedRate, "paced-rate", 1000, "records/s in all in the paced phase (0 skips it)")
	flag.DurationVar(&o.pacedFor, "paced-for", 5*time.Second, "length of the paced phase")
	flag.BoolVar(&o.local, "local", true, "first a round of one broker on local disk and the embedded store, the figure the cluster rows are divided by")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary directory (server logs)")
	flag.StringVar(&o.set, "set", "", "yaml appended to the brokers' config (top-level keys), e.g. 'intake: {s3_delay_max: 5ms}'")
	flag.IntVar(&o.restarts, "restarts", 5, "recovery round: restarts of Postgres and of versitygw each under load (0 skips)")
	flag.DurationVar(&o.outage, "outage", 2*time.Second, "recovery round: how long each store stays down")
	flag.IntVar(&o.recoveryBrokers, "recovery-brokers", 2, "recovery round: brokers")
	flag.DurationVar(&o.idleFor, "idle-for", 10*time.Second, "recovery round: idle time over which Postgres statements are counted (0 skips)")
	flag.Parse()
	for _, f := range strings.Split(*brokers, ",") {
		if *brokers == "" {
			break // --brokers= : the recovery round alone
		}
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "clusterbench: --brokers: %q is not a broker count\n", f)
			os.Exit(2)
		}
		o.brokers = append(o.brokers, n)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "clusterbench:", err)
		os.Exit(1)
	}
}

// env is what every round shares.
type env struct {
	o    options
	root string
	bin  string
	pg   *testpg.Server
	s3   tests3.Server
	vals values
}

func run(o options) error {
	root, err := os.MkdirTemp("", "clusterbench-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Println("temporary directory:", root)
	} else {
		defer func() { _ = os.RemoveAll(root) }() // best effort: a leftover temporary directory harms nothing
	}
	if err := os.Chmod(root, 0o755); err != nil { // the postgres user must reach its directory
		return err
	}
	e := &env{o: o, root: root, vals: newValues(o.size)}
	if e.bin, err = buildTributary(root); err != nil {
		return err
	}
	if e.pg, err = testpg.Launch(filepath.Join(root, "postgres")); err != nil {
		return err
	}
	defer func() { _ = e.pg.Close() }() // a test server going away: nothing to keep
	if e.s3, err = tests3.Launch(filepath.Join(root, "s3")); err != nil {
		return err
	}
	defer e.s3.Close()

	fmt.Printf("clusterbench: config extra %q; %d KiB records, acks=all, idempotent, %d partitions, %d producers spread over the brokers; "+
		"Postgres (fsync on) and versitygw on this machine; %d cores\n", o.set, o.size/1024, o.partitions, o.producers, runtime.NumCPU())
	var rows []row
	if o.local && len(o.brokers) > 0 {
		r, err := e.round(1, true)
		if err != nil {
			return fmt.Errorf("local disk: %w", err)
		}
		rows = append(rows, r)
		fmt.Fprintln(os.Stderr, "  1 broker on local disk done")
	}
	for _, n := range o.brokers {
		r, err := e.round(n, false)
		if err != nil {
			return fmt.Errorf("%d brokers: %w", n, err)
		}
		rows = append(rows, r)
		fmt.Fprintf(os.Stderr, "  %d broker(s) done\n", n)
	}
	if len(rows) > 0 {
		if err := printTable(os.Stdout, o, rows); err != nil {
			return err
		}
	}
	if o.recoveryBrokers < 1 || (o.restarts <= 0 && o.idleFor <= 0) {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	rec, err := e.recoveryRound(ctx)
	if err != nil {
		return fmt.Errorf("recovery round: %w", err)
	}
	return printRecovery(os.Stdout, rec)
}

// row is one round's figures.
type row struct {
	brokers      int
	local        bool // one broker on local disk and the embedded store
	thru, paced  phase
	failover     time.Duration // 0: not measured (fewer than 3 brokers)
	xactCommit   int64         // over the whole round
	mb           float64       // produced over the whole round
	roundElapsed time.Duration
}

// phase is one produce phase and what it cost.
type phase struct {
	loadResult
	puts, appends float64
	writeXacts    int64
}

func (p phase) perMB(v float64) float64 { return v / (float64(p.bytes) / (1 << 20)) }

// round measures n brokers on a fresh database and bucket.
func (e *env) round(n int, local bool) (row, error) {
	r := row{brokers: n, local: local}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	name, db, bucket := fmt.Sprintf("cluster-%d", n), fmt.Sprintf("bench_%d", n), fmt.Sprintf("bench-%d", n)
	yaml := e.o.set + "\n" // local: embedded defaults (data directory, bbolt)
	var xact0 int64
	if local {
		name = "local"
	} else {
		if _, err := e.query(ctx, "postgres", "CREATE DATABASE "+db); err != nil {
			return r, fmt.Errorf("create database: %w", err)
		}
		if err := e.s3.CreateBucket(ctx, bucket); err != nil {
			return r, fmt.Errorf("create bucket: %w", err)
		}
		yaml = e.s3.BufstreamYAML(e.pg.DSN(db), bucket) + yaml
		var err error
		if xact0, err = e.xactCommit(ctx, db); err != nil {
			return r, err
		}
	}
	cfg := filepath.Join(e.root, name+".yaml")
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		return r, err
	}
	var bs []*broker
	defer func() {
		for _, b := range bs {
			b.stop()
		}
	}()
	for i := range n {
		b, err := startBroker(e.bin, cfg, filepath.Join(e.root, fmt.Sprintf("data-%s-%d", name, i)))
		if err != nil {
			return r, err
		}
		bs = append(bs, b)
	}
	if err := r.measure(ctx, e, bs); err != nil {
		return r, err
	}
	for _, b := range bs {
		b.stop() // backends publish their statistics as they exit
	}
	bs = nil
	r.roundElapsed = time.Since(start)
	if local {
		return r, nil
	}
	xact1, err := e.xactCommit(ctx, db)
	if err != nil {
		return r, err
	}
	r.xactCommit = xact1 - xact0
	return r, nil
}

// measure creates the topic, warms every producer up, and runs both
// phases.
func (r *row) measure(ctx context.Context, e *env, bs []*broker) error {
	const topic = "bench"
	if err := createTopic(ctx, bs[0].kafka, topic, e.o.partitions); err != nil {
		return err
	}
	var clients []*kgo.Client
	defer func() {
		for _, cl := range clients {
			cl.Close()
		}
	}()
	for i := range e.o.producers {
		cl, err := pinnedProducer(bs[i%len(bs)].kafka, topic, max(1000, e.o.records/e.o.producers))
		if err != nil {
			return err
		}
		clients = append(clients, cl)
	}
	warm, err := produceLoad(ctx, clients, e.vals, 50, 0) // connections, producer IDs
	if err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	r.thru, err = e.phase(ctx, bs, func() (loadResult, error) {
		return produceLoad(ctx, clients, e.vals, e.o.records/e.o.producers, 0)
	})
	if err != nil {
		return err
	}
	if e.o.pacedRate > 0 {
		per := e.o.pacedRate * int(e.o.pacedFor/time.Millisecond) / 1000 / e.o.producers
		interval := time.Duration(e.o.producers) * time.Second / time.Duration(e.o.pacedRate)
		r.paced, err = e.phase(ctx, bs, func() (loadResult, error) {
			return produceLoad(ctx, clients, e.vals, per, interval)
		})
		if err != nil {
			return err
		}
	}
	r.mb = float64(warm.bytes+r.thru.bytes+r.paced.bytes) / (1 << 20)
	if len(bs) >= 3 {
		if r.failover, err = failover(ctx, bs, topic, e.o.partitions); err != nil {
			return fmt.Errorf("failover: %w", err)
		}
	}
	return nil
}

// phase runs load and reads the brokers' counters and Postgres's
// transaction ID around it.
func (e *env) phase(ctx context.Context, bs []*broker, load func() (loadResult, error)) (phase, error) {
	var p phase
	c0, err := scrape(bs)
	if err != nil {
		return p, err
	}
	xid0, err := e.query(ctx, "postgres", "SELECT txid_current()")
	if err != nil {
		return p, err
	}
	if p.loadResult, err = load(); err != nil {
		return p, err
	}
	xid1, err := e.query(ctx, "postgres", "SELECT txid_current()")
	if err != nil {
		return p, err
	}
	c1, err := scrape(bs)
	if err != nil {
		return p, err
	}
	p.puts, p.appends = c1.puts-c0.puts, c1.appends-c0.appends
	p.writeXacts = xid1 - xid0 - 1 // txid_current() takes one itself
	return p, nil
}

func createTopic(ctx context.Context, addr, topic string, partitions int) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		return err
	}
	defer cl.Close()
	resp, err := kadm.NewClient(cl).CreateTopic(ctx, int32(partitions), 1, nil, topic)
	if err != nil {
		return fmt.Errorf("create topic: %w", err)
	}
	return resp.Err
}
