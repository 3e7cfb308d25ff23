package maintenance

import (
	"cmp"
	"fmt"
	"iter"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tributary-io/tributary/iceberg"
)

// outRows is the size of the batches sorted yields.
const outRows = 64 << 10

// rowRef is one row of the group: its batch, its index there, and its
// sort key.
type rowRef struct {
	batch, row int
	part       int32
	off        int64
}

// sorted yields the rows of batches in (kafka.partition, kafka.offset)
// order (stable: rows without the columns keep their place at the end),
// as slices of the input concatenated into batches of about outRows rows.
// Ingest writes each partition's rows in offset order, so the slices are
// long runs and the copy is a few memcpys per column. The caller keeps
// ownership of batches; the yielded batches are the consumer's to release.
func sorted(batches []arrow.RecordBatch, sc *arrow.Schema, mem memory.Allocator) iter.Seq2[arrow.RecordBatch, error] {
	var refs []rowRef
	for bi, b := range batches {
		parts, offs := kafkaColumns(b)
		for r := 0; r < int(b.NumRows()); r++ {
			ref := rowRef{batch: bi, row: r, part: 1<<31 - 1, off: 1<<63 - 1}
			if parts != nil && parts.IsValid(r) && offs.IsValid(r) {
				ref.part, ref.off = parts.Value(r), offs.Value(r)
			}
			refs = append(refs, ref)
		}
	}
	slices.SortStableFunc(refs, func(a, b rowRef) int {
		if c := cmp.Compare(a.part, b.part); c != 0 {
			return c
		}
		return cmp.Compare(a.off, b.off)
	})
	return func(yield func(arrow.RecordBatch, error) bool) {
		for start := 0; start < len(refs); {
			end := min(start+outRows, len(refs))
			out, err := gather(batches, refs[start:end], sc, mem)
			if !yield(out, err) || err != nil {
				return
			}
			start = end
		}
	}
}

// gather builds one batch of the rows refs names, in that order, from
// runs of consecutive rows of one input batch.
func gather(batches []arrow.RecordBatch, refs []rowRef, sc *arrow.Schema, mem memory.Allocator) (arrow.RecordBatch, error) {
	type run struct{ batch, from, to int }
	var runs []run
	for _, r := range refs {
		if n := len(runs); n > 0 && runs[n-1].batch == r.batch && runs[n-1].to == r.row {
			runs[n-1].to++
			continue
		}
		runs = append(runs, run{r.batch, r.row, r.row + 1})
	}
	cols := make([]arrow.Array, sc.NumFields())
	for c := range cols {
		parts := make([]arrow.Array, len(runs))
		for i, rn := range runs {
			parts[i] = array.NewSlice(batches[rn.batch].Column(c), int64(rn.from), int64(rn.to))
		}
		col, err := array.Concatenate(parts, mem)
		for _, p := range parts {
			p.Release()
		}
		if err != nil {
			for _, done := range cols[:c] {
				done.Release()
			}
			return nil, fmt.Errorf("gather column %s: %w", sc.Field(c).Name, err)
		}
		cols[c] = col
	}
	out := array.NewRecordBatch(sc, cols, int64(len(refs)))
	for _, col := range cols {
		col.Release()
	}
	return out, nil
}

// kafkaColumns returns b's kafka.partition and kafka.offset, or nils.
func kafkaColumns(b arrow.RecordBatch) (*array.Int32, *array.Int64) {
	idx := b.Schema().FieldIndices(iceberg.ColKafka)
	if len(idx) == 0 {
		return nil, nil
	}
	st, ok := b.Column(idx[0]).(*array.Struct)
	if !ok {
		return nil, nil
	}
	typ := st.DataType().(*arrow.StructType)
	pi, ok1 := typ.FieldIdx(iceberg.ColPartition)
	oi, ok2 := typ.FieldIdx(iceberg.ColOffset)
	if !ok1 || !ok2 {
		return nil, nil
	}
	parts, ok1 := st.Field(pi).(*array.Int32)
	offs, ok2 := st.Field(oi).(*array.Int64)
	if !ok1 || !ok2 {
		return nil, nil
	}
	return parts, offs
}
