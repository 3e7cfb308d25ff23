package iceberg

import (
	"context"
	"maps"
	"testing"

	icetable "github.com/apache/iceberg-go/table"
	"github.com/apache/iceberg-go/table/compaction"
)

// rewriteAndExpire does to tbl what Spark's rewrite_data_files followed
// by expire_snapshots(retain_last => 1) does: one replace snapshot that
// carries none of our summary properties, then every older snapshot gone.
func rewriteAndExpire(t *testing.T, tbl *icetable.Table) *icetable.Table {
	t.Helper()
	ctx := context.Background()
	cfg := compaction.DefaultConfig()
	cfg.MinInputFiles = 2
	plan, err := compaction.Analyze(ctx, tbl, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Groups) == 0 {
		t.Fatal("nothing to rewrite")
	}
	var groups []icetable.CompactionTaskGroup
	for _, g := range plan.Groups {
		groups = append(groups, icetable.CompactionTaskGroup{PartitionKey: g.PartitionKey, Tasks: g.Tasks, TotalSizeBytes: g.TotalSizeBytes})
	}
	res, err := tbl.RewriteDataFiles(ctx, groups, icetable.RewriteDataFilesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tx := res.Table.NewTransaction()
	if err := tx.ExpireSnapshots(icetable.WithRetainLast(1), icetable.WithOlderThan(0)); err != nil {
		t.Fatal(err)
	}
	out, err := tx.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(out.Metadata().Snapshots()); n != 1 {
		t.Fatalf("%d snapshots after expiry, want 1", n)
	}
	if _, ok := out.CurrentSnapshot().Summary.Properties[PropOffsets]; ok {
		t.Fatal("the rewrite snapshot carries our offsets; the test would prove nothing")
	}
	return out
}

// TestOffsetsSurviveForeignRewriteAndExpiry: after another engine's
// compaction and expiry leave no snapshot of ours, the resume point comes
// from the table property; with the property gone too, from the data
// files (column statistics for single-partition files, the kafka columns
// for mixed ones). Before the property and the fallback, the table read
// as never ingested and ingest restarted from the log start.
func TestOffsetsSurviveForeignRewriteAndExpiry(t *testing.T) {
	ctx := context.Background()
	cat := newClient(t, newCatalogURL(t))
	ident := []string{"kafka", "orders"}
	tbl, err := Open(ctx, cat, ident, Options{})
	if err != nil {
		t.Fatal(err)
	}
	md := compileMessage(t, orderV1, "shop.v1.Order")
	w := newWriter(t, tbl, md)
	off := map[int32]int64{}
	for c := range 3 {
		for i := range 6 {
			p := int32(i % 2) // partitions 0 and 1 share files
			w.add(p, off[p], orderMsg(md, c*10+i))
			off[p]++
		}
		if err := w.commit(maps.Clone(off)); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 { // partition 2 alone: files with one partition
		w.add(2, off[2], orderMsg(md, 99))
		off[2]++
		if err := w.commit(maps.Clone(off)); err != nil {
			t.Fatal(err)
		}
	}
	want := map[int32]int64{0: 9, 1: 9, 2: 2}
	if !maps.Equal(off, want) {
		t.Fatalf("test setup: %v", off)
	}

	rewriteAndExpire(t, tbl.Iceberg())
	got, err := Open(ctx, cat, ident, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got.Offsets(), want) || got.OffsetsSource() != FromProperty {
		t.Fatalf("after rewrite+expiry: offsets %v from %s, want %v from %s", got.Offsets(), got.OffsetsSource(), want, FromProperty)
	}

	// Without the property: the data files' upper bounds.
	tx := got.Iceberg().NewTransaction()
	if err := tx.RemoveProperties([]string{PropOffsets}); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	got, err = Open(ctx, cat, ident, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got.Offsets(), want) || got.OffsetsSource() != FromColumnStats {
		t.Fatalf("without the property: offsets %v from %s, want %v from %s", got.Offsets(), got.OffsetsSource(), want, FromColumnStats)
	}

	// Ingest resumes there: the next commit continues the sequence.
	w2 := newWriter(t, got, md)
	w2.add(0, 9, orderMsg(md, 100))
	if err := w2.commit(map[int32]int64{0: 10}); err != nil {
		t.Fatal(err)
	}
	if o := got.Offsets(); o[0] != 10 || o[1] != 9 || o[2] != 2 {
		t.Fatalf("after resuming: %v", o)
	}
	if n := scanAll(t, got.Iceberg()).NumRows(); n != 18+2+1 {
		t.Fatalf("%d rows, want 21", n)
	}
}
