package recordbatch

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// errStop ends eachRecord early, without error.
var errStop = errors.New("stop")

// eachRecord decodes the n records in recs with kmsg, in order, and calls
// fn with each; fn returning errStop ends the walk cleanly. Like Kafka's
// DefaultRecordBatch iterator it wants exactly n records and no bytes
// after them (unless stopped early). The *kmsg.Record is reused, and its
// byte fields alias recs.
func eachRecord(recs []byte, n int32, fn func(i int, r *kmsg.Record) error) error {
	if n < 0 {
		return batchErr(ErrInvalidRecord, nil, fmt.Sprintf("negative record count %d", n))
	}
	var r kmsg.Record
	for i := range int(n) {
		size, err := nextRecord(recs, &r)
		if err != nil {
			return recordErr(ErrInvalidRecord, i, err,
				fmt.Sprintf("record does not parse (%d declared)", n))
		}
		if err := fn(i, &r); err != nil {
			if err == errStop {
				return nil
			}
			return err
		}
		recs = recs[size:]
	}
	if len(recs) != 0 {
		return batchErr(ErrInvalidRecord, nil,
			fmt.Sprintf("%d bytes after the last of %d records (declared count too small?)", len(recs), n))
	}
	return nil
}

// nextRecord decodes the record recs starts with into r and returns its
// size on the wire.
//
// kmsg decodes the fields but, as a client codec, trusts the framing: it
// neither checks that the record's length prefix matches the fields it
// read nor rejects a negative header count or header key length, all of
// which Kafka's DefaultRecord.readFrom refuses. Those checks are
// hand-written here, without a second parse: the fields' encoded size
// must equal the length prefix, which also pins the header count to the
// record's last byte. A consequence: non-minimal varints (which no known
// client writes, and Java accepts) are refused.
func nextRecord(recs []byte, r *kmsg.Record) (int, error) {
	l, sz := kbin.Varint(recs)
	if sz <= 0 {
		return 0, errors.New("bad record length varint")
	}
	if l < 0 || int(l) > len(recs)-sz {
		return 0, fmt.Errorf("record length %d with %d bytes left", l, len(recs)-sz)
	}
	raw := recs[:sz+int(l)]
	if err := r.UnsafeReadFrom(raw); err != nil {
		return 0, err
	}
	if body := bodyLen(r); body != int(l) {
		return 0, fmt.Errorf("record length %d, but its fields take %d bytes", l, body)
	}
	if len(r.Headers) == 0 && raw[len(raw)-1] != 0 {
		return 0, errors.New("negative header count")
	}
	if err := checkHeaderKeys(r, raw); err != nil {
		return 0, err
	}
	return len(raw), nil
}

// checkHeaderKeys refuses null header keys, which kmsg decodes as "".
// Only an empty key can hide one, and empty keys are rare, so the check
// re-encodes the record only then: a null key (varint -1) does not
// round-trip to the empty key's varint 0.
func checkHeaderKeys(r *kmsg.Record, raw []byte) error {
	for i := range r.Headers {
		if r.Headers[i].Key == "" {
			if !bytes.Equal(r.AppendTo(make([]byte, 0, len(raw))), raw) {
				return errors.New("negative header key length")
			}
			return nil
		}
	}
	return nil
}

// bodyLen is the size of r's fields after the length prefix, as written
// with minimal varints (kmsg.Record.AppendTo's encoding).
func bodyLen(r *kmsg.Record) int {
	n := 1 + // attributes
		kbin.VarlongLen(r.TimestampDelta64) +
		kbin.VarintLen(r.OffsetDelta) +
		bytesLen(r.Key) + bytesLen(r.Value) +
		kbin.VarintLen(int32(len(r.Headers)))
	for i := range r.Headers {
		h := &r.Headers[i]
		n += kbin.VarintLen(int32(len(h.Key))) + len(h.Key) + bytesLen(h.Value)
	}
	return n
}

// bytesLen is the encoded size of a varint-length byte field; nil is
// the one-byte -1.
func bytesLen(b []byte) int {
	if b == nil {
		return 1
	}
	return kbin.VarintLen(int32(len(b))) + len(b)
}

// recordTimestamp is a record's timestamp as Kafka's DefaultRecordBatch
// reports it: the batch's maxTimestamp under LogAppendTime, else
// firstTimestamp plus the record's delta.
func recordTimestamp(h *Header, r *kmsg.Record) int64 {
	if h.TimestampType() == LogAppendTime {
		return h.MaxTimestamp
	}
	return h.FirstTimestamp + r.TimestampDelta64
}
