package iceberg

import (
	"fmt"
	"hash/maphash"
	"maps"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	iceberggo "github.com/apache/iceberg-go"
	icetable "github.com/apache/iceberg-go/table"
)

// writeDefaults are the Parquet settings of data files for every key a
// table does not set itself (BENCHMARKS.md, "Iceberg ingest: Parquet
// settings", has the measurements behind them):
//
//   - zstd at level 1, the fastest (klauspost's SpeedFastest; the
//     previous level 3 spent a fifth of the ingest path compressing for
//     a few percent of size);
//   - data pages of up to 4 MiB (Iceberg's 1 MiB): fewer, longer zstd
//     frames, smaller files and no slower;
//   - write.parquet.page-row-limit at Iceberg's 20,000, never more:
//     arrow-go reads it as its write batch, the number of rows after
//     which it checks a column's page size and whether its dictionary
//     pays. Ingest hands the writer one batch per commit, so at the
//     100,000 this package once set, every all-distinct column (ids,
//     names, signatures) was hashed into a dictionary for 100,000 rows
//     before the writer dropped it: a third of the ingest path's CPU
//     (BENCHMARKS.md, 2026-12-08);
//   - no dictionary for the kafka columns that are all distinct or
//     nearly (offset, batch_start, both timestamps): the writer otherwise
//     hashes every value into a dictionary it then drops.
var writeDefaults = map[string]string{
	icetable.ParquetCompressionKey:              "zstd",
	icetable.ParquetCompressionLevelKey:         "1",
	icetable.ParquetPageRowLimitKey:             "20000",
	icetable.ParquetPageSizeBytesKey:            strconv.Itoa(4 << 20),
	dictColumnKey(ColKafka, ColOffset):          "false",
	dictColumnKey(ColKafka, ColBatchStart):      "false",
	dictColumnKey(ColKafka, ColEventTimestamp):  "false",
	dictColumnKey(ColKafka, ColIngestTimestamp): "false",
}

// Dictionary keys iceberg-go reads but does not export: parquet-mr's
// table-wide switch (Iceberg Java reads it too) and the per-column
// prefix, followed by the Parquet column path.
const (
	dictEnabledKey   = "parquet.enable.dictionary"
	dictColumnPrefix = "write.parquet.dict-encoding-enabled.column"
)

// dictColumnKey is the property that turns dictionary encoding on or off
// for the Parquet column at path (struct fields joined by dots).
func dictColumnKey(path ...string) string {
	return dictColumnPrefix + "." + strings.Join(path, ".")
}

// WriteProperties is what the data files of a table with props are
// written with: props, and for each write setting props does not name,
// this package's default. Ingest writes with them, and so should anything
// else that writes the table's data files (compaction), so that files
// keep one format whoever wrote them.
func WriteProperties(props iceberggo.Properties) iceberggo.Properties {
	out := make(iceberggo.Properties, len(props)+len(writeDefaults))
	maps.Copy(out, writeDefaults)
	maps.Copy(out, props)
	return out
}

// WriteView is tbl as its data files are to be written: the same table
// with WriteProperties as its properties, for iceberg-go's writers
// (WriteRecords, compaction), which read the Parquet settings from the
// table. It is never committed; tbl is unchanged.
func WriteView(tbl *icetable.Table) (*icetable.Table, error) {
	return PropertiesView(tbl, WriteProperties(tbl.Properties()))
}

// PropertiesView is tbl with props as its properties (tbl itself when
// they are the same), for writers that take their settings from the
// table. It is never committed; tbl is unchanged.
func PropertiesView(tbl *icetable.Table, props iceberggo.Properties) (*icetable.Table, error) {
	if maps.Equal(props, tbl.Properties()) {
		return tbl, nil
	}
	b, err := icetable.MetadataBuilderFromBase(tbl.Metadata(), tbl.MetadataLocation())
	if err != nil {
		return nil, fmt.Errorf("write view of %s: %w", strings.Join(tbl.Identifier(), "."), err)
	}
	if err := b.SetProperties(props); err != nil {
		return nil, fmt.Errorf("write view of %s: %w", strings.Join(tbl.Identifier(), "."), err)
	}
	meta, err := b.Build()
	if err != nil {
		return nil, fmt.Errorf("write view of %s: %w", strings.Join(tbl.Identifier(), "."), err)
	}
	return icetable.New(tbl.Identifier(), meta, tbl.MetadataLocation(), tbl.FS, nil), nil
}

// WriterProperties is WriteProperties(props) as arrow-go Parquet writer
// properties, for code that writes data files with pqarrow itself: the
// keys iceberg-go's writer reads (codec and level, page size and row
// limit, dictionary page size and per-column dictionaries, row-group
// row limit, page version), read the same way. iceberg-go also turns on
// the cost-based dictionary fallback on every column; pqarrow writers
// get it with parquet.WithDictionaryCostFallbackFor per column.
func WriterProperties(props iceberggo.Properties) []parquet.WriterProperty {
	p := WriteProperties(props)
	version := parquet.DataPageV2
	if p.Get(icetable.ParquetPageVersionKey, "2") == "1" {
		version = parquet.DataPageV1
	}
	out := []parquet.WriterProperty{
		parquet.WithMaxRowGroupLength(int64(p.GetInt(icetable.ParquetRowGroupLimitKey, icetable.ParquetRowGroupLimitDefault))),
		parquet.WithDataPageSize(int64(p.GetInt(icetable.ParquetPageSizeBytesKey, icetable.ParquetPageSizeBytesDefault))),
		parquet.WithDataPageVersion(version),
		parquet.WithBatchSize(int64(p.GetInt(icetable.ParquetPageRowLimitKey, icetable.ParquetPageRowLimitDefault))),
		parquet.WithDictionaryPageSizeLimit(int64(p.GetInt(icetable.ParquetDictSizeBytesKey, icetable.ParquetDictSizeBytesDefault))),
		parquet.WithCompression(codecOf(p.Get(icetable.ParquetCompressionKey, icetable.ParquetCompressionDefault))),
		parquet.WithCompressionLevel(p.GetInt(icetable.ParquetCompressionLevelKey, icetable.ParquetCompressionLevelDefault)),
		parquet.WithDictionaryDefault(javaBool(p.Get(dictEnabledKey, "true"))),
	}
	for k, v := range p {
		if col, ok := strings.CutPrefix(k, dictColumnPrefix+"."); ok && col != "" {
			out = append(out, parquet.WithDictionaryFor(col, javaBool(v)))
		}
	}
	return out
}

// codecOf is the Parquet codec a write.parquet.compression-codec value
// names, as iceberg-go reads it (anything unknown: uncompressed).
func codecOf(name string) compress.Compression {
	switch name {
	case "snappy":
		return compress.Codecs.Snappy
	case "zstd":
		return compress.Codecs.Zstd
	case "gzip":
		return compress.Codecs.Gzip
	case "brotli":
		return compress.Codecs.Brotli
	case "lz4":
		return compress.Codecs.Lz4
	case "lz4raw":
		return compress.Codecs.Lz4Raw
	}
	return compress.Codecs.Uncompressed
}

// javaBool reads a boolean property as Iceberg Java and iceberg-go do
// (Boolean.parseBoolean): only "true", in any case, is true.
func javaBool(v string) bool { return strings.EqualFold(v, "true") }

// dictSample is how many values of a column distinctColumns looks at, and
// dictSampleMin the fewest non-null ones it decides on.
const (
	dictSample    = 4096
	dictSampleMin = 256
)

// writeViewFor is WriteView for writing rec and the batches after it:
// besides the table's write properties, dictionary encoding is off for
// every column whose first values in rec are nearly all distinct
// (distinctColumns), unless the table says otherwise for that column.
func writeViewFor(tbl *icetable.Table, rec arrow.RecordBatch) (*icetable.Table, error) {
	props := WriteProperties(tbl.Properties())
	if rec != nil {
		maps.Copy(props, distinctColumns(rec, props))
	}
	return PropertiesView(tbl, props)
}

// distinctColumns returns a property turning the dictionary off for each
// leaf column of rec (its Parquet path, through structs, lists and maps)
// whose first dictSample non-null values are at least 90% distinct, when
// props leaves the column's dictionary on by default (no per-column key,
// dictionaries not off for the table).
//
// The writer would find out by itself, but only after page-row-limit
// rows: it hashes each value into a dictionary, and at the first check
// finds the dictionary as big as the values and drops it. A commit's rows
// come as one batch, so every id, name or signature column was hashed for
// 20,000 rows to learn what its first 4,096 say. A column distinct at
// first and repetitive later (a burst of new keys) loses its dictionary
// where the writer would have kept one; zstd still compresses its
// repeats.
func distinctColumns(rec arrow.RecordBatch, props iceberggo.Properties) iceberggo.Properties {
	out := iceberggo.Properties{}
	if !javaBool(props.Get(dictEnabledKey, "true")) {
		return out
	}
	seen := make(map[uint64]struct{}, dictSample)
	seed := maphash.MakeSeed()
	for i, f := range rec.Schema().Fields() {
		walkLeaves(f.Name, rec.Column(i), func(path string, a arrow.Array) {
			key := dictColumnPrefix + "." + path
			if _, set := props[key]; set {
				return
			}
			if mostlyDistinct(a, seen, seed) {
				out[key] = "false"
			}
		})
	}
	return out
}

// walkLeaves calls visit with each leaf array under a and its Parquet
// column path (pqarrow's names: list.element, key_value.key/value).
func walkLeaves(path string, a arrow.Array, visit func(path string, a arrow.Array)) {
	switch x := a.(type) {
	case *array.Struct:
		for i, f := range x.DataType().(*arrow.StructType).Fields() {
			walkLeaves(path+"."+f.Name, x.Field(i), visit)
		}
	case *array.Map:
		walkLeaves(path+".key_value.key", x.Keys(), visit)
		walkLeaves(path+".key_value.value", x.Items(), visit)
	case *array.List:
		walkLeaves(path+".list.element", x.ListValues(), visit)
	default:
		visit(path, a)
	}
}

// mostlyDistinct reports whether at least 90% of a's first dictSample
// non-null values (dictSampleMin of them at least) are distinct. Values
// are compared by a 64-bit hash; seen is scratch space.
func mostlyDistinct(a arrow.Array, seen map[uint64]struct{}, seed maphash.Seed) bool {
	clear(seen)
	n := 0
	for i := 0; i < a.Len() && n < dictSample; i++ {
		if a.IsNull(i) {
			continue
		}
		h, ok := hashValue(a, i, seed)
		if !ok {
			return false
		}
		seen[h] = struct{}{}
		n++
	}
	return n >= dictSampleMin && len(seen)*10 >= n*9
}

// hashValue hashes value i of a binary, string or fixed-width array; ok
// is false for other types (booleans, whose Parquet encoding has no
// dictionary, and anything unexpected).
func hashValue(a arrow.Array, i int, seed maphash.Seed) (uint64, bool) {
	switch x := a.(type) {
	case *array.Binary:
		return maphash.Bytes(seed, x.Value(i)), true
	case *array.String:
		return maphash.String(seed, x.Value(i)), true
	case *array.FixedSizeBinary:
		return maphash.Bytes(seed, x.Value(i)), true
	case *array.Boolean:
		return 0, false
	}
	fw, ok := a.DataType().(arrow.FixedWidthDataType)
	if !ok || fw.BitWidth()%8 != 0 || len(a.Data().Buffers()) < 2 || a.Data().Buffers()[1] == nil {
		return 0, false
	}
	w := fw.BitWidth() / 8
	at := (a.Data().Offset() + i) * w
	return maphash.Bytes(seed, a.Data().Buffers()[1].Bytes()[at:at+w]), true
}
