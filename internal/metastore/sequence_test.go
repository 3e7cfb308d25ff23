package metastore

import (
	"errors"
	"math"
	"testing"
)

func TestLastSequence(t *testing.T) {
	tests := []struct {
		first, n, want int32
	}{
		{0, 1, 0},
		{0, 10, 9},
		{5, 5, 9},
		{math.MaxInt32, 1, math.MaxInt32},
		{math.MaxInt32, 2, 0},
		{math.MaxInt32 - 2, 10, 6},
		{math.MaxInt32, math.MaxInt32, math.MaxInt32 - 2},
	}
	for _, tt := range tests {
		if got := LastSequence(tt.first, tt.n); got != tt.want {
			t.Errorf("LastSequence(%d, %d) = %d, want %d", tt.first, tt.n, got, tt.want)
		}
	}
}

func TestCheckSequence(t *testing.T) {
	state := func(epoch int16, batches ...SeqBatch) *ProducerState {
		return &ProducerState{Epoch: epoch, Batches: batches}
	}
	five := state(3,
		SeqBatch{0, 9, 100}, SeqBatch{10, 19, 110}, SeqBatch{20, 29, 120},
		SeqBatch{30, 39, 130}, SeqBatch{40, 49, 140})
	tests := []struct {
		name    string
		st      *ProducerState
		epoch   int16
		seq, n  int32
		wantDup bool
		wantOff int64
		wantErr error
	}{
		{name: "no state accepts zero", st: nil, epoch: 0, seq: 0, n: 1},
		{name: "no state accepts any sequence", st: nil, epoch: 7, seq: 12345, n: 3},
		{name: "next in sequence", st: five, epoch: 3, seq: 50, n: 5},
		{name: "duplicate newest", st: five, epoch: 3, seq: 40, n: 10, wantDup: true, wantOff: 140},
		{name: "duplicate oldest cached", st: five, epoch: 3, seq: 0, n: 10, wantDup: true, wantOff: 100},
		{name: "same first seq other length is not a duplicate", st: five, epoch: 3, seq: 40, n: 5, wantErr: ErrOutOfOrderSequence},
		{name: "gap", st: five, epoch: 3, seq: 51, n: 1, wantErr: ErrOutOfOrderSequence},
		{name: "behind, not cached", st: five, epoch: 3, seq: 45, n: 5, wantErr: ErrOutOfOrderSequence},
		{name: "stale epoch", st: five, epoch: 2, seq: 50, n: 1, wantErr: ErrInvalidProducerEpoch},
		{name: "stale epoch duplicate still fenced", st: five, epoch: 2, seq: 40, n: 10, wantErr: ErrInvalidProducerEpoch},
		{name: "new epoch at zero", st: five, epoch: 4, seq: 0, n: 10},
		{name: "new epoch at zero matching old batch is not a duplicate", st: five, epoch: 4, seq: 0, n: 10},
		{name: "new epoch not at zero", st: five, epoch: 4, seq: 50, n: 1, wantErr: ErrOutOfOrderSequence},
		{name: "wraparound after MaxInt32", st: state(1, SeqBatch{math.MaxInt32 - 4, math.MaxInt32, 7}), epoch: 1, seq: 0, n: 1},
		{name: "no wrap to 1", st: state(1, SeqBatch{math.MaxInt32 - 4, math.MaxInt32, 7}), epoch: 1, seq: 1, n: 1, wantErr: ErrOutOfOrderSequence},
		{name: "batch that wraps inside", st: state(1, SeqBatch{math.MaxInt32 - 1, 2, 7}), epoch: 1, seq: 3, n: 1},
		{name: "duplicate of wrapped batch", st: state(1, SeqBatch{math.MaxInt32 - 1, 2, 7}), epoch: 1, seq: math.MaxInt32 - 1, n: 5, wantDup: true, wantOff: 7},
		{name: "same epoch no batches expects zero", st: state(1), epoch: 1, seq: 4, n: 1, wantErr: ErrOutOfOrderSequence},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			off, dup, err := CheckSequence(tt.st, tt.epoch, tt.seq, tt.n)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if dup != tt.wantDup || off != tt.wantOff {
				t.Fatalf("got (%d, %v), want (%d, %v)", off, dup, tt.wantOff, tt.wantDup)
			}
		})
	}
}

func TestRecordBatch(t *testing.T) {
	var st *ProducerState
	for i := range int32(7) {
		prev := st
		st = RecordBatch(st, 0, i*10, 10, int64(i)*100)
		if prev != nil && len(prev.Batches) > MaxCachedBatches {
			t.Fatalf("previous state grew to %d batches", len(prev.Batches))
		}
	}
	if len(st.Batches) != MaxCachedBatches {
		t.Fatalf("kept %d batches, want %d", len(st.Batches), MaxCachedBatches)
	}
	if first, last := st.Batches[0], st.Batches[4]; first.FirstSeq != 20 || last.FirstSeq != 60 || last.LastSeq != 69 || last.BaseOffset != 600 {
		t.Fatalf("kept wrong batches: %+v", st.Batches)
	}

	old := st
	st = RecordBatch(st, 1, 0, 3, 700)
	if st.Epoch != 1 || len(st.Batches) != 1 || st.Batches[0] != (SeqBatch{0, 2, 700}) {
		t.Fatalf("new epoch state = %+v", st)
	}
	if old.Epoch != 0 || len(old.Batches) != MaxCachedBatches {
		t.Fatalf("RecordBatch modified its input: %+v", old)
	}
}

// TestSequenceWalk drives CheckSequence and RecordBatch together the way a
// backend does, through retries, a wrap and an epoch bump.
func TestSequenceWalk(t *testing.T) {
	var st *ProducerState
	next := int64(0)
	step := func(epoch int16, seq, n int32) (int64, bool, error) {
		off, dup, err := CheckSequence(st, epoch, seq, n)
		if err != nil || dup {
			return off, dup, err
		}
		st = RecordBatch(st, epoch, seq, n, next)
		next += int64(n)
		return next - int64(n), false, nil
	}
	mustStep := func(epoch int16, seq, n int32, wantOff int64, wantDup bool) {
		t.Helper()
		off, dup, err := step(epoch, seq, n)
		if err != nil || off != wantOff || dup != wantDup {
			t.Fatalf("step(%d, %d, %d) = (%d, %v, %v), want (%d, %v)", epoch, seq, n, off, dup, err, wantOff, wantDup)
		}
	}
	mustStep(0, math.MaxInt32-1, 2, 0, false) // first batch, any sequence
	mustStep(0, 0, 3, 2, false)               // wrapped
	mustStep(0, math.MaxInt32-1, 2, 0, true)  // retry of the first
	mustStep(0, 3, 1, 5, false)
	mustStep(0, 0, 3, 2, true)
	if _, _, err := step(0, 5, 1); !errors.Is(err, ErrOutOfOrderSequence) {
		t.Fatalf("gap: err = %v", err)
	}
	mustStep(1, 0, 1, 6, false)
	if _, _, err := step(0, 4, 1); !errors.Is(err, ErrInvalidProducerEpoch) {
		t.Fatalf("fenced epoch: err = %v", err)
	}
	mustStep(1, 0, 1, 6, true)
}
