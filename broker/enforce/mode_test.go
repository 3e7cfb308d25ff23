package enforce

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/log/recordbatch"
	"github.com/tributary-io/tributary/schema/registryclient"
	"github.com/tributary-io/tributary/topicconfig"
)

// The demo's three kinds of cart under each validation setting: a valid
// one, a malformed one, and one whose line item has quantity 0.
func TestValidationModes(t *testing.T) {
	e := newEnv(t).register()
	good, bad, zero := e.cartValue(goodCart), framed(e.cartID, nil, []byte("\x12\x03oops")), e.cartValue(zeroQuantity)
	batch := func() ([]byte, []recordbatch.Batch) {
		return produced(t, kgo.NoCompression(), -1, 0,
			rec{key: []byte("k0"), value: good},
			rec{key: []byte("k1"), value: zero, headers: []kmsg.Header{{Key: "trace", Value: []byte("t1")}}},
			rec{key: []byte("k2"), value: bad})
	}
	// A policy that lets everything through: the topic's mode decides.
	lax := []config.Policy{policy(all, config.Element{OnParseError: config.PassThrough})}

	t.Run("validation off", func(t *testing.T) {
		data, batches := batch()
		res, err := e.enforcer(lax, nil, nil).Produce("orders", topicconfig.Validation{}).Check(ctx, 0, data, batches)
		if err != nil || res.Rejected || &res.Data[0] != &data[0] {
			t.Fatalf("validation off changed the batch: %v %+v", err, res)
		}
	})
	t.Run("reject", func(t *testing.T) {
		data, batches := batch()
		res, _ := e.enforcer(lax, nil, nil).Produce("orders", validation(map[string]string{topicconfig.ValidateMode: "REJECT"})).Check(ctx, 0, data, batches)
		if !res.Rejected || len(res.RecordErrors) != 2 || res.RecordErrors[0].Index != 1 || res.RecordErrors[1].Index != 2 ||
			!strings.Contains(res.RecordErrors[0].Message, "line_items[0].quantity: must be greater than 0 [uint64.gt]") {
			t.Fatalf("reject mode: %+v", res.RecordErrors)
		}
	})
	t.Run("dlq", func(t *testing.T) {
		data, batches := batch()
		p := e.enforcer(lax, nil, nil).Produce("orders", validation(map[string]string{topicconfig.ValidateMode: "dlq"}))
		res, _ := p.Check(ctx, 3, data, batches)
		if res.Rejected || res.DLQTopic != "orders.dlq" || res.DLQRecords != 2 {
			t.Fatalf("dlq mode: %+v", res)
		}
		if kept := values(t, res.Data); len(kept) != 1 || !bytes.Equal(kept[0], good) {
			t.Fatalf("kept %v", kept)
		}
		checkDLQ(t, res.DLQ, []dlqWant{
			{key: "k1", value: zero, ts: 1_700_000_000_001, err: "value: validation error: line_items[0].quantity", extra: []kmsg.Header{{Key: "trace", Value: []byte("t1")}}},
			{key: "k2", value: bad, ts: 1_700_000_000_002, err: "value: parse error"},
		}, "orders", "3")
	})
	t.Run("dlq topic config", func(t *testing.T) {
		p := e.enforcer(lax, nil, nil).Produce("orders", validation(map[string]string{topicconfig.ValidateMode: "dlq", topicconfig.DLQTopic: "bad-orders"}))
		data, batches := batch()
		if res, _ := p.Check(ctx, 0, data, batches); res.DLQTopic != "bad-orders" {
			t.Fatalf("dlq topic %q", res.DLQTopic)
		}
		p = e.enforcer(lax, nil, nil).Produce("orders", validation(map[string]string{topicconfig.ValidateMode: "dlq", topicconfig.DLQTopic: "orders"}))
		if res, _ := p.Check(ctx, 0, data, batches); !res.Rejected || res.DLQ != nil {
			t.Fatal("a dead-letter topic equal to the topic must reject, not loop")
		}
	})
	t.Run("mode without policy", func(t *testing.T) {
		enf := e.enforcer(nil, nil, nil) // the default registry only
		data, batches := batch()
		if res, _ := enf.Produce("orders", validation(map[string]string{topicconfig.ValidateMode: "reject"})).Check(ctx, 0, data, batches); !res.Rejected {
			t.Fatal("reject mode without a policy did nothing")
		}
		text, tb := produced(t, kgo.NoCompression(), -1, 0, rec{value: []byte("no envelope")})
		if res, _ := enf.Produce("orders", validation(map[string]string{topicconfig.ValidateMode: "reject"})).Check(ctx, 0, text, tb); !res.Rejected ||
			!strings.Contains(res.Message, "no schema") {
			t.Fatalf("reject mode let a value without a schema id in: %+v", res)
		}
		if enf.Produce("orders", validation(map[string]string{topicconfig.ValidateMode: "sometimes"})) != nil {
			t.Fatal("an unknown mode applied")
		}
		enf = e.enforcer(nil, nil, func(c *Config) { c.Default = nil })
		if enf.Produce("orders", validation(map[string]string{topicconfig.ValidateMode: "reject"})) != nil {
			t.Fatal("a mode without any registry applied")
		}
		src, err := registryclient.NewHTTP(&config.ConfluentRegistry{URL: e.url}, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		enf.SetDefaultRegistry(registryclient.New("default", src, registryclient.Config{}))
		if enf.Produce("orders", validation(map[string]string{topicconfig.ValidateMode: "reject"})) == nil {
			t.Fatal("SetDefaultRegistry did not reach cached policies")
		}
	})
	t.Run("mode overrides the policy", func(t *testing.T) {
		// The policy filters data failures; the topic's reject mode wins
		// for all of them, on_internal_error stays the policy's.
		pol := []config.Policy{policy(all, config.Element{OnParseError: config.FilterRecord, OnNoSchema: config.FilterRecord, OnInternalError: config.PassThrough})}
		data, batches := produced(t, kgo.NoCompression(), -1, 0, rec{value: good}, rec{value: []byte("text")}, rec{value: zero})
		p := e.enforcer(pol, nil, nil).Produce("orders", validation(map[string]string{topicconfig.ValidateMode: "reject"}))
		res, _ := p.Check(ctx, 0, data, batches)
		if !res.Rejected || len(res.RecordErrors) != 2 || res.RecordErrors[0].Index != 1 || res.RecordErrors[1].Index != 2 {
			t.Fatalf("override: %+v", res.RecordErrors)
		}
		if p.values.onInternal != actPass {
			t.Fatal("the mode changed on_internal_error")
		}
	})
}

type dlqWant struct {
	key   string
	value []byte
	ts    int64
	err   string
	extra []kmsg.Header
}

// checkDLQ reads a dead-letter batch and compares each record.
func checkDLQ(t *testing.T, batch []byte, want []dlqWant, topic, partition string) {
	t.Helper()
	if _, err := recordbatch.Validate(batch, recordbatch.ValidateOptions{Now: 1_700_000_000_000}); err != nil {
		t.Fatalf("dead-letter batch is not a valid client batch: %v", err)
	}
	rs, _ := recordbatch.OpenBatch(batch)
	n := 0
	rs.Each(func(r *recordbatch.Record) bool {
		w := want[r.Index]
		n++
		if string(r.Key) != w.key || !bytes.Equal(r.Value, w.value) || r.Timestamp != w.ts {
			t.Fatalf("dlq record %d: key %q ts %d", r.Index, r.Key, r.Timestamp)
		}
		hs := r.Headers
		if len(hs) != len(w.extra)+3 {
			t.Fatalf("dlq record %d: %d headers", r.Index, len(hs))
		}
		for i, h := range w.extra {
			if string(hs[i].Key) != h.Key || !bytes.Equal(hs[i].Value, h.Value) {
				t.Fatalf("dlq record %d: original header %d lost", r.Index, i)
			}
		}
		tail := hs[len(w.extra):]
		if string(tail[0].Key) != HeaderDLQTopic || string(tail[0].Value) != topic ||
			string(tail[1].Key) != HeaderDLQPartition || string(tail[1].Value) != partition ||
			string(tail[2].Key) != HeaderDLQError || !strings.Contains(string(tail[2].Value), w.err) {
			t.Fatalf("dlq record %d headers: %q=%q %q=%q %q=%q", r.Index, tail[0].Key, tail[0].Value, tail[1].Key, tail[1].Value, tail[2].Key, tail[2].Value)
		}
		return true
	})
	if n != len(want) {
		t.Fatalf("%d dead-letter records, want %d", n, len(want))
	}
}

// validation parses the bufstream.validate.* keys of a topic's configs.
func validation(cfg map[string]string) topicconfig.Validation {
	return topicconfig.Parse(cfg).Validation
}
