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
	Produce    []produceResult
	ProduceCPU []float64 // broker CPU seconds during the produce run
	Consume    []consumeResult
	ConsumeCPU []float64
	Paced      []produceResult
	PeakRSS    int64 // bytes, VmHWM of the process at the end
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
	_, err := r.timed(ctx, t, "warm-up produce", func(ctx context.Context) (string, error) {
		_, out, err := producePerf(ctx, r.java, r.cp, t.b.addr, topic, r.o.Warmup, r.o.Size, -1)
		return out, err
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
	cpu, err := r.timed(ctx, t, "produce", func(ctx context.Context) (string, error) {
		var out string
		var err error
		p, out, err = producePerf(ctx, r.java, r.cp, t.b.addr, topic, r.o.Records, r.o.Size, -1)
		return out, err
	})
	if err != nil {
		return err
	}
	m.Produce, m.ProduceCPU = append(m.Produce, p), append(m.ProduceCPU, cpu)
	printf(r.log, "round %d %-11s produce %8.1f MB/s  p50 %4.0f ms  p99 %5.0f ms  broker CPU %.1f s\n",
		round, t.Name, p.MBPerSec, p.P50, p.P99, cpu)

	var c consumeResult
	cpu, err = r.timed(ctx, t, "consume", func(ctx context.Context) (string, error) {
		var out string
		var err error
		c, out, err = consumePerf(ctx, r.java, r.cp, t.b.addr, topic, r.o.Records)
		return out, err
	})
	if err != nil {
		return err
	}
	m.Consume, m.ConsumeCPU = append(m.Consume, c), append(m.ConsumeCPU, cpu)
	printf(r.log, "round %d %-11s consume %8.1f MB/s  broker CPU %.1f s\n", round, t.Name, c.MBPerSec, cpu)

	if r.o.PacedRate <= 0 {
		return nil
	}
	paced := fmt.Sprintf("paced-%s-%d", t.Name, round)
	if err := createTopic(ctx, t.b.addr, paced, r.o.Partitions, t.configs); err != nil {
		return err
	}
	n := max(1, int(float64(r.o.PacedRate)*r.o.PacedFor.Seconds()))
	_, err = r.timed(ctx, t, "paced produce", func(ctx context.Context) (string, error) {
		var out string
		var err error
		p, out, err = producePerf(ctx, r.java, r.cp, t.b.addr, paced, n, r.o.Size, r.o.PacedRate)
		return out, err
	})
	if err != nil {
		return err
	}
	m.Paced = append(m.Paced, p)
	printf(r.log, "round %d %-11s paced   %8.0f rec/s p50 %4.0f ms  p99 %5.0f ms\n", round, t.Name, p.RecordsPerSec, p.P50, p.P99)
	return nil
}

// timed runs one tool within the run timeout and returns the broker's CPU
// seconds over it.
func (r runner) timed(ctx context.Context, t target, what string, run func(context.Context) (string, error)) (float64, error) {
	ctx, cancel := context.WithTimeout(ctx, r.o.RunTimeout)
	defer cancel()
	before, err := cpuSeconds(t.b.pid())
	if err != nil {
		return 0, err
	}
	start := time.Now()
	out, err := run(ctx)
	if r.o.Verbose || err != nil {
		printf(r.log, "--- %s on %s (%v):\n%s\n", what, t.Name, time.Since(start).Round(time.Millisecond), tail(out, 4000))
	}
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	after, err := cpuSeconds(t.b.pid())
	if err != nil {
		return 0, err
	}
	return after - before, nil
}
