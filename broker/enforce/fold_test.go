package enforce

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/log/recordbatch"
	"github.com/tributary-io/tributary/schema/wire"
	"github.com/tributary-io/tributary/topicconfig"
)

// parseOnlyReject is a parse-only policy rejecting what has no schema or does
// not parse.
var parseOnlyReject = config.Element{OnParseError: config.RejectBatch, OnNoSchema: config.RejectBatch}

// folded runs the produce path's check: recordbatch.ValidateVisit with
// the check's visitor, then Finish.
func folded(t *testing.T, p *ProducePolicy, data []byte) ProduceResult {
	t.Helper()
	pc := p.Begin(ctx, 0)
	batches, opened, err := recordbatch.ValidateVisit(data, recordbatch.ValidateOptions{Now: 1_700_000_000_000}, pc.Visitor())
	if err != nil {
		t.Fatalf("ValidateVisit: %v", err)
	}
	res, err := pc.Finish(data, batches, opened)
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	return res
}

// gathered is every sample of reg that is not zero, one line each,
// sorted.
func gathered(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if m.GetCounter().GetValue() == 0 {
				continue
			}
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
			lines = append(lines, fmt.Sprintf("%s{%s} %v", mf.GetName(), strings.Join(ls, ","), m.GetCounter().GetValue()))
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// TestFoldedCheckIsCheck: the check folded into validation's walk
// (Begin, ValidateVisit, Finish) answers what Check answers, record for
// record, and counts the same metrics, for parse-only policies (folded)
// and validating ones (checked in Finish), every action, keys and values,
// schema ids in headers, and every codec.
func TestFoldedCheckIsCheck(t *testing.T) {
	e := newEnv(t).register()
	good, zero := e.cartValue(goodCart), e.cartValue(zeroQuantity)
	key := framed(e.cartID, []int{2}, e.msg("CartKey", goodKey))
	hdr := []kmsg.Header{{Key: wire.ValueSchemaIDHeader, Value: wire.AppendHeader(nil, e.cartID, nil)}}
	mixed := []rec{
		{value: good, key: key},
		{value: []byte("plain text"), key: []byte("k")},
		{value: framed(e.cartID, nil, []byte{0xff, 0xff, 0xff})},
		{value: nil},
		{value: zero},
		{value: e.msg("Cart", goodCart), headers: hdr},
		{value: framed(99999, nil, e.msg("Cart", goodCart))},
		{value: good, key: e.cartValue(goodCart)},
	}
	pass := config.Element{OnParseError: config.PassThrough, OnNoSchema: config.PassThrough}
	filter := config.Element{OnParseError: config.FilterRecord, OnNoSchema: config.PassThrough}
	keys := config.Element{Name: "tributary.enforce.test.v1.CartKey", OnParseError: config.FilterRecord, OnNoSchema: config.PassThrough}
	for _, c := range []struct {
		name   string
		p      config.Policy
		v      map[string]string
		folded bool
	}{
		{"reject", policy(all, parseOnlyReject), nil, true},
		{"pass", policy(all, pass), nil, true},
		{"filter", policy(all, filter), nil, true},
		{"keys and values", config.Policy{Topics: all, SchemaRegistry: "csr", Keys: keys, Values: filter}, nil, true},
		{"dlq skip parse", policy(all, config.Element{SkipParse: true}), map[string]string{topicconfig.ValidateMode: "dlq"}, true},
		{"validated", policy(all, strict), nil, false},
		{"dlq mode", policy(all, filter), map[string]string{topicconfig.ValidateMode: "dlq"}, false},
	} {
		for _, codec := range []kgo.CompressionCodec{kgo.NoCompression(), kgo.SnappyCompression(), kgo.ZstdCompression()} {
			for _, recs := range [][]rec{mixed, {{value: good}, {value: good, headers: hdr}}} {
				data, batches := produced(t, codec, 5, 10, recs...)
				run := func(fold bool) (ProduceResult, string) {
					reg := prometheus.NewRegistry()
					enf := e.enforcer([]config.Policy{c.p}, nil, func(cfg *Config) { cfg.Registerer = reg })
					p := enf.Produce("orders", topicconfig.Parse(c.v).Validation)
					if got := p.Begin(ctx, 0).Visitor() != nil; got != c.folded {
						t.Fatalf("%s: folded %v, want %v", c.name, got, c.folded)
					}
					if fold {
						return folded(t, p, data), gathered(t, reg)
					}
					res, err := p.Check(ctx, 0, data, batches)
					if err != nil {
						t.Fatalf("%s: Check: %v", c.name, err)
					}
					return res, gathered(t, reg)
				}
				want, wantM := run(false)
				got, gotM := run(true)
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("%s, codec %v, %d records: folded\n%+v\nCheck\n%+v", c.name, codec, len(recs), got, want)
				}
				if gotM != wantM || !strings.Contains(gotM, "tributary_enforce_checks_total") {
					t.Fatalf("%s: folded metrics\n%s\nCheck's\n%s", c.name, gotM, wantM)
				}
			}
		}
	}
}

// TestParseOnlyCheckReadsRecordsOnce: on the produce path a parse-only
// check reads each record during validation's walk and never again. It
// used to walk the records a second time after validation (CheckOpen on
// the opened batches: Records.Each), about a tenth of the produce path's
// CPU with enforcement. Evidence independent of timing: the record bytes
// are spoiled between validation and Finish, which a second walk would
// see (CheckOpen on the same spoiled bytes rejects every record) and the
// folded check does not.
func TestParseOnlyCheckReadsRecordsOnce(t *testing.T) {
	e := newEnv(t).register()
	enf := e.enforcer([]config.Policy{policy(all, parseOnlyReject)}, nil, nil)
	p := enf.Produce("orders", topicconfig.Validation{})
	const n = 50
	good := e.cartValue(goodCart)
	recs := make([]rec, n)
	for i := range recs {
		recs[i] = rec{value: good}
	}
	data, _ := produced(t, kgo.NoCompression(), -1, 0, recs...) // uncompressed: opened records alias data
	pc := p.Begin(ctx, 0)
	batches, opened, err := recordbatch.ValidateVisit(data, recordbatch.ValidateOptions{Now: 1_700_000_000_000}, pc.Visitor())
	if err != nil {
		t.Fatal(err)
	}
	spoiled := bytes.Clone(good)
	spoiled[0] = 7 // no magic byte: no schema
	if c := bytes.Count(data, good); c != n {
		t.Fatalf("found %d values in the batch, want %d", c, n)
	}
	copy(data, bytes.ReplaceAll(data, good, spoiled))

	again, err := p.CheckOpen(ctx, 0, data, batches, opened)
	if err != nil || !again.Rejected || len(again.RecordErrors) != n {
		t.Fatalf("a walk after validation should see the spoiled values: %v %+v", err, again.RecordErrors)
	}
	res, err := pc.Finish(data, batches, opened)
	if err != nil || res.Rejected {
		t.Fatalf("Finish read the records again: %v, rejected %v: %s", err, res.Rejected, res.Message)
	}
}

// TestUnfinishedCheckCountsNothing: records checked during a walk that
// validation then refuses (here a bad timestamp on the last record) leave
// no trace: no metrics, as when enforcement ran only after validation.
func TestUnfinishedCheckCountsNothing(t *testing.T) {
	e := newEnv(t).register()
	reg := prometheus.NewRegistry()
	enf := e.enforcer([]config.Policy{policy(all, parseOnlyReject)}, nil, func(c *Config) { c.Registerer = reg })
	p := enf.Produce("orders", topicconfig.Validation{})
	data, _ := produced(t, kgo.NoCompression(), -1, 0, rec{value: []byte("text")}, rec{value: e.cartValue(goodCart)})
	pc := p.Begin(ctx, 0)
	opts := recordbatch.ValidateOptions{Now: 1_700_000_000_000 + 3_600_000, TimestampBeforeMax: 60_000} // every record an hour old
	if _, _, err := recordbatch.ValidateVisit(data, opts, pc.Visitor()); err == nil {
		t.Fatal("stale records validated")
	}
	if pc.c.counts == (checkCounts{}) {
		t.Fatal("the walk checked no record")
	}
	if m := gathered(t, reg); strings.Contains(m, "tributary_enforce") {
		t.Fatalf("an unfinished check counted:\n%s", m)
	}
}
