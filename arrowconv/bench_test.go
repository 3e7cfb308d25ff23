package arrowconv

import (
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tributary-io/tributary/arrowconv/internal/benchpb"
)

// benchOrders returns n distinct, realistic orders (testdata/bench.proto:
// 20 fields, nested messages, a list of line items, a map, a oneof),
// marshaled, and their mean size.
func benchOrders(tb testing.TB, n int) ([][]byte, int) {
	tb.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	word := func(min, max int) string {
		b := make([]byte, min+r.IntN(max-min+1))
		for i := range b {
			b[i] = byte('a' + r.IntN(26))
		}
		return string(b)
	}
	var out [][]byte
	total := 0
	for i := range n {
		o := &benchpb.Order{
			OrderId:    fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xffff, r.Uint32()&0xffff, r.Uint64()&0xffffffffffff),
			CustomerId: fmt.Sprintf("cus_%d", r.IntN(1_000_000)),
			CreatedAt:  timestamppb.New(time.Unix(1_700_000_000+int64(i)*37, int64(r.IntN(1e9)))),
			Status:     benchpb.OrderStatus(1 + r.IntN(3)),
			Total:      &benchpb.Money{CurrencyCode: "EUR", Units: int64(r.IntN(2000)), Nanos: int32(r.IntN(1e9))},
			ShippingAddress: &benchpb.Address{
				Line1: fmt.Sprintf("%d %s Street", 1+r.IntN(300), word(5, 10)), City: word(4, 12),
				Region: word(2, 8), PostalCode: fmt.Sprintf("%05d", r.IntN(100000)), Country: "FR",
			},
			Attributes:    map[string]string{"source": word(3, 8), "campaign": word(5, 12), "ab_bucket": word(1, 2)},
			Tags:          []string{word(3, 8), word(3, 8)},
			ItemCount:     uint32(1 + r.IntN(5)),
			DiscountRate:  r.Float64() / 4,
			Gift:          r.IntN(4) == 0,
			LoyaltyPoints: int64(r.IntN(100000)),
			SalesChannel:  []string{"web", "ios", "android", "store"}[r.IntN(4)],
			TraceId:       r.Uint64(),
			Priority:      int32(r.IntN(10) - 5),
			Signature:     []byte(word(16, 16)),
		}
		if r.IntN(2) == 0 {
			o.CouponCode = proto.String(word(6, 10))
		}
		if r.IntN(3) == 0 {
			o.Payment = &benchpb.Order_WalletId{WalletId: word(12, 16)}
		} else {
			o.Payment = &benchpb.Order_Card{Card: &benchpb.Card{Brand: "visa", Last4: fmt.Sprintf("%04d", r.IntN(10000)), ExpMonth: int32(1 + r.IntN(12)), ExpYear: int32(2026 + r.IntN(6))}}
		}
		for range 2 + r.IntN(2) {
			o.LineItems = append(o.LineItems, &benchpb.LineItem{
				Sku: fmt.Sprintf("SKU-%06d", r.IntN(1_000_000)), Name: word(8, 20), Quantity: uint32(1 + r.IntN(3)),
				UnitPrice:  &benchpb.Money{CurrencyCode: "EUR", Units: int64(r.IntN(500)), Nanos: int32(r.IntN(1e9))},
				Categories: []string{word(4, 10), word(4, 10)},
			})
		}
		b, err := proto.Marshal(o)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
		total += len(b)
	}
	return out, total / n
}

const benchBatch = 4096 // rows per record batch, as ingest might flush

// reportRecords reports records per wall-clock second and, beside
// them, records and MB per CPU-second of the whole process (start is
// cpuTime() before the loop) — the per-core figures.
func reportRecords(b *testing.B, start time.Duration, recordBytes int) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	if cpu := (cpuTime() - start).Seconds(); cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu, "records/cpu-s")
		b.ReportMetric(float64(b.N)*float64(recordBytes)/1e6/cpu, "MB/cpu-s")
	}
}

// BenchmarkConvert: wire bytes → Arrow builders for the realistic order,
// flushing a record batch every benchBatch rows.
func BenchmarkConvert(b *testing.B) {
	recs, mean := benchOrders(b, 1024)
	c := newTestConverter(b, (&benchpb.Order{}).ProtoReflect().Descriptor(), Options{})
	b.SetBytes(int64(mean))
	b.ReportAllocs()
	start := cpuTime()
	for i := 0; b.Loop(); i++ {
		if err := c.Append(recs[i%len(recs)]); err != nil {
			b.Fatal(err)
		}
		if c.Len() == benchBatch {
			c.NewRecordBatch().Release()
		}
	}
	reportRecords(b, start, mean)
}

// BenchmarkConvertParquet: the same, then each batch written as Parquet
// by pqarrow with Iceberg's defaults (zstd, row groups of up to 2^20
// rows, dictionaries on): the end-to-end figure.
func BenchmarkConvertParquet(b *testing.B) {
	// Enough distinct orders that the unique columns (order_id,
	// trace_id, …) outgrow pqarrow's 1 MiB dictionary page as real data
	// does; with few, cycled, everything collapses into dictionaries.
	recs, mean := benchOrders(b, 32768)
	c := newTestConverter(b, (&benchpb.Order{}).ProtoReflect().Descriptor(), Options{})
	var out countingWriter
	w, err := pqarrow.NewFileWriter(c.Schema(), &out,
		parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Zstd),
			parquet.WithMaxRowGroupLength(1<<20)), // Iceberg's write.parquet.row-group-limit
		pqarrow.DefaultWriterProps())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(mean))
	b.ReportAllocs()
	flush := func() {
		rec := c.NewRecordBatch()
		defer rec.Release()
		if err := w.WriteBuffered(rec); err != nil {
			b.Fatal(err)
		}
	}
	start := cpuTime()
	for i := 0; b.Loop(); i++ {
		if err := c.Append(recs[i%len(recs)]); err != nil {
			b.Fatal(err)
		}
		if c.Len() == benchBatch {
			flush()
		}
	}
	if c.Len() > 0 {
		flush()
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	reportRecords(b, start, mean)
	b.ReportMetric(float64(out)/float64(b.N), "parquet-B/record")
}

type countingWriter int64

func (w *countingWriter) Write(p []byte) (int, error) {
	*w += countingWriter(len(p))
	return len(p), nil
}

var _ io.Writer = (*countingWriter)(nil)

// BenchmarkProtoUnmarshal: the ceilings to approach — proto.Unmarshal of
// the same bytes into generated code (which builds no Arrow at all), and
// into a dynamicpb message (what a converter built on dynamicpb would
// pay before its first Arrow append).
func BenchmarkProtoUnmarshal(b *testing.B) {
	recs, mean := benchOrders(b, 1024)
	b.Run("generated", func(b *testing.B) {
		var m benchpb.Order
		b.SetBytes(int64(mean))
		b.ReportAllocs()
		start := cpuTime()
		for i := 0; b.Loop(); i++ {
			m.Reset()
			if err := proto.Unmarshal(recs[i%len(recs)], &m); err != nil {
				b.Fatal(err)
			}
		}
		reportRecords(b, start, mean)
	})
	b.Run("dynamicpb", func(b *testing.B) {
		m := dynamicpb.NewMessage((&benchpb.Order{}).ProtoReflect().Descriptor())
		b.SetBytes(int64(mean))
		b.ReportAllocs()
		start := cpuTime()
		for i := 0; b.Loop(); i++ {
			proto.Reset(m)
			if err := proto.Unmarshal(recs[i%len(recs)], m); err != nil {
				b.Fatal(err)
			}
		}
		reportRecords(b, start, mean)
	})
}

// TestBenchOrdersMatch: the benchmark's records convert to what the
// oracle says, so the benchmark measures a correct conversion.
func TestBenchOrdersMatch(t *testing.T) {
	recs, mean := benchOrders(t, 64)
	if mean < 300 || mean > 500 {
		t.Errorf("mean record size %d bytes, want 300-500", mean)
	}
	md := testMD(t, "arrowconv.bench.v1.Order") // compiled from the .proto, not the generated code
	c := newTestConverter(t, md, Options{})
	for _, b := range recs {
		if err := c.Append(b); err != nil {
			t.Fatal(err)
		}
	}
	rec := c.NewRecordBatch()
	defer rec.Release()
	validate(t, rec)
	for i, b := range recs {
		exp, err := oracle(md, testTypes(t), b)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range match("", exp, renderRow(rec, i, md)) {
			t.Errorf("order %d: %s", i, d)
		}
	}
}
