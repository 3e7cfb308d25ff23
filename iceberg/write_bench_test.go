package iceberg

import (
	"context"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	iceberggo "github.com/apache/iceberg-go"
	icetable "github.com/apache/iceberg-go/table"

	"github.com/tributary-io/tributary/arrowconv"
	"github.com/tributary-io/tributary/internal/benchpb"
)

// layoutBatches is n distinct bench orders as the ingest path hands them
// to the writer: arrowconv's columns in the table's layout, conformed to
// the table's Arrow schema, in one batch (ingest cuts a batch only at a
// commit or a schema change).
func layoutBatches(b *testing.B, n int) ([]arrow.RecordBatch, *arrow.Schema, int) {
	b.Helper()
	ctx := context.Background()
	tbl, err := Open(ctx, newClient(b, newCatalogURL(b)), icetable.Identifier{"bench", "orders"}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	conv, err := arrowconv.NewConverter((&benchpb.Order{}).ProtoReflect().Descriptor(), arrowconv.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer conv.Release()
	_, vs, err := tbl.Prepare(ctx, nil, conv.Schema())
	if err != nil {
		b.Fatal(err)
	}
	dst, err := icetable.SchemaToArrowSchema(tbl.Iceberg().Schema(), nil, true, false)
	if err != nil {
		b.Fatal(err)
	}
	rows := NewRowBuilder(nil)
	defer rows.Release()
	recs, mean := benchpb.Orders(n)
	var out []arrow.RecordBatch
	cut := func() {
		vals := conv.NewRecordBatch()
		defer vals.Release()
		r, err := rows.Finish(nil, vs, nil, vals)
		if err != nil {
			b.Fatal(err)
		}
		defer r.Release()
		c, err := conformBatch(r, dst, memory.DefaultAllocator)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, c)
	}
	now := time.Now().UnixMicro()
	for i := range n {
		if err := conv.Append(recs[i%len(recs)]); err != nil {
			b.Fatal(err)
		}
		rows.Append(&Meta{Offset: int64(i), EventTimestamp: now + int64(i), IngestTimestamp: now + int64(i), BatchStart: int64(i)},
			Part{Raw: []byte("customer-key")}, Part{Prefix: []byte{0, 0, 0, 0, 1, 0}})
	}
	cut()
	b.Cleanup(func() {
		for _, r := range out {
			r.Release()
		}
	})
	return out, dst, mean
}

// withCostFallback adds the cost-based dictionary fallback on every
// column, as iceberg-go's writer does.
func withCostFallback(b *testing.B, sc *arrow.Schema, props []parquet.WriterProperty) []parquet.WriterProperty {
	b.Helper()
	ps, err := pqarrow.ToParquet(sc, parquet.NewWriterProperties(props...), pqarrow.DefaultWriterProps())
	if err != nil {
		b.Fatal(err)
	}
	out := append([]parquet.WriterProperty(nil), props...)
	for i := range ps.NumColumns() {
		out = append(out, parquet.WithDictionaryCostFallbackFor(ps.Column(i).Path(), true))
	}
	return out
}

// BenchmarkDataFileSettings writes the same 131,072 distinct bench orders
// in the table's layout, one batch, as one Parquet file per iteration
// under Parquet settings iceberg-go can be given (table properties) and
// ones it cannot (statistics and encodings per column), and what ingest
// writes (the defaults with no dictionary on columns that start all
// distinct): what each would save, per CPU second of the process, and
// the bytes per record it costs.
func BenchmarkDataFileSettings(b *testing.B) {
	const n = 131072
	batches, sc, mean := layoutBatches(b, n)
	kafka := []string{"kafka.offset", "kafka.batch_start", "kafka.event_timestamp", "kafka.ingest_timestamp"}
	oldProps := iceberggo.Properties{
		icetable.ParquetCompressionLevelKey: "3", icetable.ParquetPageRowLimitKey: "20000",
		icetable.ParquetPageSizeBytesKey: "1048576",
	}
	for _, c := range kafka {
		oldProps[dictColumnPrefix+"."+c] = "true"
	}
	statsOnlyKafka := func() []parquet.WriterProperty {
		out := append(WriterProperties(nil), parquet.WithStats(false))
		for _, c := range append(kafka, "kafka.partition") {
			out = append(out, parquet.WithStatsFor(c, true))
		}
		return out
	}
	cases := []struct {
		name  string
		props []parquet.WriterProperty
	}{
		{"old-defaults", WriterProperties(oldProps)},
		{"page-row-limit-100000", WriterProperties(iceberggo.Properties{icetable.ParquetPageRowLimitKey: "100000"})},
		{"new-defaults", WriterProperties(nil)},
		{"new-defaults-sampled-dictionaries", WriterProperties(distinctColumns(batches[0], WriteProperties(nil)))},
		{"new-no-dictionaries", WriterProperties(iceberggo.Properties{dictEnabledKey: "false"})},
		{"new-stats-only-kafka", statsOnlyKafka()},
		{"new-stats-only-kafka-delta", func() []parquet.WriterProperty {
			out := statsOnlyKafka()
			for _, c := range kafka {
				out = append(out, parquet.WithEncodingFor(c, parquet.Encodings.DeltaBinaryPacked))
			}
			return out
		}()},
		{"new-uncompressed", WriterProperties(iceberggo.Properties{icetable.ParquetCompressionKey: "uncompressed"})},
		{"floor-uncompressed-no-dictionaries-no-stats", append(WriterProperties(iceberggo.Properties{
			icetable.ParquetCompressionKey: "uncompressed", dictEnabledKey: "false",
		}), parquet.WithStats(false))},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			props := parquet.NewWriterProperties(withCostFallback(b, sc, c.props)...)
			var size int64
			start := benchpb.CPUTime()
			for b.Loop() {
				var out countingWriter
				w, err := pqarrow.NewFileWriter(sc, &out, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
				if err != nil {
					b.Fatal(err)
				}
				for _, r := range batches {
					if err := w.WriteBuffered(r); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
				size = int64(out)
			}
			if cpu := (benchpb.CPUTime() - start).Seconds(); cpu > 0 {
				b.ReportMetric(float64(b.N)*n*float64(mean)/(1<<20)/cpu, "MiB/cpu-s")
			}
			b.ReportMetric(float64(size)/n, "B/record")
		})
	}
}

type countingWriter int64

func (w *countingWriter) Write(p []byte) (int, error) {
	*w += countingWriter(len(p))
	return len(p), nil
}
