package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"
)

// target is one broker setup measured: a process and the topic configs
// its topics are created with.
type target struct {
	Name    string
	b       *broker
	configs map[string]*string
}

// measured are one target's figures, one entry per round.
type measured struct {
	Produce     []produceResult
	ProduceCost []cost // CPU and wall-clock of the produce run
	Consume     []consumeResult
	ConsumeCost []cost
	// ConsumeServed is the broker's own count of the consume run's
	// fetches, from its /metrics (Tributary only; Kafka's JMX is not
	// reached, so its entries stay zero).
	ConsumeServed []servedFetches
	Paced         []produceResult
	PeakRSS       int64 // bytes, VmHWM of the process at the end
}

// cost is what one tool run took: the broker's CPU over it, the tool
// JVM's own CPU, and the run's wall-clock (JVM start-up included). On
// this 2-core machine, Broker+Client near 2×Wall means the run was bound
// by the machine, Client near Wall by the client's own thread.
type cost struct {
	Broker, Client, Wall float64 // seconds
	// Window is the CPU of the tool's measured window alone (WindowOK
	// false when it could not be placed).
	Window   windowCPU
	WindowOK bool
}

// results of a comparison, in target order.
type results struct {
	Opts    options
	Targets []string
	By      map[string]*measured
	// Completed is the last round every target finished; with an error
	// from compare, the figures are of rounds 1..Completed (and some of
	// the next).
	Completed int
}

// Target names; the first is compared with the others.
const (
	nameTributary  = "tributary"
	nameKafka      = "kafka"
	nameKafkaFsync = "kafka-fsync"
)

// compare starts both brokers and runs the rounds; progress goes to log.
func compare(ctx context.Context, o options, log io.Writer) (*results, error) {
	java, err := exec.LookPath("java")
	if err != nil {
		return nil, fmt.Errorf("finding java (Debian: apt-get install openjdk-17-jdk-headless): %w", err)
	}
	root, err := moduleRoot(ctx)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "comparebench-")
	if err != nil {
		return nil, fmt.Errorf("making temp dir: %w", err)
	}
	defer func() {
		// Best effort: a leftover temp dir is not worth failing a run for.
		_ = os.RemoveAll(tmp)
	}()

	printf(log, "resolving kafka_2.13 and kafka-tools with maven\n")
	cp, err := kafkaClasspath(ctx, root, tmp)
	if err != nil {
		return nil, err
	}
	bin := o.Tributary
	if bin == "" {
		printf(log, "building tributary\n")
		if bin, err = buildTributary(ctx, root, tmp); err != nil {
			return nil, err
		}
	}
	printf(log, "starting kafka and tributary\n")
	kafka, err := startKafka(ctx, java, cp, tmp, o.Partitions)
	if err != nil {
		return nil, err
	}
	defer kafka.stop()
	trib, err := startTributary(ctx, bin, tmp)
	if err != nil {
		return nil, err
	}
	defer trib.stop()

	fsync := "1"
	targets := []target{
		{Name: nameTributary, b: trib},
		{Name: nameKafka, b: kafka},
		{Name: nameKafkaFsync, b: kafka, configs: map[string]*string{"flush.messages": &fsync}},
	}
	res := &results{Opts: o, By: map[string]*measured{}}
	for _, t := range targets {
		res.Targets = append(res.Targets, t.Name)
		res.By[t.Name] = &measured{}
	}
	r := runner{o: o, java: java, cp: cp, log: log}
	for _, t := range targets {
		if err := r.warmup(ctx, t); err != nil {
			return nil, fmt.Errorf("warm-up on %s: %w", t.Name, err)
		}
	}
	var runErr error
rounds:
	for round := 1; round <= o.Rounds; round++ {
		for _, t := range targets {
			if err := r.round(ctx, t, round, res.By[t.Name]); err != nil {
				runErr = fmt.Errorf("round %d on %s: %w", round, t.Name, err)
				break rounds
			}
			res.Completed = round
		}
	}
	for _, t := range targets {
		if res.By[t.Name].PeakRSS, err = peakRSS(t.b.pid()); err != nil {
			return nil, errors.Join(runErr, err)
		}
	}
	if runErr != nil && res.Completed == 0 {
		return nil, runErr
	}
	return res, runErr
}

// runner runs the tools of one round against one target.
type runner struct {
	o    options
	java string
	cp   string
	log  io.Writer
}

// warmup produces o.Warmup records at full speed, not measured, so the
// first round does not pay for the JVM's JIT or a cold process.
func (r runner) warmup(ctx context.Context, t target) error {
	if r.o.Warmup <= 0 {
		return nil
	}
	topic := "warmup-" + t.Name
	if err := createTopic(ctx, t.b.addr, topic, r.o.Partitions, t.configs); err != nil {
		return err
	}
	_, err := r.timed(ctx, t, "warm-up produce", func(ctx context.Context) (toolRun, error) {
		_, run, err := producePerf(ctx, r.java, r.cp, t.b.addr, topic, r.o.Warmup, r.o.Size, -1, t.b.pid())
		return run, err
	})
	return err
}

// round: a full-speed produce, a consume of what it wrote, a paced produce.
func (r runner) round(ctx context.Context, t target, round int, m *measured) error {
	topic := fmt.Sprintf("bench-%s-%d", t.Name, round)
	if err := createTopic(ctx, t.b.addr, topic, r.o.Partitions, t.configs); err != nil {
		return err
	}
	var p produceResult
	pc, err := r.timed(ctx, t, "produce", func(ctx context.Context) (toolRun, error) {
		var run toolRun
		var err error
		p, run, err = producePerf(ctx, r.java, r.cp, t.b.addr, topic, r.o.Records, r.o.Size, -1, t.b.pid())
		return run, err
	})
	if err != nil {
		return err
	}
	m.Produce, m.ProduceCost = append(m.Produce, p), append(m.ProduceCost, pc)
	printf(r.log, "round %d %-11s produce %8.1f MB/s  p50 %4.0f ms  p99 %5.0f ms  CPU broker %.1f s client %.1f s over %.1f s%s\n",
		round, t.Name, p.MBPerSec, p.P50, p.P99, pc.Broker, pc.Client, pc.Wall, pc.describeWindow())

	var c consumeResult
	before, err := t.b.servedFetches(ctx)
	if err != nil {
		return err
	}
	cc, err := r.timed(ctx, t, "consume", func(ctx context.Context) (toolRun, error) {
		var run toolRun
		var err error
		c, run, err = consumePerf(ctx, r.java, r.cp, t.b.addr, topic, r.o.Records, t.b.pid())
		return run, err
	})
	if err != nil {
		return err
	}
	after, err := t.b.servedFetches(ctx)
	if err != nil {
		return err
	}
	served := after.minus(before)
	m.Consume, m.ConsumeCost = append(m.Consume, c), append(m.ConsumeCost, cc)
	m.ConsumeServed = append(m.ConsumeServed, served)
	printf(r.log, "round %d %-11s consume %8.1f MB/s  CPU broker %.1f s client %.1f s over %.1f s%s  fetches %.0f of %.0f KiB in %.1f ms (client)%s\n",
		round, t.Name, c.MBPerSec, cc.Broker, cc.Client, cc.Wall, cc.describeWindow(), c.Fetch.Requests, c.Fetch.SizeAvg/1024, c.Fetch.LatencyAvg, served.describe())

	if r.o.PacedRate <= 0 {
		return nil
	}
	paced := fmt.Sprintf("paced-%s-%d", t.Name, round)
	if err := createTopic(ctx, t.b.addr, paced, r.o.Partitions, t.configs); err != nil {
		return err
	}
	n := max(1, int(float64(r.o.PacedRate)*r.o.PacedFor.Seconds()))
	_, err = r.timed(ctx, t, "paced produce", func(ctx context.Context) (toolRun, error) {
		var run toolRun
		var err error
		p, run, err = producePerf(ctx, r.java, r.cp, t.b.addr, paced, n, r.o.Size, r.o.PacedRate, t.b.pid())
		return run, err
	})
	if err != nil {
		return err
	}
	m.Paced = append(m.Paced, p)
	printf(r.log, "round %d %-11s paced   %8.0f rec/s p50 %4.0f ms  p99 %5.0f ms\n", round, t.Name, p.RecordsPerSec, p.P50, p.P99)
	return nil
}

// describeWindow is the progress line's part for the measured window.
func (c cost) describeWindow() string {
	if !c.WindowOK {
		return "; window not placed"
	}
	w := c.Window
	return fmt.Sprintf("; in the %.2f s measured: broker %.2f, client %.2f cores, busiest client thread %.0f%%",
		w.Seconds, w.Broker/w.Seconds, w.Client/w.Seconds, 100*w.Busiest/w.Seconds)
}

// timed runs one tool within the run timeout and returns the broker's CPU
// seconds over it, with the tool's own CPU and wall-clock.
func (r runner) timed(ctx context.Context, t target, what string, run func(context.Context) (toolRun, error)) (cost, error) {
	ctx, cancel := context.WithTimeout(ctx, r.o.RunTimeout)
	defer cancel()
	before, err := cpuSeconds(t.b.pid())
	if err != nil {
		return cost{}, err
	}
	start := time.Now()
	tr, err := run(ctx)
	if r.o.Verbose || err != nil {
		printf(r.log, "--- %s on %s (%v):\n%s\n", what, t.Name, time.Since(start).Round(time.Millisecond), tail(tr.out, 4000))
	}
	if err != nil {
		return cost{}, fmt.Errorf("%s: %w", what, err)
	}
	after, err := cpuSeconds(t.b.pid())
	if err != nil {
		return cost{}, err
	}
	return cost{Broker: after - before, Client: tr.cpu, Wall: tr.wall, Window: tr.window, WindowOK: tr.windowOK}, nil
}
