package maintenance

import (
	"context"
	"slices"
	"testing"

	iceberggo "github.com/apache/iceberg-go"
	icerest "github.com/apache/iceberg-go/catalog/rest"
	icetable "github.com/apache/iceberg-go/table"

	"github.com/tributary-io/tributary/iceberg"
)

// currentManifests lists the manifests of the table's current snapshot,
// as the catalog has it now.
func currentManifests(t *testing.T, ctx context.Context, cat *icerest.Catalog) (*icetable.Table, []iceberggo.ManifestFile) {
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
	return cur, ms
}

// dead reports whether a manifest holds no live file (only entries a
// snapshot deleted).
func dead(m iceberggo.ManifestFile) bool {
	return m.AddedDataFiles() == 0 && m.ExistingDataFiles() == 0
}

// Regression: DuckDB opens every manifest of a snapshot and reads every
// entry to plan, deleted ones included, and ingest's fast appends carried
// forward every manifest of the parent: the one of DELETED entries each
// compaction's replace leaves stayed in every later snapshot, beside one
// new manifest per commit, until maintenance merged them (at 4). A table
// created by package iceberg merges its manifests at every ingest commit,
// so the live table has one manifest, with no deleted entry, after any
// commit.
func TestIngestCommitLeavesOneManifestAfterCompaction(t *testing.T) {
	ctx := context.Background()
	cat := newCatalog(t)
	tbl, err := iceberg.Open(ctx, cat, orders, iceberg.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := newWriter(t, tbl)
	for range 6 {
		if err := w.commit(2, 5); err != nil {
			t.Fatal(err)
		}
	}
	if _, ms := currentManifests(t, ctx, cat); len(ms) != 1 {
		t.Fatalf("%d manifests after 6 ingest commits, want 1 (merged at every commit)", len(ms))
	}
	rep, err := Run(ctx, cat, orders, Options{MinInputFiles: 2, NoExpire: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Groups == 0 {
		t.Fatalf("report %s: want the 6 small files compacted", rep)
	}
	// The replace snapshot itself records the deleted files (the spec's
	// DELETED entries): a manifest with no live file.
	_, ms := currentManifests(t, ctx, cat)
	if !slices.ContainsFunc(ms, dead) {
		t.Fatalf("compaction's snapshot has %d manifests, none only of deleted entries: the test no longer sets up what it checks", len(ms))
	}
	if err := tbl.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.commit(2, 5); err != nil {
		t.Fatal(err)
	}
	cur, ms := currentManifests(t, ctx, cat)
	if len(ms) != 1 || dead(ms[0]) {
		t.Fatalf("after compaction and one ingest commit: %d manifests (dead: %v), want 1 with live files", len(ms), slices.ContainsFunc(ms, dead))
	}
	fs, err := cur.FS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	for e, err := range ms[0].Entries(fs, false) {
		if err != nil {
			t.Fatal(err)
		}
		if e.Status() == iceberggo.EntryStatusDELETED {
			t.Fatalf("merged manifest carries %s as deleted", e.DataFile().FilePath())
		}
		files++
	}
	if files != 2 { // the compacted file and the last commit's
		t.Fatalf("merged manifest has %d files, want 2", files)
	}
	rows := byPosition(readRows(t, cur, 0))
	checkComplete(t, rows, w.next)
	checkResumesAt(t, cat, w.next)
}

// Regression: a table no commit followed after a compaction kept the
// compaction's manifest of DELETED entries (and the compacted file's
// beside the old one) for good: under MinManifests small manifests
// are never merged. The next run merges them, dropping the dead one, and
// the table reads the same.
func TestIdleTableLosesCompactionsDeletedManifest(t *testing.T) {
	ctx := context.Background()
	cat := newCatalog(t)
	tbl, err := iceberg.Open(ctx, cat, orders, iceberg.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := newWriter(t, tbl)
	for range 6 {
		if err := w.commit(2, 5); err != nil {
			t.Fatal(err)
		}
	}
	opts := Options{MinInputFiles: 2, NoExpire: true}
	if rep, err := Run(ctx, cat, orders, opts); err != nil || rep.Groups == 0 || rep.ManifestsRewritten != 0 {
		t.Fatalf("first run: %s, %v: want the files compacted and the manifests left to ingest's next commit", rep, err)
	}
	before, ms := currentManifests(t, ctx, cat)
	if !slices.ContainsFunc(ms, dead) || len(ms) >= DefaultMinManifests {
		t.Fatalf("after compaction: %d manifests, dead among them %v: want a dead one, fewer than %d", len(ms), slices.ContainsFunc(ms, dead), DefaultMinManifests)
	}
	wantRows := byPosition(readRows(t, before, 0))
	rep, err := Run(ctx, cat, orders, opts)
	if err != nil {
		t.Fatal(err)
	}
	after, ms := currentManifests(t, ctx, cat)
	if len(ms) != 1 || dead(ms[0]) || rep.Groups != 0 {
		t.Fatalf("second run %s: %d manifests (dead: %v), want 1 live and no file rewritten", rep, len(ms), slices.ContainsFunc(ms, dead))
	}
	if got := byPosition(readRows(t, after, 0)); !slices.Equal(got, wantRows) {
		t.Fatalf("%d rows after the merge, %d before", len(got), len(wantRows))
	}
	checkComplete(t, wantRows, w.next)
	// A third run finds nothing to do.
	if rep, err := Run(ctx, cat, orders, opts); err != nil || rep.ManifestsRewritten != 0 {
		t.Fatalf("third run: %s, %v: want nothing merged", rep, err)
	}
}
