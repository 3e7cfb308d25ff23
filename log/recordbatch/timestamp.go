package recordbatch

import (
	"encoding/binary"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// These follow Kafka's DefaultRecordBatch.setMaxTimestamp, which
// LogValidator calls on every appended batch: it writes the timestamp
// type into the attributes and maxTimestamp into the header, keeps
// baseTimestamp and the records' deltas, and recomputes the CRC (both
// fields lie inside it) only when something changed. kmsg has no in-place
// setter, hence the hand-written patch.

// SetLogAppendTime stamps batch, which must be exactly one validated
// batch, for a LogAppendTime topic: attribute bit 3 set, maxTimestamp ts,
// CRC recomputed. Readers then take ts as every record's timestamp.
func SetLogAppendTime(batch []byte, ts int64) error {
	return setMaxTimestamp(batch, LogAppendTime, ts)
}

// SetCreateTime is LogValidator's fix-up for a CreateTime topic: bit 3
// cleared and maxTimestamp set to maxTimestamp, which should be
// Batch.MaxTimestamp from Validate. A batch already so is left untouched.
func SetCreateTime(batch []byte, maxTimestamp int64) error {
	return setMaxTimestamp(batch, CreateTime, maxTimestamp)
}

func setMaxTimestamp(batch []byte, typ TimestampType, ts int64) error {
	var rb kmsg.RecordBatch
	if err := one(batch, &rb); err != nil {
		return err
	}
	attrs := rb.Attributes &^ attrLogAppendTime
	if typ == LogAppendTime {
		attrs |= attrLogAppendTime
	}
	if attrs == rb.Attributes && ts == rb.MaxTimestamp {
		return nil
	}
	binary.BigEndian.PutUint16(batch[offAttributes:], uint16(attrs))
	binary.BigEndian.PutUint64(batch[offMaxTimestamp:], uint64(ts))
	putCRC(batch)
	return nil
}
