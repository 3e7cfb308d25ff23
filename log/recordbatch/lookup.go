package recordbatch

// FindOffsetByTimestamp returns the first record of batch, which must be
// exactly one batch, whose timestamp is at least ts: its offset
// (baseOffset plus its offset delta) and timestamp. This is ListOffsets
// by timestamp, as Kafka's LogSegment.findOffsetByTimestamp. Under
// LogAppendTime every record's timestamp is the batch's maxTimestamp.
//
// Records are decompressed (within DefaultMaxDecompressedBytes) and
// parsed, not trusted to the header's maxTimestamp: a CreateTime batch
// whose producer got maxTimestamp wrong is still searched right.
func FindOffsetByTimestamp(batch []byte, baseOffset, ts int64) (offset, timestamp int64, found bool, err error) {
	return FindOffsetByTimestampFrom(batch, baseOffset, ts, baseOffset)
}

// FindOffsetByTimestampFrom is FindOffsetByTimestamp among the records at
// or after offset from: a batch that holds the log start after
// DeleteRecords still holds records below it, which are gone (Kafka's
// findOffsetByTimestamp(timestamp, startingOffset)).
func FindOffsetByTimestampFrom(batch []byte, baseOffset, ts, from int64) (offset, timestamp int64, found bool, err error) {
	offset, timestamp = -1, -1
	err = scan(batch, func(_ *Header, r *Record) bool {
		if t := r.Timestamp; t >= ts && baseOffset+int64(r.OffsetDelta) >= from {
			offset, timestamp, found = baseOffset+int64(r.OffsetDelta), t, true
			return false
		}
		return true
	})
	if err != nil {
		return -1, -1, false, err
	}
	return offset, timestamp, found, nil
}

// MaxTimestampRecord returns the offset and timestamp of the record of
// batch with the largest timestamp, the first one on ties: ListOffsets
// MAX_TIMESTAMP (-3, KIP-734) within one batch. Under LogAppendTime that
// is the first record. A batch without records is an *Error.
func MaxTimestampRecord(batch []byte, baseOffset int64) (offset, ts int64, err error) {
	seen := false
	err = scan(batch, func(h *Header, r *Record) bool {
		if t := r.Timestamp; !seen || t > ts {
			offset, ts, seen = baseOffset+int64(r.OffsetDelta), t, true
		}
		return h.TimestampType() == CreateTime
	})
	switch {
	case err != nil:
		return -1, -1, err
	case !seen:
		return -1, -1, batchErr(ErrInvalidRecord, nil, "batch has no records")
	}
	return offset, ts, nil
}

// scan decodes the records of batch in order, headers skipped, calling
// fn until it returns false. The batch's framing is checked; its CRC is
// not (it was when the batch was produced).
func scan(batch []byte, fn func(h *Header, r *Record) bool) error {
	rs, err := OpenBatch(batch)
	if err != nil {
		return err
	}
	return eachRecord(rs.recs, &rs.Header, false, func(r *Record) error {
		if !fn(&rs.Header, r) {
			return errStop
		}
		return nil
	})
}
