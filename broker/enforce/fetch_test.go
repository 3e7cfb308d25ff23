package enforce

import (
	"bytes"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/log/recordbatch"
	"github.com/tributary-io/tributary/topicconfig"
)

// stored is a record set as the read path serves it: batches with their
// base offsets patched.
func stored(t *testing.T, base int64, sets ...[]byte) []byte {
	t.Helper()
	var out []byte
	for _, s := range sets {
		out = append(out, s...)
	}
	if _, err := recordbatch.PatchRecordSet(out, base); err != nil {
		t.Fatal(err)
	}
	return out
}

// The issue's fetch policy: on_parse_error FILTER_RECORD for every topic.
var issueFetch = []config.Policy{policy(all, config.Element{OnParseError: config.FilterRecord})}

func TestFetchFiltersADirtyTopic(t *testing.T) {
	e := newEnv(t).register()
	enf := e.enforcer(nil, issueFetch, nil)
	good, zero := e.cartValue(goodCart), e.cartValue(zeroQuantity)
	b1, _ := produced(t, kgo.SnappyCompression(), -1, 0, rec{value: good}, rec{value: []byte("\x00foobar")}, rec{value: []byte("plain")})
	b2, _ := produced(t, kgo.NoCompression(), -1, 0, rec{value: framed(e.cartID, nil, []byte{0xff})}, rec{value: zero})
	data := stored(t, 100, b1, b2)
	p := enf.Fetch("orders")
	if p == nil {
		t.Fatal("no fetch policy for orders")
	}
	out := p.Filter(ctx, [16]byte{1}, 0, data)
	got := values(t, out)
	// Unparseable records go; text without an envelope has no schema
	// (PASS_THROUGH by default); a zero quantity parses (no validation).
	want := map[int64][]byte{100: good, 102: []byte("plain"), 104: zero}
	if len(got) != len(want) {
		t.Fatalf("served %d records: %v", len(got), got)
	}
	for off, v := range want {
		if !bytes.Equal(got[off], v) {
			t.Fatalf("offset %d: %q", off, got[off])
		}
	}
	// Offsets still advance past the whole range: batch headers unchanged.
	var last int64
	recordbatch.Walk(out, func(h recordbatch.Header, _ []byte) bool { last = h.BaseOffset + int64(h.LastOffsetDelta); return true })
	if last != 104 {
		t.Fatalf("last offset %d, want 104", last)
	}

	// A clean record set comes back as it is, without a copy.
	cleanBatch, _ := produced(t, kgo.NoCompression(), -1, 0, rec{value: good})
	clean := stored(t, 7, cleanBatch)
	if out := p.Filter(ctx, [16]byte{1}, 0, clean); &out[0] != &clean[0] {
		t.Fatal("a clean record set was copied")
	}
}

// Filter used to drop Walk's error: a record set whose tail does not frame
// was served (as it still is, for the consumer to report) without a word
// in the log about which topic and partition held it.
func TestFetchLogsDataThatDoesNotFrame(t *testing.T) {
	e := newEnv(t).register()
	enf := e.enforcer(nil, issueFetch, nil)
	var logged bytes.Buffer
	enf.log = slog.New(slog.NewTextHandler(&logged, nil))
	good := e.cartValue(goodCart)
	b1, _ := produced(t, kgo.NoCompression(), -1, 0, rec{value: good}, rec{value: []byte("\x00foobar")})
	b2, _ := produced(t, kgo.NoCompression(), -1, 0, rec{value: good})
	data := stored(t, 10, b1, b2)
	torn := data[:len(data)-5] // the second batch cut short
	out := enf.Fetch("orders").Filter(ctx, [16]byte{6}, 3, torn)
	tail := torn[len(b1):]
	if !bytes.HasSuffix(out, tail) || len(out) >= len(torn) {
		t.Fatalf("served %d bytes of %d: want the first batch filtered and the torn one as stored", len(out), len(torn))
	}
	for _, want := range []string{"does not frame", "topic=orders", "partition=3", "at_byte=" + strconv.Itoa(len(b1))} {
		if !strings.Contains(logged.String(), want) {
			t.Fatalf("log lacks %q:\n%s", want, logged.String())
		}
	}
}

func TestFetchCacheSparesTheRegistry(t *testing.T) {
	e := newEnv(t).register()
	enf := e.enforcer(nil, issueFetch, nil)
	b, _ := produced(t, kgo.NoCompression(), -1, 0, rec{value: e.cartValue(goodCart)}, rec{value: framed(e.cartID, []int{9}, nil)})
	data := stored(t, 0, b)
	p := enf.Fetch("orders")
	first := p.Filter(ctx, [16]byte{2}, 0, data)
	e.srv.Close() // the registry goes away; cached outcomes do not need it
	for range 3 {
		if again := p.Filter(ctx, [16]byte{2}, 0, data); !bytes.Equal(again, first) {
			t.Fatal("cached outcome differs")
		}
	}
	if len(values(t, first)) != 1 {
		t.Fatal("bad record not filtered")
	}
}

// With the registry down, fetch passes records through by default.
func TestFetchRegistryDownPassesThrough(t *testing.T) {
	e := newEnv(t).register()
	value := e.cartValue(goodCart)
	e.srv.Close()
	enf := e.enforcer(nil, issueFetch, nil)
	b, _ := produced(t, kgo.NoCompression(), -1, 0, rec{value: value}, rec{value: value})
	data := stored(t, 0, b)
	if out := enf.Fetch("orders").Filter(ctx, [16]byte{3}, 0, data); len(values(t, out)) != 2 {
		t.Fatal("records hidden while the registry is down")
	}
	// FILTER_RECORD on internal errors hides them; REJECT_BATCH on fetch
	// acts as FILTER_RECORD.
	for _, a := range []config.Action{config.FilterRecord, config.RejectBatch} {
		enf = e.enforcer(nil, []config.Policy{policy(all, config.Element{OnInternalError: a})}, nil)
		if out := enf.Fetch("orders").Filter(ctx, [16]byte{4}, 0, data); len(values(t, out)) != 0 {
			t.Fatalf("on_internal_error %s on fetch kept records", a)
		}
	}
}

func TestMetricsCount(t *testing.T) {
	e := newEnv(t).register()
	reg := prometheus.NewRegistry()
	enf := e.enforcer([]config.Policy{policy(all, config.Element{OnParseError: config.FilterRecord})}, issueFetch, func(c *Config) { c.Registerer = reg })
	data, batches := produced(t, kgo.NoCompression(), -1, 0, rec{value: e.cartValue(goodCart)}, rec{value: []byte("\x00junk")}, rec{value: []byte("text")})
	if _, err := enf.Produce("orders", topicconfig.Validation{}).Check(ctx, 0, data, batches); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		result string
		want   float64
	}{{"ok", 1}, {"parse_error", 1}, {"no_schema", 1}} {
		if got := testutil.ToFloat64(enf.m.checks.WithLabelValues("produce", "value", c.result)); got != c.want {
			t.Errorf("checks %s = %v, want %v", c.result, got, c.want)
		}
	}
	if got := testutil.ToFloat64(enf.m.actions.WithLabelValues("produce", "filtered")); got != 1 {
		t.Errorf("filtered = %v", got)
	}
	if got := testutil.ToFloat64(enf.m.actions.WithLabelValues("produce", "passed_through")); got != 1 {
		t.Errorf("passed_through = %v", got)
	}
	if n, err := testutil.GatherAndCount(reg, "tributary_enforce_checks_total", "tributary_enforce_records_total"); err != nil || n == 0 {
		t.Fatalf("metrics not registered: %d %v", n, err)
	}
}

// Regression: the issue's catch-all fetch policy hid every dead letter
// (they failed on purpose; their ids belong to the source's subject).
func TestFetchLeavesDeadLettersAlone(t *testing.T) {
	e := newEnv(t).register()
	enf := e.enforcer(nil, issueFetch, nil)
	bad := framed(e.cartID, nil, []byte{0xff})
	dl := func(topic string) []kmsg.Header { return []kmsg.Header{{Key: HeaderDLQTopic, Value: []byte(topic)}} }
	b, _ := produced(t, kgo.NoCompression(), -1, 0, rec{value: bad, headers: dl("orders")}, rec{value: bad, headers: dl("orders.dlq")}, rec{value: bad})
	out := enf.Fetch("orders.dlq").Filter(ctx, [16]byte{5}, 0, stored(t, 0, b))
	if got := values(t, out); len(got) != 1 || got[0] == nil {
		t.Fatalf("served %v: want only the dead letter of orders", got)
	}
}
