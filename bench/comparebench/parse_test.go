package main

import (
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Output lines as Kafka 4.4's tools print them.
const (
	producerOut = `49410 records sent, 9882.0 records/sec (9.65 MB/sec), 4119.8 ms avg latency, 6010.0 ms max latency.
200000 records sent, 11721.955222 records/sec (11.45 MB/sec), 2246.15 ms avg latency, 6010.00 ms max latency, 1988 ms 50th, 5616 ms 95th, 5905 ms 99th, 5971 ms 99.9th.
`
	consumerOut = `Warning: --messages is deprecated. Use --num-records instead.
start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
2026-12-07 18:29:36:735, 2026-12-07 18:29:45:062, 195.3125, 23.4553, 200000, 24018.2539, 4001, 4326, 45.1485, 46232.0851
`
)

func TestParseProducePerfTakesTheSummaryNotAProgressLine(t *testing.T) {
	r, err := parseProducePerf(producerOut)
	if err != nil {
		t.Fatal(err)
	}
	want := produceResult{Records: 200000, RecordsPerSec: 11721.955222, MBPerSec: 11.45, P50: 1988, P99: 5905}
	if r != want {
		t.Fatalf("got %+v, want %+v", r, want)
	}
	if _, err := parseProducePerf("49410 records sent, 9882.0 records/sec (9.65 MB/sec), 4119.8 ms avg latency, 6010.0 ms max latency.\n"); !errors.Is(err, errToolOutput) {
		t.Fatalf("progress line only: err %v, want errToolOutput", err)
	}
}

func TestParseConsumePerfReadsFetchFigures(t *testing.T) {
	r, err := parseConsumePerf(consumerOut)
	if err != nil {
		t.Fatal(err)
	}
	r.End = time.Time{} // TestParseConsumePerfReadsTheEndOfItsWindow
	if want := (consumeResult{Records: 200000, FetchTimeMs: 4326, MBPerSec: 45.1485, MsgPerS: 46232.0851}); r != want {
		t.Fatalf("got %+v, want %+v", r, want)
	}
	if _, err := parseConsumePerf("start.time, end.time\n1, 2\n"); !errors.Is(err, errToolOutput) {
		t.Fatalf("short line: err %v, want errToolOutput", err)
	}
}

func TestParseStatCPUWithSpacesInTheCommand(t *testing.T) {
	// utime 250 and stime 50 ticks: 3 s.
	stat := "4242 (java (main) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 40 0 12345 0 0"
	got, err := parseStatCPU(stat)
	if err != nil || got != 3 {
		t.Fatalf("got %v, %v; want 3 s", got, err)
	}
	if _, err := parseStatCPU("4242 (java) S 1 2"); !errors.Is(err, errProcFormat) {
		t.Fatalf("short stat: err %v, want errProcFormat", err)
	}
}

func TestParseHWM(t *testing.T) {
	got, err := parseHWM("Name:\tjava\nVmPeak:\t 9000 kB\nVmHWM:\t  417792 kB\nVmRSS:\t 1 kB\n")
	if err != nil || got != 417792<<10 {
		t.Fatalf("got %d, %v; want %d", got, err, 417792<<10)
	}
	if _, err := parseHWM("Name:\tjava\n"); !errors.Is(err, errProcFormat) {
		t.Fatalf("no VmHWM: err %v, want errProcFormat", err)
	}
}

func TestCPUSecondsOfThisProcessGrows(t *testing.T) {
	pid := osGetpid()
	before, err := cpuSeconds(pid)
	if err != nil {
		t.Fatal(err)
	}
	spin(200_000_000)
	after, err := cpuSeconds(pid)
	if err != nil {
		t.Fatal(err)
	}
	if after <= before {
		t.Fatalf("CPU seconds did not grow over a busy loop: %v then %v", before, after)
	}
}

// metricsOut is the tail of ConsumerPerformance --print-metrics as Kafka
// 4.4's ToolsUtils.printMetrics writes it: client-wide lines and per-topic
// lines whose figures differ, so taking a topic line shows.
const metricsOut = `Metric Name                                                                                   Value
consumer-fetch-manager-metrics:fetch-latency-avg:{client-id=perf-consumer-client}           : 7.125
consumer-fetch-manager-metrics:fetch-size-avg:{client-id=perf-consumer-client, topic=t}     : 1.000
consumer-fetch-manager-metrics:fetch-size-avg:{client-id=perf-consumer-client}              : 1048576.500
consumer-fetch-manager-metrics:fetch-total:{client-id=perf-consumer-client}                 : 312.000
consumer-fetch-manager-metrics:records-per-request-avg:{client-id=perf-consumer-client, topic=t} : 2.000
consumer-fetch-manager-metrics:records-per-request-avg:{client-id=perf-consumer-client}     : 640.250
consumer-fetch-manager-metrics:fetch-rate:{client-id=perf-consumer-client}                  : 9.000
`

func TestParseFetchShapeTakesClientWideLines(t *testing.T) {
	f, err := parseFetchShape(consumerOut + metricsOut)
	if err != nil {
		t.Fatal(err)
	}
	if want := (fetchShape{Requests: 312, SizeAvg: 1048576.5, LatencyAvg: 7.125, RecordsPerRequest: 640.25}); f != want {
		t.Fatalf("got %+v, want %+v", f, want)
	}
	if _, err := parseFetchShape(consumerOut); !errors.Is(err, errToolOutput) {
		t.Fatalf("no metrics dump: err %v, want errToolOutput", err)
	}
}

func TestParseServedReadsTheFetchCounters(t *testing.T) {
	exp := `# HELP tributary_fetch_bytes_total Record-batch bytes returned by Fetch.
# TYPE tributary_fetch_bytes_total counter
tributary_fetch_bytes_total 6.291456e+06
tributary_fetch_latency_seconds_bucket{le="0.001"} 3
tributary_fetch_latency_seconds_sum 0.012
tributary_fetch_latency_seconds_count 6
tributary_fetch_partitions_total 12
tributary_fetch_records_total 6144
tributary_fetch_requests_total 6
`
	s, err := parseServed(strings.NewReader(exp))
	if err != nil {
		t.Fatal(err)
	}
	if want := (servedFetches{Requests: 6, Bytes: 6291456, Partitions: 12, LatencySum: 0.012}); s != want {
		t.Fatalf("got %+v, want %+v", s, want)
	}
	if got := s.perPartition(); got != 524288 {
		t.Fatalf("per partition %v, want 524288", got)
	}
	old, err := parseServed(strings.NewReader(strings.ReplaceAll(exp, "tributary_fetch_partitions_total 12\n", "")))
	if err != nil || old.Partitions != 0 || old.perPartition() != 0 || old.Requests != 6 {
		t.Fatalf("a build without the partitions counter: got %+v, %v", old, err)
	}
	if _, err := parseServed(strings.NewReader("tributary_fetch_requests_total 6\n")); !errors.Is(err, errToolOutput) {
		t.Fatalf("counters missing: err %v, want errToolOutput", err)
	}
}

func TestParseConsumePerfReadsTheEndOfItsWindow(t *testing.T) {
	r, err := parseConsumePerf(consumerOut)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 12, 7, 18, 29, 45, 62e6, time.Local); !r.End.Equal(want) {
		t.Fatalf("end %v, want %v", r.End, want)
	}
}

// TestInWindowTakesTheSamplesAroundTheWindow: CPU counts from the last
// sample at or before the window's start to the first at or after its
// end, the busiest thread is the one whose CPU grew most there (a thread
// born inside counts from 0), and a window the samples do not cover is
// not placed.
func TestInWindowTakesTheSamplesAroundTheWindow(t *testing.T) {
	t0 := time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	samples := []sample{
		{at: at(0), client: 1, broker: 10, threads: map[int]float64{1: 0.5, 2: 0.5}},
		{at: at(100), client: 1.2, broker: 10.1, threads: map[int]float64{1: 0.6, 2: 0.6}},
		{at: at(600), client: 1.9, broker: 10.3, threads: map[int]float64{1: 1.05, 2: 0.65, 3: 0.2}},
		{at: at(700), client: 2.0, broker: 10.4, threads: map[int]float64{1: 1.1, 2: 0.7, 3: 0.2}},
		// Thread 1 ended (the JVM exiting): its CPU is its last reading.
		{at: at(800), client: 2.1, broker: 10.5, threads: map[int]float64{2: 0.75}},
	}
	w, ok := inWindow(samples, at(150), at(550))
	if !ok {
		t.Fatal("window not placed")
	}
	want := windowCPU{Seconds: 0.5, Client: 0.7, Busiest: 0.45, Broker: 0.2}
	if math.Abs(w.Seconds-want.Seconds) > 1e-9 || math.Abs(w.Client-want.Client) > 1e-9 ||
		math.Abs(w.Busiest-want.Busiest) > 1e-9 || math.Abs(w.Broker-want.Broker) > 1e-9 {
		t.Fatalf("got %+v, want %+v", w, want)
	}
	if w, _ := inWindow(samples, at(150), at(750)); math.Abs(w.Busiest-0.5) > 1e-9 {
		t.Fatalf("with thread 1 gone at the end: busiest %v, want 0.5 (its last reading)", w.Busiest)
	}
	if w, ok := inWindow(samples, at(150), at(880)); !ok || math.Abs(w.Seconds-0.7) > 1e-9 {
		t.Fatalf("a window ending 80 ms after the last sample (the tool exited): %+v, %v; want it to end at that sample", w, ok)
	}
	if _, ok := inWindow(samples, at(150), at(1000)); ok {
		t.Fatal("a window ending 200 ms after the last sample was placed")
	}
	if _, ok := inWindow(samples, at(-50), at(550)); ok {
		t.Fatal("a window starting before the first sample was placed")
	}
}

func TestStampedWriterTimesEachWrite(t *testing.T) {
	var w stampedWriter
	_, _ = w.Write([]byte("abc"))
	mid := time.Now()
	time.Sleep(2 * time.Millisecond)
	_, _ = w.Write([]byte("defg"))
	first, ok1 := w.printedAt(2)
	second, ok2 := w.printedAt(3)
	_, ok3 := w.printedAt(7)
	if !ok1 || !ok2 || ok3 || first.After(mid) || !second.After(mid) || w.String() != "abcdefg" {
		t.Fatalf("offset 2 at %v (%v), 3 at %v (%v), 7 placed %v, mid %v, text %q", first, ok1, second, ok2, ok3, mid, w.String())
	}
}

// TestSampleSeesTheBusyThread: a thread spinning between two samples of
// this process shows as the busiest, with about the CPU it burned.
func TestSampleSeesTheBusyThread(t *testing.T) {
	pid := osGetpid()
	a, err := takeSample(pid, pid)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		spin(300_000_000)
		close(done)
	}()
	<-done
	b, err := takeSample(pid, pid)
	if err != nil {
		t.Fatal(err)
	}
	w, ok := inWindow([]sample{a, b}, a.at, b.at)
	if !ok {
		t.Fatal("window not placed")
	}
	t.Logf("%+v", w)
	// Threads are read just before the process total, in 10 ms ticks: a
	// thread may show a tick more than the process a moment later.
	if w.Busiest < 0.5*w.Client || w.Client <= 0 || w.Busiest > w.Client+0.05 {
		t.Fatalf("busiest thread %v s of %v s for the process: a thread's CPU not read", w.Busiest, w.Client)
	}
}

// TestCeilingFromCPUPerGiB: 4 CPU seconds per GiB on one core is 1/4
// GiB/s, 268 MB/s; a run whose window was not placed counts for nothing.
func TestCeilingFromCPUPerGiB(t *testing.T) {
	cs := []cost{
		{Window: windowCPU{Seconds: 2, Client: 1.5, Busiest: 1, Broker: 0.5}, WindowOK: true},
		{Window: windowCPU{Seconds: 9, Client: 99, Busiest: 99, Broker: 99}},
	}
	perGiB := windowPerGiB(cs, 0.25, func(w windowCPU) float64 { return w.Busiest })
	if perGiB != 4 {
		t.Fatalf("busiest thread %v s/GiB, want 4", perGiB)
	}
	if got := ceiling(1, perGiB); math.Abs(got-268.435456) > 1e-6 {
		t.Fatalf("ceiling %v MB/s, want 268.4", got)
	}
	if got := ceiling(2, windowPerGiB(cs, 0.25, func(w windowCPU) float64 { return w.Client + w.Broker })); math.Abs(got-268.435456) > 1e-6 {
		t.Fatalf("two cores at 8 s/GiB: %v MB/s, want 268.4", got)
	}
	if ceiling(2, 0) != 0 {
		t.Fatal("a ceiling from nothing measured")
	}
}
