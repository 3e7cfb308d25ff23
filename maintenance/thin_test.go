package maintenance

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	icetable "github.com/apache/iceberg-go/table"

	"github.com/tributary-io/tributary/iceberg"
	"github.com/tributary-io/tributary/internal/synthhist"
	"github.com/tributary-io/tributary/internal/testpy"
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
	if tag := refSnapshot(t, after.Metadata(), TagThinned); tag != tagged.SnapshotID && tag != head {
		t.Fatalf("%s on %d, want a kept snapshot", TagThinned, tag)
	}
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
	if reopened := checkResumesAt(t, cat, w.next); reopened.OffsetsSource() != iceberg.FromSnapshot {
		t.Fatalf("resume point from %s, want from the snapshot", reopened.OffsetsSource())
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

// TestMetadataGrowsWithOneSnapshotPerSecondForADay: ingest commits once a
// second and a Runner keeps the table; before thinning a day kept every
// snapshot (86,400, tens of MB of metadata.json rewritten at every
// commit). Simulated for 25 hours (thinPlan every 20 s, with the Runner's
// batch, and age expiry at 24 h): the history never holds more than the
// full-resolution window, one snapshot per interval before it and a
// batch, and at the end it holds exactly every snapshot of the window
// and the newest of every interval of the rest of the day.
func TestMetadataGrowsWithOneSnapshotPerSecondForADay(t *testing.T) {
	th := thinning{after: DefaultThinAfter, interval: DefaultThinInterval}
	day := DefaultExpireAge
	t0 := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	h := history{minKeep: 1}
	bound := int(th.after/time.Second) + int(day/th.interval) + 1 + DefaultThinBatch
	most := 0
	for i := range int64(25 * 3600) {
		now := t0.Add(time.Duration(i) * time.Second)
		s := icetable.Snapshot{SnapshotID: i + 1, SequenceNumber: i + 1, TimestampMs: now.UnixMilli(),
			Summary: &icetable.Summary{Operation: icetable.OpAppend, Properties: map[string]string{iceberg.PropOffsets: `{"0":1}`}}}
		if i > 0 {
			p := i
			s.ParentSnapshotID = &p
		}
		h.snaps = append(h.snaps, s)
		h.refs = map[string]icetable.SnapshotRef{icetable.MainBranch: {SnapshotID: s.SnapshotID, SnapshotRefType: icetable.BranchRef}}
		if i%20 != 0 {
			continue
		}
		// Age expiry: what ExpireSnapshots removes (the main branch's
		// unbroken chain is younger than a day from the first thinning on).
		cut := now.Add(-day).UnixMilli()
		h.snaps = slices.DeleteFunc(h.snaps, func(s icetable.Snapshot) bool { return s.TimestampMs < cut })
		if ids := thinPlan(h, now, th); len(ids) >= DefaultThinBatch {
			gone := map[int64]bool{}
			for _, id := range ids {
				gone[id] = true
			}
			h.snaps = slices.DeleteFunc(h.snaps, func(s icetable.Snapshot) bool { return gone[s.SnapshotID] })
		}
		most = max(most, len(h.snaps))
	}
	if most > bound {
		t.Fatalf("the history reached %d snapshots, want at most %d", most, bound)
	}
	// The end state, thinned once more without a batch.
	now := time.UnixMilli(h.snaps[len(h.snaps)-1].TimestampMs)
	gone := map[int64]bool{}
	for _, id := range thinPlan(h, now, th) {
		gone[id] = true
	}
	h.snaps = slices.DeleteFunc(h.snaps, func(s icetable.Snapshot) bool { return gone[s.SnapshotID] })
	window, perInterval := 0, map[int64]int{}
	for _, s := range h.snaps {
		if s.TimestampMs >= now.Add(-th.after).UnixMilli() {
			window++
		} else {
			perInterval[s.TimestampMs/th.interval.Milliseconds()]++
		}
	}
	if window != int(th.after/time.Second)+1 {
		t.Fatalf("%d snapshots in the last %s, want every one", window, th.after)
	}
	for b, n := range perInterval {
		if n != 1 {
			t.Fatalf("interval %d keeps %d snapshots, want 1", b, n)
		}
	}
	if want := int((day - th.after) / th.interval); len(perInterval) < want {
		t.Fatalf("%d intervals keep a snapshot, want %d", len(perInterval), want)
	}
	t.Logf("a day of 1 s commits: at most %d snapshots, %d at the end (%d in the window)", most, len(h.snaps), window)
}

// TestThinnedHistoryReadsAndTimeTravels: half an hour of one-second snapshots
// (synthesised, each reading the first commit's rows) and three real
// commits, thinned with the defaults: the full-resolution window and one
// snapshot per interval before it are kept, metadata.json shrinks, the
// head reads every row, a kept old snapshot reads the first commit's
// rows in iceberg-go and PyIceberg (time travel by id), the snapshot log
// names kept snapshots only, and ingest resumes where it was.
func TestThinnedHistoryReadsAndTimeTravels(t *testing.T) {
	python := testpy.PyIceberg(t)
	ctx := context.Background()
	cat, url := newCatalogURL(t)
	tbl, err := iceberg.Open(ctx, cat, orders, iceberg.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := newWriter(t, tbl).commit(2, 3); err != nil {
		t.Fatal(err)
	}
	first := byPosition(readRows(t, tbl.Iceberg(), 0))
	const n = 1800
	grown, err := synthhist.Grow(ctx, cat, orders, n, time.Second, time.Now().Add(-time.Second))
	if err != nil {
		t.Fatal(err)
	}
	before := fileSize(t, grown.MetadataLocation())
	tbl, err = iceberg.Open(ctx, cat, orders, iceberg.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := newWriter(t, tbl)
	for range 3 {
		if err := w.commit(2, 3); err != nil {
			t.Fatal(err)
		}
	}
	pre := tbl.Iceberg().Metadata()
	start := time.Now()
	rep, err := Run(ctx, cat, orders, Options{NoCompact: true})
	if err != nil {
		t.Fatal(err)
	}
	end := time.Now()
	t.Log(rep)
	after, err := cat.LoadTable(ctx, orders)
	if err != nil {
		t.Fatal(err)
	}
	md := after.Metadata()
	kept := len(md.Snapshots())
	// Every snapshot of the window is kept, and the newest of each
	// interval before it.
	ivl := DefaultThinInterval.Milliseconds()
	newest := map[int64]int64{}
	for _, s := range pre.Snapshots() {
		newest[s.TimestampMs/ivl] = max(newest[s.TimestampMs/ivl], s.TimestampMs)
	}
	for _, s := range pre.Snapshots() {
		in := md.SnapshotByID(s.SnapshotID) != nil
		switch {
		case s.TimestampMs >= end.Add(-DefaultThinAfter).UnixMilli() && !in:
			t.Fatalf("snapshot %d, %s old, of the window was thinned", s.SnapshotID, time.Since(time.UnixMilli(s.TimestampMs)))
		case s.TimestampMs >= start.Add(-DefaultThinAfter).UnixMilli():
		case in != (newest[s.TimestampMs/ivl] == s.TimestampMs):
			t.Fatalf("snapshot %d, %s old, kept %v; the newest of its interval? %v", s.SnapshotID,
				time.Since(time.UnixMilli(s.TimestampMs)), in, !in)
		}
	}
	if rep.SnapshotsThinned != len(pre.Snapshots())-kept || kept > int(DefaultThinAfter/time.Second)+3+int(n*time.Second/DefaultThinInterval)+1 {
		t.Fatalf("thinned %d of %d, kept %d", rep.SnapshotsThinned, len(pre.Snapshots()), kept)
	}
	if sz := fileSize(t, after.MetadataLocation()); sz*5 > before {
		t.Fatalf("metadata.json %d B after thinning, %d B before", sz, before)
	}
	checkSnapshotLog(t, md)
	// The tag that keeps Java's cleanup off the incremental path: on the
	// newest snapshot kept before the window.
	tag := md.SnapshotByID(refSnapshot(t, md, TagThinned))
	if tag == nil || tag.TimestampMs >= end.Add(-DefaultThinAfter).UnixMilli() {
		t.Fatalf("%s on %v, want a kept snapshot older than the window", TagThinned, tag)
	}
	for _, s := range md.Snapshots() {
		if s.TimestampMs < start.Add(-DefaultThinAfter).UnixMilli() && s.TimestampMs > tag.TimestampMs {
			t.Fatalf("%s on %d, but %d is newer and also before the window", TagThinned, tag.SnapshotID, s.SnapshotID)
		}
	}
	checkComplete(t, readRows(t, after, 0), w.next)
	var old *icetable.Snapshot
	for _, s := range md.Snapshots() {
		if old == nil || s.TimestampMs < old.TimestampMs {
			old = &s
		}
	}
	if age := time.Since(time.UnixMilli(old.TimestampMs)); age < 2*DefaultThinAfter {
		t.Fatalf("the oldest kept snapshot is %s old, want one well before the window", age)
	}
	if got := byPosition(readRows(t, after, old.SnapshotID)); !slices.Equal(got, first) {
		t.Fatalf("snapshot %d (kept, %s old) reads %d rows, want the first commit's %d", old.SnapshotID,
			time.Since(time.UnixMilli(old.TimestampMs)).Round(time.Second), len(got), len(first))
	}
	out, err := exec.Command(python, "-c", scanScript, url, "kafka.orders", fmt.Sprint(old.SnapshotID)).CombinedOutput()
	if err != nil {
		t.Fatalf("pyiceberg scan of snapshot %d: %v\n%s", old.SnapshotID, err, out)
	}
	var rows [][]any
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatalf("pyiceberg output: %v\n%s", err, out)
	}
	if len(rows) != len(first) {
		t.Fatalf("pyiceberg reads %d rows at snapshot %d, want %d", len(rows), old.SnapshotID, len(first))
	}
	for i, r := range rows {
		if p, o := int32(r[0].(float64)), int64(r[1].(float64)); p != first[i].part || o != first[i].off {
			t.Fatalf("pyiceberg row %d at %d/%d, want %d/%d", i, p, o, first[i].part, first[i].off)
		}
	}
	checkResumesAt(t, cat, w.next)
}

func fileSize(t testing.TB, loc string) int64 {
	t.Helper()
	st, err := os.Stat(strings.TrimPrefix(loc, "file://"))
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// TestThinPlanKeepsResumePointBranchesAndMinSnapshots: thinning never
// takes the main branch's snapshots down to the newest with
// tributary.offsets (here behind a manifest merge, which carries none,
// and older than the window), the first min-snapshots-to-keep of a
// branch, another branch's history, or a tag; of the rest, the newest of
// each interval stays.
func TestThinPlanKeepsResumePointBranchesAndMinSnapshots(t *testing.T) {
	const min = 60_000
	t0 := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC).UnixMilli()
	var h history
	add := func(id, parent int64, at int64, offsets bool) {
		s := icetable.Snapshot{SnapshotID: id, SequenceNumber: id, TimestampMs: t0 + at*min, Summary: &icetable.Summary{Operation: icetable.OpAppend}}
		if parent != 0 {
			s.ParentSnapshotID = &parent
		}
		if offsets {
			s.Summary.Properties = map[string]string{iceberg.PropOffsets: "{}"}
		}
		h.snaps = append(h.snaps, s)
	}
	// main: 1..20 a minute apart, then 21 (a manifest merge, no offsets)
	// and 22 (no offsets either, say another engine's), both old too.
	for i := int64(1); i <= 20; i++ {
		add(i, i-1, i, true)
	}
	add(21, 20, 21, false)
	add(22, 21, 22, false)
	// branch "b" forked at 5: 31, 32.
	add(31, 5, 6, false)
	add(32, 31, 7, false)
	h.refs = map[string]icetable.SnapshotRef{
		icetable.MainBranch: {SnapshotID: 22, SnapshotRefType: icetable.BranchRef},
		"b":                 {SnapshotID: 32, SnapshotRefType: icetable.BranchRef},
		"t":                 {SnapshotID: 8, SnapshotRefType: icetable.TagRef},
	}
	h.minKeep = 1
	now := time.UnixMilli(t0 + 60*min)
	th := thinning{after: 10 * time.Minute, interval: 10 * time.Minute}
	plan := func() []int64 {
		ids := thinPlan(h, now, th)
		slices.Sort(ids)
		return ids
	}
	// Intervals [0,10) [10,20) [20,30) minutes: newest 9, 19, and 22
	// (the head). Kept besides: 20 (resume point), 21, 22, tag 8, branch
	// b's 31, 32 and its ancestors 1-5.
	want := []int64{6, 7, 10, 11, 12, 13, 14, 15, 16, 17, 18}
	if got := plan(); !slices.Equal(got, want) {
		t.Fatalf("thinned %v, want %v", got, want)
	}
	// min-snapshots-to-keep 5 on main keeps 18-22; the branch's own
	// setting wins over the table's.
	h.minKeep = 5
	want = []int64{6, 7, 10, 11, 12, 13, 14, 15, 16, 17}
	if got := plan(); !slices.Equal(got, want) {
		t.Fatalf("min-snapshots-to-keep 5: thinned %v, want %v", got, want)
	}
	two := 2
	main := h.refs[icetable.MainBranch]
	main.MinSnapshotsToKeep = &two
	h.refs[icetable.MainBranch] = main
	want = []int64{6, 7, 10, 11, 12, 13, 14, 15, 16, 17, 18}
	if got := plan(); !slices.Equal(got, want) {
		t.Fatalf("main's min-snapshots-to-keep 2: thinned %v, want %v", got, want)
	}
	// A snapshot is never thinned inside the window.
	now = time.UnixMilli(t0 + 19*min + min/2)
	h.minKeep = 1
	main.MinSnapshotsToKeep = nil
	h.refs[icetable.MainBranch] = main
	want = []int64{6, 7}
	if got := plan(); !slices.Equal(got, want) {
		t.Fatalf("window from minute 9.5: thinned %v, want %v", got, want)
	}
}

// TestThinWaitsForABatch: fewer thinnable snapshots than ThinBatch (a
// Runner's 60) wait for a later run instead of costing a metadata
// rewrite each; then they go in one commit.
func TestThinWaitsForABatch(t *testing.T) {
	ctx := context.Background()
	cat := newCatalog(t)
	tbl, err := iceberg.Open(ctx, cat, orders, iceberg.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := newWriter(t, tbl)
	for range 6 {
		if err := w.commit(2, 3); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(5 * time.Millisecond)
	opts := Options{NoCompact: true, ThinAfter: time.Millisecond, ThinInterval: 1 << 50, ThinBatch: 6}
	rep, err := Run(ctx, cat, orders, opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.SnapshotsThinned != 0 || rep.After.Snapshots != 6 {
		t.Fatalf("5 thinnable snapshots, a batch of 6: %s", rep)
	}
	opts.ThinBatch = 5
	if rep, err = Run(ctx, cat, orders, opts); err != nil {
		t.Fatal(err)
	}
	if rep.SnapshotsThinned != 5 || rep.After.Snapshots != 1 {
		t.Fatalf("5 thinnable snapshots, a batch of 5: %s", rep)
	}
	after, err := cat.LoadTable(ctx, orders)
	if err != nil {
		t.Fatal(err)
	}
	checkComplete(t, readRows(t, after, 0), w.next)
}
