package maintenance

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	iceberggo "github.com/apache/iceberg-go"
	icerest "github.com/apache/iceberg-go/catalog/rest"
	icetable "github.com/apache/iceberg-go/table"

	"github.com/tributary-io/tributary/iceberg"
)

// kafkaBatch is a batch of only a kafka struct column with the given
// (partition, offset) rows.
func kafkaBatch(t *testing.T, rows [][2]int64) arrow.RecordBatch {
	t.Helper()
	st := arrow.StructOf(arrow.Field{Name: iceberg.ColPartition, Type: arrow.PrimitiveTypes.Int32},
		arrow.Field{Name: iceberg.ColOffset, Type: arrow.PrimitiveTypes.Int64})
	sc := arrow.NewSchema([]arrow.Field{{Name: iceberg.ColKafka, Type: st}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	sb := b.Field(0).(*array.StructBuilder)
	for _, r := range rows {
		sb.Append(true)
		sb.FieldBuilder(0).(*array.Int32Builder).Append(int32(r[0]))
		sb.FieldBuilder(1).(*array.Int64Builder).Append(r[1])
	}
	rec := b.NewRecordBatch()
	t.Cleanup(rec.Release)
	return rec
}

// chunk is n rows of partition p from offset from.
func chunk(p, from int64, n int) [][2]int64 {
	var out [][2]int64
	for i := range n {
		out = append(out, [2]int64{p, from + int64(i)})
	}
	return out
}

func sortedPositions(t *testing.T, batches []arrow.RecordBatch) [][2]int64 {
	t.Helper()
	var out [][2]int64
	for b, err := range sorted(batches, batches[0].Schema(), memory.DefaultAllocator) {
		if err != nil {
			t.Fatal(err)
		}
		parts, offs := kafkaColumns(b)
		for r := range int(b.NumRows()) {
			out = append(out, [2]int64{int64(parts.Value(r)), offs.Value(r)})
		}
		b.Release()
	}
	return out
}

// TestSortedOrdersRunsAndFallsBack: the run-by-run ordering yields every
// row once in (partition, offset) order, for ingest's layout (chunks of
// one partition), for files whose runs overlap (another writer's order)
// and for partitions interleaved row by row.
func TestSortedOrdersRunsAndFallsBack(t *testing.T) {
	cases := map[string][][][2]int64{
		"chunks": {
			slices.Concat(chunk(0, 0, 100), chunk(1, 0, 100), chunk(0, 100, 100)),
			slices.Concat(chunk(1, 100, 100), chunk(2, 0, 100), chunk(0, 200, 100)),
		},
		"overlapping": {
			slices.Concat(chunk(0, 50, 100), chunk(1, 0, 100)),
			slices.Concat(chunk(0, 0, 50), chunk(0, 150, 100)),
		},
		"interleaved": {
			func() [][2]int64 {
				var rows [][2]int64
				for i := range 200 {
					rows = append(rows, [2]int64{int64(i % 3), int64(i / 3)})
				}
				return rows
			}(),
		},
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			var batches []arrow.RecordBatch
			var want [][2]int64
			for _, rows := range in {
				batches = append(batches, kafkaBatch(t, rows))
				want = append(want, rows...)
			}
			slices.SortFunc(want, func(a, b [2]int64) int {
				if c := a[0] - b[0]; c != 0 {
					return int(c)
				}
				return int(a[1] - b[1])
			})
			if got := sortedPositions(t, batches); !slices.Equal(got, want) {
				t.Fatalf("got %d rows %v…, want %d %v…", len(got), head(got), len(want), head(want))
			}
		})
	}
}

func head(rows [][2]int64) string { return fmt.Sprint(rows[:min(8, len(rows))]) }

// TestCompactionIsSizeTiered: with ingest committing every second, the
// file compaction wrote for today's partition is under the target for
// the whole day; rewriting it at every run (every file under 75% of the
// target was a candidate) rewrote the day's data again and again. A run
// must leave it alone until the new small files add up to its size.
func TestCompactionIsSizeTiered(t *testing.T) {
	ctx := context.Background()
	cat := newCatalog(t)
	tbl, err := iceberg.Open(ctx, cat, orders, iceberg.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := newWriter(t, tbl)
	for range 20 {
		if err := w.commit(3, 50); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := Run(ctx, cat, orders, Options{NoExpire: true, Tiered: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.FilesRewritten != 20 || rep.After.DataFiles != 1 {
		t.Fatalf("first run: %s", rep)
	}
	big := liveSet(t, ctx, cat)
	for range 3 {
		if err := w.commit(3, 50); err != nil {
			t.Fatal(err)
		}
	}
	rep, err = Run(ctx, cat, orders, Options{NoExpire: true, Tiered: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rep)
	if rep.FilesRewritten != 3 || rep.After.DataFiles != 2 {
		t.Fatalf("second run rewrote %d files into %d, %d left: want the 3 new ones only", rep.FilesRewritten, rep.FilesWritten, rep.After.DataFiles)
	}
	now := liveSet(t, ctx, cat)
	for p := range big {
		if !now[p] {
			t.Fatalf("the compacted file %s was rewritten again", p)
		}
	}
	after, err := cat.LoadTable(ctx, orders)
	if err != nil {
		t.Fatal(err)
	}
	checkComplete(t, readRows(t, after, 0), w.next)
}

// liveSet is the set of the table's current data files.
func liveSet(t *testing.T, ctx context.Context, cat *icerest.Catalog) map[string]bool {
	t.Helper()
	tbl, err := cat.LoadTable(ctx, orders)
	if err != nil {
		t.Fatal(err)
	}
	live, err := liveFiles(ctx, tbl)
	if err != nil {
		t.Fatal(err)
	}
	return live
}

// noCommitMerge makes a table whose commits do not merge manifests (as
// another engine's fast appends): one manifest per ingest commit.
var noCommitMerge = map[string]string{icetable.ManifestMergeEnabledKey: "false"}

// TestManifestsMergedWhenMany: every ingest commit adds a manifest and a
// query reads them all to plan; a run that has nothing to compact still
// merges them once there are MinManifests, and the table reads the same.
func TestManifestsMergedWhenMany(t *testing.T) {
	ctx := context.Background()
	cat := newCatalog(t)
	tbl, err := iceberg.Open(ctx, cat, orders, iceberg.Options{Properties: noCommitMerge})
	if err != nil {
		t.Fatal(err)
	}
	w := newWriter(t, tbl)
	for range 12 {
		if err := w.commit(2, 5); err != nil {
			t.Fatal(err)
		}
	}
	before := tbl.Iceberg()
	n, err := manifestCount(ctx, before)
	if err != nil || n < 12 {
		t.Fatalf("%d manifests before (%v), want one per commit", n, err)
	}
	wantRows := byPosition(readRows(t, before, 0))
	rep, err := Run(ctx, cat, orders, Options{MinInputFiles: 1000, MinManifests: 8, NoExpire: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rep)
	after, err := cat.LoadTable(ctx, orders)
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifestCount(ctx, after)
	if err != nil || m > 2 || rep.ManifestsRewritten < 12 || rep.Groups != 0 {
		t.Fatalf("%d manifests after (%v), report %s: want the manifests merged and no file rewritten", m, err, rep)
	}
	sum := after.CurrentSnapshot().Summary
	if sum.Operation != icetable.OpReplace || sum.Properties["added-data-files"] != "" || sum.Properties["deleted-data-files"] != "" {
		t.Fatalf("manifest merge snapshot %s %v: want a replace adding and deleting no data file", sum.Operation, sum.Properties)
	}
	if got := byPosition(readRows(t, after, 0)); !slices.Equal(got, wantRows) {
		t.Fatalf("%d rows after the merge, %d before", len(got), len(wantRows))
	}
	if again := checkResumesAt(t, cat, w.next); again.OffsetsSource() != iceberg.FromSnapshot {
		t.Fatalf("resume point from %s, want from the snapshot", again.OffsetsSource())
	}
}

// With manifests merged at 4 (every few seconds under ingest), merging
// every manifest would rewrite a large table's whole manifest set run
// after run. Only small manifests (under half
// commit.manifest.target-size-bytes) are merged; one that grew past that
// is left as it is, and the table reads the same.
func TestManifestMergeLeavesLargeManifests(t *testing.T) {
	ctx := context.Background()
	cat := newCatalog(t)
	tbl, err := iceberg.Open(ctx, cat, orders, iceberg.Options{Properties: noCommitMerge})
	if err != nil {
		t.Fatal(err)
	}
	w := newWriter(t, tbl)
	commits := func(n int) {
		t.Helper()
		for range n {
			if err := w.commit(2, 5); err != nil {
				t.Fatal(err)
			}
		}
	}
	manifests := func() []iceberggo.ManifestFile {
		t.Helper()
		cur, err := cat.LoadTable(ctx, orders)
		if err != nil {
			t.Fatal(err)
		}
		fs, err := cur.FS(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ms, err := cur.CurrentSnapshot().Manifests(fs)
		if err != nil {
			t.Fatal(err)
		}
		return ms
	}
	commits(6)
	if _, err := Run(ctx, cat, orders, Options{MinInputFiles: 1000, MinManifests: 4, NoExpire: true}); err != nil {
		t.Fatal(err)
	}
	merged := manifests()
	if len(merged) != 1 {
		t.Fatalf("%d manifests after merging 6, want 1", len(merged))
	}
	big := merged[0]
	// Now a manifest of big's size is large: at least half the target.
	cur, err := cat.LoadTable(ctx, orders)
	if err != nil {
		t.Fatal(err)
	}
	tx := cur.NewTransaction()
	if err := tx.SetProperties(iceberggo.Properties{icetable.ManifestTargetSizeBytesKey: fmt.Sprint(2*big.Length() - 1)}); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := tbl.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	commits(4)
	wantRows := byPosition(readRows(t, tbl.Iceberg(), 0))
	rep, err := Run(ctx, cat, orders, Options{MinInputFiles: 1000, MinManifests: 4, NoExpire: true})
	if err != nil {
		t.Fatal(err)
	}
	after := manifests()
	paths := map[string]bool{}
	for _, m := range after {
		paths[m.FilePath()] = true
	}
	// The 4 small ones merge into fewer (iceberg-go rolls a manifest
	// over below the target by its own estimate), the large one stays.
	if rep.ManifestsRewritten != 4 || len(after) >= 5 || !paths[big.FilePath()] {
		t.Fatalf("report %s, %d manifests after: want the 4 small ones merged beside the large one, untouched", rep, len(after))
	}
	final, err := cat.LoadTable(ctx, orders)
	if err != nil {
		t.Fatal(err)
	}
	if got := byPosition(readRows(t, final, 0)); !slices.Equal(got, wantRows) {
		t.Fatalf("%d rows after the merge, %d before", len(got), len(wantRows))
	}
}

// TestOrphanPassRemovesCrcSideFiles: Hadoop writers leave a hidden
// .<name>.crc beside every file they write; no metadata references them,
// so the orphan pass must delete them (and stray files), and never a
// file the table references.
func TestOrphanPassRemovesCrcSideFiles(t *testing.T) {
	ctx := context.Background()
	cat := newCatalog(t)
	tbl, err := iceberg.Open(ctx, cat, orders, iceberg.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := newWriter(t, tbl)
	for range 3 {
		if err := w.commit(2, 5); err != nil {
			t.Fatal(err)
		}
	}
	live := liveSet(t, ctx, cat)
	var sides []string
	for p := range live {
		local := strings.TrimPrefix(p, "file://")
		dir, name := filepath.Split(local)
		for _, side := range []string{filepath.Join(dir, "."+name+".crc"), local + ".crc"} {
			if err := os.WriteFile(side, []byte("crc"), 0o644); err != nil {
				t.Fatal(err)
			}
			sides = append(sides, side)
		}
	}
	meta := strings.TrimPrefix(tbl.Iceberg().MetadataLocation(), "file://")
	side := filepath.Join(filepath.Dir(meta), "."+filepath.Base(meta)+".crc")
	if err := os.WriteFile(side, []byte("crc"), 0o644); err != nil {
		t.Fatal(err)
	}
	sides = append(sides, side)
	rep, err := Run(ctx, cat, orders, Options{NoCompact: true, NoExpire: true, RemoveOrphans: true, OrphanOlderThan: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rep)
	for _, s := range sides {
		if _, err := os.Stat(s); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is still there (%v)", s, err)
		}
	}
	for p := range live {
		if _, err := os.Stat(strings.TrimPrefix(p, "file://")); err != nil {
			t.Fatalf("a live data file is gone: %v", err)
		}
	}
	after, err := cat.LoadTable(ctx, orders)
	if err != nil {
		t.Fatal(err)
	}
	checkComplete(t, readRows(t, after, 0), w.next)
}

// TestCoalescedJoinsIngestRuns: the ~500-row runs ingest's files are cut
// into reached the Parquet writer one by one (it pays per batch and
// column); coalesced joins them into batches of at least coalesceRows,
// rows in the same order, a batch already that long passes as it is,
// and nothing it allocated outlives it.
func TestCoalescedJoinsIngestRuns(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	var in []arrow.RecordBatch
	var want [][2]int64
	for i := range 200 { // 200 runs of 500 rows, three partitions in turn
		rows := chunk(int64(i%3), int64(i/3*500), 500)
		in = append(in, kafkaBatch(t, rows))
		want = append(want, rows...)
	}
	long := chunk(0, 1<<20, coalesceRows+1)
	in = append(in, kafkaBatch(t, long))
	want = append(want, long...)
	seq := func(yield func(arrow.RecordBatch, error) bool) {
		for _, b := range in {
			b.Retain() // coalesced takes ownership; t.Cleanup releases ours
			if !yield(b, nil) {
				return
			}
		}
	}
	var got [][2]int64
	var sizes []int64
	for b, err := range coalesced(seq, mem) {
		if err != nil {
			t.Fatal(err)
		}
		parts, offs := kafkaColumns(b)
		for r := range int(b.NumRows()) {
			got = append(got, [2]int64{int64(parts.Value(r)), offs.Value(r)})
		}
		sizes = append(sizes, b.NumRows())
		b.Release()
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %d rows %v…, want %d %v…", len(got), head(got), len(want), head(want))
	}
	// 100,000 rows of runs: batches of the first multiple of 500 rows at
	// or above coalesceRows, and what is left joined with the long batch
	// that follows.
	full := int64((coalesceRows + 499) / 500 * 500)
	var wantSizes []int64
	for range 100000 / full {
		wantSizes = append(wantSizes, full)
	}
	wantSizes = append(wantSizes, 100000%full+coalesceRows+1)
	if len(wantSizes) < 3 || !slices.Equal(sizes, wantSizes) {
		t.Fatalf("batch sizes %v, want %v", sizes, wantSizes)
	}
	mem.AssertSize(t, 0)

	failing := func(yield func(arrow.RecordBatch, error) bool) {
		b := kafkaBatch(t, chunk(0, 0, 10))
		b.Retain()
		if yield(b, nil) {
			yield(nil, errors.New("read failed"))
		}
	}
	var errs int
	for b, err := range coalesced(failing, mem) {
		if err == nil {
			b.Release()
			t.Fatal("a batch before the error: the pending rows must not be yielded as if complete")
		}
		errs++
	}
	if errs != 1 {
		t.Fatalf("%d errors yielded, want 1", errs)
	}
	mem.AssertSize(t, 0)
}
