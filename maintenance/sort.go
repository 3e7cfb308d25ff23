package maintenance

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tributary-io/tributary/iceberg"
)

// outRows is the size of the batches sorted yields.
const outRows = 64 << 10

// rowRef is one row of the group: its batch, its index among all the
// group's rows, and its sort key.
type rowRef struct {
	batch, row int
	part       int32
	off        int64
}

// run is rows [start, end) of one batch: one Kafka partition, offsets
// increasing (rows without the kafka columns make runs of their own,
// keyed last).
type run struct {
	batch, start, end int
	part              int32
	first, last       int64
}

// sorted yields the rows of batches in (kafka.partition, kafka.offset)
// order (stable: rows without the columns keep their place at the end).
// Ingest writes each Kafka partition's records in offset order, so a
// batch is a few runs of consecutive rows; sorted orders the runs and
// yields each as a zero-copy slice of its batch — no row is copied here,
// the Parquet writer reads the slices directly. When runs of one
// partition overlap (a file another writer wrote in another order) or
// are very short (partitions interleaved row by row) it falls back to
// ordering row by row (sortedRows). The caller keeps
// ownership of batches; the yielded batches are the consumer's to
// release.
func sorted(batches []arrow.RecordBatch, sc *arrow.Schema, mem memory.Allocator) iter.Seq2[arrow.RecordBatch, error] {
	var runs []run
	for bi, b := range batches {
		runs = appendRuns(runs, bi, b)
	}
	slices.SortStableFunc(runs, func(a, b run) int {
		if c := cmp.Compare(a.part, b.part); c != 0 {
			return c
		}
		return cmp.Compare(a.first, b.first)
	})
	rows := 0
	for i, r := range runs {
		rows += r.end - r.start
		if i > 0 && r.part == runs[i-1].part && r.part != noPartition && r.first <= runs[i-1].last {
			return sortedRows(batches, sc, mem)
		}
	}
	if len(runs)*minRunRows > rows {
		// Partitions interleaved row by row: slices this short cost the
		// writer more than copying the rows once.
		return sortedRows(batches, sc, mem)
	}
	return func(yield func(arrow.RecordBatch, error) bool) {
		for _, r := range runs {
			if !yield(batches[r.batch].NewSlice(int64(r.start), int64(r.end)), nil) {
				return
			}
		}
	}
}

// minRunRows: runs shorter than this on average are copied row by row.
const minRunRows = 64

// noPartition keys rows without kafka columns: after every partition.
const noPartition = 1<<31 - 1

// appendRuns cuts batch bi into runs.
func appendRuns(runs []run, bi int, b arrow.RecordBatch) []run {
	n := int(b.NumRows())
	parts, offs := kafkaColumns(b)
	if parts == nil {
		if n > 0 {
			runs = append(runs, run{batch: bi, start: 0, end: n, part: noPartition, first: 1<<63 - 1, last: 1<<63 - 1})
		}
		return runs
	}
	key := func(r int) (int32, int64) {
		if parts.IsValid(r) && offs.IsValid(r) {
			return parts.Value(r), offs.Value(r)
		}
		return noPartition, 1<<63 - 1
	}
	for r := 0; r < n; {
		p, o := key(r)
		cur := run{batch: bi, start: r, part: p, first: o, last: o}
		for r++; r < n; r++ {
			np, no := key(r)
			if np != p || (p != noPartition && no <= cur.last) {
				break
			}
			cur.last = no
		}
		cur.end = r
		runs = append(runs, cur)
	}
	return runs
}

// sortedRows yields the rows of batches in (kafka.partition,
// kafka.offset) order, stable, in batches of outRows rows. It joins each
// column's chunks into one array, then takes rows from it by index
// (arrow's take kernel, which handles the nested types).
func sortedRows(batches []arrow.RecordBatch, sc *arrow.Schema, mem memory.Allocator) iter.Seq2[arrow.RecordBatch, error] {
	var refs []rowRef
	for bi, b := range batches {
		parts, offs := kafkaColumns(b)
		for r := 0; r < int(b.NumRows()); r++ {
			ref := rowRef{batch: bi, row: len(refs), part: noPartition, off: 1<<63 - 1}
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
		if len(refs) == 0 {
			return
		}
		cols, err := joinColumns(batches, sc, mem)
		if err != nil {
			yield(nil, err)
			return
		}
		defer func() {
			for _, c := range cols {
				c.Release()
			}
		}()
		for start := 0; start < len(refs); {
			end := min(start+outRows, len(refs))
			out, err := take(cols, refs[start:end], sc, mem)
			if !yield(out, err) || err != nil {
				return
			}
			start = end
		}
	}
}

// joinColumns concatenates each column of batches into one array.
func joinColumns(batches []arrow.RecordBatch, sc *arrow.Schema, mem memory.Allocator) ([]arrow.Array, error) {
	cols := make([]arrow.Array, 0, sc.NumFields())
	for c := range sc.NumFields() {
		chunks := make([]arrow.Array, len(batches))
		for i, b := range batches {
			chunks[i] = b.Column(c)
		}
		col, err := array.Concatenate(chunks, mem)
		if err != nil {
			for _, done := range cols {
				done.Release()
			}
			return nil, fmt.Errorf("join column %s: %w", sc.Field(c).Name, err)
		}
		cols = append(cols, col)
	}
	return cols, nil
}

// take builds one batch of the rows refs names (by row, an index into
// the joined columns), in that order.
func take(cols []arrow.Array, refs []rowRef, sc *arrow.Schema, mem memory.Allocator) (arrow.RecordBatch, error) {
	ib := array.NewInt64Builder(mem)
	defer ib.Release()
	ib.Reserve(len(refs))
	for _, r := range refs {
		ib.UnsafeAppend(int64(r.row))
	}
	idx := ib.NewArray()
	defer idx.Release()
	ctx := compute.WithAllocator(context.Background(), mem)
	out := make([]arrow.Array, 0, len(cols))
	defer func() {
		for _, c := range out {
			c.Release()
		}
	}()
	for c, col := range cols {
		t, err := compute.TakeArrayOpts(ctx, col, idx, compute.TakeOptions{BoundsCheck: false})
		if err != nil {
			return nil, fmt.Errorf("take column %s: %w", sc.Field(c).Name, err)
		}
		out = append(out, t)
	}
	return array.NewRecordBatch(sc, out, int64(len(refs))), nil
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

// coalesceRows: a partition's runs are joined into batches of about this
// many rows before they go to its writer. Ingest's runs are ~500 rows,
// and the Parquet writer pays per batch and column (levels, page checks,
// statistics setup) as much as for thousands of rows. The first batch is
// also the sample arrow-go's dictionary cost check decides on (iceberg-go
// turns it on for every column): on maintenancebench's orders, 8k rows
// keep the decisions 500-row batches made (same file size, 5% less CPU
// on 1 GiB), 32k rows keep dictionaries on repeating strings (files 42%
// smaller, dictionary hashing eats the CPU saved); BENCHMARKS.md.
const coalesceRows = 8 << 10

// concatBatches joins batches (one schema) into one, allocated from mem.
func concatBatches(batches []arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
	if len(batches) == 1 {
		batches[0].Retain()
		return batches[0], nil
	}
	sc := batches[0].Schema()
	cols, err := joinColumns(batches, sc, mem)
	if err != nil {
		return nil, err
	}
	var rows int64
	for _, b := range batches {
		rows += b.NumRows()
	}
	out := array.NewRecordBatch(sc, cols, rows)
	for _, c := range cols {
		c.Release()
	}
	return out, nil
}

// coalesced yields the batches of seq joined into batches of at least
// coalesceRows rows where they are shorter (the last may be shorter);
// rows keep their order. It takes ownership of seq's batches.
func coalesced(seq iter.Seq2[arrow.RecordBatch, error], mem memory.Allocator) iter.Seq2[arrow.RecordBatch, error] {
	return func(yield func(arrow.RecordBatch, error) bool) {
		var pending []arrow.RecordBatch
		rows := int64(0)
		defer func() {
			for _, b := range pending {
				b.Release()
			}
		}()
		emit := func() bool {
			b, err := concatBatches(pending, mem)
			for _, p := range pending {
				p.Release()
			}
			pending, rows = pending[:0], 0
			return yield(b, err) && err == nil
		}
		for b, err := range seq {
			if err != nil {
				yield(nil, err)
				return
			}
			pending = append(pending, b)
			if rows += b.NumRows(); rows >= coalesceRows && !emit() {
				return
			}
		}
		if len(pending) > 0 {
			emit()
		}
	}
}
