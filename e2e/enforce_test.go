package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"google.golang.org/protobuf/proto"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/internal/metastore/boltstore"
	"github.com/tributary-io/tributary/registry"
	"github.com/tributary-io/tributary/schema/wire"
)

// The issue's data_enforcement block, verbatim, against the built-in
// registry on 127.0.0.1:8081, with franz-go producers and consumers and
// the examples' generated cart code: the strict produce policy, topic
// validation modes (reject, dlq) with and without a policy, header-carried
// schema ids, and fetch filtering of a topic nobody checked on produce.
func TestEnforceIssueConfig(t *testing.T) {
	waitPortFree(t, config.DefaultRegistryAddr)
	n := enforcedNode(t, issueEnforcementBlock, config.DefaultRegistryAddr)
	addr := n.KafkaAddr()
	ctx := ctxTimeout(t, 3*time.Minute)
	adm := newAdmin(t, addr)
	createTopics(t, adm, map[string]map[string]*string{
		"strict": nil, "dirty": nil,
		"payments": {"bufstream.validate.mode": ptr("reject")},
		"orders":   {"bufstream.validate.mode": ptr("dlq"), "bufstream.validate.dlq.topic": ptr("orders.dlq")},
		"returns":  {"bufstream.validate.mode": ptr("DLQ")},
	})
	id, serde := shopRegistry(t, "http://"+config.DefaultRegistryAddr, "strict-value", "dirty-value", "payments-value", "orders-value", "returns-value")
	valid, zero, bad := mustEncode(t, serde, cart("a", 2)), mustEncode(t, serde, cart("b", 0)), garbage(id)
	p := newClient(t, addr, kgo.ProducerLinger(0))

	t.Run("strict policy", func(t *testing.T) {
		for _, c := range []struct {
			name    string
			value   []byte
			headers []kgo.RecordHeader
			refused bool
		}{
			{"valid", valid, nil, false},
			{"malformed", bad, nil, true},
			{"no envelope", []byte("plain text"), nil, true},
			{"zero quantity, validation off", zero, nil, false},
			{"id in a header", mustMarshal(t, cart("h", 1)), idHeader(id), false},
			{"id in a header, bytes no cart", []byte{0x1a, 0x7f}, idHeader(id), true},
			{"an id the registry does not know", append(wire.Append(nil, id+1000, nil), mustMarshal(t, cart("u", 1))...), nil, true},
		} {
			_, err := produceOne(ctx, p, &kgo.Record{Topic: "strict", Value: c.value, Headers: c.headers})
			if c.refused != errors.Is(err, kerr.InvalidRecord) || (!c.refused && err != nil) {
				t.Errorf("%s: produce error %v, refused want %v", c.name, err, c.refused)
			}
		}
		// A batch with two bad records among good ones: all refused,
		// record_errors name the two by index.
		rc := dialRaw(t, addr)
		resp := rc.roundTrip(produceReq(9, "strict", 5000, map[int32][]byte{0: testBatch(string(valid), string(bad), "plain", string(valid))})).(*kmsg.ProduceResponse)
		rp := resp.Topics[0].Partitions[0]
		if rp.ErrorCode != kerr.InvalidRecord.Code || len(rp.ErrorRecords) != 2 || rp.ErrorRecords[0].RelativeOffset != 1 || rp.ErrorRecords[1].RelativeOffset != 2 {
			t.Fatalf("mixed batch: code %d, record errors %+v", rp.ErrorCode, rp.ErrorRecords)
		}
		if msg := deref(rp.ErrorMessage); !strings.Contains(msg, "rejected 2 records; record 1: value: parse error") {
			t.Errorf("error message %q", msg)
		}
		if !strings.Contains(deref(rp.ErrorRecords[1].ErrorMessage), "value: no schema") {
			t.Errorf("record 2's message %q", deref(rp.ErrorRecords[1].ErrorMessage))
		}
		got := readEnforced(t, addr, "strict")
		if len(got) != 3 || !bytes.Equal(got[0].Value, valid) || !bytes.Equal(got[1].Value, zero) || got[2].Offset != 2 {
			t.Fatalf("strict holds %d records: %v", len(got), offsets(got))
		}
	})

	t.Run("reject mode", func(t *testing.T) {
		// A mode set on strict now also refuses the zero quantity.
		if _, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "bufstream.validate.mode", Value: ptr("reject")}}, "strict"); err != nil {
			t.Fatal(err)
		}
		rc := dialRaw(t, addr)
		resp := rc.roundTrip(produceReq(9, "strict", 5000, map[int32][]byte{0: testBatch(string(valid), string(zero))})).(*kmsg.ProduceResponse)
		rp := resp.Topics[0].Partitions[0]
		if rp.ErrorCode != kerr.InvalidRecord.Code || len(rp.ErrorRecords) != 1 || rp.ErrorRecords[0].RelativeOffset != 1 {
			t.Fatalf("zero quantity in reject mode: code %d %+v", rp.ErrorCode, rp.ErrorRecords)
		}
		for _, want := range []string{"validation error", "line_items[0].quantity", "uint64.gt"} {
			if !strings.Contains(deref(rp.ErrorRecords[0].ErrorMessage), want) || !strings.Contains(deref(rp.ErrorMessage), want) {
				t.Errorf("messages %q / %q lack %q", deref(rp.ErrorRecords[0].ErrorMessage), deref(rp.ErrorMessage), want)
			}
		}
		// payments has a mode and no policy: the default registry (the
		// built-in one) serves it.
		for _, c := range []struct {
			value   []byte
			refused bool
		}{{valid, false}, {zero, true}, {bad, true}, {[]byte("text"), true}} {
			if _, err := produceOne(ctx, p, &kgo.Record{Topic: "payments", Value: c.value}); errors.Is(err, kerr.InvalidRecord) != c.refused {
				t.Errorf("payments %q: %v, refused want %v", c.value[:min(len(c.value), 8)], err, c.refused)
			}
		}
		if got := readEnforced(t, addr, "payments"); len(got) != 1 || !bytes.Equal(got[0].Value, valid) {
			t.Fatalf("payments holds %v", offsets(got))
		}
	})

	t.Run("dlq mode", func(t *testing.T) {
		ts := time.UnixMilli(1_750_000_000_000)
		recs := []*kgo.Record{
			{Topic: "orders", Key: []byte("k-valid"), Value: valid, Timestamp: ts},
			{Topic: "orders", Key: []byte("k-zero"), Value: zero, Timestamp: ts.Add(time.Second), Headers: []kgo.RecordHeader{{Key: "trace", Value: []byte("t-1")}}},
			{Topic: "orders", Key: []byte("k-bad"), Value: bad, Timestamp: ts.Add(2 * time.Second)},
			{Topic: "orders", Key: []byte("k-valid2"), Value: valid, Timestamp: ts.Add(3 * time.Second)},
		}
		if err := p.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			t.Fatalf("dlq mode refused a produce: %v", err)
		}
		kept := readEnforced(t, addr, "orders")
		if len(kept) != 2 || string(kept[0].Key) != "k-valid" || string(kept[1].Key) != "k-valid2" {
			t.Fatalf("orders holds %v", offsets(kept))
		}
		dead := readEnforced(t, addr, "orders.dlq")
		if len(dead) != 2 {
			t.Fatalf("orders.dlq holds %d records", len(dead))
		}
		for i, w := range []struct {
			key   string
			value []byte
			ts    time.Time
			why   string
		}{{"k-zero", zero, ts.Add(time.Second), "value: validation error: line_items[0].quantity"}, {"k-bad", bad, ts.Add(2 * time.Second), "value: parse error"}} {
			r := dead[i]
			if string(r.Key) != w.key || !bytes.Equal(r.Value, w.value) || !r.Timestamp.Equal(w.ts) {
				t.Errorf("dead letter %d: key %q ts %v", i, r.Key, r.Timestamp)
			}
			topic, _ := recHeader(r, "tributary.dlq.topic")
			part, _ := recHeader(r, "tributary.dlq.partition")
			why, _ := recHeader(r, "tributary.dlq.error")
			if topic != "orders" || part != "0" || !strings.Contains(why, w.why) {
				t.Errorf("dead letter %d headers: %q %q %q", i, topic, part, why)
			}
		}
		if trace, ok := recHeader(dead[0], "trace"); !ok || trace != "t-1" {
			t.Error("the record's own header was lost")
		}
		// Without bufstream.validate.dlq.topic, <topic>.dlq, created on
		// the first dead letter.
		if _, err := produceOne(ctx, p, &kgo.Record{Topic: "returns", Value: zero}); err != nil {
			t.Fatal(err)
		}
		if dead := readEnforced(t, addr, "returns.dlq"); len(dead) != 1 || !bytes.Equal(dead[0].Value, zero) {
			t.Fatalf("returns.dlq holds %d records", len(dead))
		}
	})

	t.Run("fetch filters a dirty topic", func(t *testing.T) {
		values := [][]byte{valid, bad, []byte("\x00foobar"), []byte("plain"), zero, valid}
		for i, v := range values {
			if r, err := produceOne(ctx, p, &kgo.Record{Topic: "dirty", Value: v}); err != nil || r.Offset != int64(i) {
				t.Fatalf("dirty topic record %d: %v", i, err)
			}
		}
		// Records that do not parse with their schema are hidden; text
		// without an envelope has no schema (PASS_THROUGH), and a zero
		// quantity parses (no validation on fetch).
		got := readEnforced(t, addr, "dirty")
		if o := offsets(got); fmt.Sprint(o) != "[0 3 4 5]" {
			t.Fatalf("consumer read offsets %v, want [0 3 4 5]", o)
		}
		// A group consumer commits past the hidden records.
		g := newClient(t, addr, kgo.ConsumeTopics("dirty"), kgo.ConsumerGroup("dirty-readers"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		seen := 0
		for seen < 4 {
			fs := g.PollFetches(ctx)
			if err := fs.Err0(); err != nil {
				t.Fatal(err)
			}
			seen += fs.NumRecords()
		}
		if err := g.CommitUncommittedOffsets(ctx); err != nil {
			t.Fatal(err)
		}
		offs, err := adm.FetchOffsets(ctx, "dirty-readers")
		if err != nil {
			t.Fatal(err)
		}
		if o, _ := offs.Lookup("dirty", 0); o.At != 6 {
			t.Fatalf("group committed %d, want 6", o.At)
		}
	})
}

// A second config: keys checked by message name, FILTER_RECORD on produce
// with an idempotent producer, and registries that are down or hang.
func TestEnforceKeysFilterAndOutages(t *testing.T) {
	store, err := boltstore.Open(filepath.Join(t.TempDir(), "reg.db"), boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	reg := httptest.NewServer(registry.New(store, registry.Options{}, nil).Handler())
	t.Cleanup(reg.Close)
	stall := make(chan struct{})
	stuck := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-stall:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(stuck.Close)
	t.Cleanup(func() { close(stall) })
	yaml := fmt.Sprintf(`
data_enforcement:
  schema_registries:
    - name: csr
      confluent: { url: %s }
    - name: gone
      confluent: { url: http://%s }
    - name: stuck
      confluent: { url: %s }
  produce:
    - topics: { equal: keyed }
      schema_registry: csr
      keys:
        name: tributary.demo.v1.CustomerKey
        on_parse_error: REJECT_BATCH
        on_no_schema: REJECT_BATCH
      values:
        on_parse_error: FILTER_RECORD
        on_no_schema: FILTER_RECORD
        validation: { on_error: FILTER_RECORD }
    - topics: { equal: outage }
      schema_registry: gone
      values: { on_parse_error: REJECT_BATCH }
    - topics: { equal: outage-stuck }
      schema_registry: stuck
      values: { on_parse_error: REJECT_BATCH }
    - topics: { equal: outage-lenient }
      schema_registry: gone
      values: { on_internal_error: PASS_THROUGH }
  fetch:
    - topics: { equal: outage-lenient }
      schema_registry: gone
      values: { on_parse_error: FILTER_RECORD }
`, reg.URL, closedAddr(t), stuck.URL)
	n := enforcedNode(t, yaml, "127.0.0.1:0")
	addr := n.KafkaAddr()
	ctx := ctxTimeout(t, 3*time.Minute)
	createTopics(t, newAdmin(t, addr), map[string]map[string]*string{"keyed": nil, "outage": nil, "outage-stuck": nil, "outage-lenient": nil})
	_, serde := shopRegistry(t, reg.URL, "keyed-value")
	valid, zero := mustEncode(t, serde, cart("a", 3)), mustEncode(t, serde, cart("b", 0))
	key := mustEncode(t, serde, cartKey("a"))

	t.Run("keys", func(t *testing.T) {
		p := newClient(t, addr, kgo.ProducerLinger(0))
		for _, c := range []struct {
			name    string
			key     []byte
			refused bool
		}{
			{"a CustomerKey", key, false},
			{"no key", nil, false},
			{"a text key", []byte("customer-a"), true},
			{"a Cart as key", valid, true},
		} {
			if _, err := produceOne(ctx, p, &kgo.Record{Topic: "keyed", Key: c.key, Value: valid}); errors.Is(err, kerr.InvalidRecord) != c.refused || (!c.refused && err != nil) {
				t.Errorf("%s: %v, refused want %v", c.name, err, c.refused)
			}
		}
	})

	t.Run("filter record with an idempotent producer", func(t *testing.T) {
		p := newClient(t, addr, kgo.ProducerLinger(50*time.Millisecond))
		start := len(readEnforced(t, addr, "keyed"))
		base := int64(2) // the two records the keys subtest stored
		batch := []*kgo.Record{
			{Topic: "keyed", Key: key, Value: valid},
			{Topic: "keyed", Key: key, Value: zero},
			{Topic: "keyed", Key: key, Value: []byte("junk")},
			{Topic: "keyed", Key: key, Value: valid},
			{Topic: "keyed", Key: key, Value: garbage(1)},
		}
		res := p.ProduceSync(ctx, batch...)
		if err := res.FirstErr(); err != nil {
			t.Fatalf("FILTER_RECORD refused a batch: %v", err)
		}
		for i, r := range res {
			if r.Record.Offset != base+int64(i) {
				t.Fatalf("record %d acknowledged at %d, want %d", i, r.Record.Offset, base+int64(i))
			}
		}
		// Everything filtered: an empty batch, still acknowledged.
		if _, err := produceOne(ctx, p, &kgo.Record{Topic: "keyed", Key: key, Value: zero}); err != nil {
			t.Fatal(err)
		}
		// The producer's sequence numbers are still what the broker
		// expects: more records go in after the dropped ones.
		for i := range 3 {
			r, err := produceOne(ctx, p, &kgo.Record{Topic: "keyed", Key: key, Value: valid})
			if err != nil || r.Offset != base+6+int64(i) {
				t.Fatalf("produce after filtering: offset %v, %v", r, err)
			}
		}
		got := readEnforced(t, addr, "keyed")[start:]
		if o := offsets(got); fmt.Sprint(o) != "[2 5 8 9 10]" {
			t.Fatalf("consumer read offsets %v, want [2 5 8 9 10]", o)
		}
		for _, r := range got {
			if !bytes.Equal(r.Value, valid) {
				t.Fatalf("offset %d holds a filtered value", r.Offset)
			}
		}
	})

	t.Run("registry down", func(t *testing.T) {
		p := newClient(t, addr, kgo.ProducerLinger(0))
		start := time.Now()
		if _, err := produceOne(ctx, p, &kgo.Record{Topic: "outage", Value: valid}); !errors.Is(err, kerr.InvalidRecord) {
			t.Fatalf("registry down, on_internal_error default: %v", err)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Fatalf("a refused connection took %v to refuse the produce", took)
		}
		// on_internal_error PASS_THROUGH lets records in; the fetch
		// policy on the same registry passes them out (its default).
		for _, v := range [][]byte{valid, garbage(1)} {
			if _, err := produceOne(ctx, p, &kgo.Record{Topic: "outage-lenient", Value: v}); err != nil {
				t.Fatalf("PASS_THROUGH refused: %v", err)
			}
		}
		if got := readEnforced(t, addr, "outage-lenient"); len(got) != 2 {
			t.Fatalf("consumer read %d records of outage-lenient, want 2", len(got))
		}
	})

	t.Run("registry hangs", func(t *testing.T) {
		p := newClient(t, addr, kgo.ProducerLinger(0))
		start := time.Now()
		if _, err := produceOne(ctx, p, &kgo.Record{Topic: "outage-stuck", Value: valid}); !errors.Is(err, kerr.InvalidRecord) {
			t.Fatalf("hung registry: %v", err)
		}
		if took := time.Since(start); took > 8*time.Second {
			t.Fatalf("a hung registry held the produce %v (timeout 2s)", took)
		}
		start = time.Now()
		if _, err := produceOne(ctx, p, &kgo.Record{Topic: "outage-stuck", Value: valid}); !errors.Is(err, kerr.InvalidRecord) || time.Since(start) > time.Second {
			t.Fatalf("second produce: %v after %v; the failure should be remembered", err, time.Since(start))
		}
	})
}

func idHeader(id int) []kgo.RecordHeader {
	return []kgo.RecordHeader{{Key: wire.ValueSchemaIDHeader, Value: wire.AppendHeader(nil, id, nil)}}
}

func mustMarshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func offsets(rs []*kgo.Record) []int64 {
	var out []int64
	for _, r := range rs {
		out = append(out, r.Offset)
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
