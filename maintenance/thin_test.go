package maintenance

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	icetable "github.com/apache/iceberg-go/table"

	"github.com/tributary-io/tributary/iceberg"
)

// dataFiles is the set of data file paths snapshot snap of tbl reads.
func dataFiles(t testing.TB, tbl *icetable.Table, snap int64) map[string]bool {
	t.Helper()
	tasks, err := tbl.Scan(icetable.WithSnapshotID(snap)).PlanFiles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, task := range tasks {
		out[task.File.FilePath()] = true
	}
	return out
}

// fileExists reports whether the table location loc (file://) exists.
func fileExists(t testing.TB, loc string) bool {
	t.Helper()
	_, err := os.Stat(strings.TrimPrefix(loc, "file://"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return err == nil
}

// checkSnapshotLog fails unless every snapshot-log entry names a snapshot
// of md and the last one is the current snapshot (what Java's
// TableMetadata and the spec require after snapshots are removed).
func checkSnapshotLog(t testing.TB, md icetable.Metadata) {
	t.Helper()
	var last *icetable.SnapshotLogEntry
	for e := range md.SnapshotLogs() {
		if md.SnapshotByID(e.SnapshotID) == nil {
			t.Fatalf("snapshot log names snapshot %d, which is gone", e.SnapshotID)
		}
		last = &e
	}
	if last == nil || last.SnapshotID != md.CurrentSnapshot().SnapshotID {
		t.Fatalf("snapshot log ends at %v, want the current snapshot %d", last, md.CurrentSnapshot().SnapshotID)
	}
}

// TestThinDeletesFilesOnlyThinnedSnapshotsReferenced: with one interval
// spanning all time and no full-resolution window (table properties), thinning
// keeps the head and a tag only. The small files compaction replaced
// that only thinned snapshots read are deleted, with the thinned
// snapshots' manifest lists; the tag still reads its rows from its files,
// the head every row, the snapshot log names kept snapshots only, and
// ingest resumes where it was.
func TestThinDeletesFilesOnlyThinnedSnapshotsReferenced(t *testing.T) {
	ctx := context.Background()
	cat := newCatalog(t)
	tbl, err := iceberg.Open(ctx, cat, orders, iceberg.Options{Properties: map[string]string{
		PropThinAfter: "0", PropThinInterval: fmt.Sprint(int64(1) << 50)}})
	if err != nil {
		t.Fatal(err)
	}
	w := newWriter(t, tbl)
	for i := range 6 {
		if err := w.commit(2, 3); err != nil {
			t.Fatal(err)
		}
		if i == 2 {
			tag := tbl.Iceberg().CurrentSnapshot().SnapshotID
			if _, _, err := cat.CommitTable(ctx, orders, nil, []icetable.Update{
				icetable.NewSetSnapshotRefUpdate("audit", tag, icetable.TagRef, 0, 0, 0)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	pre, err := cat.LoadTable(ctx, orders)
	if err != nil {
		t.Fatal(err)
	}
	tagged := pre.Metadata().SnapshotByID(refSnapshot(t, pre.Metadata(), "audit"))
	taggedRows := byPosition(readRows(t, pre, tagged.SnapshotID))
	taggedFiles := dataFiles(t, pre, tagged.SnapshotID)
	smallFiles := dataFiles(t, pre, pre.CurrentSnapshot().SnapshotID)
	if rep, err := Run(ctx, cat, orders, Options{NoExpire: true, MinManifests: 1000}); err != nil || rep.Groups == 0 {
		t.Fatalf("compaction: %v, %s", err, rep)
	}
	for range 3 {
		if err := w.commit(2, 3); err != nil {
			t.Fatal(err)
		}
	}
	pre, err = cat.LoadTable(ctx, orders)
	if err != nil {
		t.Fatal(err)
	}
	n := len(pre.Metadata().Snapshots())
	time.Sleep(5 * time.Millisecond)

	rep, err := Run(ctx, cat, orders, Options{NoCompact: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rep)
	after, err := cat.LoadTable(ctx, orders)
	if err != nil {
		t.Fatal(err)
	}
	var kept []int64
	for _, s := range after.Metadata().Snapshots() {
		kept = append(kept, s.SnapshotID)
	}
	head := after.CurrentSnapshot().SnapshotID
	if want := []int64{tagged.SnapshotID, head}; !slices.Equal(kept, want) || head != pre.CurrentSnapshot().SnapshotID {
		t.Fatalf("kept %v, want the tag and the head %v", kept, want)
	}
	if rep.SnapshotsThinned != n-2 || rep.SnapshotsExpired != 0 {
		t.Fatalf("thinned %d, expired %d of %d: %s", rep.SnapshotsThinned, rep.SnapshotsExpired, n, rep)
	}
	checkSnapshotLog(t, after.Metadata())
	gone := 0
	for f := range smallFiles {
		switch {
		case taggedFiles[f] && !fileExists(t, f):
			t.Fatalf("%s, which the tag reads, was deleted", f)
		case !taggedFiles[f] && fileExists(t, f):
			t.Fatalf("%s, which only thinned snapshots read, is still there", f)
		case !taggedFiles[f]:
			gone++
		}
	}
	for _, s := range pre.Metadata().Snapshots() {
		if after.Metadata().SnapshotByID(s.SnapshotID) == nil && fileExists(t, s.ManifestList) {
			t.Fatalf("thinned snapshot %d's manifest list is still there", s.SnapshotID)
		}
	}
	if gone == 0 || len(taggedFiles) == 0 {
		t.Fatalf("%d small files deleted, %d kept for the tag: the test proves nothing", gone, len(taggedFiles))
	}
	if got := byPosition(readRows(t, after, tagged.SnapshotID)); !slices.Equal(got, taggedRows) {
		t.Fatalf("the tag reads %d rows, %d when tagged", len(got), len(taggedRows))
	}
	checkComplete(t, readRows(t, after, 0), w.next)
	reopened, err := iceberg.Open(ctx, cat, orders, iceberg.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(reopened.Offsets(), w.next) || reopened.OffsetsSource() != iceberg.FromSnapshot {
		t.Fatalf("resume point %v (%v), want %v from the snapshot", reopened.Offsets(), reopened.OffsetsSource(), w.next)
	}
}

func refSnapshot(t testing.TB, md icetable.Metadata, name string) int64 {
	t.Helper()
	for n, r := range md.Refs() {
		if n == name {
			return r.SnapshotID
		}
	}
	t.Fatalf("no ref %s", name)
	return 0
}
