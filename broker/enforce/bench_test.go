package enforce

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/log/recordbatch"
	"github.com/tributary-io/tributary/topicconfig"
)

// BenchmarkProduceCheck is the enforcement of one produced batch of 1,000
// carts (snappy, as franz-go sends by default) on the produce path:
// CheckOpen on the records recordbatch.ValidateOpen decompressed. ns/op
// is per batch; ns/record is reported.
func BenchmarkProduceCheck(b *testing.B) {
	e := newEnv(b).register()
	for _, c := range []struct {
		name string
		el   config.Element
		v    map[string]string
	}{
		{"parsed", config.Element{OnParseError: config.RejectBatch, OnNoSchema: config.RejectBatch}, nil},
		{"validated", config.Element{OnParseError: config.RejectBatch, OnNoSchema: config.RejectBatch}, map[string]string{topicconfig.ValidateMode: "reject"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			enf := e.enforcer([]config.Policy{policy(all, c.el)}, nil, nil)
			recs := make([]rec, 1000)
			for i := range recs {
				recs[i] = rec{value: e.cartValue(goodCart)}
			}
			data, _ := produced(b, kgo.SnappyCompression(), -1, 0, recs...)
			batches, opened, err := recordbatch.ValidateOpen(data, recordbatch.ValidateOptions{Now: 1_700_000_000_000})
			if err != nil {
				b.Fatal(err)
			}
			p := enf.Produce("orders", topicconfig.Parse(c.v).Validation)
			b.ReportAllocs()
			for b.Loop() {
				res, err := p.CheckOpen(ctx, 0, data, batches, opened)
				if err != nil || res.Rejected {
					b.Fatalf("CheckOpen: %v %s", err, res.Message)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(recs)), "ns/record")
		})
	}
}

// BenchmarkProduceValidateAndCheck is the produce path's validation and
// parse-only enforcement of one batch of 1,000 orders-like carts (snappy):
// "walk twice" is ValidateOpen then CheckOpen (each walks the records),
// "folded" is ValidateVisit with the check's visitor then Finish (one
// walk), "validate only" is ValidateOpen without enforcement, the floor.
// ns/record is reported.
func BenchmarkProduceValidateAndCheck(b *testing.B) {
	e := newEnv(b).register()
	enf := e.enforcer([]config.Policy{policy(all, config.Element{OnParseError: config.RejectBatch, OnNoSchema: config.RejectBatch})}, nil, nil)
	p := enf.Produce("orders", topicconfig.Validation{})
	recs := make([]rec, 1000)
	for i := range recs {
		recs[i] = rec{value: e.cartValue(goodCart)}
	}
	data, _ := produced(b, kgo.SnappyCompression(), -1, 0, recs...)
	opts := recordbatch.ValidateOptions{Now: 1_700_000_000_000}
	for _, c := range []struct {
		name string
		run  func() (ProduceResult, error)
	}{
		{"walk twice", func() (ProduceResult, error) {
			batches, opened, err := recordbatch.ValidateOpen(data, opts)
			if err != nil {
				return ProduceResult{}, err
			}
			return p.CheckOpen(ctx, 0, data, batches, opened)
		}},
		{"folded", func() (ProduceResult, error) {
			pc := p.Begin(ctx, 0)
			batches, opened, err := recordbatch.ValidateVisit(data, opts, pc.Visitor())
			if err != nil {
				return ProduceResult{}, err
			}
			return pc.Finish(data, batches, opened)
		}},
		{"validate only", func() (ProduceResult, error) {
			_, _, err := recordbatch.ValidateOpen(data, opts)
			return ProduceResult{}, err
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if res, err := c.run(); err != nil || res.Rejected {
					b.Fatalf("%v %s", err, res.Message)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(recs)), "ns/record")
		})
	}
}
