package main

import (
	"errors"
	"testing"
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
	if want := (consumeResult{Records: 200000, MBPerSec: 45.1485, MsgPerS: 46232.0851}); r != want {
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
