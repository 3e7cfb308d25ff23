package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// needJavaAndMaven skips without java or mvn, except under CI, where their
// absence is a failure (as e2e's javaTools does).
func needJavaAndMaven(t *testing.T) {
	t.Helper()
	for _, name := range []string{"java", "mvn"} {
		if _, err := exec.LookPath(name); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s not found with CI=%s (Debian: apt-get install maven openjdk-17-jdk-headless)", name, os.Getenv("CI"))
			}
			t.Skipf("%s not found (Debian: apt-get install maven openjdk-17-jdk-headless)", name)
		}
	}
}

// TestCompareSmoke runs the whole comparison with tiny counts, one round:
// both brokers start, every tool run against every target parses, and the
// table has every figure and verdict. It keeps `make bench-compare` from
// rotting; the figures themselves mean nothing at this size.
func TestCompareSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Kafka broker and runs nine JVMs")
	}
	needJavaAndMaven(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	o := defaultOptions()
	o.Records, o.Rounds, o.Warmup = 2000, 1, 0
	o.PacedRate, o.PacedFor = 2000, time.Second
	o.RunTimeout = time.Minute
	var log bytes.Buffer
	res, err := compare(ctx, o, &log)
	t.Logf("progress:\n%s", log.String())
	if err != nil {
		t.Fatal(err)
	}
	if res.Completed != 1 {
		t.Errorf("completed rounds %d, want 1", res.Completed)
	}
	for _, name := range []string{nameTributary, nameKafka, nameKafkaFsync} {
		m := res.By[name]
		if m == nil || len(m.Produce) != 1 || len(m.Consume) != 1 || len(m.Paced) != 1 {
			t.Fatalf("%s: want one run of each kind, got %+v", name, m)
		}
		if m.Produce[0].Records != 2000 || m.Produce[0].MBPerSec <= 0 || m.Paced[0].Records != 2000 {
			t.Errorf("%s: produce %+v, paced %+v", name, m.Produce[0], m.Paced[0])
		}
		if m.Consume[0].Records < 2000 || m.Consume[0].MBPerSec <= 0 {
			t.Errorf("%s: consume %+v", name, m.Consume[0])
		}
		// A JVM broker always spends ticks on 2 MB; Tributary may spend
		// under one 10 ms tick, but never less than nothing.
		if pc := m.ProduceCost[0]; pc.Broker < 0 || (name != nameTributary && pc.Broker == 0) || m.PeakRSS < 16<<20 {
			t.Errorf("%s: broker CPU %v s, peak RSS %d B: not read from /proc", name, pc.Broker, m.PeakRSS)
		}
		// A JVM that starts and sends 2 MB always spends CPU, and a run
		// takes at least what its CPU took over 2 cores.
		for _, c := range []cost{m.ProduceCost[0], m.ConsumeCost[0]} {
			if c.Client <= 0 || c.Wall <= 0 || c.Client > 8*c.Wall {
				t.Errorf("%s: client CPU %v s over %v s wall: not the tool's", name, c.Client, c.Wall)
			}
		}
		for _, c := range []cost{m.ProduceCost[0], m.ConsumeCost[0]} {
			if w := c.Window; !c.WindowOK || w.Seconds <= 0 || w.Client <= 0 || w.Busiest > w.Client+0.05 {
				t.Errorf("%s: measured window %+v (placed %v): not sampled", name, w, c.WindowOK)
			}
		}
		// The consumer records a response's size and records once it has
		// drained it: in this 2000-record run its one response may not
		// be, and the averages are NaN (TestParseFetchShapeTakesClientWideLines
		// reads them); the count is always there.
		if f := m.Consume[0].Fetch; f.Requests < 1 {
			t.Errorf("%s: fetch shape %+v: not read from the consumer's metrics", name, f)
		}
		s := m.ConsumeServed[0]
		if name == nameTributary && (s.Requests < 1 || s.Bytes < 2000*1024 || s.Partitions < 1) {
			t.Errorf("%s: served fetches %+v: the consume's fetches not counted by the broker", name, s)
		}
	}
	var table bytes.Buffer
	res.print(&table)
	t.Logf("table:\n%s", table.String())
	for _, want := range []string{"produce", "consume", "produce p50 at 2k/s", "produce p99 at 2k/s", "broker peak RSS", "trib/kafka-fsync", "consume window: busiest client thread", "consume ceiling: busiest client thread on a core", "bytes per fetch response (client)", "bytes per partition per response (broker)", "≥1.2× kafka", "≤256 MiB"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q", want)
		}
	}
}
