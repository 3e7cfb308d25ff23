package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// servedFetches are a broker's own counters of the Fetch requests it
// answered (Tributary's tributary_fetch_* metrics), or their change over
// one run.
type servedFetches struct {
	Requests   float64 // tributary_fetch_requests_total
	Bytes      float64 // tributary_fetch_bytes_total: record bytes returned
	Partitions float64 // tributary_fetch_partitions_total: partitions answered with records
	LatencySum float64 // tributary_fetch_latency_seconds_sum
}

// servedMetrics maps the exposition's sample names to the fields.
func (s *servedFetches) fields() map[string]*float64 {
	return map[string]*float64{
		"tributary_fetch_requests_total":      &s.Requests,
		"tributary_fetch_bytes_total":         &s.Bytes,
		"tributary_fetch_partitions_total":    &s.Partitions,
		"tributary_fetch_latency_seconds_sum": &s.LatencySum,
	}
}

func (s servedFetches) minus(o servedFetches) servedFetches {
	return servedFetches{Requests: s.Requests - o.Requests, Bytes: s.Bytes - o.Bytes,
		Partitions: s.Partitions - o.Partitions, LatencySum: s.LatencySum - o.LatencySum}
}

// describe is the progress line's broker-side part; empty when the broker
// counted nothing (Kafka).
func (s servedFetches) describe() string {
	if s.Requests == 0 {
		return ""
	}
	return fmt.Sprintf("; broker: %.0f fetches, %.0f KiB each, %.1f KiB a partition, %.2f ms each",
		s.Requests, s.Bytes/s.Requests/1024, s.perPartition()/1024, 1000*s.LatencySum/s.Requests)
}

// perPartition is the mean record bytes of a partition answered with
// records; 0 when none was (or the broker does not count them).
func (s servedFetches) perPartition() float64 {
	if s.Partitions == 0 {
		return 0
	}
	return s.Bytes / s.Partitions
}

// servedFetches scrapes the broker's fetch counters; a broker without a
// metrics endpoint (Kafka) reports zeros.
func (b *broker) servedFetches(ctx context.Context) (servedFetches, error) {
	if b.metrics == "" {
		return servedFetches{}, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.metrics, nil)
	if err != nil {
		return servedFetches{}, fmt.Errorf("building metrics request: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return servedFetches{}, fmt.Errorf("scraping %s: %w", b.metrics, err)
	}
	defer func() { _ = resp.Body.Close() }() // read whole below; a close error changes nothing
	if resp.StatusCode != http.StatusOK {
		return servedFetches{}, fmt.Errorf("scraping %s: status %d: %w", b.metrics, resp.StatusCode, errToolOutput)
	}
	return parseServed(resp.Body)
}

// parseServed reads the fetch counters from a Prometheus text exposition;
// each must be there but the partitions counter.
func parseServed(r io.Reader) (servedFetches, error) {
	var s servedFetches
	want := s.fields()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		dst, wanted := want[name]
		if !ok || !wanted {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			return servedFetches{}, fmt.Errorf("parsing %s: %w", name, err)
		}
		*dst = v
		delete(want, name)
	}
	if err := sc.Err(); err != nil {
		return servedFetches{}, fmt.Errorf("reading metrics: %w", err)
	}
	// A build before tributary_fetch_partitions_total (the base of a
	// before/after run) lacks it: bytes per partition is then 0.
	delete(want, "tributary_fetch_partitions_total")
	if len(want) > 0 {
		return servedFetches{}, fmt.Errorf("metrics lack %d of the fetch counters: %w", len(want), errToolOutput)
	}
	return s, nil
}
