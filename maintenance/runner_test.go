package maintenance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	icecatalog "github.com/apache/iceberg-go/catalog"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tributary-io/tributary/iceberg"
)

// failingRelease grants every lease and fails every release, as a
// metadata store that went away mid-run does.
type failingRelease struct{ released atomic.Int32 }

func (l *failingRelease) AcquireLease(context.Context, string, string, time.Duration) (bool, error) {
	return true, nil
}

func (l *failingRelease) ReleaseLease(context.Context, string, string) error {
	l.released.Add(1)
	return errors.New("metadata store unavailable")
}

// runLeased used to drop ReleaseLease's error: a lease left held until its
// TTL (the table's next run waits for it) said nothing in the log.
func TestRunnerLogsAFailedLeaseRelease(t *testing.T) {
	ctx := context.Background()
	cat := newCatalog(t)
	tbl, err := iceberg.Open(ctx, cat, orders, iceberg.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := newWriter(t, tbl)
	for range 3 {
		if err := w.commit(1, 1); err != nil {
			t.Fatal(err)
		}
	}
	var logged bytes.Buffer
	leases := &failingRelease{}
	r, err := NewRunner(RunnerOptions{
		Leases:  leases,
		Holder:  "broker-1",
		Catalog: func(context.Context, string) (icecatalog.Catalog, error) { return cat, nil },
		Tables:  func() []TableRef { return nil },
		Logger:  slog.New(slog.NewTextHandler(&logged, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.runLeased(ctx, TableRef{Catalog: "lake", Table: "kafka.orders"}, cat, orders); err != nil {
		t.Fatal(err)
	}
	if n := leases.released.Load(); n != 1 {
		t.Fatalf("%d releases, want 1", n)
	}
	for _, want := range []string{"maintenance: release lease", "lease=maintenance/lake/kafka.orders", "metadata store unavailable"} {
		if !strings.Contains(logged.String(), want) {
			t.Fatalf("log lacks %q:\n%s", want, logged.String())
		}
	}
}

// grantAll grants every lease and releases quietly.
type grantAll struct{}

func (grantAll) AcquireLease(context.Context, string, string, time.Duration) (bool, error) {
	return true, nil
}

func (grantAll) ReleaseLease(context.Context, string, string) error { return nil }

// TestRunnerSweepsOrphansOncePerInterval: the orphan pass lists every
// file of the table and reads every snapshot's manifests; run at every
// compaction (every few seconds under ingest) it cost more than the
// compactions themselves (17 s runs in the steady-state bench). The first
// run sweeps, later ones within Interval do not, and compaction still
// runs.
func TestRunnerSweepsOrphansOncePerInterval(t *testing.T) {
	ctx := context.Background()
	cat := newCatalog(t)
	tbl, err := iceberg.Open(ctx, cat, orders, iceberg.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := newWriter(t, tbl)
	ref := TableRef{Catalog: "lake", Table: "kafka.orders"}
	r, err := NewRunner(RunnerOptions{
		Leases: grantAll{}, Holder: "broker-1",
		Catalog:  func(context.Context, string) (icecatalog.Catalog, error) { return cat, nil },
		Tables:   func() []TableRef { return []TableRef{ref} },
		Interval: time.Hour, SmallFiles: 3,
		Run: Options{RemoveOrphans: true, OrphanOlderThan: time.Hour, NoExpire: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	orphan := func(name string) string {
		t.Helper()
		dir := strings.TrimPrefix(tbl.Iceberg().Location(), "file://") + "/data"
		p := dir + "/" + name
		if err := os.WriteFile(p, []byte("stray"), 0o644); err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-100 * time.Hour)
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for round, wantSwept := range []bool{true, false} {
		for range 4 {
			if err := w.commit(2, 5); err != nil {
				t.Fatal(err)
			}
		}
		p := orphan(fmt.Sprintf("stray-%d.parquet", round))
		r.CheckAll(ctx)
		st := r.Status()
		if len(st) != 1 || st[0].Runs != int64(round+1) || st[0].LastRun == nil || st[0].LastRun.FilesRewritten == 0 {
			t.Fatalf("round %d: status %+v: want a run that compacted", round, st)
		}
		_, err := os.Stat(p)
		if swept := errors.Is(err, os.ErrNotExist); swept != wantSwept {
			t.Fatalf("round %d: stray file swept %v, want %v (report %s)", round, swept, wantSwept, st[0].LastRun)
		}
	}
}

// A check that found no table yet (maintenance checks a topic's table
// before ingest's first commit creates it) left its NoSuchTable error on
// /-/tables and the status page after the table appeared and was counted.
func TestRunnerClearsACheckErrorOnceTheTableLoads(t *testing.T) {
	ctx := context.Background()
	cat := newCatalog(t)
	ref := TableRef{Catalog: "lake", Table: "kafka.orders"}
	r, err := NewRunner(RunnerOptions{
		Leases:  &failingRelease{},
		Holder:  "broker-1",
		Catalog: func(context.Context, string) (icecatalog.Catalog, error) { return cat, nil },
		Tables:  func() []TableRef { return []TableRef{ref} },
		Logger:  slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	r.CheckAll(ctx)
	if st := r.Status(); len(st) != 1 || !strings.Contains(st[0].LastError, "does not exist") {
		t.Fatalf("before the table exists: %+v; want its check error", st)
	}
	if _, err := iceberg.Open(ctx, cat, orders, iceberg.Options{}); err != nil {
		t.Fatal(err)
	}
	r.CheckAll(ctx)
	if st := r.Status(); len(st) != 1 || st[0].LastError != "" || st[0].CheckedAt.IsZero() {
		t.Fatalf("after a successful check: %+v; want no error", st)
	}
}

// Checks come every CheckInterval (2 s by default since the steady-state
// bench: a table ingest commits to every second needs compaction within
// seconds), and counting a table's small files reads all its manifests.
// A check of a table still at the snapshot the last check counted reuses
// that count; a commit makes the next check count again; the totals of
// what runs rewrote add up over runs.
func TestRunnerCountsOnlyATableThatMoved(t *testing.T) {
	ctx := context.Background()
	cat := newCatalog(t)
	tbl, err := iceberg.Open(ctx, cat, orders, iceberg.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := newWriter(t, tbl)
	var counts atomic.Int32
	testCounting = func() { counts.Add(1) }
	t.Cleanup(func() { testCounting = nil })
	ref := TableRef{Catalog: "lake", Table: "kafka.orders"}
	r, err := NewRunner(RunnerOptions{
		Leases: grantAll{}, Holder: "broker-1",
		Catalog: func(context.Context, string) (icecatalog.Catalog, error) { return cat, nil },
		Tables:  func() []TableRef { return []TableRef{ref} },
		// Never due: the checks alone are counted.
		Interval: time.Hour, SmallFiles: 1000,
		Run: Options{NoExpire: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	r.started = time.Now() // as Start sets it: Interval counts from there
	if err := w.commit(1, 3); err != nil {
		t.Fatal(err)
	}
	check := func(wantCounts int32, wantFiles int) {
		t.Helper()
		r.CheckAll(ctx)
		st := r.Status()
		if len(st) != 1 || st[0].DataFiles != wantFiles || st[0].LastError != "" {
			t.Fatalf("status %+v, want %d data files, no error", st, wantFiles)
		}
		if n := counts.Load(); n != wantCounts {
			t.Fatalf("%d counts, want %d", n, wantCounts)
		}
	}
	check(1, 1)
	check(1, 1) // unchanged: the count is reused
	check(1, 1)
	if err := w.commit(1, 3); err != nil {
		t.Fatal(err)
	}
	check(2, 2) // moved: counted again

	// Totals: two runs, each rewriting what ingest added since.
	r.opts.SmallFiles = 2
	var want Report
	for range 2 {
		for range 3 {
			if err := w.commit(1, 3); err != nil {
				t.Fatal(err)
			}
		}
		r.CheckAll(ctx)
		st := r.Status()
		if len(st) != 1 || st[0].LastRun == nil || st[0].LastRun.FilesRewritten == 0 {
			t.Fatalf("status %+v, want a run that compacted", st)
		}
		want.FilesRewritten += st[0].LastRun.FilesRewritten
		want.BytesRewritten += st[0].LastRun.BytesRewritten
		want.FilesWritten += st[0].LastRun.FilesWritten
		want.BytesWritten += st[0].LastRun.BytesWritten
	}
	st := r.Status()[0]
	if st.Runs != 2 || st.FilesRewrittenTotal != int64(want.FilesRewritten) || st.BytesRewrittenTotal != want.BytesRewritten ||
		st.FilesWrittenTotal != int64(want.FilesWritten) || st.BytesWrittenTotal != want.BytesWritten {
		t.Fatalf("totals %+v, want the sum of two runs %+v", st, want)
	}
	// And as counters on /metrics.
	for name, c := range map[string]struct {
		help string
		v    int64
	}{
		"tributary_iceberg_maintenance_bytes_rewritten_total": {"Bytes of data files this broker's maintenance rewrote (read and replaced).", want.BytesRewritten},
		"tributary_iceberg_maintenance_bytes_written_total":   {"Bytes of data files this broker's maintenance wrote.", want.BytesWritten},
	} {
		exp := fmt.Sprintf("# HELP %s %s\n# TYPE %s counter\n%s{catalog=%q,table=%q} %d\n", name, c.help, name, name, st.Catalog, st.Table, c.v)
		if err := testutil.CollectAndCompare(r, strings.NewReader(exp), name); err != nil {
			t.Fatal(err)
		}
	}
}
