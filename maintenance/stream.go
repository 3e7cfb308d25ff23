package maintenance

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	iceberggo "github.com/apache/iceberg-go"
	icetable "github.com/apache/iceberg-go/table"

	"github.com/tributary-io/tributary/iceberg"
)

// A group is rewritten one of two ways. Streamed (rewriteStreamed): its
// files are read one after the other and each Kafka partition's rows go
// to a writer of their own, so each output file holds one Kafka
// partition in offset order and memory is bounded by the open writers'
// row groups, not by the group's size. In memory (rewriteInMemory): a
// chunk of the group's files, at most Options.MaxGroupBytes of Parquet,
// is decoded whole and its runs ordered (sorted); that is what a group
// of many Kafka partitions with few rows each needs, since streaming it
// would make a small file per partition.

// streamMaxPartitions: a group whose files hold more Kafka partitions
// than this is rewritten in memory, chunk by chunk.
const streamMaxPartitions = 16

// streamMinPartBytes: a group is streamed only when its input Parquet
// bytes per Kafka partition reach this (else each output file would be
// small). A variable so tests can stream small tables.
var streamMinPartBytes int64 = 32 << 20

// errOutOfOrder: a Kafka partition's offsets did not increase from one
// input file to the next in the order they were read, so streaming
// cannot order them; the group is rewritten in memory instead.
var errOutOfOrder = errors.New("offsets out of order across files")

// compactionRowGroupBytes caps the row groups compaction writes: each
// open writer holds its current row group in memory until it is full
// (measured on 256 MiB of small files streamed to three writers: peak
// RSS 1.39 GB with 64 MiB row groups, 0.87 GB with 16 MiB, and the
// iceberg-go filter scan 2.6x faster on the smaller ones).
const compactionRowGroupBytes = 16 << 20

// compactionProperties are the Parquet writer settings of the files
// compaction writes: the ones ingest writes with (the table's own, and
// iceberg.WriteProperties' defaults for the keys it does not set: one
// place for both), with row groups of at most compactionRowGroupBytes.
// Level-1 zstd, ingest's default, measured 14% less compaction CPU for
// 13% bigger files than level 3; a table that sets its level keeps it.
func compactionProperties(props iceberggo.Properties) iceberggo.Properties {
	out := iceberg.WriteProperties(props)
	if out.GetInt(icetable.ParquetRowGroupSizeBytesKey, icetable.ParquetRowGroupSizeBytesDefault) > compactionRowGroupBytes {
		out[icetable.ParquetRowGroupSizeBytesKey] = strconv.Itoa(compactionRowGroupBytes)
	}
	return out
}

// writerTable is tbl with compactionProperties as its properties, for
// WriteRecords (which takes its writer settings from the table's
// properties); it is never committed.
func writerTable(tbl *icetable.Table) (*icetable.Table, error) {
	return iceberg.PropertiesView(tbl, compactionProperties(tbl.Properties()))
}

// kafkaPartitions estimates how many Kafka partitions tasks hold, from
// the kafka.partition bounds in their manifests (the partitions between
// the lowest and the highest); ok is false when a file has no bounds.
func kafkaPartitions(tbl *icetable.Table, tasks []icetable.FileScanTask) (int, bool) {
	f, found := tbl.Schema().FindFieldByName(iceberg.ColKafka + "." + iceberg.ColPartition)
	if !found {
		return 0, false
	}
	lo, hi := int32(1<<31-1), int32(-1<<31)
	for _, t := range tasks {
		l, u := t.File.LowerBoundValues()[f.ID], t.File.UpperBoundValues()[f.ID]
		if len(l) != 4 || len(u) != 4 {
			return 0, false
		}
		lo, hi = min(lo, int32(binary.LittleEndian.Uint32(l))), max(hi, int32(binary.LittleEndian.Uint32(u)))
	}
	if len(tasks) == 0 || hi < lo {
		return 0, false
	}
	return int(int64(hi) - int64(lo) + 1), true
}

// streamable reports whether group g is rewritten streamed.
func streamable(tbl *icetable.Table, g icetable.CompactionTaskGroup) bool {
	n, ok := kafkaPartitions(tbl, g.Tasks)
	return ok && n <= streamMaxPartitions && g.TotalSizeBytes/int64(n) >= streamMinPartBytes
}

// commitOrder sorts tasks the way ingest committed them (data sequence
// number), which is each Kafka partition's offset order; a file
// compaction wrote concurrently with an ingest commit can break it,
// which rewriteStreamed detects.
func commitOrder(tasks []icetable.FileScanTask) []icetable.FileScanTask {
	out := slices.Clone(tasks)
	seq := func(t icetable.FileScanTask) int64 {
		if t.DataSequenceNumber == nil {
			return 0
		}
		return *t.DataSequenceNumber
	}
	slices.SortStableFunc(out, func(a, b icetable.FileScanTask) int { return cmp.Compare(seq(a), seq(b)) })
	return out
}

// partWriter writes one Kafka partition's rows (slices sent on ch) with
// WriteRecords in a goroutine of its own.
type partWriter struct {
	pending []arrow.RecordBatch // runs not sent yet
	rows    int                 // rows in pending
	ch      chan arrow.RecordBatch
	done    chan struct{}
	files   []iceberggo.DataFile
	err     error
}

// rewriteStreamed writes the rows of tasks, read in commit order, to one
// writer per Kafka partition; it returns the files written (also on
// error, so the caller can delete them). errOutOfOrder when a
// partition's offsets go back.
func rewriteStreamed(ctx context.Context, tbl *icetable.Table, tasks []icetable.FileScanTask, target int64) ([]iceberggo.DataFile, error) {
	wt, err := writerTable(tbl)
	if err != nil {
		return nil, err
	}
	sc, recs, err := tbl.Scan().ReadTasks(ctx, commitOrder(tasks))
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	writers := map[int32]*partWriter{}
	var wg sync.WaitGroup
	start := func(part int32) *partWriter {
		w := &partWriter{ch: make(chan arrow.RecordBatch, 1), done: make(chan struct{})}
		writers[part] = w
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(w.done)
			for df, err := range icetable.WriteRecords(ctx, wt, sc, chanBatches(ctx, w.ch),
				icetable.WithClusteredWrite(), icetable.WithTargetFileSize(target)) {
				if err != nil {
					w.err = err
					cancel(err)
					return
				}
				w.files = append(w.files, df)
			}
		}()
		return w
	}
	last := map[int32]int64{}
	readErr := func() error {
		for rec, err := range recs {
			if err != nil {
				return fmt.Errorf("read: %w", err)
			}
			err := route(ctx, rec, last, writers, start)
			rec.Release()
			if err != nil {
				return err
			}
		}
		return nil
	}()
	for _, w := range writers {
		if readErr == nil {
			readErr = w.flush(ctx)
		}
		for _, p := range w.pending {
			p.Release()
		}
	}
	if readErr != nil {
		cancel(readErr)
	}
	for _, w := range writers {
		close(w.ch)
	}
	wg.Wait()
	var files []iceberggo.DataFile
	errs := []error{readErr}
	for _, w := range writers {
		files = append(files, w.files...)
		errs = append(errs, w.err)
		for b := range w.ch { // left unread by a writer that stopped
			b.Release()
		}
	}
	if err := errors.Join(errs...); err != nil {
		return files, err
	}
	return files, nil
}

// route sends each run of rec to its partition's writer (starting it
// when new), checking offsets increase per partition across batches.
func route(ctx context.Context, rec arrow.RecordBatch, last map[int32]int64, writers map[int32]*partWriter, start func(int32) *partWriter) error {
	for _, r := range appendRuns(nil, 0, rec) {
		if r.part != noPartition {
			if l, seen := last[r.part]; seen && r.first <= l {
				return fmt.Errorf("%w: partition %d offset %d after %d", errOutOfOrder, r.part, r.first, l)
			}
			last[r.part] = r.last
		}
		w := writers[r.part]
		if w == nil {
			w = start(r.part)
		}
		w.pending = append(w.pending, rec.NewSlice(int64(r.start), int64(r.end)))
		w.rows += r.end - r.start
		if w.rows >= coalesceRows {
			if err := w.flush(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// flush sends w's pending runs to its writer as one batch.
func (w *partWriter) flush(ctx context.Context) error {
	if len(w.pending) == 0 {
		return nil
	}
	b, err := concatBatches(w.pending, memory.DefaultAllocator)
	for _, p := range w.pending {
		p.Release()
	}
	w.pending, w.rows = w.pending[:0], 0
	if err != nil {
		return err
	}
	select {
	case w.ch <- b:
		return nil
	case <-ctx.Done():
		b.Release()
		return context.Cause(ctx)
	}
}

// chanBatches yields the batches sent on ch until it is closed or ctx
// ends.
func chanBatches(ctx context.Context, ch <-chan arrow.RecordBatch) func(func(arrow.RecordBatch, error) bool) {
	return func(yield func(arrow.RecordBatch, error) bool) {
		for {
			select {
			case b, ok := <-ch:
				if !ok {
					return
				}
				if !yield(b, nil) {
					return
				}
			case <-ctx.Done():
				yield(nil, context.Cause(ctx))
				return
			}
		}
	}
}
