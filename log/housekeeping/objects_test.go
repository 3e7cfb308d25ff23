package housekeeping

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tributary-io/tributary/internal/objstore"
)

func TestOrphansOlderThanGraceAreDeleted(t *testing.T) {
	e := newEnv(t)
	top := e.topic(t, "events", 1)
	pk := pkOf(top, 0)
	e.produceEach(t, pk, 2, e.clock.Now().UnixMilli())
	known := e.keys(t, intakePrefix)
	ctx := t.Context()
	cfg := testConfig()
	put := func(key string, age time.Duration) {
		if err := e.local.Put(ctx, key, []byte("never committed")); err != nil {
			t.Fatal(err)
		}
		e.age(t, key, age)
	}
	oldIntake := fmt.Sprintf("intake/%016x-3-dead.obj", e.clock.Now().Add(-2*time.Hour).UnixNano())
	oldSegment := "segments/00ff/0/00000000000000000000-abc.seg"
	young := fmt.Sprintf("intake/%016x-3-young.obj", e.clock.Now().UnixNano())
	foreign := "elsewhere/old.bin"
	put(oldIntake, 2*cfg.OrphanGrace)
	put(oldSegment, cfg.OrphanGrace+time.Minute)
	put(young, cfg.OrphanGrace/2)
	put(foreign, 2*cfg.OrphanGrace)
	for _, k := range known {
		e.age(t, k, 2*cfg.OrphanGrace) // old, but committed
	}

	rep := runOnce(t, e.housekeeper(t, cfg))
	if rep.OrphansDeleted != 2 {
		t.Fatalf("report %+v, want 2 orphans deleted", rep)
	}
	for key, want := range map[string]bool{oldIntake: false, oldSegment: false, young: true, foreign: true, known[0]: true, known[1]: true} {
		if got := e.exists(t, key); got != want {
			t.Errorf("%s exists: %v, want %v", key, got, want)
		}
	}
	if offs, _ := decode(t, e.mustRead(t, pk, 0)); len(offs) != 6 {
		t.Fatalf("committed data damaged: offsets %v", offs)
	}
}

func TestOrphanSweepIsThrottled(t *testing.T) {
	e := newEnv(t)
	cfg := testConfig()
	h := e.housekeeper(t, cfg)
	runOnce(t, h)
	lists := e.faulty.Calls(objstore.OpList)
	runOnce(t, h)
	if got := e.faulty.Calls(objstore.OpList); got != lists {
		t.Fatalf("second pass right after a sweep listed again (%d lists, was %d)", got, lists)
	}
	e.clock.Advance(cfg.OrphanGrace / sweepEvery)
	runOnce(t, h)
	if got := e.faulty.Calls(objstore.OpList); got != 2*lists {
		t.Fatalf("pass after OrphanGrace/%d made %d lists in all, want %d", sweepEvery, got, 2*lists)
	}
}

func TestDeadButKnownObjectIsNotAnOrphan(t *testing.T) {
	e := newEnv(t)
	top := e.topic(t, "events", 1, "retention.ms", "1000")
	pk := pkOf(top, 0)
	e.produceEach(t, pk, 1, e.clock.Now().Add(-time.Hour).UnixMilli())
	key := e.keys(t, intakePrefix)[0]
	cfg := testConfig()
	cfg.DeadObjectGrace = 2 * cfg.OrphanGrace
	e.age(t, key, 2*cfg.OrphanGrace)
	rep := runOnce(t, e.housekeeper(t, cfg)) // trims it: dead, known, old, within its dead grace
	if rep.EntriesTrimmed != 1 || rep.OrphansDeleted != 0 || rep.DeadDeleted != 0 || !e.exists(t, key) {
		t.Fatalf("report %+v, exists %v; a dead object within its grace must stay", rep, e.exists(t, key))
	}
}

func TestFailingObjectStoreLosesNoData(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault func(f *objstore.Faulty)
	}{
		{"reads fail", func(f *objstore.Faulty) { f.FailAlways(objstore.OpGetRange, nil) }},
		{"writes fail", func(f *objstore.Faulty) { f.FailAlways(objstore.OpPut, nil) }},
		{"write outcome lost", func(f *objstore.Faulty) { f.FailNextAfter(objstore.OpPut, 1, nil) }},
		{"deletes fail", func(f *objstore.Faulty) { f.FailAlways(objstore.OpDelete, nil) }},
		{"lists fail", func(f *objstore.Faulty) { f.FailAlways(objstore.OpList, nil) }},
		{"everything fails", func(f *objstore.Faulty) {
			for _, op := range objstore.Ops {
				f.FailAlways(op, nil)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			top := e.topic(t, "events", 2)
			p0, p1 := pkOf(top, 0), pkOf(top, 1)
			e.produceEach(t, p0, 6, e.clock.Now().UnixMilli(), p1)
			want0, want1 := e.mustRead(t, p0, 0), e.mustRead(t, p1, 0)
			orphan := fmt.Sprintf("intake/%016x-3-orphan.obj", e.clock.Now().UnixNano())
			if err := e.local.Put(t.Context(), orphan, []byte("x")); err != nil {
				t.Fatal(err)
			}
			cfg := testConfig()
			cfg.DeadObjectGrace = 0
			h := e.housekeeper(t, cfg)
			e.clock.Advance(cfg.OrphanGrace + time.Second) // everything is old enough for everything

			tc.fault(e.faulty)
			rep, err := h.RunOnce(t.Context())
			if err == nil || rep.Errors == 0 || !errors.Is(err, objstore.ErrInjected) {
				t.Fatalf("pass under faults: %+v, %v; want errors reported", rep, err)
			}
			check := func(when string) {
				t.Helper()
				if got := e.mustRead(t, p0, 0); !bytes.Equal(got, want0) {
					t.Fatalf("%s: p0 data changed", when)
				}
				if got := e.mustRead(t, p1, 0); !bytes.Equal(got, want1) {
					t.Fatalf("%s: p1 data changed", when)
				}
			}
			check("after the failing pass")

			// Once the store heals, passes finish the work.
			e.faulty.ClearAll()
			e.clock.Advance(cfg.OrphanGrace + time.Second) // a segment left by a lost write is an orphan now
			runOnce(t, h)
			runOnce(t, h) // the intake objects died in the pass above
			check("after healing")
			entries, _ := e.index(t, p0)
			if len(entries) != 1 || countPrefix(e.keys(t, intakePrefix), intakePrefix) != 0 {
				t.Fatalf("after healing: p0 index %v, intake objects %v", objectKeys(entries), e.keys(t, intakePrefix))
			}
			if segs := e.keys(t, segmentPrefix); len(segs) != 2 {
				t.Fatalf("segments after healing: %v, want exactly the 2 indexed ones", segs)
			}
		})
	}
}
