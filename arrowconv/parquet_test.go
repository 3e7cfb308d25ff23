package arrowconv

import (
	"bytes"
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// TestParquetRoundTrip: batches of every test message write to Parquet
// with pqarrow (zstd, as Iceberg's default) and read back equal.
func TestParquetRoundTrip(t *testing.T) {
	md := testMD(t, "arrowconv.test.Everything")
	c := newTestConverter(t, md, Options{})
	for _, b := range everythingSeeds(t) {
		if c.Append(b) != nil {
			c.AppendNull() // as ingest does for an error row
		}
	}
	rec := c.NewRecordBatch()
	defer rec.Release()

	var buf bytes.Buffer
	w, err := pqarrow.NewFileWriter(rec.Schema(), &buf,
		parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Zstd)),
		pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	tbl, err := pqarrow.ReadTable(context.Background(), bytes.NewReader(buf.Bytes()), nil,
		pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	if tbl.NumRows() != rec.NumRows() {
		t.Fatalf("%d rows back, wrote %d", tbl.NumRows(), rec.NumRows())
	}
	for i := range int(rec.NumCols()) {
		got := tbl.Column(i).Data().Chunk(0)
		if !array.ApproxEqual(rec.Column(i), got, array.WithNaNsEqual(true)) {
			t.Errorf("column %s differs after Parquet", rec.Schema().Field(i).Name)
		}
	}
	t.Logf("%d rows, %d columns, %d bytes of Parquet", rec.NumRows(), rec.NumCols(), buf.Len())
}
