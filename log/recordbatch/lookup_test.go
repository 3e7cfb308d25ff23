package recordbatch

import (
	"errors"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// jumbled is a batch whose timestamps are not in offset order: deltas
// 5 1 9 9 3, stored at offset 100.
func jumbled(t *testing.T, mod func(*kmsg.RecordBatch)) []byte {
	t.Helper()
	recs := sampleRecords(5, 10)
	for i, d := range []int64{5, 1, 9, 9, 3} {
		recs[i].TimestampDelta64 = d
	}
	b := buildBatch(t, codecs[2].codec, recs, mod)
	if err := PatchBaseOffset(b, 100); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFindOffsetByTimestamp(t *testing.T) {
	b := jumbled(t, nil)
	for _, tc := range []struct {
		ts           int64
		offset, when int64
		found        bool
	}{
		{ts: 0, offset: 100, when: baseTS + 5, found: true},
		{ts: baseTS + 5, offset: 100, when: baseTS + 5, found: true},
		{ts: baseTS + 6, offset: 102, when: baseTS + 9, found: true},
		{ts: baseTS + 9, offset: 102, when: baseTS + 9, found: true},
		{ts: baseTS + 10, offset: -1, when: -1},
	} {
		o, ts, found, err := FindOffsetByTimestamp(b, 100, tc.ts)
		if err != nil || o != tc.offset || ts != tc.when || found != tc.found {
			t.Errorf("ts %d: got %d %d %v %v, want %d %d %v", tc.ts, o, ts, found, err, tc.offset, tc.when, tc.found)
		}
	}
}

// TestFindOffsetByTimestampFrom: records below from (the log start) are
// skipped, even when they match.
func TestFindOffsetByTimestampFrom(t *testing.T) {
	b := jumbled(t, nil)
	if o, ts, found, err := FindOffsetByTimestampFrom(b, 100, 0, 101); err != nil || !found || o != 101 {
		t.Errorf("from 101: got %d %d %v %v, want offset 101", o, ts, found, err)
	}
	if o, ts, found, err := FindOffsetByTimestampFrom(b, 100, baseTS+6, 104); err != nil || found {
		t.Errorf("from past the only match: got %d %d %v %v, want none", o, ts, found, err)
	}
}

// TestFindOffsetByTimestampWrongHeader: the records are searched, not the
// producer's maxTimestamp.
func TestFindOffsetByTimestampWrongHeader(t *testing.T) {
	b := jumbled(t, func(rb *kmsg.RecordBatch) { rb.MaxTimestamp = 0 })
	if o, _, found, err := FindOffsetByTimestamp(b, 100, baseTS+6); err != nil || !found || o != 102 {
		t.Fatalf("got %d %v %v, want 102", o, found, err)
	}
}

func TestLookupLogAppendTime(t *testing.T) {
	b := jumbled(t, nil)
	if err := SetLogAppendTime(b, 5000); err != nil {
		t.Fatal(err)
	}
	if o, ts, found, err := FindOffsetByTimestamp(b, 100, 4000); err != nil || !found || o != 100 || ts != 5000 {
		t.Errorf("FindOffsetByTimestamp: %d %d %v %v, want 100 5000", o, ts, found, err)
	}
	if _, _, found, _ := FindOffsetByTimestamp(b, 100, 5001); found {
		t.Error("found a record after the append time")
	}
	if o, ts, err := MaxTimestampRecord(b, 100); err != nil || o != 100 || ts != 5000 {
		t.Errorf("MaxTimestampRecord: %d %d %v, want 100 5000", o, ts, err)
	}
}

func TestMaxTimestampRecord(t *testing.T) {
	o, ts, err := MaxTimestampRecord(jumbled(t, nil), 100)
	if err != nil || o != 102 || ts != baseTS+9 { // first of the two 9s
		t.Fatalf("got %d %d %v, want 102 %d", o, ts, err, int64(baseTS+9))
	}
}

func TestLookupErrors(t *testing.T) {
	b := jumbled(t, nil)
	if _, _, _, err := FindOffsetByTimestamp(b[:len(b)-2], 100, 0); !errors.Is(err, ErrTruncated) {
		t.Errorf("FindOffsetByTimestamp on a truncated batch: %v", err)
	}
	if _, _, err := MaxTimestampRecord(concat(b, b), 100); !errors.Is(err, ErrCorrupt) {
		t.Errorf("MaxTimestampRecord on two batches: %v", err)
	}
	empty := buildBatch(t, codecs[0].codec, nil, nil)
	if _, _, err := MaxTimestampRecord(empty, 0); !errors.Is(err, ErrInvalidRecord) {
		t.Errorf("MaxTimestampRecord on an empty batch: %v", err)
	}
}
