package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// errToolOutput: a Kafka tool printed no result line, or a short one.
var errToolOutput = errors.New("unexpected tool output")

// toolJVM: the perf tools' JVM, logging at WARN.
var toolJVM = []string{"-Xmx512m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"}

// produceResult is ProducerPerformance's summary line.
type produceResult struct {
	Records       int64
	RecordsPerSec float64
	MBPerSec      float64
	P50, P99      float64 // ms
}

// consumeResult is ConsumerPerformance's data line (fetch.* figures:
// the group's rebalance time left out, as the tool does) and the fetch
// shape from its --print-metrics dump.
type consumeResult struct {
	Records     int64
	MBPerSec    float64
	MsgPerS     float64
	FetchTimeMs float64   // fetch.time.ms: the measured window, ending at End
	End         time.Time // end.time; zero if it did not parse
	Fetch       fetchShape
}

// fetchShape is the Java consumer's own view of its fetches
// (consumer-fetch-manager-metrics, client-wide): the same figures for
// either broker, since Kafka's JMX is out of reach here.
type fetchShape struct {
	Requests          float64 // fetch-total: fetch responses received
	SizeAvg           float64 // fetch-size-avg: bytes per fetch response
	LatencyAvg        float64 // fetch-latency-avg: ms from request to response
	RecordsPerRequest float64 // records-per-request-avg
}

// toolRun is one tool JVM's output and what it cost: its own CPU (user
// plus system, every thread, from the kernel's accounting at exit: the
// utime+stime /proc/<pid>/stat shows, read when the process is reaped)
// and the wall-clock from start to exit, JVM start-up included.
type toolRun struct {
	out  string
	cpu  float64 // seconds
	wall float64 // seconds
	// window is the CPU of the tool's measured window alone (ok false:
	// the samples or the output did not place it).
	window   windowCPU
	windowOK bool

	printed *stampedWriter // the output with arrival times
	samples []sample
}

// producePerf runs ProducerPerformance: records of size bytes to topic at
// rate records/s (-1: as fast as it goes), acks=all.
func producePerf(ctx context.Context, java, cp, addr, topic string, records, size, rate, brokerPID int) (produceResult, toolRun, error) {
	args := append(append([]string{}, toolJVM...), "-cp", cp, "org.apache.kafka.tools.ProducerPerformance",
		"--topic", topic, "--num-records", strconv.Itoa(records), "--record-size", strconv.Itoa(size),
		"--throughput", strconv.Itoa(rate), "--producer-props", "acks=all", "bootstrap.servers="+addr)
	run, err := runTool(ctx, java, args, brokerPID)
	if err != nil {
		return produceResult{}, run, err
	}
	r, err := parseProducePerf(run.out)
	// The summary is printed as the run ends; its rate says how long the
	// run was.
	if loc := produceLine.FindStringIndex(run.out); err == nil && loc != nil && r.RecordsPerSec > 0 {
		if end, ok := run.printed.printedAt(loc[0]); ok {
			from := end.Add(-time.Duration(float64(r.Records) / r.RecordsPerSec * float64(time.Second)))
			run.window, run.windowOK = inWindow(run.samples, from, end)
		}
	}
	return r, run, err
}

// produceLine: "N records sent, R records/sec (M MB/sec), A ms avg
// latency, X ms max latency, P ms 50th, Q ms 95th, S ms 99th, ...".
var produceLine = regexp.MustCompile(`(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), [\d.]+ ms avg latency, [\d.]+ ms max latency, ([\d.]+) ms 50th, [\d.]+ ms 95th, ([\d.]+) ms 99th`)

func parseProducePerf(out string) (produceResult, error) {
	m := produceLine.FindStringSubmatch(out)
	if m == nil {
		return produceResult{}, fmt.Errorf("no ProducerPerformance summary: %w", errToolOutput)
	}
	var r produceResult
	var errs [5]error
	r.Records, errs[0] = strconv.ParseInt(m[1], 10, 64)
	r.RecordsPerSec, errs[1] = strconv.ParseFloat(m[2], 64)
	r.MBPerSec, errs[2] = strconv.ParseFloat(m[3], 64)
	r.P50, errs[3] = strconv.ParseFloat(m[4], 64)
	r.P99, errs[4] = strconv.ParseFloat(m[5], 64)
	if err := errors.Join(errs[:]...); err != nil {
		return produceResult{}, fmt.Errorf("parsing ProducerPerformance summary: %w", err)
	}
	return r, nil
}

// consumePerf runs ConsumerPerformance for records records of topic from
// the earliest offset, in a fresh group, with its metrics printed at the
// end (they are read once the data is in; they cost nothing during it).
func consumePerf(ctx context.Context, java, cp, addr, topic string, records, brokerPID int) (consumeResult, toolRun, error) {
	args := append(append([]string{}, toolJVM...), "-cp", cp, "org.apache.kafka.tools.ConsumerPerformance",
		"--bootstrap-server", addr, "--topic", topic, "--num-records", strconv.Itoa(records), "--timeout", "30000",
		"--print-metrics")
	run, err := runTool(ctx, java, args, brokerPID)
	if err != nil {
		return consumeResult{}, run, err
	}
	r, err := parseConsumePerf(run.out)
	if err == nil && r.Records < int64(records) {
		err = fmt.Errorf("consumed %d of %d records: %w", r.Records, records, errToolOutput)
	}
	if err == nil {
		r.Fetch, err = parseFetchShape(run.out)
	}
	if err == nil && !r.End.IsZero() {
		from := r.End.Add(-time.Duration(r.FetchTimeMs * float64(time.Millisecond)))
		run.window, run.windowOK = inWindow(run.samples, from, r.End)
	}
	return r, run, err
}

// fetchMetric is a client-wide line of ToolsUtils.printMetrics:
// "group:name:{client-id=...}   : value" (per-topic lines carry a topic
// tag too and do not match).
var fetchMetric = regexp.MustCompile(`(?m)^consumer-fetch-manager-metrics:([a-z-]+):\{client-id=[^,}]*\}\s*:\s*(\S+)\s*$`)

// parseFetchShape reads fetch-total, fetch-size-avg, fetch-latency-avg and
// records-per-request-avg from the metrics dump; each must be there.
func parseFetchShape(out string) (fetchShape, error) {
	var f fetchShape
	want := map[string]*float64{
		"fetch-total": &f.Requests, "fetch-size-avg": &f.SizeAvg,
		"fetch-latency-avg": &f.LatencyAvg, "records-per-request-avg": &f.RecordsPerRequest,
	}
	seen := 0
	for _, m := range fetchMetric.FindAllStringSubmatch(out, -1) {
		dst, ok := want[m[1]]
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			return fetchShape{}, fmt.Errorf("parsing %s: %w", m[1], err)
		}
		*dst = v
		delete(want, m[1])
		seen++
	}
	if len(want) > 0 {
		return fetchShape{}, fmt.Errorf("metrics dump lacks %d of the fetch figures (%d found): %w", len(want), seen, errToolOutput)
	}
	return f, nil
}

// parseToolTime reads ConsumerPerformance's "yyyy-MM-dd HH:mm:ss:SSS"
// (milliseconds after a colon, which Go's layouts cannot say).
func parseToolTime(s string) (time.Time, error) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return time.Time{}, fmt.Errorf("tool time %q: %w", s, errToolOutput)
	}
	secs, ms := s[:i], s[i+1:]
	t, err := time.ParseInLocation("2006-01-02 15:04:05", secs, time.Local)
	if err != nil {
		return time.Time{}, fmt.Errorf("parsing tool time %q: %w", s, err)
	}
	n, err := strconv.Atoi(ms)
	if err != nil || len(ms) != 3 {
		return time.Time{}, fmt.Errorf("milliseconds of tool time %q: %w", s, errToolOutput)
	}
	return t.Add(time.Duration(n) * time.Millisecond), nil
}

// parseConsumePerf reads the line after the "start.time, end.time, ..."
// header: fields 4 (data.consumed.in.nMsg), 7 (fetch.time.ms), 8
// (fetch.MB.sec) and 9 (fetch.nMsg.sec).
func parseConsumePerf(out string) (consumeResult, error) {
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, "start.time, end.time") || i+1 >= len(lines) {
			continue
		}
		f := strings.Split(strings.TrimSpace(lines[i+1]), ", ")
		if len(f) < 10 {
			return consumeResult{}, fmt.Errorf("ConsumerPerformance line %q: %w", lines[i+1], errToolOutput)
		}
		var r consumeResult
		var errs [4]error
		r.Records, errs[0] = strconv.ParseInt(f[4], 10, 64)
		r.FetchTimeMs, errs[1] = strconv.ParseFloat(f[7], 64)
		r.MBPerSec, errs[2] = strconv.ParseFloat(f[8], 64)
		r.MsgPerS, errs[3] = strconv.ParseFloat(f[9], 64)
		if err := errors.Join(errs[:]...); err != nil {
			return consumeResult{}, fmt.Errorf("parsing ConsumerPerformance line: %w", err)
		}
		// The JVM prints local time, as Go reads it here; a line that
		// does not parse only loses the window's CPU figures.
		if end, err := parseToolTime(f[1]); err == nil {
			r.End = end
		}
		return r, nil
	}
	return consumeResult{}, fmt.Errorf("no ConsumerPerformance header: %w", errToolOutput)
}

// runTool runs java with args and returns its combined output, its CPU
// and wall-clock, and samples of its CPU and brokerPID's over the run.
func runTool(ctx context.Context, java string, args []string, brokerPID int) (toolRun, error) {
	cmd := exec.CommandContext(ctx, java, args...)
	cmd.WaitDelay = 10 * time.Second
	printed := &stampedWriter{}
	cmd.Stdout, cmd.Stderr = printed, printed
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return toolRun{printed: printed}, fmt.Errorf("starting %s: %w", args[len(toolJVM)+2], err)
	}
	smp := startSampler(cmd.Process.Pid, brokerPID)
	err := cmd.Wait()
	run := toolRun{out: printed.String(), wall: time.Since(start).Seconds(), printed: printed, samples: smp.finish()}
	if ps := cmd.ProcessState; ps != nil {
		run.cpu = (ps.UserTime() + ps.SystemTime()).Seconds()
	}
	if err != nil {
		return run, fmt.Errorf("running %s: %w", args[len(toolJVM)+2], err)
	}
	return run, nil
}
