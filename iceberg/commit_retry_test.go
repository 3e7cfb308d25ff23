package iceberg

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	icetable "github.com/apache/iceberg-go/table"
)

// Tests of what a Commit's retries write and delete: the data files are
// written once per Commit call, and the files of an attempt no snapshot
// can reference are deleted, never those of one that may have landed.

// diskFiles lists the Parquet files under tbl's location on local disk.
func diskFiles(t *testing.T, tbl *icetable.Table) []string {
	t.Helper()
	root, ok := strings.CutPrefix(tbl.Location(), "file://")
	if !ok {
		t.Fatalf("table location %s is not a local path", tbl.Location())
	}
	var out []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".parquet") {
			out = append(out, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// liveFiles lists the data files tbl's current snapshot references, as
// local paths.
func liveFiles(t *testing.T, tbl *icetable.Table) []string {
	t.Helper()
	tasks, err := tbl.Scan().PlanFiles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, task := range tasks {
		out = append(out, strings.TrimPrefix(task.File.FilePath(), "file://"))
	}
	slices.Sort(out)
	return out
}

// checkNoStrayFiles fails unless the files on disk under tbl are exactly
// those its current snapshot references.
func checkNoStrayFiles(t *testing.T, tbl *icetable.Table) {
	t.Helper()
	disk, live := diskFiles(t, tbl), liveFiles(t, tbl)
	if !slices.Equal(disk, live) {
		t.Fatalf("%d data files on disk, %d referenced:\ndisk %v\nlive %v", len(disk), len(live), disk, live)
	}
}

// checkRowsOnce fails unless tbl holds exactly want rows, no two with the
// same partition and offset.
func checkRowsOnce(t *testing.T, tbl *icetable.Table, want int) {
	t.Helper()
	out := scanAll(t, tbl)
	if out.NumRows() != int64(want) {
		t.Fatalf("%d rows, want %d", out.NumRows(), want)
	}
	part := column(t, out, "kafka.partition").(*array.Int32)
	off := column(t, out, "kafka.offset").(*array.Int64)
	seen := map[[2]int64]bool{}
	for r := range want {
		k := [2]int64{int64(part.Value(r)), off.Value(r)}
		if seen[k] {
			t.Fatalf("row %v twice", k)
		}
		seen[k] = true
	}
}

// openTwo opens the same table through two handles, each with a writer
// of orderV1 (the first Prepare creates the columns, the second finds
// them).
func openTwo(t *testing.T, proxyURL string, opts Options) (a, b *writer) {
	t.Helper()
	ctx := context.Background()
	cat := newClient(t, proxyURL)
	md := compileMessage(t, orderV1, "shop.v1.Order")
	ta, err := Open(ctx, cat, []string{"ns", "t"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	a = newWriter(t, ta, md)
	tb, err := Open(ctx, cat, []string{"ns", "t"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return a, newWriter(t, tb, md)
}

// Before: each retry conformed and wrote every Parquet file again, so a
// commit that lost a race with another writer (compaction, whose snapshot
// leaves the offsets alone) left its first files behind, unreferenced.
func TestCommitRetryAfterConflictWritesFilesOnce(t *testing.T) {
	fail, proxyURL := newFailProxy(t, newCatalogURL(t))
	a, b := openTwo(t, proxyURL, Options{Backoff: 10e6})
	for i := range 3 {
		b.add(1, int64(i), orderMsg(b.md, i))
	}
	if err := b.commit(nil); err != nil { // a snapshot, offsets unchanged
		t.Fatal(err)
	}
	for i := range 5 {
		a.add(0, int64(i), orderMsg(a.md, i))
	}
	if err := a.commit(map[int32]int64{0: 5}); err != nil {
		t.Fatal(err)
	}
	if n := fail.conflicts.Load(); n != 1 {
		t.Fatalf("the catalog answered %d conflicts, want 1", n)
	}
	files, _ := a.tbl.Added()
	tbl := a.tbl.Iceberg()
	checkRowsOnce(t, tbl, 8)
	checkNoStrayFiles(t, tbl)
	if all := len(diskFiles(t, tbl)); int64(all) != files+1 {
		t.Fatalf("%d data files, want the %d of the retried commit and 1 of the other writer", all, files)
	}
	if got := a.tbl.Offsets(); got[0] != 5 {
		t.Fatalf("offsets %v", got)
	}
}

// Before: a commit refused with a 503 (not applied) and then applied with
// its answer lost wrote its files twice and left the first set behind.
// The lost answer's files are the committed ones: they must stay.
func TestCommitLostAnswerLeavesNoExtraFile(t *testing.T) {
	ctx := context.Background()
	fail, proxyURL := newFailProxy(t, newCatalogURL(t))
	tbl, err := Open(ctx, newClient(t, proxyURL), []string{"ns", "t"}, Options{Backoff: 10e6})
	if err != nil {
		t.Fatal(err)
	}
	md := compileMessage(t, orderV1, "shop.v1.Order")
	w := newWriter(t, tbl, md)
	for i := range 5 {
		w.add(0, int64(i), orderMsg(md, i))
	}
	fail.refuse.Store(1)
	fail.armed.Store(1)
	if err := w.commit(map[int32]int64{0: 5}); err != nil {
		t.Fatal(err)
	}
	if fail.refuse.Load() != 0 || fail.hits.Load() != 1 {
		t.Fatalf("refusals left %d, applied commits answered 500: %d; want 0, 1", fail.refuse.Load(), fail.hits.Load())
	}
	checkRowsOnce(t, tbl.Iceberg(), 5)
	checkNoStrayFiles(t, tbl.Iceberg())
}

// Before: a writer fenced by another (its commit refused with a 409, the
// offsets moved) left the files it wrote for nothing.
func TestCommitFencedDeletesItsFiles(t *testing.T) {
	fail, proxyURL := newFailProxy(t, newCatalogURL(t))
	a, b := openTwo(t, proxyURL, Options{Backoff: 10e6})
	for i := range 3 {
		b.add(1, int64(i), orderMsg(b.md, i))
	}
	if err := b.commit(map[int32]int64{1: 3}); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		a.add(0, int64(i), orderMsg(a.md, i))
	}
	if err := a.commit(map[int32]int64{0: 5}); !errors.Is(err, ErrFenced) {
		t.Fatalf("err %v, want ErrFenced", err)
	}
	if n := fail.conflicts.Load(); n != 1 {
		t.Fatalf("the catalog answered %d conflicts, want 1", n)
	}
	if err := b.tbl.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkRowsOnce(t, b.tbl.Iceberg(), 3)
	checkNoStrayFiles(t, b.tbl.Iceberg())
}

// Before: a commit that kept getting 409s until it gave up left the files
// of every attempt behind.
func TestCommitGivingUpAfterConflictsDeletesItsFiles(t *testing.T) {
	ctx := context.Background()
	fail, proxyURL := newFailProxy(t, newCatalogURL(t))
	tbl, err := Open(ctx, newClient(t, proxyURL), []string{"ns", "t"}, Options{Attempts: 3, Backoff: 10e6})
	if err != nil {
		t.Fatal(err)
	}
	md := compileMessage(t, orderV1, "shop.v1.Order")
	w := newWriter(t, tbl, md)
	for i := range 5 {
		w.add(0, int64(i), orderMsg(md, i))
	}
	fail.conflict.Store(3)
	if err := w.commit(map[int32]int64{0: 5}); !errors.Is(err, icetable.ErrCommitFailed) {
		t.Fatalf("err %v, want ErrCommitFailed", err)
	}
	if n := fail.conflict.Load(); n != 0 {
		t.Fatalf("%d injected conflicts left, want 0", n)
	}
	if got := diskFiles(t, tbl.Iceberg()); len(got) != 0 {
		t.Fatalf("data files left by a commit that gave up: %v", got)
	}
	// Called again, it commits every row once.
	if err := tbl.Commit(ctx, w.done, map[int32]int64{0: 5}); err != nil {
		t.Fatal(err)
	}
	checkRowsOnce(t, tbl.Iceberg(), 5)
	checkNoStrayFiles(t, tbl.Iceberg())
}

// A commit whose outcome stays unknown keeps its files: they may be in a
// snapshot. Called again, the commit is found or made, with its rows once.
func TestCommitUnknownOutcomeKeepsFiles(t *testing.T) {
	ctx := context.Background()
	fail, proxyURL := newFailProxy(t, newCatalogURL(t))
	tbl, err := Open(ctx, newClient(t, proxyURL), []string{"ns", "t"}, Options{Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	md := compileMessage(t, orderV1, "shop.v1.Order")
	w := newWriter(t, tbl, md)
	for i := range 5 {
		w.add(0, int64(i), orderMsg(md, i))
	}
	fail.armed.Store(1) // applied, answered 500
	if err := w.commit(map[int32]int64{0: 5}); !errors.Is(err, ErrUnknownState) {
		t.Fatalf("err %v, want ErrUnknownState", err)
	}
	if err := tbl.Commit(ctx, w.done, map[int32]int64{0: 5}); err != nil {
		t.Fatal(err)
	}
	checkRowsOnce(t, tbl.Iceberg(), 5)
	checkNoStrayFiles(t, tbl.Iceberg())
}

// Before: files were re-written on every retry whatever happened; now
// they are re-written only when the table's schema changed under them,
// and the first ones are deleted.
func TestCommitAfterSchemaChangeRewritesAndDeletesFiles(t *testing.T) {
	fail, proxyURL := newFailProxy(t, newCatalogURL(t))
	a, b := openTwo(t, proxyURL, Options{Backoff: 10e6})
	v2 := compileMessage(t, orderV2, "shop.v1.Order")
	b2 := newWriter(t, b.tbl, v2) // adds columns: a new schema
	b2.add(1, 0, orderMsg(v2, 0))
	if err := b2.commit(nil); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		a.add(0, int64(i), orderMsg(a.md, i))
	}
	before := a.tbl.Iceberg().Schema().ID
	if err := a.commit(map[int32]int64{0: 5}); err != nil {
		t.Fatal(err)
	}
	if n := fail.conflicts.Load(); n != 1 {
		t.Fatalf("the catalog answered %d conflicts, want 1", n)
	}
	tbl := a.tbl.Iceberg()
	if tbl.Schema().ID == before {
		t.Fatalf("schema %d did not change", before)
	}
	checkRowsOnce(t, tbl, 6)
	checkNoStrayFiles(t, tbl)
}

// Before: a writer whose commit was answered 503 (not applied) and that
// then found itself fenced left its files. The 503 alone makes the files
// maybe-referenced; the table moving past the snapshot that attempt
// asserted is what makes them safe to delete.
func TestCommitFencedAfterUnknownOutcomeDeletesItsFiles(t *testing.T) {
	fail, proxyURL := newFailProxy(t, newCatalogURL(t))
	a, b := openTwo(t, proxyURL, Options{Backoff: 10e6})
	for i := range 3 {
		b.add(1, int64(i), orderMsg(b.md, i))
	}
	berr := make(chan error, 1)
	fail.onRefuse = func() { berr <- b.commit(map[int32]int64{1: 3}) }
	fail.refuse.Store(1)
	for i := range 5 {
		a.add(0, int64(i), orderMsg(a.md, i))
	}
	if err := a.commit(map[int32]int64{0: 5}); !errors.Is(err, ErrFenced) {
		t.Fatalf("err %v, want ErrFenced", err)
	}
	if err := <-berr; err != nil {
		t.Fatalf("the other writer's commit: %v", err)
	}
	if err := b.tbl.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkRowsOnce(t, b.tbl.Iceberg(), 3)
	checkNoStrayFiles(t, b.tbl.Iceberg())
}
