package metastore

import (
	"fmt"
	"math"
)

// Idempotent-producer rules (KIP-98), shared by every backend so that they
// cannot drift apart: a backend loads the ProducerState of (producerID,
// partition), asks CheckSequence about each batch, and after writing an
// accepted batch calls RecordBatch and stores the result, all in the one
// transaction of the Append.
//
// The rules follow Kafka's ProducerStateManager / ProducerAppendInfo
// (checkProducerEpoch, checkSequence, findDuplicateBatch) for
// non-transactional producers:
//
//	(a) same epoch and a cached batch with the same first and last
//	    sequence: a retried duplicate; answer with its BaseOffset.
//	(b) epoch below the stored one: ErrInvalidProducerEpoch.
//	(c) epoch above the stored one: the first sequence must be 0, else
//	    ErrOutOfOrderSequence; the new epoch drops the cached batches.
//	(d) no stored state: any sequence is accepted (the state may have
//	    been lost to retention or never existed).
//	(e) same epoch: the first sequence must follow the newest cached
//	    batch's last sequence, wrapping from MaxInt32 to 0, else
//	    ErrOutOfOrderSequence.

// MaxCachedBatches is how many of its latest batches a producer's state
// keeps per partition for duplicate detection; Kafka's
// ProducerStateEntry.NUM_BATCHES_TO_RETAIN, matching the client's limit of
// five in-flight requests per connection.
const MaxCachedBatches = 5

// ProducerState is what the store keeps per (producerID, partition).
type ProducerState struct {
	Epoch int16
	// Batches holds the last MaxCachedBatches accepted batches of Epoch,
	// oldest first.
	Batches []SeqBatch
}

// SeqBatch is one accepted batch as remembered for duplicate detection.
type SeqBatch struct {
	FirstSeq, LastSeq int32
	BaseOffset        int64
}

// LastSequence returns the sequence of the last record of a batch of
// numRecords records starting at firstSeq; sequences wrap from MaxInt32 to
// 0 (Kafka's DefaultRecordBatch.incrementSequence).
func LastSequence(firstSeq, numRecords int32) int32 {
	return addSequence(firstSeq, int64(numRecords)-1)
}

// addSequence returns seq+delta modulo 2^31 (sequences are non-negative).
func addSequence(seq int32, delta int64) int32 {
	v := (int64(seq) + delta) % (math.MaxInt32 + 1)
	if v < 0 {
		v += math.MaxInt32 + 1
	}
	return int32(v)
}

// CheckSequence applies rules (a)–(e) to a batch of numRecords records from
// a producer with the given epoch whose first sequence is firstSeq. st is
// the stored state, nil when there is none. It returns dup=true with the
// original batch's base offset for a duplicate, an error wrapping
// ErrInvalidProducerEpoch or ErrOutOfOrderSequence for a refused batch,
// and zero values for a batch to append. It does not modify st.
func CheckSequence(st *ProducerState, epoch int16, firstSeq int32, numRecords int32) (dupOffset int64, dup bool, err error) {
	if st == nil {
		return 0, false, nil // (d)
	}
	if off, ok := st.findDuplicate(epoch, firstSeq, LastSequence(firstSeq, numRecords)); ok {
		return off, true, nil // (a)
	}
	switch {
	case epoch < st.Epoch: // (b)
		return 0, false, fmt.Errorf("producer epoch %d is below current epoch %d: %w",
			epoch, st.Epoch, ErrInvalidProducerEpoch)
	case epoch > st.Epoch: // (c)
		if firstSeq != 0 {
			return 0, false, fmt.Errorf("new producer epoch %d starts at sequence %d, not 0: %w",
				epoch, firstSeq, ErrOutOfOrderSequence)
		}
		return 0, false, nil
	}
	want := st.nextSequence() // (e)
	if firstSeq != want {
		return 0, false, fmt.Errorf("producer epoch %d sent sequence %d, expected %d: %w",
			epoch, firstSeq, want, ErrOutOfOrderSequence)
	}
	return 0, false, nil
}

// findDuplicate looks for a cached batch of epoch with exactly these
// sequences.
func (st *ProducerState) findDuplicate(epoch int16, firstSeq, lastSeq int32) (int64, bool) {
	if epoch != st.Epoch {
		return 0, false
	}
	for _, b := range st.Batches {
		if b.FirstSeq == firstSeq && b.LastSeq == lastSeq {
			return b.BaseOffset, true
		}
	}
	return 0, false
}

// nextSequence is the first sequence the next batch of st.Epoch must carry.
// A state with no cached batch (never written by the backends, kept for
// completeness) expects 0, as Kafka does for NO_SEQUENCE.
func (st *ProducerState) nextSequence() int32 {
	if len(st.Batches) == 0 {
		return 0
	}
	return addSequence(st.Batches[len(st.Batches)-1].LastSeq, 1)
}

// RecordBatch returns the state after a batch accepted by CheckSequence was
// appended at baseOffset. st may be nil (no state yet); it is not modified,
// so a caller whose transaction fails can keep using the old value. A new
// epoch drops the batches of the old one; at most MaxCachedBatches are kept.
func RecordBatch(st *ProducerState, epoch int16, firstSeq, numRecords int32, baseOffset int64) *ProducerState {
	next := &ProducerState{Epoch: epoch}
	if st != nil && st.Epoch == epoch {
		keep := st.Batches
		if len(keep) >= MaxCachedBatches {
			keep = keep[len(keep)-MaxCachedBatches+1:]
		}
		next.Batches = make([]SeqBatch, len(keep), len(keep)+1)
		copy(next.Batches, keep)
	}
	next.Batches = append(next.Batches, SeqBatch{
		FirstSeq:   firstSeq,
		LastSeq:    LastSequence(firstSeq, numRecords),
		BaseOffset: baseOffset,
	})
	return next
}
