package housekeeping

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
)

func TestRewriteMergesIntakeIntoOneSegment(t *testing.T) {
	e := newEnv(t)
	top := e.topic(t, "events", 2)
	p0, p1 := pkOf(top, 0), pkOf(top, 1)
	e.produceEach(t, p0, 20, e.clock.Now().UnixMilli(), p1) // 20 intake objects shared by p0 and p1
	before := e.mustRead(t, p0, 0)
	middle := e.mustRead(t, p0, 31) // inside the 11th batch
	before1 := e.mustRead(t, p1, 0)
	intake := e.keys(t, intakePrefix)
	cfg := testConfig()
	h := e.housekeeper(t, cfg)

	if rep := runOnce(t, h); rep.SegmentsWritten != 0 {
		t.Fatalf("rewrote fresh intake data: %+v", rep)
	}
	e.clock.Advance(cfg.SegmentMinAge + time.Second)
	rep := runOnce(t, h)
	if rep.SegmentsWritten != 2 || rep.EntriesMerged != 40 || rep.Errors != 0 {
		t.Fatalf("report %+v; want 2 segments (one per partition) replacing 40 entries", rep)
	}
	entries, st := e.index(t, p0)
	if len(entries) != 1 || !strings.HasPrefix(entries[0].ObjectKey, segmentPrefix) {
		t.Fatalf("index of p0 after the rewrite: %+v", entries)
	}
	seg := entries[0]
	if seg.BaseOffset != 0 || seg.LastOffset != 59 || seg.Pos != 0 || seg.Size != st.Bytes {
		t.Fatalf("segment entry %+v, state %+v", seg, st)
	}
	wantKey := fmt.Sprintf("segments/%x/0/%020d-", top.ID[:], 0)
	if !strings.HasPrefix(seg.ObjectKey, wantKey) || !strings.HasSuffix(seg.ObjectKey, ".seg") {
		t.Fatalf("segment key %s, want %s<rand>.seg", seg.ObjectKey, wantKey)
	}
	if got := e.mustRead(t, p0, 0); !bytes.Equal(got, before) {
		t.Fatalf("p0 read from 0 differs after the rewrite")
	}
	if got := e.mustRead(t, p0, 31); !bytes.Equal(got, middle) {
		t.Fatalf("p0 read from 31 differs after the rewrite")
	}
	if got := e.mustRead(t, p1, 0); !bytes.Equal(got, before1) {
		t.Fatalf("p1 read differs after the rewrite")
	}
	if offs, vals := decode(t, middle); offs[0] != 30 || offs[len(offs)-1] != 59 || vals[1] != strings.Repeat("p0-b10-1;", 12)[:100] {
		t.Fatalf("decoded from 31: offsets %v, value %q", offs, vals[1])
	}

	// The intake objects are dead now, and go only after the grace.
	if rep := runOnce(t, h); rep.DeadDeleted != 0 || rep.SegmentsWritten != 0 {
		t.Fatalf("pass right after the rewrite: %+v; want nothing rewritten again nor deleted", rep)
	}
	if got := e.keys(t, intakePrefix); len(got) != len(intake) {
		t.Fatalf("%d intake objects left of %d before the grace", len(got), len(intake))
	}
	e.clock.Advance(cfg.DeadObjectGrace)
	if rep := runOnce(t, h); rep.DeadDeleted != 20 {
		t.Fatalf("pass after the grace: %+v, want 20 dead objects deleted", rep)
	}
	if got := e.keys(t, intakePrefix); len(got) != 0 {
		t.Fatalf("intake objects left: %v", got)
	}
	if got := e.mustRead(t, p0, 0); !bytes.Equal(got, before) {
		t.Fatalf("p0 read differs after the intake objects were deleted")
	}
}

func TestRewriteCapsSegmentsAtTarget(t *testing.T) {
	e := newEnv(t)
	top := e.topic(t, "events", 1)
	pk := pkOf(top, 0)
	e.produceEach(t, pk, 30, e.clock.Now().UnixMilli())
	entries, _ := e.index(t, pk)
	want, acc := 0, int64(0) // greedy packing of the actual sizes
	for _, en := range entries {
		if want == 0 || acc+en.Size > 4096 {
			want, acc = want+1, 0
		}
		acc += en.Size
	}
	before := e.mustRead(t, pk, 0)

	cfg := testConfig()
	cfg.SegmentTargetBytes = 4 * 1024
	e.clock.Advance(cfg.SegmentMinAge + time.Second)
	rep := runOnce(t, e.housekeeper(t, cfg))
	entries, _ = e.index(t, pk)
	if want < 3 || rep.SegmentsWritten != want || len(entries) != want || rep.EntriesMerged != 30 {
		t.Fatalf("report %+v, %d entries; want %d segments", rep, len(entries), want)
	}
	for _, en := range entries {
		if en.Size > 4096 || !strings.HasPrefix(en.ObjectKey, segmentPrefix) {
			t.Fatalf("entry %+v: over the target or not a segment", en)
		}
	}
	if got := e.mustRead(t, pk, 0); !bytes.Equal(got, before) {
		t.Fatalf("read differs after the rewrite")
	}
}

func TestRewriteLeavesSingleBigEntry(t *testing.T) {
	e := newEnv(t)
	top := e.topic(t, "events", 1)
	pk := pkOf(top, 0)
	e.produce(t, part(t, pk, 10, e.clock.Now().UnixMilli(), 300, "big"))
	cfg := testConfig()
	cfg.SegmentTargetBytes = 4 * 1024 // the batch is over 3000 bytes: >= target/2
	e.clock.Advance(cfg.SegmentMinAge + time.Second)
	if rep := runOnce(t, e.housekeeper(t, cfg)); rep.SegmentsWritten != 0 {
		t.Fatalf("rewrote a single big entry: %+v", rep)
	}
}

func TestRewriteMergesSmallSegmentsOnceEnoughGathered(t *testing.T) {
	e := newEnv(t)
	top := e.topic(t, "events", 1)
	pk := pkOf(top, 0)
	cfg := testConfig()
	cfg.SegmentTargetBytes = 4 * 1024
	h := e.housekeeper(t, cfg)
	var segs int
	for round := range 12 {
		e.produceEach(t, pk, 1, e.clock.Now().UnixMilli())
		e.clock.Advance(cfg.SegmentMinAge + time.Second)
		rep := runOnce(t, h)
		segs += rep.SegmentsWritten
		if rep.SegmentsWritten == 0 {
			t.Fatalf("round %d: the lone old intake entry was not rewritten: %+v", round, rep)
		}
	}
	entries, _ := e.index(t, pk)
	var big int
	for _, en := range entries {
		if !strings.HasPrefix(en.ObjectKey, segmentPrefix) {
			t.Fatalf("entry left in intake: %+v", en)
		}
		if en.Size >= 2048 {
			big++
		}
	}
	// Each round makes one small segment (~400 bytes); each time 6 small
	// ones have gathered (>= 2048 bytes) they become one big segment.
	if big == 0 || len(entries) >= 12 {
		t.Fatalf("after 12 rounds: %d entries, %d big; small segments were never merged", len(entries), big)
	}
	offs, _ := decode(t, e.mustRead(t, pk, 0))
	if len(offs) != 36 || offs[35] != 35 {
		t.Fatalf("offsets after the merges: %v", offs)
	}
}

func TestPlanner(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	intake := func(age time.Duration) string {
		return fmt.Sprintf("intake/%016x-1-abc.obj", now.Add(-age).UnixNano())
	}
	seg := "segments/ab/0/x.seg"
	type ent struct {
		key  string
		size int64
	}
	for _, tc := range []struct {
		name    string
		entries []ent
		want    [][]int // groups, as indexes into entries
	}{
		{"old intake merged", []ent{{intake(time.Hour), 10}, {intake(time.Hour), 10}, {intake(time.Hour), 10}}, [][]int{{0, 1, 2}}},
		{"fresh tail left", []ent{{intake(time.Hour), 10}, {intake(time.Hour), 10}, {intake(time.Second), 10}}, [][]int{{0, 1}}},
		{"single small intake rewritten", []ent{{intake(time.Hour), 10}}, [][]int{{0}}},
		{"single big intake left", []ent{{intake(time.Hour), 50}}, nil},
		{"cut at target", []ent{{intake(time.Hour), 40}, {intake(time.Hour), 40}, {intake(time.Hour), 40}, {intake(time.Hour), 10}}, [][]int{{0, 1}, {2, 3}}},
		{"segments split intake runs", []ent{{intake(time.Hour), 10}, {seg, 60}, {intake(time.Hour), 10}, {intake(time.Hour), 10}}, [][]int{{0}, {2, 3}}},
		{"small segments wait", []ent{{seg, 10}, {seg, 10}, {seg, 10}}, nil},
		{"small segments merged at target/2", []ent{{seg, 20}, {seg, 20}, {seg, 20}, {intake(time.Hour), 5}}, [][]int{{0, 1, 2}, {3}}},
		{"kinds never mix", []ent{{seg, 30}, {intake(time.Hour), 30}, {seg, 30}}, [][]int{{1}}},
		{"lone small segment left", []ent{{seg, 10}, {seg, 60}, {seg, 10}}, nil},
		{"unparsable intake key uses MaxTimestamp", []ent{{"intake/x.obj", 10}, {"intake/y.obj", 10}}, [][]int{{0, 1}}},
		{"other prefixes left", []ent{{"other/a", 10}, {"other/b", 10}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pl := planner{target: 100, cutoff: now.Add(-time.Minute)}
			var got [][]int
			index := map[int64]int{}
			record := func(g []metastore.IndexEntry) {
				if g == nil {
					return
				}
				var idx []int
				for _, en := range g {
					idx = append(idx, index[en.BaseOffset])
				}
				got = append(got, idx)
			}
			for i, en := range tc.entries {
				ie := metastore.IndexEntry{BaseOffset: int64(i), LastOffset: int64(i), ObjectKey: en.key, Size: en.size,
					MaxTimestamp: now.Add(-time.Hour).UnixMilli()}
				index[ie.BaseOffset] = i
				record(pl.add(ie))
			}
			record(pl.finish())
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("groups %v, want %v", got, tc.want)
			}
		})
	}
}

// replaceHook runs before a metadata store's ReplaceIndex.
type replaceHook struct {
	metastore.Store
	before func(pk metastore.PartitionKey, old []metastore.IndexEntry)
}

func (s replaceHook) ReplaceIndex(ctx context.Context, pk metastore.PartitionKey, old []metastore.IndexEntry, repl metastore.IndexEntry) error {
	s.before(pk, old)
	return s.Store.ReplaceIndex(ctx, pk, old, repl)
}

func TestRewriteConflictDeletesItsSegment(t *testing.T) {
	e := newEnv(t)
	top := e.topic(t, "events", 1)
	pk := pkOf(top, 0)
	e.produceEach(t, pk, 5, e.clock.Now().UnixMilli())
	cfg := testConfig()
	e.clock.Advance(cfg.SegmentMinAge + time.Second)
	// Retention (of another broker, say) trims the first entry between
	// the rewrite's index read and its ReplaceIndex.
	meta := replaceHook{Store: e.meta, before: func(pk metastore.PartitionKey, old []metastore.IndexEntry) {
		if _, err := e.meta.TrimIndex(context.Background(), pk, old[0].LastOffset+1); err != nil {
			t.Errorf("trim: %v", err)
		}
	}}
	h, err := New(Options{Config: cfg, Now: e.clock.Now}, meta, e.faulty)
	if err != nil {
		t.Fatal(err)
	}
	rep := runOnce(t, h)
	if rep.Conflicts != 1 || rep.SegmentsWritten != 0 || rep.Errors != 0 {
		t.Fatalf("report %+v; want one conflict", rep)
	}
	if e.faulty.Calls("put") != 1 {
		t.Fatalf("%d segment puts, want 1", e.faulty.Calls("put"))
	}
	if segs := e.keys(t, segmentPrefix); len(segs) != 0 {
		t.Fatalf("segment of a lost rewrite left behind: %v", segs)
	}
	entries, st := e.index(t, pk)
	if len(entries) != 4 || st.LogStart != 3 || countPrefix(objectKeys(entries), intakePrefix) != 4 {
		t.Fatalf("index after the conflict: %+v, %+v", entries, st)
	}
	if offs, _ := decode(t, e.mustRead(t, pk, 3)); len(offs) != 12 {
		t.Fatalf("offsets after the conflict: %v", offs)
	}
}

func TestRewriteRefusesEntryNotMatchingItsBytes(t *testing.T) {
	e := newEnv(t)
	top := e.topic(t, "events", 1)
	pk := pkOf(top, 0)
	ctx := t.Context()
	// An entry claiming 5 offsets over a batch of 3 records.
	batch := makeBatch(t, 3, e.clock.Now().UnixMilli(), 50, "bad")
	key := fmt.Sprintf("intake/%016x-9-bad.obj", e.clock.Now().UnixNano())
	if err := e.local.Put(ctx, key, batch); err != nil {
		t.Fatal(err)
	}
	if _, err := e.meta.Append(ctx, metastore.ObjectRef{Key: key, Size: int64(len(batch))}, []metastore.AppendBatch{{
		Partition: pk, Size: int64(len(batch)), NumRecords: 5, MaxTimestamp: e.clock.Now().UnixMilli(), ProducerID: metastore.NoProducerID,
	}}); err != nil {
		t.Fatal(err)
	}
	e.produceEach(t, pk, 2, e.clock.Now().UnixMilli())
	before, _ := e.index(t, pk)
	cfg := testConfig()
	e.clock.Advance(cfg.SegmentMinAge + time.Second)
	rep, err := e.housekeeper(t, cfg).RunOnce(ctx)
	if !errors.Is(err, ErrCorrupt) || rep.Errors != 1 || rep.SegmentsWritten != 0 {
		t.Fatalf("pass: %+v, %v; want one ErrCorrupt and no segment", rep, err)
	}
	if after, _ := e.index(t, pk); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("index changed: %+v", after)
	}
	if segs := e.keys(t, segmentPrefix); len(segs) != 0 {
		t.Fatalf("segments written: %v", segs)
	}
}

func TestRewriteWalkStartsPastBigSegments(t *testing.T) {
	e := newEnv(t)
	top := e.topic(t, "events", 1)
	pk := pkOf(top, 0)
	e.produceEach(t, pk, 30, e.clock.Now().UnixMilli())
	cfg := testConfig()
	cfg.SegmentTargetBytes = 2 * 1024 // segments of 5 entries (~2045 bytes): all big
	e.clock.Advance(cfg.SegmentMinAge + time.Second)
	h := e.housekeeper(t, cfg)
	runOnce(t, h)
	runOnce(t, h) // sees the big segments
	entries, _ := e.index(t, pk)
	last := entries[len(entries)-1]
	if got := h.settled[pk]; got != last.LastOffset+1 {
		t.Fatalf("settled at %d; want %d, past the big segments %v", got, last.LastOffset+1, objectKeys(entries))
	}
	// New data past the settled point is still rewritten.
	e.produceEach(t, pk, 3, e.clock.Now().UnixMilli())
	e.clock.Advance(cfg.SegmentMinAge + time.Second)
	if rep := runOnce(t, h); rep.SegmentsWritten != 1 || rep.EntriesMerged != 3 {
		t.Fatalf("pass after new data: %+v", rep)
	}
	if offs, _ := decode(t, e.mustRead(t, pk, 0)); len(offs) != 99 || offs[98] != 98 {
		t.Fatalf("offsets: %d read, last %d", len(offs), offs[len(offs)-1])
	}
}
