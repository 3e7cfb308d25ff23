package recordbatch

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// The patches below write header fields in place. kmsg can only decode a
// batch and re-encode it whole; Kafka's own broker rewrites these fields
// in the buffer (DefaultRecordBatch.setLastOffset, setPartitionLeaderEpoch),
// and so must we to store and serve the producer's bytes unchanged.
// baseOffset and partitionLeaderEpoch lie before the CRC's range
// (attributes onwards), so the CRC stays valid.

// PatchBaseOffset stamps batch, which must be exactly one batch, with its
// log position: baseOffset, and partitionLeaderEpoch 0 (Tributary has
// one leader epoch). It returns an *Error, and writes nothing, if batch
// does not frame as one v2 batch.
func PatchBaseOffset(batch []byte, baseOffset int64) error {
	var rb kmsg.RecordBatch
	if err := one(batch, &rb); err != nil {
		return err
	}
	stamp(batch, baseOffset)
	return nil
}

// PatchRecordSet stamps every batch in data as PatchBaseOffset does, the
// first at baseOffset and each next one right after the last offset of
// the one before (base + lastOffsetDelta + 1), and returns the offset
// after the last batch. If any batch does not frame, or offsets would
// overflow, it returns an *Error and writes nothing.
func PatchRecordSet(data []byte, baseOffset int64) (next int64, err error) {
	next, err = nextOffset(data, baseOffset)
	if err != nil {
		return baseOffset, err
	}
	base := baseOffset
	_ = Walk(data, func(h Header, raw []byte) bool { // framing already checked
		stamp(raw, base)
		base += int64(h.LastOffsetDelta) + 1
		return true
	})
	return next, nil
}

// nextOffset walks data without writing and returns the offset after its
// last batch when the first is at base.
func nextOffset(data []byte, base int64) (int64, error) {
	next, i := base, 0
	var bad error
	err := Walk(data, func(h Header, _ []byte) bool {
		if h.LastOffsetDelta < 0 || next > math.MaxInt64-int64(h.LastOffsetDelta)-1 {
			bad = inBatch(batchErr(ErrCorrupt, nil,
				fmt.Sprintf("lastOffsetDelta %d at offset %d", h.LastOffsetDelta, next)), i)
			return false
		}
		next += int64(h.LastOffsetDelta) + 1
		i++
		return true
	})
	if err == nil {
		err = bad
	}
	return next, err
}

// stamp writes the base offset and leader epoch 0 into a framed batch.
func stamp(batch []byte, baseOffset int64) {
	binary.BigEndian.PutUint64(batch[offBaseOffset:], uint64(baseOffset))
	binary.BigEndian.PutUint32(batch[offLeaderEpoch:], 0)
}
