package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The recovery round (--restarts): a cluster of --recovery-brokers under a
// steady load of franz-go producers with their default settings
// (idempotent, acks=all, seeded with every broker) has Postgres and then
// versitygw stopped for --outage and started again, --restarts times
// each (Postgres alternately shut down fast and crashed; versitygw
// killed). Each time the bench probes the store every 2ms from the moment
// it is started (Postgres: connect and SELECT 1; S3: HeadBucket), and
// prints the time from the first probe answered to the first record
// acknowledged after it. Before it, with the brokers idle, it counts the
// statements they send to Postgres (pg_stat_statements) over --idle-for:
// heartbeats, leases and polling, per broker per second.

// recoveryLoadRate is the records per second of the load, in all.
const recoveryLoadRate = 500

// recovery is the round's figures.
type recovery struct {
	brokers   int
	idle      time.Duration
	idleStmts int64           // statements over idle, all brokers
	idleTop   []stmtCount     // the most frequent ones
	pg, s3    []time.Duration // answering again → first ack, per restart
	failed    int             // records whose produce failed for good
	outage    time.Duration
}

type stmtCount struct {
	calls int64
	query string
}

// recoveryRound runs the round on a fresh database and bucket.
func (e *env) recoveryRound(ctx context.Context) (recovery, error) {
	rec := recovery{brokers: e.o.recoveryBrokers, idle: e.o.idleFor, outage: e.o.outage}
	const db, bucket, topic = "bench_recovery", "bench-recovery", "recovery"
	if _, err := e.query(ctx, "postgres", "CREATE DATABASE "+db); err != nil {
		return rec, fmt.Errorf("create database: %w", err)
	}
	if err := e.s3.CreateBucket(ctx, bucket); err != nil {
		return rec, fmt.Errorf("create bucket: %w", err)
	}
	cfg := filepath.Join(e.root, "cluster-recovery.yaml")
	if err := os.WriteFile(cfg, []byte(e.s3.BufstreamYAML(e.pg.DSN(db), bucket)+e.o.set+"\n"), 0o600); err != nil {
		return rec, err
	}
	var bs []*broker
	defer func() {
		for i, b := range bs {
			b.stop()
			if e.o.keep { // the brokers' logs, for a round gone wrong
				_ = os.WriteFile(filepath.Join(e.root, fmt.Sprintf("broker-recovery-%d.log", i)), b.out.Bytes(), 0o644)
			}
		}
	}()
	for i := range rec.brokers {
		b, err := startBroker(e.bin, cfg, filepath.Join(e.root, fmt.Sprintf("data-recovery-%d", i)))
		if err != nil {
			return rec, err
		}
		bs = append(bs, b)
	}
	if err := createTopic(ctx, bs[0].kafka, topic, e.o.partitions); err != nil {
		return rec, err
	}
	if rec.idle > 0 {
		var err error
		if rec.idleStmts, rec.idleTop, err = e.idleStatements(ctx, db, rec.idle); err != nil {
			return rec, fmt.Errorf("idle statements: %w", err)
		}
	}
	var seeds []string
	for _, b := range bs {
		seeds = append(seeds, b.kafka)
	}
	l, err := startAckLoad(ctx, seeds, topic, e.vals, 2*len(bs))
	if err != nil {
		return rec, err
	}
	defer l.stop()
	pg := outageKind{
		down:  func(i int) error { return e.pg.Down(i%2 == 1) },
		up:    e.pg.Up,
		probe: func(ctx context.Context) error { return pgAnswers(ctx, e.pg.DSN(db)) },
	}
	s3k := outageKind{
		down:  func(int) error { return e.s3.Down() },
		up:    e.s3.Up,
		probe: func(ctx context.Context) error { return s3Answers(ctx, e.s3.Client(), bucket) },
	}
	restarts := func(name string, k outageKind) ([]time.Duration, error) {
		var ds []time.Duration
		for i := range e.o.restarts {
			d, err := l.outage(ctx, k, i, e.o.outage)
			if err != nil {
				return ds, fmt.Errorf("%s restart %d: %w", name, i+1, err)
			}
			ds = append(ds, d)
			fmt.Fprintf(os.Stderr, "  %s restart %d: first ack %v after it answered\n", name, i+1, d.Round(time.Millisecond))
		}
		return ds, nil
	}
	if rec.pg, err = restarts("postgres", pg); err != nil {
		return rec, err
	}
	if rec.s3, err = restarts("s3", s3k); err != nil {
		return rec, err
	}
	rec.failed = l.stop()
	if l.firstErr != nil {
		fmt.Fprintf(os.Stderr, "  first produce failure: %v\n", l.firstErr)
	}
	return rec, nil
}

// idleStatements counts the statements sent in database db over d,
// with the brokers idle, and the five most frequent.
func (e *env) idleStatements(ctx context.Context, db string, d time.Duration) (int64, []stmtCount, error) {
	conn, err := pgx.Connect(ctx, e.pg.DSN("postgres"))
	if err != nil {
		return 0, nil, err
	}
	defer func() { _ = conn.Close(context.Background()) }() // nothing left to flush
	if _, err := conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"); err != nil {
		return 0, nil, fmt.Errorf("pg_stat_statements (preloaded by testpg when installed): %w", err)
	}
	time.Sleep(2 * time.Second) // start-up and topic creation settle
	if _, err := conn.Exec(ctx, "SELECT pg_stat_statements_reset()"); err != nil {
		return 0, nil, err
	}
	time.Sleep(d)
	rows, _ := conn.Query(ctx, `SELECT calls, query FROM pg_stat_statements
		WHERE dbid = (SELECT oid FROM pg_database WHERE datname = $1) ORDER BY calls DESC`, db)
	var total int64
	var top []stmtCount
	var c stmtCount
	_, err = pgx.ForEachRow(rows, []any{&c.calls, &c.query}, func() error {
		total += c.calls
		if len(top) < 5 {
			top = append(top, stmtCount{c.calls, oneLine(c.query, 90)})
		}
		return nil
	})
	return total, top, err
}

// oneLine drops a statement's comment lines, squeezes its white space
// and cuts it to n bytes.
func oneLine(q string, n int) string {
	var code []string
	for line := range strings.Lines(q) {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			code = append(code, line)
		}
	}
	q = strings.Join(strings.Fields(strings.Join(code, " ")), " ")
	if len(q) > n {
		q = q[:n] + "…"
	}
	return q
}

// outageKind is how to stop, start and probe one store.
type outageKind struct {
	down  func(i int) error
	up    func() error
	probe func(context.Context) error
}

// pgAnswers connects to dsn and runs SELECT 1.
func pgAnswers(ctx context.Context, dsn string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(context.Background()) }() // the probe's answer is known
	_, err = conn.Exec(ctx, "SELECT 1")
	return err
}

// s3Answers asks for bucket's head, once (no SDK retries).
func s3Answers(ctx context.Context, cl *s3.Client, bucket string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	_, err := cl.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}, func(o *s3.Options) { o.RetryMaxAttempts = 1 })
	return err
}

// ackLoad is a steady produce load that records when each record was
// acknowledged.
type ackLoad struct {
	clients []*kgo.Client
	cancel  context.CancelFunc
	done    chan struct{}
	wg      sync.WaitGroup

	mu       sync.Mutex
	acks     []time.Time
	failed   int   // before stop
	firstErr error // of the failed
	stopping bool
}

// startAckLoad runs producers clients, recoveryLoadRate records/s in all,
// until stop.
func startAckLoad(ctx context.Context, seeds []string, topic string, vals values, producers int) (*ackLoad, error) {
	ctx, cancel := context.WithCancel(ctx)
	l := &ackLoad{cancel: cancel, done: make(chan struct{})}
	for range producers {
		cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.DefaultProduceTopic(topic), kgo.RequiredAcks(kgo.AllISRAcks()))
		if err != nil {
			cancel()
			return nil, err
		}
		l.clients = append(l.clients, cl)
	}
	interval := time.Duration(producers) * time.Second / recoveryLoadRate
	var senders sync.WaitGroup
	for c, cl := range l.clients {
		senders.Go(func() {
			next := time.Now()
			for i := 0; ctx.Err() == nil; i++ {
				time.Sleep(time.Until(next))
				next = next.Add(interval)
				l.wg.Add(1)
				cl.Produce(ctx, &kgo.Record{Value: vals.at(c*1_000_000 + i)}, l.acked)
			}
		})
	}
	go func() {
		senders.Wait()
		close(l.done)
	}()
	return l, nil
}

func (l *ackLoad) acked(_ *kgo.Record, err error) {
	defer l.wg.Done()
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case err == nil:
		l.acks = append(l.acks, now)
	case !l.stopping:
		l.failed++
		if l.firstErr == nil {
			l.firstErr = err
		}
	}
}

// firstAckAfter returns the first acknowledgement after t, waiting up to
// d for one.
func (l *ackLoad) firstAckAfter(t time.Time, d time.Duration) (time.Time, error) {
	deadline := time.Now().Add(d)
	for {
		l.mu.Lock()
		i, _ := slices.BinarySearchFunc(l.acks, t, func(a, t time.Time) int { return a.Compare(t) })
		var at time.Time
		for _, a := range l.acks[i:] { // callbacks of several clients: nearly, not exactly, in order
			if a.After(t) && (at.IsZero() || a.Before(at)) {
				at = a
			}
		}
		l.mu.Unlock()
		if !at.IsZero() {
			return at, nil
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("no record acknowledged within %v", d)
		}
		time.Sleep(time.Millisecond)
	}
}

// outage waits for acknowledgements to flow, stops the store, waits
// outage, starts it and returns the time from its first answered probe to
// the first acknowledgement after the start began.
func (l *ackLoad) outage(ctx context.Context, k outageKind, i int, outage time.Duration) (time.Duration, error) {
	if _, err := l.firstAckAfter(time.Now(), 60*time.Second); err != nil {
		return 0, fmt.Errorf("before the outage: %w", err)
	}
	time.Sleep(500 * time.Millisecond)
	if err := k.down(i); err != nil {
		return 0, err
	}
	time.Sleep(outage)
	starting := time.Now()
	upErr := make(chan error, 1)
	go func() { upErr <- k.up() }()
	var answered time.Time
	for deadline := time.Now().Add(60 * time.Second); answered.IsZero(); {
		if err := k.probe(ctx); err == nil {
			answered = time.Now()
		} else if time.Now().After(deadline) {
			return 0, fmt.Errorf("store not answering 60s after its start: %w", err)
		} else {
			time.Sleep(2 * time.Millisecond)
		}
	}
	if err := <-upErr; err != nil {
		return 0, err
	}
	ack, err := l.firstAckAfter(starting, 60*time.Second)
	if err != nil {
		return 0, fmt.Errorf("after the outage: %w", err)
	}
	return ack.Sub(answered), nil
}

// stop ends the load, waits for the answers still due and returns how
// many records failed for good.
func (l *ackLoad) stop() int {
	l.mu.Lock()
	l.stopping = true // what the stop fails is not counted
	l.mu.Unlock()
	l.cancel()
	<-l.done
	for _, cl := range l.clients {
		cl.Close() // fails what is still buffered with a context error
	}
	l.wg.Wait()
	l.clients = nil
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failed
}

// printRecovery writes the round's figures.
func printRecovery(w io.Writer, r recovery) error {
	var b strings.Builder
	if r.idle > 0 {
		fmt.Fprintf(&b, "\nidle, %d brokers: %.1f Postgres statements/s per broker (pg_stat_statements over %v); most frequent:\n",
			r.brokers, float64(r.idleStmts)/r.idle.Seconds()/float64(r.brokers), r.idle)
		for _, s := range r.idleTop {
			fmt.Fprintf(&b, "  %6.2f/s per broker  %s\n", float64(s.calls)/r.idle.Seconds()/float64(r.brokers), s.query)
		}
	}
	if len(r.pg)+len(r.s3) > 0 {
		fmt.Fprintf(&b, "\nstore recovery, %d brokers, %d records/s (franz-go defaults, acks=all), outages of %v: "+
			"from the store answering a probe again (every 2ms) to the first record acknowledged\n", r.brokers, recoveryLoadRate, r.outage)
		for _, k := range []struct {
			name string
			ds   []time.Duration
		}{{"Postgres (fast shutdown and crash, alternately)", r.pg}, {"S3 (versitygw killed)", r.s3}} {
			if len(k.ds) > 0 {
				fmt.Fprintf(&b, "  %-48s %s\n", k.name, minMedMax(k.ds))
			}
		}
		fmt.Fprintf(&b, "  records failed for good: %d\n", r.failed)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// minMedMax formats durations as "min / median / max over n".
func minMedMax(ds []time.Duration) string {
	s := slices.Clone(ds)
	slices.Sort(s)
	ms := func(d time.Duration) string { return d.Round(time.Millisecond).String() }
	return fmt.Sprintf("min %s / median %s / max %s over %d restarts", ms(s[0]), ms(s[len(s)/2]), ms(s[len(s)-1]), len(s))
}
