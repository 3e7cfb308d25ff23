package housekeeping

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/internal/metastore"
)

// Start runs a pass every Interval until Stop; after Stop none runs.
// Fake time (synctest): the intervals are a minute and cost nothing, and
// synctest.Wait replaces polling.
func TestStartRunsPassesUntilStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		top := e.topic(t, "events", 1)
		pk := pkOf(top, 0)
		e.produceEach(t, pk, 5, time.Now().UnixMilli())
		cfg := testConfig()
		cfg.Interval = time.Minute
		cfg.SegmentMinAge = 0
		h, err := New(Options{Config: cfg, Logger: quietLog()}, e.meta, e.local) // the (fake) clock of the bubble
		if err != nil {
			t.Fatal(err)
		}
		h.Start()
		h.Start() // no second goroutine
		time.Sleep(cfg.Interval)
		synctest.Wait()
		if entries, _ := e.index(t, pk); len(entries) != 1 || !strings.HasPrefix(entries[0].ObjectKey, segmentPrefix) {
			t.Fatalf("no pass rewrote the partition within an interval: %v", objectKeys(entries))
		}
		h.Stop()
		h.Stop()
		e.produceEach(t, pk, 2, time.Now().UnixMilli())
		time.Sleep(10 * cfg.Interval)
		synctest.Wait()
		if entries, _ := e.index(t, pk); len(entries) != 3 {
			t.Fatalf("a pass ran after Stop: %v", objectKeys(entries))
		}
	})
}

func TestStopWithoutStart(t *testing.T) {
	e := newEnv(t)
	e.housekeeper(t, testConfig()).Stop()
}

func TestRunOnceStopsWhenContextEnds(t *testing.T) {
	e := newEnv(t)
	e.topic(t, "events", 3)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := e.housekeeper(t, testConfig()).RunOnce(ctx); err == nil {
		t.Fatalf("pass with a canceled context: no error")
	}
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	for name, mod := range map[string]func(*config.Housekeeping){
		"interval":    func(c *config.Housekeeping) { c.Interval = 0 },
		"target":      func(c *config.Housekeeping) { c.SegmentTargetBytes = 0 },
		"min age":     func(c *config.Housekeeping) { c.SegmentMinAge = -1 },
		"orphan":      func(c *config.Housekeeping) { c.OrphanGrace = 0 },
		"dead object": func(c *config.Housekeeping) { c.DeadObjectGrace = -1 },
	} {
		cfg := testConfig()
		mod(&cfg)
		if _, err := New(Options{Config: cfg}, nil, nil); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: %v, want ErrInvalidConfig", name, err)
		}
	}
}

func TestMetricsCountPasses(t *testing.T) {
	e := newEnv(t)
	top := e.topic(t, "events", 1, "retention.ms", "1000")
	pk := pkOf(top, 0)
	e.produceEach(t, pk, 3, e.clock.Now().Add(-time.Hour).UnixMilli())
	reg := prometheus.NewRegistry()
	cfg := testConfig()
	cfg.DeadObjectGrace = 0
	h, err := New(Options{Config: cfg, Registerer: reg, Now: e.clock.Now}, e.meta, e.local)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(Options{Config: cfg, Registerer: reg}, e.meta, e.local); err != nil {
		t.Fatalf("second housekeeper on one registry: %v", err)
	}
	runOnce(t, h)
	want := `
# HELP tributary_housekeeping_entries_trimmed_total Index entries removed by retention.
# TYPE tributary_housekeeping_entries_trimmed_total counter
tributary_housekeeping_entries_trimmed_total 3
# HELP tributary_housekeeping_objects_deleted_total Objects deleted, by reason: dead (no longer referenced) or orphan (never committed).
# TYPE tributary_housekeeping_objects_deleted_total counter
tributary_housekeeping_objects_deleted_total{reason="dead"} 3
tributary_housekeeping_objects_deleted_total{reason="orphan"} 0
# HELP tributary_housekeeping_passes_total Housekeeping passes run.
# TYPE tributary_housekeeping_passes_total counter
tributary_housekeeping_passes_total 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"tributary_housekeeping_entries_trimmed_total", "tributary_housekeeping_objects_deleted_total", "tributary_housekeeping_passes_total"); err != nil {
		t.Fatal(err)
	}
}

func TestIntakeTime(t *testing.T) {
	at := time.Unix(1_763_000_000, 123456789)
	for key, want := range map[string]bool{
		fmt.Sprintf("intake/%016x-3-abcdef.obj", at.UnixNano()): true,
		"intake/0000000000000001-0-x.obj":                       true,
		"intake/xyz-3-abcdef.obj":                               false,
		"intake/00000000000000zz-3-a.obj":                       false,
		"intake/ffffffffffffffff-3-a.obj":                       false, // past int64 nanoseconds
		"segments/ab/0/1-x.seg":                                 false,
		"intake/0000000000000001":                               false,
	} {
		_, ok := intakeTime(key)
		if ok != want {
			t.Errorf("%s: ok %v, want %v", key, ok, want)
		}
	}
	if got, _ := intakeTime(fmt.Sprintf("intake/%016x-3-abcdef.obj", at.UnixNano())); !got.Equal(at) {
		t.Errorf("time %v, want %v", got, at)
	}
}

func TestSegmentKey(t *testing.T) {
	pk := metastore.PartitionKey{Topic: metastore.TopicID{0xab, 15: 0x01}, Partition: 12}
	a, b := segmentKey(pk, 42), segmentKey(pk, 42)
	want := "segments/ab000000000000000000000000000001/12/00000000000000000042-"
	if !strings.HasPrefix(a, want) || !strings.HasSuffix(a, ".seg") || a == b {
		t.Fatalf("keys %s, %s; want %s<rand>.seg, distinct", a, b, want)
	}
}
