package metastore

import "fmt"

// ApplyBatch decides one AppendBatch against its partition's state and its
// idempotent producer's state (nil when the producer has none yet, or the
// batch has no producer): a refused or duplicate batch (CheckSequence)
// takes no offsets; an accepted one takes the next NumRecords offsets from
// st.HighWater, which ApplyBatch advances along with st.Bytes. It returns
// the batch's result, the producer state to store (nil when unchanged),
// and the index entry to write (nil when the batch took no offsets).
//
// Every backend's Append calls it, batch after batch, on states it has
// locked, so the rules live in one place.
func ApplyBatch(st *PartitionState, prod *ProducerState, b AppendBatch, objKey string) (AppendResult, *ProducerState, *IndexEntry) {
	res := AppendResult{LogStart: st.LogStart}
	hasProducer := b.ProducerID >= 0 // Kafka's RecordBatch.hasProducerId
	if hasProducer {
		off, dup, err := CheckSequence(prod, b.ProducerEpoch, b.BaseSequence, b.NumRecords)
		if err != nil {
			res.Err = fmt.Errorf("producer %d on %v: %w", b.ProducerID, b.Partition, err)
			return res, nil, nil
		}
		if dup {
			res.BaseOffset, res.Duplicate = off, true
			return res, nil, nil
		}
	}
	res.BaseOffset = st.HighWater
	entry := &IndexEntry{
		BaseOffset: res.BaseOffset, LastOffset: res.BaseOffset + int64(b.NumRecords) - 1,
		ObjectKey: objKey, Pos: b.Pos, Size: b.Size, MaxTimestamp: b.MaxTimestamp,
	}
	st.HighWater += int64(b.NumRecords)
	st.Bytes += b.Size
	if !hasProducer {
		return res, nil, entry
	}
	return res, RecordBatch(prod, b.ProducerEpoch, b.BaseSequence, b.NumRecords, res.BaseOffset), entry
}
