package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// fdLimit is the RLIMIT_NOFILE (soft and hard, so Go cannot raise it) of
// the broker in TestAcceptSurvivesFDExhaustion: enough to start and serve,
// few enough that fdFlood connections exhaust it.
const (
	fdLimit = 128
	fdFlood = 3 * fdLimit
)

// TestAcceptSurvivesFDExhaustion is issue 9, item 5: with the process's
// file limit reached, the Kafka accept loop used to return on the first
// EMFILE, logging nothing, while /-/status said ok; every later client
// timed out until a restart. Now the broker retries with a backoff, counts
// and logs the failures, reports 503 on /-/status while its listener does
// not accept, and serves again once descriptors are free.
//
// The admin server cannot accept either while descriptors are out, so
// status is read over one keep-alive connection opened before the flood.
func TestAcceptSurvivesFDExhaustion(t *testing.T) {
	bin := limitedBinary(t, buildTributary(t), fdLimit)
	p := startProc(t, bin, t.TempDir(), freeAddr(t))
	status := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1}, Timeout: 5 * time.Second}
	t.Cleanup(status.CloseIdleConnections)
	if code, reason := getHealth(t, status, p.AdminAddr); code != http.StatusOK {
		t.Fatalf("status before the flood: %d %s", code, reason)
	}

	conns := flood(t, p.KafkaAddr, fdFlood)
	code, reason := waitHealth(t, status, p.AdminAddr, http.StatusServiceUnavailable, 15*time.Second)
	if code != http.StatusServiceUnavailable || !strings.Contains(reason, "kafka listener not accepting") {
		t.Fatalf("status with %d connections under a %d-descriptor limit: %d %q, want 503 naming the kafka listener", len(conns), fdLimit, code, reason)
	}
	t.Logf("status while out of descriptors: %d %s", code, reason)

	for _, c := range conns {
		c.Close()
	}
	if code, reason := waitHealth(t, status, p.AdminAddr, http.StatusOK, 20*time.Second); code != http.StatusOK {
		t.Fatalf("status after the connections closed: %d %s", code, reason)
	}
	// The broker now accepts the connections still queued (closed by now);
	// it may run out again for a moment while it closes them, and a
	// client rides that out by retrying its dial.
	ctx := ctxTimeout(t, 30*time.Second)
	cl := newClient(t, p.KafkaAddr, kgo.DefaultProduceTopic("after-fds"), kgo.AllowAutoTopicCreation())
	if err := cl.ProduceSync(ctx, kgo.StringRecord("back")).FirstErr(); err != nil {
		t.Fatalf("produce after recovery: %v", err)
	}
	got := consumeAll(t, ctx, p.KafkaAddr, "after-fds", 1)
	if len(got[0]) != 1 || string(got[0][0].Value) != "back" {
		t.Fatalf("consumed %v after recovery", got)
	}

	if code, reason := waitHealth(t, status, p.AdminAddr, http.StatusOK, 10*time.Second); code != http.StatusOK {
		t.Fatalf("status after produce and consume: %d %s", code, reason)
	}
	if n := metricSum(t, p.AdminAddr, "tributary_kafka_accept_errors_total"); n < 1 {
		t.Errorf("tributary_kafka_accept_errors_total = %v, want > 0", n)
	}
	if n := metricSum(t, p.AdminAddr, "tributary_kafka_listener_accepting"); n != 1 {
		t.Errorf("tributary_kafka_listener_accepting = %v after recovery, want 1", n)
	}
	out := p.out.String()
	for _, want := range []string{"kafka listener cannot accept connections", "too many open files", "kafka listener accepts connections again"} {
		if !strings.Contains(out, want) {
			t.Errorf("broker log lacks %q", want)
		}
	}
	if n := strings.Count(out, "kafka listener cannot accept connections"); n > 20 {
		t.Errorf("accept failures logged %d times; want them rate-limited", n)
	}
}

// limitedBinary writes a wrapper that execs bin under an RLIMIT_NOFILE of
// n, soft and hard.
func limitedBinary(t *testing.T, bin string, n int) string {
	t.Helper()
	wrapper := filepath.Join(t.TempDir(), "tributary-limited")
	script := fmt.Sprintf("#!/bin/sh\nulimit -n %d || exit 97\nexec %q \"$@\"\n", n, bin)
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return wrapper
}

// flood opens n connections to addr and keeps them until test end. The
// kernel completes the handshakes (the listen backlog is larger than n)
// whether or not the broker can accept them.
func flood(t *testing.T, addr string, n int) []net.Conn {
	t.Helper()
	conns := make([]net.Conn, 0, n)
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	for range n {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("dial %s after %d connections: %v", addr, len(conns), err)
		}
		conns = append(conns, c)
	}
	return conns
}

// getHealth reads GET /-/status through cl: its code and reason.
func getHealth(t *testing.T, cl *http.Client, adminAddr string) (int, string) {
	t.Helper()
	resp, err := cl.Get("http://" + adminAddr + "/-/status")
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body) // a short read shows in the decode below
	var s struct{ Reason string }
	if err := json.Unmarshal(body, &s); err != nil {
		return resp.StatusCode, fmt.Sprintf("undecodable body %q", body)
	}
	return resp.StatusCode, s.Reason
}

// waitHealth polls /-/status until it answers want or d passes, and
// returns the last answer.
func waitHealth(t *testing.T, cl *http.Client, adminAddr string, want int, d time.Duration) (int, string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		code, reason := getHealth(t, cl, adminAddr)
		if code == want || time.Now().After(deadline) {
			return code, reason
		}
		time.Sleep(100 * time.Millisecond)
	}
}
