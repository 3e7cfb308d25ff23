package arrowconv

import (
	"io"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/tributary-io/tributary/internal/benchpb"
)

const benchBatch = 4096 // rows per record batch, as ingest might flush

// reportRecords reports records per wall-clock second and, beside
// them, records and MB per CPU-second of the whole process (start is
// benchpb.CPUTime() before the loop) — the per-core figures.
func reportRecords(b *testing.B, start time.Duration, recordBytes int) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	if cpu := (benchpb.CPUTime() - start).Seconds(); cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu, "records/cpu-s")
		b.ReportMetric(float64(b.N)*float64(recordBytes)/1e6/cpu, "MB/cpu-s")
	}
}

// BenchmarkConvert: wire bytes → Arrow builders for the realistic order,
// flushing a record batch every benchBatch rows.
func BenchmarkConvert(b *testing.B) {
	recs, mean := benchpb.Orders(1024)
	c := newTestConverter(b, (&benchpb.Order{}).ProtoReflect().Descriptor(), Options{})
	b.SetBytes(int64(mean))
	b.ReportAllocs()
	start := benchpb.CPUTime()
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
	recs, mean := benchpb.Orders(32768)
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
	start := benchpb.CPUTime()
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
	recs, mean := benchpb.Orders(1024)
	b.Run("generated", func(b *testing.B) {
		var m benchpb.Order
		b.SetBytes(int64(mean))
		b.ReportAllocs()
		start := benchpb.CPUTime()
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
		start := benchpb.CPUTime()
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
	recs, mean := benchpb.Orders(64)
	if mean < 300 || mean > 500 {
		t.Errorf("mean record size %d bytes, want 300-500", mean)
	}
	md := testMD(t, "tributary.bench.v1.Order") // compiled from the .proto, not the generated code
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
