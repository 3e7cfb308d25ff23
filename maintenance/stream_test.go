package maintenance

import (
	"context"
	"errors"
	"slices"
	"testing"

	icecatalog "github.com/apache/iceberg-go/catalog"
	icetable "github.com/apache/iceberg-go/table"

	"github.com/tributary-io/tributary/iceberg"
)

// streamSmallGroups makes every group of the test's tables streamed.
func streamSmallGroups(t *testing.T) {
	t.Helper()
	old := streamMinPartBytes
	streamMinPartBytes = 0
	t.Cleanup(func() { streamMinPartBytes = old })
}

// smallFilesTable is a table of commits small files, three Kafka
// partitions interleaved in each.
func smallFilesTable(t *testing.T, commits int) (icecatalog.Catalog, *writer, []row) {
	t.Helper()
	cat := newCatalog(t)
	tbl, err := iceberg.Open(context.Background(), cat, orders, iceberg.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := newWriter(t, tbl)
	for range commits {
		if err := w.commit(3, 40); err != nil {
			t.Fatal(err)
		}
	}
	want := byPosition(readRows(t, tbl.Iceberg(), 0))
	checkComplete(t, want, w.next)
	return cat, w, want
}

// fileRows reads one data file's rows, in file order.
func fileRows(t *testing.T, tbl *icetable.Table, task icetable.FileScanTask) []row {
	t.Helper()
	_, recs, err := tbl.Scan().ReadTasks(context.Background(), []icetable.FileScanTask{task})
	if err != nil {
		t.Fatal(err)
	}
	var out []row
	for rec, err := range recs {
		if err != nil {
			t.Fatal(err)
		}
		parts, offs := kafkaColumns(rec)
		for r := range int(rec.NumRows()) {
			out = append(out, row{part: parts.Value(r), off: offs.Value(r)})
		}
		rec.Release()
	}
	return out
}

// TestCompactStreamedWritesEachPartitionInOrder: a streamed group (each
// Kafka partition's rows to a writer of its own, memory bounded by the
// writers, not by the group) keeps every row, writes one file per Kafka
// partition with its offsets in order, and the files carry bounds.
func TestCompactStreamedWritesEachPartitionInOrder(t *testing.T) {
	streamSmallGroups(t)
	ctx := context.Background()
	cat, _, want := smallFilesTable(t, 60)
	rep, err := Run(ctx, cat, orders, Options{NoExpire: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.FilesRewritten != 60 || rep.FilesWritten != 3 {
		t.Fatalf("rewrote %d files into %d, want 60 into 3 (one per Kafka partition): %s", rep.FilesRewritten, rep.FilesWritten, rep)
	}
	after, err := cat.LoadTable(ctx, orders)
	if err != nil {
		t.Fatal(err)
	}
	got := readRows(t, after, 0)
	if !slices.Equal(byPosition(got), want) {
		t.Fatalf("rows differ after the streamed rewrite: %d rows, want %d", len(got), len(want))
	}
	tasks, err := after.Scan().PlanFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	offID, _ := after.Schema().FindFieldByName(iceberg.ColKafka + "." + iceberg.ColOffset)
	seen := map[int32]bool{}
	for _, task := range tasks {
		rows := fileRows(t, after, task)
		for i, r := range rows {
			if r.part != rows[0].part || (i > 0 && r.off != rows[i-1].off+1) {
				t.Fatalf("%s: row %d is partition %d offset %d after partition %d offset %d", task.File.FilePath(), i, r.part, r.off, rows[i-1].part, rows[i-1].off)
			}
		}
		if len(rows) == 0 || seen[rows[0].part] {
			t.Fatalf("%s: %d rows of partition %v, want one file per partition", task.File.FilePath(), len(rows), rows)
		}
		seen[rows[0].part] = true
		if _, ok := task.File.LowerBoundValues()[offID.ID]; !ok {
			t.Fatalf("%s has no kafka.offset lower bound", task.File.FilePath())
		}
	}
}

// TestCompactStreamFallsBackWhenOffsetsGoBack: when the files of a group
// come in an order in which a Kafka partition's offsets go back (a file
// compaction wrote racing an ingest commit), streaming stops with
// errOutOfOrder and the group is rewritten in memory, every row kept and
// ordered.
func TestCompactStreamFallsBackWhenOffsetsGoBack(t *testing.T) {
	streamSmallGroups(t)
	ctx := context.Background()
	cat, _, want := smallFilesTable(t, 12)
	tbl, err := cat.LoadTable(ctx, orders)
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := tbl.Scan().PlanFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Newest first, with no sequence numbers to put them back in order.
	slices.SortFunc(tasks, func(a, b icetable.FileScanTask) int {
		return int(*b.DataSequenceNumber - *a.DataSequenceNumber)
	})
	for i := range tasks {
		tasks[i].DataSequenceNumber = nil
	}
	written, err := rewriteStreamed(ctx, tbl, tasks, 64<<20)
	if !errors.Is(err, errOutOfOrder) {
		t.Fatalf("streamed rewrite of reversed files: %v, want errOutOfOrder", err)
	}
	removeFiles(ctx, tbl, written)

	var bytes int64
	for _, task := range tasks {
		bytes += task.File.FileSizeBytes()
	}
	g := icetable.CompactionTaskGroup{PartitionKey: "p", Tasks: tasks, TotalSizeBytes: bytes}
	gr, err := rewriteGroup(ctx, tbl, g, 64<<20, Options{}.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	var got []row
	for _, df := range gr.NewDataFiles {
		rows := fileRows(t, tbl, icetable.FileScanTask{File: df, Length: df.FileSizeBytes()})
		if !slices.IsSortedFunc(rows, func(a, b row) int {
			if a.part != b.part {
				return int(a.part - b.part)
			}
			return int(a.off - b.off)
		}) {
			t.Fatalf("%s: rows not in (partition, offset) order", df.FilePath())
		}
		got = append(got, rows...)
	}
	if len(got) != len(want) {
		t.Fatalf("%d rows after the fallback, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].part != want[i].part || got[i].off != want[i].off {
			t.Fatalf("row %d is partition %d offset %d, want %d/%d", i, got[i].part, got[i].off, want[i].part, want[i].off)
		}
	}
	removeFiles(ctx, tbl, gr.NewDataFiles)
}
