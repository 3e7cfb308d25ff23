package iceberg

import (
	"context"
	"maps"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	iceberggo "github.com/apache/iceberg-go"
	icecatalog "github.com/apache/iceberg-go/catalog"
	icetable "github.com/apache/iceberg-go/table"
)

// chunkFacts is how one column chunk of a data file was written.
type chunkFacts struct {
	codec     compress.Compression
	dict      bool // has a dictionary page
	dataPages int
}

// chunkOf reads how column path (dotted) is written in the first row
// group of the table's only data file.
func chunkOf(t *testing.T, tbl *icetable.Table, path string) chunkFacts {
	t.Helper()
	ctx := context.Background()
	tasks, err := tbl.Scan().PlanFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 1 {
		t.Fatalf("%d data files, want 1", len(tasks))
	}
	fs, err := tbl.FS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f, err := fs.Open(tasks[0].File.FilePath())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	rdr, err := file.NewParquetReader(f)
	if err != nil {
		t.Fatal(err)
	}
	c := rdr.MetaData().Schema.ColumnIndexByName(path)
	if c < 0 {
		t.Fatalf("no column %s in %s", path, tasks[0].File.FilePath())
	}
	cc, err := rdr.MetaData().RowGroup(0).ColumnChunk(c)
	if err != nil {
		t.Fatal(err)
	}
	out := chunkFacts{codec: cc.Compression(), dict: cc.HasDictionaryPage()}
	pages, err := rdr.RowGroup(0).GetColumnPageReader(c)
	if err != nil {
		t.Fatal(err)
	}
	for pages.Next() {
		if pages.Page().Type() != file.PageTypeDictionaryPage {
			out.dataPages++
		}
	}
	if err := pages.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// commitRows commits n rows of orders at offsets 0..n-1 of partition 0.
func commitRows(t *testing.T, tbl *Table, n int) {
	t.Helper()
	md := compileMessage(t, orderV1, "shop.v1.Order")
	w := newWriter(t, tbl, md)
	payload := orderMsg(md, 1)
	for i := range n {
		w.add(0, int64(i), payload)
	}
	if err := w.commit(map[int32]int64{0: int64(n)}); err != nil {
		t.Fatal(err)
	}
}

// TestDataFilesUseWriteDefaults: data files are written with this
// package's Parquet settings (zstd level 1, pages of up to 4 MiB checked
// every 20,000 rows, no dictionary on kafka.offset) also on a table
// created before them (by another writer: none of the keys set), where
// iceberg-go's own defaults used to apply (1 MiB pages: 150,000 offsets
// took two); a table that sets a key itself keeps its value.
func TestDataFilesUseWriteDefaults(t *testing.T) {
	const rows = 150_000 // 1.2 MB of offsets: over 1 MiB, under 4
	ctx := context.Background()
	cat := newClient(t, newCatalogURL(t))

	// A table with none of the write keys, as an older version of this
	// package or another engine created it.
	ident := icetable.Identifier{"kafka", "older"}
	if err := cat.CreateNamespace(ctx, ident[:1], nil); err != nil {
		t.Fatal(err)
	}
	sc := baseSchema()
	spec, err := partitionSpec(sc, Daily)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cat.CreateTable(ctx, ident, sc, icecatalog.WithPartitionSpec(&spec)); err != nil {
		t.Fatal(err)
	}
	older, err := Open(ctx, cat, ident, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for k := range writeDefaults {
		if _, ok := older.Iceberg().Properties()[k]; ok {
			t.Fatalf("the older table has %s set", k)
		}
	}
	commitRows(t, older, rows)
	got := chunkOf(t, older.Iceberg(), "kafka.offset")
	if got.codec != compress.Codecs.Zstd || got.dict || got.dataPages != 1 {
		t.Errorf("kafka.offset of a table without write keys: %+v, want zstd, no dictionary, 1 data page", got)
	}
	if got := chunkOf(t, older.Iceberg(), "val.id"); !got.dict {
		t.Errorf("val.id (one value) of a table without write keys: %+v, want a dictionary", got)
	}

	// A table of ours that chose otherwise.
	own, err := Open(ctx, cat, icetable.Identifier{"kafka", "own"}, Options{Properties: map[string]string{
		icetable.ParquetCompressionKey:   "snappy",
		icetable.ParquetPageSizeBytesKey: "262144",
		icetable.ParquetPageRowLimitKey:  "10000",
		dictEnabledKey:                   "false",
	}})
	if err != nil {
		t.Fatal(err)
	}
	commitRows(t, own, rows)
	got = chunkOf(t, own.Iceberg(), "kafka.offset")
	if got.codec != compress.Codecs.Snappy || got.dataPages < 4 {
		t.Errorf("kafka.offset of a table asking for snappy and 256 KiB pages checked every 10,000 rows: %+v", got)
	}
	if got := chunkOf(t, own.Iceberg(), "val.id"); got.dict {
		t.Errorf("val.id of a table with dictionaries off: %+v", got)
	}
}

// TestWriterProperties: the pqarrow form of the write properties says
// what WriteView makes iceberg-go write, defaults and a table's own keys
// alike.
func TestWriterProperties(t *testing.T) {
	wp := parquet.NewWriterProperties(WriterProperties(nil)...)
	if wp.CompressionFor("kafka.offset") != compress.Codecs.Zstd || wp.CompressionLevelFor("kafka.offset") != 1 {
		t.Errorf("default codec %v level %d, want zstd 1", wp.CompressionFor("kafka.offset"), wp.CompressionLevelFor("kafka.offset"))
	}
	if wp.WriteBatchSize() != 20_000 || wp.DataPageSize() != 4<<20 || wp.DataPageVersion() != parquet.DataPageV2 {
		t.Errorf("default pages: %d rows, %d bytes, version %v", wp.WriteBatchSize(), wp.DataPageSize(), wp.DataPageVersion())
	}
	for _, c := range []string{"kafka.offset", "kafka.batch_start", "kafka.event_timestamp", "kafka.ingest_timestamp"} {
		if wp.DictionaryEnabledFor(c) {
			t.Errorf("default: dictionary on for %s", c)
		}
	}
	if !wp.DictionaryEnabledFor("kafka.partition") || !wp.DictionaryEnabledFor("val.id") {
		t.Error("default: dictionary off for kafka.partition or val.id")
	}
	wp = parquet.NewWriterProperties(WriterProperties(iceberggo.Properties{
		icetable.ParquetCompressionKey: "snappy", dictEnabledKey: "false", dictColumnKey(ColKafka, ColOffset): "TRUE",
		icetable.ParquetRowGroupLimitKey: "5000",
	})...)
	if wp.CompressionFor("val.id") != compress.Codecs.Snappy || wp.DictionaryEnabledFor("val.id") ||
		!wp.DictionaryEnabledFor("kafka.offset") || wp.MaxRowGroupLength() != 5000 {
		t.Errorf("a table's keys not honoured: codec %v, dictionary val.id %v kafka.offset %v, row group %d",
			wp.CompressionFor("val.id"), wp.DictionaryEnabledFor("val.id"), wp.DictionaryEnabledFor("kafka.offset"), wp.MaxRowGroupLength())
	}
}

// TestDistinctColumnDropsItsDictionaryWithinPageRowLimit: a commit's rows
// reach the writer as one batch, and the writer decides whether a
// column's dictionary pays after each page-row-limit rows of it. At the
// 100,000 rows this package used to set, every all-distinct column of a
// commit was hashed into a dictionary for 100,000 rows before it was
// dropped (a third of the ingest path's CPU). The decision is seen here
// through a column distinct over its first 20,000 rows and constant
// after: decided on 20,000 rows it has no dictionary; decided on
// 100,000 (20,001 distinct values among them) it kept one. The table
// asks for the column's dictionary, so that the writer decides, not
// ingest's sample (TestDistinctColumnWrittenWithoutHashing).
func TestDistinctColumnDropsItsDictionaryWithinPageRowLimit(t *testing.T) {
	const distinct, rows = 20_000, 120_000
	ctx := context.Background()
	tbl, err := Open(ctx, newClient(t, newCatalogURL(t)), icetable.Identifier{"kafka", "distinct"},
		Options{Properties: map[string]string{dictColumnKey(ColVal, "id"): "true"}})
	if err != nil {
		t.Fatal(err)
	}
	md := compileMessage(t, orderV1, "shop.v1.Order")
	w := newWriter(t, tbl, md)
	same := orderMsg(md, 0)
	for i := range rows {
		p := same
		if i < distinct {
			p = orderMsg(md, i)
		}
		w.add(0, int64(i), p)
	}
	if err := w.commit(map[int32]int64{0: rows}); err != nil {
		t.Fatal(err)
	}
	if got := chunkOf(t, tbl.Iceberg(), "val.id"); got.dict {
		t.Errorf("val.id, distinct over its first %d rows: %+v, want no dictionary", distinct, got)
	}
	if got := chunkOf(t, tbl.Iceberg(), "val.ship_to.city"); !got.dict {
		t.Errorf("val.ship_to.city (one value): %+v, want a dictionary", got)
	}
}

// TestDistinctColumns: the columns whose first values are nearly all
// distinct are the ones written without a dictionary, through structs,
// lists and maps; a column the table sets itself, one too repetitive,
// and one all null are left to the writer, and nothing is when the
// table turns dictionaries off.
func TestDistinctColumns(t *testing.T) {
	ctx := context.Background()
	tbl, err := Open(ctx, newClient(t, newCatalogURL(t)), icetable.Identifier{"kafka", "sampled"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	md := compileMessage(t, orderV1, "shop.v1.Order")
	w := newWriter(t, tbl, md)
	for i := range 5000 {
		w.add(0, int64(i), orderMsg(md, i))
	}
	w.cut()
	t.Cleanup(func() { w.done[0].Release() })
	got := distinctColumns(w.done[0], WriteProperties(tbl.Iceberg().Properties()))
	want := iceberggo.Properties{}
	for _, c := range []string{"key.__raw__", "val.id", "val.qty", "val.attrs.key_value.value", "headers.list.element.value"} {
		want[dictColumnPrefix+"."+c] = "false"
	}
	if !maps.Equal(got, want) {
		t.Errorf("distinctColumns = %v, want %v", got, want)
	}
	// kafka.offset is distinct but the table's write properties set it
	// (off); val.tags is half "a"; val.ship_to.city, val.attrs' keys and
	// kafka.partition have one value; val.__raw__ is all null.
	if got := distinctColumns(w.done[0], WriteProperties(iceberggo.Properties{dictEnabledKey: "false"})); len(got) != 0 {
		t.Errorf("dictionaries off for the table: distinctColumns = %v, want none", got)
	}
}

// TestDistinctColumnWrittenWithoutHashing: a column distinct over its
// first 5,000 rows and constant after is written without a dictionary;
// the writer alone, deciding on its first 20,000 rows (5,001 values),
// kept one. A table that asks for the column's dictionary keeps it.
func TestDistinctColumnWrittenWithoutHashing(t *testing.T) {
	const distinct, rows = 5_000, 15_000
	ctx := context.Background()
	cat := newClient(t, newCatalogURL(t))
	md := compileMessage(t, orderV1, "shop.v1.Order")
	same := orderMsg(md, 0)
	commit := func(name string, props map[string]string) *Table {
		t.Helper()
		tbl, err := Open(ctx, cat, icetable.Identifier{"kafka", name}, Options{Properties: props})
		if err != nil {
			t.Fatal(err)
		}
		w := newWriter(t, tbl, md)
		for i := range rows {
			p := same
			if i < distinct {
				p = orderMsg(md, i)
			}
			w.add(0, int64(i), p)
		}
		if err := w.commit(map[int32]int64{0: rows}); err != nil {
			t.Fatal(err)
		}
		return tbl
	}
	tbl := commit("sampled", nil)
	if got := chunkOf(t, tbl.Iceberg(), "val.id"); got.dict {
		t.Errorf("val.id, distinct over its first %d rows: %+v, want no dictionary", distinct, got)
	}
	ids := column(t, scanAll(t, tbl.Iceberg()), "val.id").(*array.String)
	seen := map[string]int{}
	for i := range ids.Len() {
		seen[ids.Value(i)]++
	}
	if ids.Len() != rows || len(seen) != distinct || seen["o0"] != rows-distinct+1 {
		t.Errorf("read back %d ids, %d distinct, o0 %d times; want %d, %d, %d", ids.Len(), len(seen), seen["o0"], rows, distinct, rows-distinct+1)
	}
	if got := chunkOf(t, tbl.Iceberg(), "val.ship_to.city"); !got.dict {
		t.Errorf("val.ship_to.city (one value): %+v, want a dictionary", got)
	}
	tbl = commit("asked", map[string]string{dictColumnKey(ColVal, "id"): "true"})
	if got := chunkOf(t, tbl.Iceberg(), "val.id"); !got.dict {
		t.Errorf("val.id of a table asking for its dictionary: %+v, want one", got)
	}
}
