package housekeeping

import (
	"errors"
	"testing"
	"time"

	"github.com/tributary-io/tributary/log/read"
)

func TestRetentionByTimeTrimsExpiredPrefix(t *testing.T) {
	e := newEnv(t)
	top := e.topic(t, "events", 1, "retention.ms", "3600000")
	pk := pkOf(top, 0)
	now := e.clock.Now().UnixMilli()
	old, fresh := now-2*time.Hour.Milliseconds(), now-time.Minute.Milliseconds()
	e.produceEach(t, pk, 4, old)   // offsets 0..11
	e.produceEach(t, pk, 2, fresh) // offsets 12..17
	e.produceEach(t, pk, 1, old)   // 18..20: expired, but after a recent entry
	h := e.housekeeper(t, testConfig())

	rep := runOnce(t, h)
	if rep.EntriesTrimmed != 4 {
		t.Fatalf("trimmed %d entries, want the 4 leading expired ones", rep.EntriesTrimmed)
	}
	entries, st := e.index(t, pk)
	if st.LogStart != 12 || st.HighWater != 21 || len(entries) != 3 {
		t.Fatalf("after retention: %+v with %d entries; want LogStart 12, HighWater 21, 3 entries", st, len(entries))
	}
	if _, err := e.read(t, pk, 0); !errors.Is(err, read.ErrOffsetOutOfRange) {
		t.Fatalf("read from 0 after retention: %v, want ErrOffsetOutOfRange", err)
	}
	offs, _ := decode(t, e.mustRead(t, pk, 12))
	if len(offs) != 9 || offs[0] != 12 || offs[8] != 20 {
		t.Fatalf("offsets read from 12: %v", offs)
	}
	if rep := runOnce(t, h); rep.EntriesTrimmed != 0 {
		t.Fatalf("second pass trimmed %d more; retention must stop at the first recent entry", rep.EntriesTrimmed)
	}
}

func TestRetentionByTimeCanEmptyThePartition(t *testing.T) {
	e := newEnv(t)
	top := e.topic(t, "events", 1, "retention.ms", "1000")
	pk := pkOf(top, 0)
	e.produceEach(t, pk, 3, e.clock.Now().Add(-time.Hour).UnixMilli())
	rep := runOnce(t, e.housekeeper(t, testConfig()))
	entries, st := e.index(t, pk)
	if rep.EntriesTrimmed != 3 || len(entries) != 0 || st.LogStart != 9 || st.HighWater != 9 || st.Bytes != 0 {
		t.Fatalf("report %+v, state %+v, %d entries; want everything gone and LogStart = HighWater = 9", rep, st, len(entries))
	}
	// The log goes on from the high watermark.
	e.produceEach(t, pk, 1, e.clock.Now().UnixMilli())
	if offs, _ := decode(t, e.mustRead(t, pk, 9)); len(offs) != 3 || offs[0] != 9 {
		t.Fatalf("offsets after refilling: %v, want 9..11", offs)
	}
}

func TestRetentionByBytesKeepsAtLeastTheLimit(t *testing.T) {
	e := newEnv(t)
	probe := e.topic(t, "probe", 1)
	e.produceEach(t, pkOf(probe, 0), 1, e.clock.Now().UnixMilli())
	_, pst := e.index(t, pkOf(probe, 0))
	size := pst.Bytes // every batch below has the same size

	limit := size*7/2 + 1 // 3.5 entries
	top := e.topic(t, "sized", 1, "retention.bytes", itoa(limit), "retention.ms", "-1")
	pk := pkOf(top, 0)
	e.produceEach(t, pk, 10, e.clock.Now().UnixMilli())
	rep := runOnce(t, e.housekeeper(t, testConfig()))
	entries, st := e.index(t, pk)
	if rep.EntriesTrimmed != 6 || len(entries) != 4 || st.LogStart != 18 {
		t.Fatalf("trimmed %d, %d left, state %+v; want 6 trimmed, 4 left (%d bytes >= limit %d), LogStart 18",
			rep.EntriesTrimmed, len(entries), st, st.Bytes, limit)
	}
	if st.Bytes < limit || st.Bytes-size >= limit {
		t.Fatalf("kept %d bytes for a limit of %d with entries of %d", st.Bytes, limit, size)
	}
}

func TestRetentionBytesZeroEmptiesThePartition(t *testing.T) {
	e := newEnv(t)
	top := e.topic(t, "zero", 1, "retention.bytes", "0", "retention.ms", "-1")
	pk := pkOf(top, 0)
	e.produceEach(t, pk, 3, e.clock.Now().UnixMilli())
	if rep := runOnce(t, e.housekeeper(t, testConfig())); rep.EntriesTrimmed != 3 {
		t.Fatalf("trimmed %d, want 3", rep.EntriesTrimmed)
	}
}

func TestRetentionKeepsWhatPolicyKeeps(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  []string
	}{
		{"compact", []string{"cleanup.policy", "compact", "retention.ms", "1", "retention.bytes", "0"}},
		{"forever", []string{"retention.ms", "-1"}},
		{"default 7 days", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			top := e.topic(t, "kept", 1, tc.cfg...)
			pk := pkOf(top, 0)
			e.produceEach(t, pk, 3, e.clock.Now().Add(-24*time.Hour).UnixMilli())
			if rep := runOnce(t, e.housekeeper(t, testConfig())); rep.EntriesTrimmed != 0 {
				t.Fatalf("trimmed %d entries", rep.EntriesTrimmed)
			}
			if _, st := e.index(t, pk); st.LogStart != 0 {
				t.Fatalf("LogStart moved to %d", st.LogStart)
			}
		})
	}
}

func TestRetentionDeadObjectsWaitForGrace(t *testing.T) {
	e := newEnv(t)
	top := e.topic(t, "events", 1, "retention.ms", "1000")
	pk := pkOf(top, 0)
	e.produceEach(t, pk, 3, e.clock.Now().Add(-time.Hour).UnixMilli())
	intake := e.keys(t, intakePrefix)
	cfg := testConfig()
	h := e.housekeeper(t, cfg)
	if rep := runOnce(t, h); rep.EntriesTrimmed != 3 || rep.DeadDeleted != 0 {
		t.Fatalf("first pass: %+v; want 3 trimmed and nothing deleted within the grace", rep)
	}
	if got := e.keys(t, intakePrefix); len(got) != len(intake) {
		t.Fatalf("intake objects deleted before their grace: %v", got)
	}
	e.clock.Advance(cfg.DeadObjectGrace)
	if rep := runOnce(t, h); rep.DeadDeleted != 3 {
		t.Fatalf("pass after the grace: %+v, want 3 dead objects deleted", rep)
	}
	if got := e.keys(t, intakePrefix); len(got) != 0 {
		t.Fatalf("intake objects left: %v", got)
	}
	if dead, err := e.meta.DeadObjects(t.Context(), 0); err != nil || len(dead) != 0 {
		t.Fatalf("dead objects not forgotten: %v, %v", dead, err)
	}
}
