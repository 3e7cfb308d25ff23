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
// the group's rebalance time left out, as the tool does).
type consumeResult struct {
	Records  int64
	MBPerSec float64
	MsgPerS  float64
}

// producePerf runs ProducerPerformance: records of size bytes to topic at
// rate records/s (-1: as fast as it goes), acks=all.
func producePerf(ctx context.Context, java, cp, addr, topic string, records, size, rate int) (produceResult, string, error) {
	args := append(append([]string{}, toolJVM...), "-cp", cp, "org.apache.kafka.tools.ProducerPerformance",
		"--topic", topic, "--num-records", strconv.Itoa(records), "--record-size", strconv.Itoa(size),
		"--throughput", strconv.Itoa(rate), "--producer-props", "acks=all", "bootstrap.servers="+addr)
	out, err := runTool(ctx, java, args)
	if err != nil {
		return produceResult{}, out, err
	}
	r, err := parseProducePerf(out)
	return r, out, err
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
// the earliest offset, in a fresh group.
func consumePerf(ctx context.Context, java, cp, addr, topic string, records int) (consumeResult, string, error) {
	args := append(append([]string{}, toolJVM...), "-cp", cp, "org.apache.kafka.tools.ConsumerPerformance",
		"--bootstrap-server", addr, "--topic", topic, "--num-records", strconv.Itoa(records), "--timeout", "30000")
	out, err := runTool(ctx, java, args)
	if err != nil {
		return consumeResult{}, out, err
	}
	r, err := parseConsumePerf(out)
	if err == nil && r.Records < int64(records) {
		err = fmt.Errorf("consumed %d of %d records: %w", r.Records, records, errToolOutput)
	}
	return r, out, err
}

// parseConsumePerf reads the line after the "start.time, end.time, ..."
// header: fields 4 (data.consumed.in.nMsg), 8 (fetch.MB.sec) and 9
// (fetch.nMsg.sec).
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
		var errs [3]error
		r.Records, errs[0] = strconv.ParseInt(f[4], 10, 64)
		r.MBPerSec, errs[1] = strconv.ParseFloat(f[8], 64)
		r.MsgPerS, errs[2] = strconv.ParseFloat(f[9], 64)
		if err := errors.Join(errs[:]...); err != nil {
			return consumeResult{}, fmt.Errorf("parsing ConsumerPerformance line: %w", err)
		}
		return r, nil
	}
	return consumeResult{}, fmt.Errorf("no ConsumerPerformance header: %w", errToolOutput)
}

// runTool runs java with args and returns its combined output.
func runTool(ctx context.Context, java string, args []string) (string, error) {
	cmd := exec.CommandContext(ctx, java, args...)
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("running %s: %w", args[len(toolJVM)+2], err)
	}
	return string(out), nil
}
