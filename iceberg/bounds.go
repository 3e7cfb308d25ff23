package iceberg

import (
	"context"
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	iceberggo "github.com/apache/iceberg-go"
	iceio "github.com/apache/iceberg-go/io"
	icetable "github.com/apache/iceberg-go/table"
)

// boundsTruncate is the length string and binary bounds are cut to, as
// the table property write.metadata.metrics.default=truncate(16) asks.
const boundsTruncate = 16

// WithBounds returns df with lower and upper bounds for every primitive
// column reached through structs only (kafka.partition, kafka.offset,
// kafka.event_timestamp, the val and key fields…), taken from the Parquet
// footer's row-group statistics. iceberg-go (like PyIceberg) keeps only
// counts for a field inside a struct, and every column of our layout is
// inside one, so without this no file would ever be pruned by a filter.
// Columns under a list or a map get none (Iceberg Java does the same);
// bounds df already has are kept. A column whose metrics mode (the
// table's write.metadata.metrics.* properties) is none or counts gets
// none.
func WithBounds(df iceberggo.DataFile, meta *metadata.FileMetaData, sc *iceberggo.Schema, spec iceberggo.PartitionSpec, props iceberggo.Properties) (iceberggo.DataFile, error) {
	lower, upper := maps.Clone(df.LowerBoundValues()), maps.Clone(df.UpperBoundValues())
	if lower == nil {
		lower = map[int][]byte{}
	}
	if upper == nil {
		upper = map[int][]byte{}
	}
	for c := range meta.Schema.NumColumns() {
		col := meta.Schema.Column(c)
		if col.MaxRepetitionLevel() > 0 {
			continue // under a list or a map
		}
		id := int(col.SchemaNode().FieldID())
		f, ok := sc.FindFieldByID(id)
		if !ok || !boundsWanted(sc, id, props) {
			continue
		}
		typ, ok := f.Type.(iceberggo.PrimitiveType)
		if !ok {
			continue
		}
		lo, hi, ok, err := columnBounds(meta, c, typ)
		if err != nil {
			return nil, fmt.Errorf("bounds of %s in %s: %w", col.Path(), df.FilePath(), err)
		}
		if !ok {
			continue
		}
		if _, had := lower[id]; !had && lo != nil {
			lower[id] = lo
		}
		if _, had := upper[id]; !had && hi != nil {
			upper[id] = hi
		}
	}
	return rebuild(df, sc, spec, lower, upper)
}

// boundsWanted reports whether column id's metrics mode keeps bounds.
func boundsWanted(sc *iceberggo.Schema, id int, props iceberggo.Properties) bool {
	mode := props.Get(icetable.DefaultWriteMetricsModeKey, icetable.DefaultWriteMetricsModeDefault)
	if name, ok := sc.FindColumnName(id); ok {
		if m, ok := props[icetable.MetricsModeColumnConfPrefix+"."+name]; ok {
			mode = m
		}
	}
	return mode != "none" && mode != "counts"
}

// columnBounds merges column c's min and max over every row group, in
// Iceberg's single-value binary form for typ. ok is false when a row
// group has no min/max (all nulls, or not written) and no other has,
// or typ is one this does not bound (decimal, uuid, fixed, floating
// point: NaN ordering is not worth the risk).
func columnBounds(meta *metadata.FileMetaData, c int, typ iceberggo.PrimitiveType) (lo, hi []byte, ok bool, err error) {
	var acc boundsAcc
	for rg := range meta.NumRowGroups() {
		cc, err := meta.RowGroup(rg).ColumnChunk(c)
		if err != nil {
			return nil, nil, false, err
		}
		set, err := cc.StatsSet()
		if err != nil || !set {
			if cc.NumValues() > 0 {
				return nil, nil, false, nil // a chunk with values and no stats: no bound is safe
			}
			continue
		}
		st, err := cc.Statistics()
		if err != nil {
			return nil, nil, false, err
		}
		if !st.HasMinMax() {
			if st.NullCount() < cc.NumValues() {
				return nil, nil, false, nil
			}
			continue // only nulls
		}
		if !acc.add(st) {
			return nil, nil, false, nil
		}
	}
	if !acc.set {
		return nil, nil, false, nil
	}
	return acc.encode(typ)
}

// boundsAcc accumulates the min and max of one column's chunks.
type boundsAcc struct {
	set        bool
	isInt      bool
	minI, maxI int64
	minB, maxB []byte
	boolean    bool
}

func (a *boundsAcc) add(st metadata.TypedStatistics) bool {
	first := !a.set
	a.set = true
	switch s := st.(type) {
	case *metadata.Int32Statistics:
		return a.addInt(first, int64(s.Min()), int64(s.Max()))
	case *metadata.Int64Statistics:
		return a.addInt(first, s.Min(), s.Max())
	case *metadata.BooleanStatistics:
		a.boolean = true
		return a.addInt(first, b2i(s.Min()), b2i(s.Max()))
	case *metadata.ByteArrayStatistics:
		if first {
			a.minB, a.maxB = append([]byte(nil), s.Min()...), append([]byte(nil), s.Max()...)
			return true
		}
		if string(s.Min()) < string(a.minB) {
			a.minB = append(a.minB[:0], s.Min()...)
		}
		if string(s.Max()) > string(a.maxB) {
			a.maxB = append(a.maxB[:0], s.Max()...)
		}
		return true
	default:
		return false
	}
}

func (a *boundsAcc) addInt(first bool, lo, hi int64) bool {
	if !first && !a.isInt {
		return false
	}
	if first {
		a.isInt, a.minI, a.maxI = true, lo, hi
		return true
	}
	a.minI, a.maxI = min(a.minI, lo), max(a.maxI, hi)
	return true
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// encode writes the bounds as Iceberg's single-value serialization of
// typ (little-endian integers; UTF-8 or raw bytes, truncated).
func (a *boundsAcc) encode(typ iceberggo.PrimitiveType) (lo, hi []byte, ok bool, err error) {
	switch typ.(type) {
	case iceberggo.Int32Type, iceberggo.DateType:
		if !a.isInt || a.boolean || a.minI < math.MinInt32 || a.maxI > math.MaxInt32 {
			return nil, nil, false, nil
		}
		return binary.LittleEndian.AppendUint32(nil, uint32(int32(a.minI))), binary.LittleEndian.AppendUint32(nil, uint32(int32(a.maxI))), true, nil
	case iceberggo.Int64Type, iceberggo.TimestampType, iceberggo.TimestampTzType, iceberggo.TimeType:
		if !a.isInt || a.boolean {
			return nil, nil, false, nil
		}
		return binary.LittleEndian.AppendUint64(nil, uint64(a.minI)), binary.LittleEndian.AppendUint64(nil, uint64(a.maxI)), true, nil
	case iceberggo.BooleanType:
		if !a.boolean {
			return nil, nil, false, nil
		}
		return []byte{byte(a.minI)}, []byte{byte(a.maxI)}, true, nil
	case iceberggo.StringType:
		if a.isInt {
			return nil, nil, false, nil
		}
		return truncateLower(a.minB, true), truncateUpperString(a.maxB), true, nil
	case iceberggo.BinaryType:
		if a.isInt {
			return nil, nil, false, nil
		}
		return truncateLower(a.minB, false), truncateUpperBinary(a.maxB), true, nil
	default:
		return nil, nil, false, nil
	}
}

// truncateLower cuts b to boundsTruncate bytes (at a rune boundary for a
// string): a prefix is never greater than the value.
func truncateLower(b []byte, str bool) []byte {
	if len(b) <= boundsTruncate {
		return b
	}
	n := boundsTruncate
	for str && n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return b[:n]
}

// truncateUpperString cuts a string to boundsTruncate bytes and bumps its
// last code point so the result is still above the value; nil (no
// bound) when it cannot.
func truncateUpperString(b []byte) []byte {
	if len(b) <= boundsTruncate {
		return b
	}
	p := truncateLower(b, true)
	for len(p) > 0 {
		r, size := utf8.DecodeLastRune(p)
		p = p[:len(p)-size]
		for r++; r <= utf8.MaxRune; r++ {
			if utf8.ValidRune(r) {
				return utf8.AppendRune(append([]byte(nil), p...), r)
			}
		}
	}
	return nil
}

// truncateUpperBinary cuts bytes to boundsTruncate and bumps the last
// byte that is not 0xff; nil (no bound) when all are.
func truncateUpperBinary(b []byte) []byte {
	if len(b) <= boundsTruncate {
		return b
	}
	p := append([]byte(nil), b[:boundsTruncate]...)
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] < 0xff {
			p[i]++
			return p[:i+1]
		}
	}
	return nil
}

// rebuild is df with the given bounds (a DataFile cannot be changed in
// place).
func rebuild(df iceberggo.DataFile, sc *iceberggo.Schema, spec iceberggo.PartitionSpec, lower, upper map[int][]byte) (iceberggo.DataFile, error) {
	b, err := iceberggo.NewDataFileBuilder(spec, df.ContentType(), df.FilePath(), df.FileFormat(), df.Partition(),
		partitionLogicalTypes(sc, spec), nil, df.Count(), df.FileSizeBytes())
	if err != nil {
		return nil, fmt.Errorf("rebuild data file %s: %w", df.FilePath(), err)
	}
	b.ColumnSizes(df.ColumnSizes()).ValueCounts(df.ValueCounts()).NullValueCounts(df.NullValueCounts()).
		NaNValueCounts(df.NaNValueCounts()).SplitOffsets(df.SplitOffsets())
	if len(lower) > 0 {
		b.LowerBoundValues(lower)
	}
	if len(upper) > 0 {
		b.UpperBoundValues(upper)
	}
	// distinct counts are not copied: no manifest version carries them
	// (iceberg-go's DistinctValueCounts is deprecated for that reason).
	if k := df.KeyMetadata(); len(k) > 0 {
		b.KeyMetadata(k)
	}
	if id := df.SortOrderID(); id != nil {
		b.SortOrderID(*id)
	}
	if id := df.FirstRowID(); id != nil {
		b.FirstRowID(*id)
	}
	return b.Build(), nil
}

// partitionLogicalTypes names the Avro logical type of each partition
// field whose transform yields a date or a time (as iceberg-go's own
// writer does when it builds a DataFile).
func partitionLogicalTypes(sc *iceberggo.Schema, spec iceberggo.PartitionSpec) map[int]string {
	out := map[int]string{}
	for _, f := range spec.Fields() {
		src, ok := sc.FindFieldByID(f.SourceID())
		if !ok {
			continue
		}
		switch f.Transform.ResultType(src.Type).(type) {
		case iceberggo.DateType:
			out[f.FieldID] = "date"
		case iceberggo.TimeType:
			out[f.FieldID] = "time-micros"
		case iceberggo.TimestampType, iceberggo.TimestampTzType:
			out[f.FieldID] = "timestamp-micros"
		}
	}
	return out
}

// footer reads the Parquet footer of the file at path.
func footer(fs iceio.IO, path string) (*metadata.FileMetaData, error) {
	f, err := fs.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer func() { _ = f.Close() }() // read-only: nothing to lose on close
	r, err := file.NewParquetReader(f)
	if err != nil {
		return nil, fmt.Errorf("read footer of %s: %w", path, err)
	}
	return r.MetaData(), nil
}

// BoundFiles applies WithBounds to each of dfs, reading each file's
// footer through tbl's file system.
func BoundFiles(ctx context.Context, tbl *icetable.Table, dfs []iceberggo.DataFile) ([]iceberggo.DataFile, error) {
	fs, err := tbl.FS(ctx)
	if err != nil {
		return nil, fmt.Errorf("table file system: %w", err)
	}
	out := make([]iceberggo.DataFile, len(dfs))
	for i, df := range dfs {
		meta, err := footer(fs, df.FilePath())
		if err != nil {
			return nil, err
		}
		if out[i], err = WithBounds(df, meta, tbl.Schema(), tbl.Spec(), tbl.Properties()); err != nil {
			return nil, err
		}
	}
	return out, nil
}
