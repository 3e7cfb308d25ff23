package maintenance

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	icecatalog "github.com/apache/iceberg-go/catalog"

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
