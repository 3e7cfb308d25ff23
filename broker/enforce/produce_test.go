package enforce

import (
	"bytes"
	"context"
	rtmetrics "runtime/metrics"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/log/recordbatch"
	"github.com/tributary-io/tributary/schema/wire"
	"github.com/tributary-io/tributary/topicconfig"
)

var ctx = context.Background()

// strict is the produce policy with validation on as well.
var strict = config.Element{
	OnParseError: config.RejectBatch, OnNoSchema: config.RejectBatch,
	Validation: &config.Validation{OnError: config.RejectBatch},
}

func TestRejectBatchNamesEachBadRecord(t *testing.T) {
	e := newEnv(t).register()
	enf := e.enforcer([]config.Policy{policy(all, strict)}, nil, nil)
	data, batches := produced(t, kgo.NoCompression(), -1, 0,
		rec{value: e.cartValue(goodCart)},
		rec{value: []byte("plain text")},                            // 1: no schema
		rec{value: framed(e.cartID, nil, []byte{0xff, 0xff, 0xff})}, // 2: does not decode
		rec{value: nil},                                                 // 3: tombstone: not checked
		rec{value: e.cartValue(zeroQuantity)},                           // 4: breaks quantity > 0
		rec{value: framed(99999, nil, e.msg("Cart", goodCart))},         // 5: unknown id
		rec{value: framed(e.productID, nil, []byte{0x0a, 0x01, 'x'})},   // 6: another subject's id
		rec{value: framed(e.cartID, []int{7}, e.msg("Cart", goodCart))}, // 7: no message 7
		rec{value: []byte{0, 0, 0}},                                     // 8: short envelope
		rec{value: e.msg("Cart", goodCart), headers: []kmsg.Header{{Key: wire.ValueSchemaIDHeader, Value: wire.AppendHeader(nil, e.cartID, nil)}}}, // 9: id in a header
	)
	res, err := enf.Produce("orders", topicconfig.Validation{}).Check(ctx, 0, data, batches)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Rejected {
		t.Fatal("batch with bad records accepted")
	}
	want := map[int][]string{
		1: {"value: no schema", "Confluent wire format"},
		2: {"value: parse error"},
		4: {"value: validation error", "line_items[0].quantity", "uint64.gt"},
		5: {"parse error", "schema id 99999 not found in registry"},
		6: {"parse error", "not a version of subject orders-value"},
		7: {"parse error", "message indexes [7] name no message"},
		8: {"parse error"},
	}
	if len(res.RecordErrors) != len(want) {
		t.Fatalf("record errors %+v, want indexes of %v", res.RecordErrors, want)
	}
	for _, re := range res.RecordErrors {
		for _, sub := range want[re.Index] {
			if !strings.Contains(re.Message, sub) {
				t.Errorf("record %d: %q lacks %q", re.Index, re.Message, sub)
			}
		}
	}
	if !strings.Contains(res.Message, "rejected 7 records; record 1: value: no schema") {
		t.Errorf("message %q", res.Message)
	}
	if res.DLQ != nil || !bytes.Equal(res.Data, data) {
		t.Error("a rejected batch must change nothing")
	}
}

func TestValidRecordsPassUnchanged(t *testing.T) {
	e := newEnv(t).register()
	enf := e.enforcer([]config.Policy{policy(all, strict)}, nil, nil)
	data, batches := produced(t, kgo.ZstdCompression(), 7, 0,
		rec{value: e.cartValue(goodCart)},
		rec{value: nil},
		rec{value: e.msg("Cart", goodCart), headers: []kmsg.Header{{Key: wire.ValueSchemaIDHeader, Value: wire.AppendHeader(nil, e.cartID, nil)}}},
		rec{value: framed(e.cartID, []int{0}, e.msg("Cart", goodCart))}, // the path [0] written out
	)
	res, err := enf.Produce("orders", topicconfig.Validation{}).Check(ctx, 0, data, batches)
	if err != nil || res.Rejected || res.DLQ != nil {
		t.Fatalf("valid records: %v %+v", err, res.RecordErrors)
	}
	if &res.Data[0] != &data[0] {
		t.Fatal("unchanged record set was copied")
	}
}

func TestNoPolicyNoCost(t *testing.T) {
	e := newEnv(t).register()
	enf := e.enforcer([]config.Policy{policy(config.StringMatcher{Equal: "strict"}, strict)}, nil, nil)
	if enf.Produce("orders", validation(map[string]string{"retention.ms": "1"})) != nil {
		t.Fatal("a policy for another topic applied")
	}
	if enf.Produce("strict", topicconfig.Validation{}) == nil {
		t.Fatal("the matching policy did not apply")
	}
	inverted := config.StringMatcher{Equal: "strict", Invert: true}
	enf = e.enforcer([]config.Policy{policy(inverted, strict)}, nil, nil)
	if enf.Produce("strict", topicconfig.Validation{}) != nil || enf.Produce("orders", topicconfig.Validation{}) == nil {
		t.Fatal("inverted matcher")
	}
	var none *Enforcer
	if none.Produce("x", validation(map[string]string{topicconfig.ValidateMode: "reject"})) != nil || none.Fetch("x") != nil {
		t.Fatal("nil enforcer enforced")
	}
	e.requests.Store(0)
	if e.enforcer(nil, nil, nil).Produce("orders", topicconfig.Validation{}) != nil || e.requests.Load() != 0 {
		t.Fatal("no policy and no mode still cost something")
	}
}

func TestFirstMatchingPolicyWins(t *testing.T) {
	e := newEnv(t).register()
	lax := config.Element{OnNoSchema: config.PassThrough}
	enf := e.enforcer([]config.Policy{
		policy(config.StringMatcher{In: config.InValues{Values: []string{"a", "orders"}}}, lax),
		policy(all, strict),
	}, nil, nil)
	data, batches := produced(t, kgo.NoCompression(), -1, 0, rec{value: []byte("text")})
	if res, _ := enf.Produce("orders", topicconfig.Validation{}).Check(ctx, 0, data, batches); res.Rejected {
		t.Fatal("the second policy applied to orders")
	}
	if res, _ := enf.Produce("zzz", topicconfig.Validation{}).Check(ctx, 0, data, batches); !res.Rejected {
		t.Fatal("the catch-all did not apply to zzz")
	}
}

func TestFilterRecordKeepsOffsetsAndSequences(t *testing.T) {
	e := newEnv(t).register()
	filter := config.Element{OnParseError: config.FilterRecord, OnNoSchema: config.FilterRecord,
		Validation: &config.Validation{OnError: config.FilterRecord}}
	enf := e.enforcer([]config.Policy{policy(all, filter)}, nil, nil)
	for _, codec := range []kgo.CompressionCodec{kgo.NoCompression(), kgo.GzipCompression(), kgo.SnappyCompression(), kgo.Lz4Compression(), kgo.ZstdCompression()} {
		good := e.cartValue(goodCart)
		data, batches := produced(t, codec, 12, 40,
			rec{value: []byte("junk")}, rec{value: good}, rec{value: e.cartValue(zeroQuantity)}, rec{value: good}, rec{value: []byte("x")})
		res, err := enf.Produce("orders", topicconfig.Validation{}).Check(ctx, 0, data, batches)
		if err != nil || res.Rejected {
			t.Fatalf("filter: %v %+v", err, res)
		}
		var h recordbatch.Header
		recordbatch.Walk(res.Data, func(hh recordbatch.Header, _ []byte) bool { h = hh; return true })
		if h.LastOffsetDelta != 4 || h.NumRecords != 2 || h.ProducerID != 12 || h.BaseSequence != 40 || h.Codec() != batches[0].Codec {
			t.Fatalf("rebuilt header %+v", h)
		}
		if b := res.Batches[0]; b.Offset != 0 || b.Len != len(res.Data) || b.NumRecords != 5 || b.MaxTimestamp != 1_700_000_000_003 {
			t.Fatalf("batch %+v for %d bytes", b, len(res.Data))
		}
		got := values(t, res.Data)
		if len(got) != 2 || !bytes.Equal(got[1], good) || !bytes.Equal(got[3], good) {
			t.Fatalf("kept %v", got)
		}
	}
	// Everything filtered: an empty batch that still spans the offsets.
	data, batches := produced(t, kgo.Lz4Compression(), 12, 45, rec{value: []byte("a")}, rec{value: []byte("b")})
	res, _ := enf.Produce("orders", topicconfig.Validation{}).Check(ctx, 0, data, batches)
	rs, err := recordbatch.OpenBatch(res.Data)
	if err != nil || rs.Header.NumRecords != 0 || rs.Header.LastOffsetDelta != 1 || rs.Header.BaseSequence != 45 {
		t.Fatalf("all filtered: %v %+v", err, rs)
	}
	if b := res.Batches[0]; b.NumRecords != 2 || b.MaxTimestamp != -1 {
		t.Fatalf("all filtered: batch %+v, want 2 offsets and no timestamp", b)
	}
}

func TestKeysChecked(t *testing.T) {
	e := newEnv(t).register()
	keys := config.Element{Name: "tributary.enforce.test.v1.CartKey", OnParseError: config.RejectBatch, OnNoSchema: config.RejectBatch}
	p := config.Policy{Topics: all, SchemaRegistry: "csr", Keys: keys}
	enf := e.enforcer([]config.Policy{p}, nil, nil)
	key := framed(e.cartID, []int{2}, e.msg("CartKey", goodKey))
	check := func(recs ...rec) ProduceResult {
		data, batches := produced(t, kgo.NoCompression(), -1, 0, recs...)
		res, err := enf.Produce("anything", topicconfig.Validation{}).Check(ctx, 0, data, batches)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := check(rec{key: key, value: []byte("values are not checked")}, rec{key: nil}); res.Rejected {
		t.Fatalf("good keys rejected: %+v", res.RecordErrors)
	}
	res := check(rec{key: key}, rec{key: e.cartValue(goodCart)}, rec{key: []byte("k")})
	if !res.Rejected || len(res.RecordErrors) != 2 || res.RecordErrors[0].Index != 1 ||
		!strings.Contains(res.RecordErrors[0].Message, "key: parse error: schema id") ||
		!strings.Contains(res.RecordErrors[0].Message, "hold tributary.enforce.test.v1.Cart, the policy wants tributary.enforce.test.v1.CartKey") ||
		!strings.Contains(res.RecordErrors[1].Message, "key: no schema") {
		t.Fatalf("bad keys: %+v", res.RecordErrors)
	}
	// Without a message name, a key's schema id must be a version of
	// <topic>-key: orders-key has the cart schema, other-key nothing.
	p.Keys.Name = ""
	enf = e.enforcer([]config.Policy{p}, nil, nil)
	data, batches := produced(t, kgo.NoCompression(), -1, 0, rec{key: key})
	if res, _ := enf.Produce("orders", topicconfig.Validation{}).Check(ctx, 0, data, batches); res.Rejected {
		t.Fatalf("key in orders-key rejected: %+v", res.RecordErrors)
	}
	res, _ = enf.Produce("other", topicconfig.Validation{}).Check(ctx, 0, data, batches)
	if !res.Rejected || !strings.Contains(res.Message, "not a version of subject other-key") {
		t.Fatalf("key in no subject: %+v", res)
	}
}

func TestHeaderSchemaIDs(t *testing.T) {
	e := newEnv(t).register()
	enf := e.enforcer([]config.Policy{policy(all, strict)}, nil, nil)
	hdr := func(v []byte) []kmsg.Header { return []kmsg.Header{{Key: wire.ValueSchemaIDHeader, Value: v}} }
	data, batches := produced(t, kgo.NoCompression(), -1, 0,
		rec{value: e.msg("Cart", goodCart), headers: hdr(wire.AppendHeader(nil, e.cartID, nil))},
		// The last non-null header counts; a null one is no header.
		rec{value: e.msg("Cart", goodCart), headers: append(hdr(wire.AppendHeader(nil, 99999, nil)), hdr(wire.AppendHeader(nil, e.cartID, nil))[0], kmsg.Header{Key: wire.ValueSchemaIDHeader})},
		rec{value: e.msg("Cart", zeroQuantity), headers: hdr(wire.AppendHeader(nil, e.cartID, nil))},
		rec{value: e.msg("Cart", goodCart), headers: hdr([]byte{1, 2})},
		rec{value: e.msg("Cart", goodCart), headers: hdr(wire.AppendGUIDHeader(nil, [16]byte{1}, nil))},
		rec{value: e.msg("Cart", goodCart), headers: []kmsg.Header{{Key: wire.KeySchemaIDHeader, Value: wire.AppendHeader(nil, e.cartID, nil)}}},
	)
	res, _ := enf.Produce("orders", topicconfig.Validation{}).Check(ctx, 0, data, batches)
	var got []int
	for _, re := range res.RecordErrors {
		got = append(got, re.Index)
	}
	if len(got) != 4 || got[0] != 2 || got[1] != 3 || got[2] != 4 || got[3] != 5 {
		t.Fatalf("header ids: %+v", res.RecordErrors)
	}
	if !strings.Contains(res.RecordErrors[2].Message, "GUID") || !strings.Contains(res.RecordErrors[3].Message, "no schema") {
		t.Fatalf("messages: %+v", res.RecordErrors)
	}
}

// A batch large enough to be checked by several goroutines keeps each
// verdict with its record.
func TestLargeBatchVerdictsInOrder(t *testing.T) {
	e := newEnv(t).register()
	filter := config.Element{OnParseError: config.FilterRecord, Validation: &config.Validation{OnError: config.FilterRecord}}
	enf := e.enforcer([]config.Policy{policy(all, filter)}, nil, nil)
	good, zero := e.cartValue(goodCart), e.cartValue(zeroQuantity)
	var recs []rec
	for i := range 400 {
		v := good
		if i%7 == 3 {
			v = zero
		}
		recs = append(recs, rec{value: v, headers: []kmsg.Header{{Key: "i", Value: []byte{byte(i), byte(i >> 8)}}}})
	}
	data, batches := produced(t, kgo.Lz4Compression(), 3, 0, recs...)
	res, err := enf.Produce("orders", topicconfig.Validation{}).Check(ctx, 0, data, batches)
	if err != nil || res.Rejected {
		t.Fatalf("%v %+v", err, res.Message)
	}
	got := values(t, res.Data)
	for i := range 400 {
		_, kept := got[int64(i)]
		if kept == (i%7 == 3) {
			t.Fatalf("record %d kept=%v", i, kept)
		}
	}
}

// TestProduceCheckReadsTheValidatedRecords: with the batches
// recordbatch.ValidateOpen opened, a check decompresses nothing again and
// copies no record's headers. It used to OpenBatch every batch after
// Validate had decompressed it (a second decompression of each compressed
// produce) and clone each record's headers.
func TestProduceCheckReadsTheValidatedRecords(t *testing.T) {
	e := newEnv(t).register()
	enf := e.enforcer([]config.Policy{policy(all, config.Element{OnParseError: config.RejectBatch, OnNoSchema: config.RejectBatch})}, nil, nil)
	recs := make([]rec, 1000)
	hs := []kmsg.Header{{Key: "trace", Value: []byte("0123456789abcdef")}, {Key: "source", Value: []byte("web")}}
	for i := range recs {
		recs[i] = rec{value: e.cartValue(goodCart), headers: hs}
	}
	data, _ := produced(t, kgo.GzipCompression(), -1, 0, recs...)
	batches, opened, err := recordbatch.ValidateOpen(data, recordbatch.ValidateOptions{Now: 1_700_000_000_000})
	if err != nil {
		t.Fatal(err)
	}
	p := enf.Produce("orders", topicconfig.Validation{})
	check := func() {
		res, err := p.CheckOpen(ctx, 0, data, batches, opened)
		if err != nil || res.Rejected || &res.Data[0] != &data[0] {
			t.Fatalf("CheckOpen: rejected %v (%s), %v", res.Rejected, res.Message, err)
		}
	}
	check() // the codec is cached from here on
	if n := testing.AllocsPerRun(5, check); n > 100 {
		t.Errorf("CheckOpen of %d records with headers: %v allocations, want a few per batch", len(recs), n)
	}
	rs, err := recordbatch.OpenBatch(data)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := rs.Collect(nil)
	size := 0
	for _, r := range raw {
		size += len(r.Raw)
	}
	reopen := func() {
		if _, err := p.Check(ctx, 0, data, batches); err != nil {
			t.Fatal(err)
		}
	}
	if n, m := allocatedBytes(check), allocatedBytes(reopen); n+uint64(size) > m {
		t.Errorf("CheckOpen allocated %d bytes, Check (which decompresses) %d, for %d bytes of records: CheckOpen decompressed again?", n, m, size)
	}
}

// allocatedBytes is how many heap bytes fn allocated (process-wide: the
// package's tests do not run in parallel).
func allocatedBytes(fn func()) uint64 {
	s := []rtmetrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	rtmetrics.Read(s)
	before := s[0].Value.Uint64()
	fn()
	rtmetrics.Read(s)
	return s[0].Value.Uint64() - before
}

// TestParseOnlyCheckCollectsNothing: a parse-only check used to collect
// every record of a batch (about 120 bytes each, plus a verdict) before
// checking them, which cost a tenth of the produce path's CPU in
// allocation and garbage collection; the records are now read in one pass
// and only failures are remembered.
func TestParseOnlyCheckCollectsNothing(t *testing.T) {
	e := newEnv(t).register()
	enf := e.enforcer([]config.Policy{policy(all, config.Element{OnParseError: config.RejectBatch, OnNoSchema: config.RejectBatch})}, nil, nil)
	recs := make([]rec, 1000)
	for i := range recs {
		recs[i] = rec{value: e.cartValue(goodCart)}
	}
	data, _ := produced(t, kgo.SnappyCompression(), -1, 0, recs...)
	batches, opened, err := recordbatch.ValidateOpen(data, recordbatch.ValidateOptions{Now: 1_700_000_000_000})
	if err != nil {
		t.Fatal(err)
	}
	p := enf.Produce("orders", topicconfig.Validation{})
	check := func() {
		res, err := p.CheckOpen(ctx, 0, data, batches, opened)
		if err != nil || res.Rejected {
			t.Fatalf("CheckOpen: %v %s", err, res.Message)
		}
	}
	check() // the codec is cached from here on
	const runs = 200
	total := allocatedBytes(func() {
		for range runs {
			check()
		}
	})
	if per := total / runs; per > 8<<10 {
		t.Errorf("a parse-only check of 1,000 records allocates %d bytes, want at most 8 KiB", per)
	}
}
