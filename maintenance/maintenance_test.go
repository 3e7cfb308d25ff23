package maintenance

import (
	"context"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	icerest "github.com/apache/iceberg-go/catalog/rest"
	icetable "github.com/apache/iceberg-go/table"

	"github.com/tributary-io/tributary/iceberg"
)

var orders = icetable.Identifier{"kafka", "orders"}

// TestCompactManySmallFiles: two hundred small commits (a 300 ms commit
// interval for a minute) become one file per table partition, with every
// row identical and the rows in (kafka.partition, kafka.offset) order;
// the replace snapshot carries the table's offsets.
func TestCompactManySmallFiles(t *testing.T) {
	ctx := context.Background()
	cat := newCatalog(t)
	tbl, err := iceberg.Open(ctx, cat, orders, iceberg.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := newWriter(t, tbl)
	for range 200 {
		if err := w.commit(3, 2); err != nil {
			t.Fatal(err)
		}
	}
	before := tbl.Iceberg()
	wantRows := byPosition(readRows(t, before, 0))
	checkComplete(t, wantRows, w.next)

	rep, err := Run(ctx, cat, orders, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rep)
	if rep.Before.DataFiles < 200 || rep.After.DataFiles*10 > rep.Before.DataFiles {
		t.Fatalf("files %d → %d: want at least 10× fewer", rep.Before.DataFiles, rep.After.DataFiles)
	}
	after, err := cat.LoadTable(ctx, orders)
	if err != nil {
		t.Fatal(err)
	}
	cur := after.CurrentSnapshot()
	if cur.Summary.Operation != icetable.OpReplace {
		t.Fatalf("compaction snapshot is %q, want replace", cur.Summary.Operation)
	}
	if got := cur.Summary.Properties[iceberg.PropOffsets]; got != iceberg.EncodeOffsets(w.next) {
		t.Fatalf("replace snapshot offsets %q, want %q", got, iceberg.EncodeOffsets(w.next))
	}
	// The replace snapshot's manifests replace the two hundred of the
	// appends.
	fs, err := after.FS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ms, err := cur.Manifests(fs); err != nil || len(ms) > 3 {
		t.Fatalf("%d manifests after compaction (%v), want at most 3", len(ms), err)
	}
	gotRows := readRows(t, after, 0)
	if !slices.IsSortedFunc(gotRows, func(a, b row) int {
		if a.part != b.part {
			return int(a.part - b.part)
		}
		return int(a.off - b.off)
	}) {
		t.Fatal("compacted rows are not in (kafka.partition, kafka.offset) order")
	}
	if len(gotRows) != len(wantRows) {
		t.Fatalf("%d rows after, %d before", len(gotRows), len(wantRows))
	}
	for i := range gotRows {
		if gotRows[i] != wantRows[i] {
			t.Fatalf("row %d differs:\nbefore %+v\nafter  %+v", i, wantRows[i], gotRows[i])
		}
	}

	// Ingest resumes from the replace snapshot's offsets.
	if again := checkResumesAt(t, cat, w.next); again.OffsetsSource() != iceberg.FromSnapshot {
		t.Fatalf("resume point from %s, want from the snapshot", again.OffsetsSource())
	}

	// A second run finds nothing to do.
	rep2, err := Run(ctx, cat, orders, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep2.Groups != 0 || rep2.After.DataFiles != rep.After.DataFiles {
		t.Fatalf("second run rewrote %d groups: %s", rep2.Groups, rep2)
	}
}

// TestCompactWhileIngesting: a writer commits as fast as it can while
// compaction runs again and again; no row is lost or duplicated, and the
// offsets along the main branch never go back.
func TestCompactWhileIngesting(t *testing.T) {
	ctx := context.Background()
	cat := newCatalog(t)
	tbl, err := iceberg.Open(ctx, cat, orders, iceberg.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := newWriter(t, tbl)
	for range 20 {
		if err := w.commit(3, 5); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var ingestErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		deadline := time.Now().Add(20 * time.Second)
		for i := 0; i < 150 && time.Now().Before(deadline); i++ {
			if err := w.commit(3, 5); err != nil {
				ingestErr = err
				break
			}
		}
		close(stop)
	}()
	runs, rewrites := 0, 0
	for done := false; !done; {
		select {
		case <-stop:
			done = true
		default:
		}
		rep, err := Run(ctx, cat, orders, Options{MinInputFiles: 2})
		if err != nil {
			t.Fatalf("maintenance run %d: %v", runs, err)
		}
		runs++
		if rep.Groups > 0 {
			rewrites++
		}
	}
	wg.Wait()
	if ingestErr != nil {
		t.Fatalf("ingest: %v", ingestErr)
	}
	if rewrites < 2 {
		t.Fatalf("only %d of %d runs rewrote anything: the test did not overlap ingest", rewrites, runs)
	}
	final, err := cat.LoadTable(ctx, orders)
	if err != nil {
		t.Fatal(err)
	}
	checkComplete(t, readRows(t, final, 0), w.next)
	// Offsets never go back along the main branch, replace snapshots
	// included. Only a manifest merge (a replace that adds and deletes no
	// data file) may carry none: ReadOffsets walks to its parent, which
	// has the same rows.
	var chain []map[int32]int64
	for s := final.CurrentSnapshot(); s != nil; {
		v, ok := s.Summary.Properties[iceberg.PropOffsets]
		switch {
		case ok:
			chain = append(chain, decode(t, v))
		case s.Summary.Operation == icetable.OpReplace && s.Summary.Properties["added-data-files"] == "" && s.Summary.Properties["deleted-data-files"] == "":
		default:
			t.Fatalf("snapshot %d (%s, %v) carries no offsets", s.SnapshotID, s.Summary.Operation, s.Summary.Properties)
		}
		if s.ParentSnapshotID == nil {
			break
		}
		s = final.SnapshotByID(*s.ParentSnapshotID)
	}
	for i := 1; i < len(chain); i++ {
		for p, o := range chain[i] {
			if chain[i-1][p] < o {
				t.Fatalf("offsets went back from %v to %v", chain[i], chain[i-1])
			}
		}
	}
	if !maps.Equal(chain[0], w.next) {
		t.Fatalf("head offsets %v, want %v", chain[0], w.next)
	}
	t.Logf("%d maintenance runs, %d rewrote; %d snapshots on main", runs, rewrites, len(chain))
}

func decode(t testing.TB, v string) map[int32]int64 {
	t.Helper()
	tbl := map[int32]int64{}
	var raw map[string]int64
	if err := jsonUnmarshal(v, &raw); err != nil {
		t.Fatal(err)
	}
	for k, o := range raw {
		var p int32
		for _, c := range k {
			p = p*10 + int32(c-'0')
		}
		tbl[p] = o
	}
	return tbl
}

// TestExpiryAndOrphansKeepTaggedFiles: a tagged snapshot's files survive
// compaction, expiry of everything else and an orphan pass with no
// window; the tag still reads the same rows, and the head too.
func TestExpiryAndOrphansKeepTaggedFiles(t *testing.T) {
	ctx := context.Background()
	cat := newCatalog(t)
	tbl, err := iceberg.Open(ctx, cat, orders, iceberg.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := newWriter(t, tbl)
	for range 10 {
		if err := w.commit(2, 3); err != nil {
			t.Fatal(err)
		}
	}
	tagged := tbl.Iceberg().CurrentSnapshot().SnapshotID
	if _, _, err := cat.CommitTable(ctx, orders, nil, []icetable.Update{
		icetable.NewSetSnapshotRefUpdate("audit", tagged, icetable.TagRef, 0, 0, 0)}); err != nil {
		t.Fatal(err)
	}
	taggedRows := byPosition(readRows(t, tbl.Iceberg(), tagged))
	for range 5 {
		if err := w.commit(2, 3); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(10 * time.Millisecond)
	rep, err := Run(ctx, cat, orders, Options{ExpireOlderThan: time.Millisecond, RemoveOrphans: true, OrphanOlderThan: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rep)
	if rep.SnapshotsExpired == 0 || rep.Groups == 0 {
		t.Fatalf("nothing expired or compacted: %s", rep)
	}
	after, err := cat.LoadTable(ctx, orders)
	if err != nil {
		t.Fatal(err)
	}
	if after.SnapshotByID(tagged) == nil {
		t.Fatal("the tagged snapshot was expired")
	}
	if n := len(after.Metadata().Snapshots()); n != 2 {
		t.Fatalf("%d snapshots kept, want the head and the tag", n)
	}
	got := byPosition(readRows(t, after, tagged))
	if !slices.Equal(got, taggedRows) {
		t.Fatalf("the tag reads %d rows, %d when tagged", len(got), len(taggedRows))
	}
	checkComplete(t, readRows(t, after, 0), w.next)
}

// TestCompactCommitRacesIngest: ingest commits between the rewrite's
// staging and its commit. The rewrite must land on top of ingest's
// snapshot carrying ingest's newer offsets; a replace snapshot replayed
// onto the new head with the offsets it read first would send ingest
// back to them (duplicates on the next restart).
//
// The table asks iceberg-go to retry conflicting commits (as Java's
// default does), which replays a commit onto the new head: the rewrite
// must not be replayed.
func TestCompactCommitRacesIngest(t *testing.T) {
	ctx := context.Background()
	cat := newCatalog(t)
	tbl, err := iceberg.Open(ctx, cat, orders, iceberg.Options{Properties: map[string]string{icetable.CommitNumRetriesKey: "4"}})
	if err != nil {
		t.Fatal(err)
	}
	w := newWriter(t, tbl)
	for range 10 {
		if err := w.commit(2, 3); err != nil {
			t.Fatal(err)
		}
	}
	races := 0
	testNoGate = true // ingest in another process: the commits race
	t.Cleanup(func() { testNoGate = false })
	testBeforeCommit = func() {
		if races < 2 {
			races++
			if err := w.commit(2, 3); err != nil {
				t.Error(err)
			}
		}
	}
	t.Cleanup(func() { testBeforeCommit = nil })
	// No manifest merge after the rewrite: its replace snapshot (which
	// carries no offsets of its own) would be the head looked at below.
	scans := testLiveScans.Load()
	rep, err := Run(ctx, cat, orders, Options{NoExpire: true, MinManifests: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Groups == 0 || races == 0 {
		t.Fatalf("groups %d, races %d", rep.Groups, races)
	}
	if testLiveScans.Load() == scans {
		t.Fatal("the head moved and the rewrite's files were not checked against it")
	}
	after, err := cat.LoadTable(ctx, orders)
	if err != nil {
		t.Fatal(err)
	}
	cur := after.CurrentSnapshot()
	if cur.Summary.Operation != icetable.OpReplace {
		t.Fatalf("head is %s, want the replace", cur.Summary.Operation)
	}
	if got := cur.Summary.Properties[iceberg.PropOffsets]; got != iceberg.EncodeOffsets(w.next) {
		t.Fatalf("replace snapshot offsets %s, want ingest's latest %s", got, iceberg.EncodeOffsets(w.next))
	}
	checkComplete(t, readRows(t, after, 0), w.next)
	checkResumesAt(t, cat, w.next)
}

// TestCompactCommitReadsNoManifestsOnAnUnmovedHead: the rewrite's commit
// scanned every manifest of the head to check its input files were
// still live, also when the head was the very snapshot they were planned
// on (then they are, by construction): one more scan of the whole
// table's metadata per run.
func TestCompactCommitReadsNoManifestsOnAnUnmovedHead(t *testing.T) {
	ctx := context.Background()
	cat := newCatalog(t)
	tbl, err := iceberg.Open(ctx, cat, orders, iceberg.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := newWriter(t, tbl)
	for range 10 {
		if err := w.commit(2, 3); err != nil {
			t.Fatal(err)
		}
	}
	scans := testLiveScans.Load()
	rep, err := Run(ctx, cat, orders, Options{NoExpire: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Groups == 0 {
		t.Fatalf("nothing compacted: %s", rep)
	}
	if n := testLiveScans.Load() - scans; n != 0 {
		t.Fatalf("%d liveness scans of an unmoved head, want 0", n)
	}
	after, err := cat.LoadTable(ctx, orders)
	if err != nil {
		t.Fatal(err)
	}
	checkComplete(t, readRows(t, after, 0), w.next)
}

// failNextCommit is a reverse proxy that, once armed, forwards the next
// table commit and answers 500 in its place: the commit landed, its
// answer was lost.
type failNextCommit struct {
	armed atomic.Bool
	hits  atomic.Int32
	proxy *httputil.ReverseProxy
}

func (f *failNextCommit) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	isCommit := r.Method == http.MethodPost && strings.Contains(r.URL.Path, "/tables/") && !strings.HasSuffix(r.URL.Path, "/metrics")
	if !isCommit || !f.armed.CompareAndSwap(true, false) {
		f.proxy.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	f.proxy.ServeHTTP(rec, r)
	if rec.Code == http.StatusOK {
		f.hits.Add(1)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusInternalServerError)
	io.WriteString(w, `{"error":{"message":"injected after commit","type":"ServerError","code":500}}`)
}

// TestCompactCommitAnswerLost: the rewrite's commit lands but its answer
// is a 500. Compaction must find its files in the table and stop there,
// not remove them (the table would lose its rows) nor commit again.
func TestCompactCommitAnswerLost(t *testing.T) {
	ctx := context.Background()
	_, target := newCatalogURL(t)
	u, _ := url.Parse(target)
	f := &failNextCommit{proxy: httputil.NewSingleHostReverseProxy(u)}
	ts := httptest.NewServer(f)
	t.Cleanup(ts.Close)
	cat, err := icerest.NewCatalog(ctx, "test", ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := iceberg.Open(ctx, cat, orders, iceberg.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := newWriter(t, tbl)
	for range 10 {
		if err := w.commit(2, 3); err != nil {
			t.Fatal(err)
		}
	}
	testBeforeCommit = func() { f.armed.Store(true) }
	t.Cleanup(func() { testBeforeCommit = nil })
	rep, err := Run(ctx, cat, orders, Options{NoExpire: true})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if f.hits.Load() != 1 || rep.FilesWritten == 0 {
		t.Fatalf("injected %d lost answers; report %s", f.hits.Load(), rep)
	}
	after, err := cat.LoadTable(ctx, orders)
	if err != nil {
		t.Fatal(err)
	}
	replaces := 0
	for _, s := range after.Metadata().Snapshots() {
		if s.Summary.Operation == icetable.OpReplace {
			replaces++
		}
	}
	if replaces != 1 {
		t.Fatalf("%d replace snapshots, want 1", replaces)
	}
	checkComplete(t, readRows(t, after, 0), w.next)
}

// TestCompactCommitsBesideFastIngest: ingest in the same process commits
// as fast as it can while a rewrite's staging takes longer than the time
// between two of its commits. Each commit attempt of the rewrite used to
// find the head moved and lost every time ("rewrite not committed"
// after all its attempts: the steady-state bench's table grew to 120
// files); the table's commit gate holds ingest off for one attempt, so
// the rewrite lands, ingest keeps committing, and no row is lost.
func TestCompactCommitsBesideFastIngest(t *testing.T) {
	ctx := context.Background()
	cat := newCatalog(t)
	tbl, err := iceberg.Open(ctx, cat, orders, iceberg.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := newWriter(t, tbl)
	for range 8 {
		if err := w.commit(2, 3); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	done := make(chan int)
	go func() {
		n := 0
		defer func() { done <- n }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := w.commit(2, 3); err != nil {
				t.Error(err)
				return
			}
			n++
		}
	}()
	testBeforeCommit = func() { time.Sleep(300 * time.Millisecond) } // slower than an ingest commit
	t.Cleanup(func() { testBeforeCommit = nil })
	rep, err := Run(ctx, cat, orders, Options{NoExpire: true, MinManifests: 1000, CommitAttempts: 3})
	close(stop)
	ingested := <-done
	if err != nil {
		t.Fatalf("run beside ingest (%d commits meanwhile): %v", ingested, err)
	}
	if rep.Groups == 0 || ingested == 0 {
		t.Fatalf("report %s, %d ingest commits meanwhile: want a rewrite beside ingest", rep, ingested)
	}
	after, err := cat.LoadTable(ctx, orders)
	if err != nil {
		t.Fatal(err)
	}
	checkComplete(t, readRows(t, after, 0), w.next)
	checkResumesAt(t, cat, w.next)
}

// TestExpireRetriesWhenIngestCommits: ingest commits between expiry's
// staging and its commit; expiry is redone on the new head instead of
// failing the run.
func TestExpireRetriesWhenIngestCommits(t *testing.T) {
	ctx := context.Background()
	cat := newCatalog(t)
	tbl, err := iceberg.Open(ctx, cat, orders, iceberg.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := newWriter(t, tbl)
	for range 5 {
		if err := w.commit(2, 3); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(5 * time.Millisecond)
	races := 0
	testBeforeCommit = func() {
		if races == 0 {
			races++
			if err := w.commit(2, 3); err != nil {
				t.Error(err)
			}
		}
	}
	t.Cleanup(func() { testBeforeCommit = nil })
	rep, err := Run(ctx, cat, orders, Options{NoCompact: true, ExpireOlderThan: time.Millisecond})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if races != 1 || rep.SnapshotsExpired == 0 {
		t.Fatalf("races %d: %s", races, rep)
	}
	after, err := cat.LoadTable(ctx, orders)
	if err != nil {
		t.Fatal(err)
	}
	checkComplete(t, readRows(t, after, 0), w.next)
}

// TestRetentionDropsOldPartitions: with a retention of two days, the
// table partitions (days) of five and four days ago go, whole files
// deleted in one delete snapshot carrying the offsets; today's rows stay
// untouched, and ingest resumes where it was.
func TestRetentionDropsOldPartitions(t *testing.T) {
	ctx := context.Background()
	cat := newCatalog(t)
	tbl, err := iceberg.Open(ctx, cat, orders, iceberg.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := newWriter(t, tbl)
	now := time.Now()
	kept := map[[2]int64]bool{}
	for _, ago := range []time.Duration{5 * 24 * time.Hour, 4 * 24 * time.Hour, 0} {
		w.base = now.Add(-ago).UnixMicro() - 3_600_000_000
		for range 3 {
			from := maps.Clone(w.next)
			if err := w.commit(2, 3); err != nil {
				t.Fatal(err)
			}
			if ago == 0 {
				for p, end := range w.next {
					for o := from[p]; o < end; o++ {
						kept[[2]int64{int64(p), o}] = true
					}
				}
			}
		}
	}
	filesBefore := len(tbl.Iceberg().Metadata().Snapshots())
	rep, err := Run(ctx, cat, orders, Options{Retention: 48 * time.Hour, NoCompact: true, NoExpire: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.FilesDropped != 6 {
		t.Fatalf("%d files dropped, want the 6 of the two old days (of %d): %s", rep.FilesDropped, filesBefore, rep)
	}
	after, err := cat.LoadTable(ctx, orders)
	if err != nil {
		t.Fatal(err)
	}
	cur := after.CurrentSnapshot()
	if cur.Summary.Operation != icetable.OpDelete || cur.Summary.Properties[iceberg.PropOffsets] != iceberg.EncodeOffsets(w.next) {
		t.Fatalf("retention snapshot: %s with offsets %q", cur.Summary.Operation, cur.Summary.Properties[iceberg.PropOffsets])
	}
	if n := cur.Summary.Properties["added-data-files"]; n != "" && n != "0" {
		t.Fatalf("retention rewrote files: added-data-files %s", n)
	}
	rows := readRows(t, after, 0)
	if len(rows) != len(kept) {
		t.Fatalf("%d rows left, want today's %d", len(rows), len(kept))
	}
	for _, r := range rows {
		if !kept[[2]int64{int64(r.part), r.off}] {
			t.Fatalf("row %d/%d survived retention", r.part, r.off)
		}
	}
	checkResumesAt(t, cat, w.next)
}
