package recordbatch

import (
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kbin"
)

// The one record scanner. Every reader of a batch's records goes through
// eachRecord and scanRecord: Validate (offset deltas, timestamps, null
// keys), the timestamp lookups (FindOffsetByTimestamp,
// MaxTimestampRecord) and Records.Each (enforcement and ingest, which
// also want the headers). They differ only in whether the headers are
// collected.

// errStop ends eachRecord early, without error.
var errStop = errors.New("stop")

// eachRecord reads the h.NumRecords records in recs in order and calls fn
// with each, r.Index and r.Timestamp (as Kafka reports it, see
// recordTimestamp) set, the headers collected only when headers is true.
// r is reused from one call to the next. fn returning errStop ends the
// walk cleanly. Like Kafka's DefaultRecordBatch iterator it wants exactly
// the declared count and no bytes after the last record (unless stopped
// early); a record that does not parse stops it with an *Error, records
// before it having been passed to fn.
func eachRecord(recs []byte, h *Header, headers bool, fn func(r *Record) error) error {
	n := h.NumRecords
	if n < 0 {
		return batchErr(ErrInvalidRecord, nil, fmt.Sprintf("negative record count %d", n))
	}
	var r Record
	for i := range int(n) {
		size, err := scanRecord(recs, &r, headers)
		if err != nil {
			return recordErr(ErrInvalidRecord, i, err, fmt.Sprintf("record does not parse (%d declared)", n))
		}
		r.Index = i
		r.Timestamp = recordTimestamp(h, r.Timestamp) // scanRecord left the delta there
		if err := fn(&r); err != nil {
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

// scanRecord reads the record recs starts with into r and returns its
// size on the wire; r.Timestamp holds the record's timestamp delta. Key,
// Value and Raw alias recs, so nothing is copied; the headers are
// appended to r.Headers (reused) when headers is true, else skipped and
// r.Headers is left empty. It checks what Kafka's DefaultRecord.readFrom
// checks: the length prefix frames exactly the fields, the header count
// and header key lengths are not negative.
//
// This is hand-written over franz-go's kbin primitives rather than
// kmsg.Record.ReadFrom, for two reasons. kmsg.Record materializes the
// headers into a slice sized by the record's own, untrusted, count: 40
// bytes allocated per byte of input, so a 10 KiB zstd batch inflating to
// 64 MiB of empty headers would cost 2.5 GiB (here, collected headers
// grow only with the bytes actually read, and Validate collects none).
// And kmsg, a client codec, trusts the framing: it checks neither the
// length prefix against the fields nor negative counts. Kafka's broker
// likewise skips rather than decodes (DefaultRecordBatch.
// skipKeyValueIterator). kmsg.Record stays the reference: the tests build
// records with it, and FuzzValidate checks that every record accepted
// here decodes the same with it.
func scanRecord(recs []byte, r *Record, headers bool) (int, error) {
	l, sz := kbin.Varint(recs)
	if sz <= 0 {
		return 0, errors.New("bad record length varint")
	}
	if l < 0 || int(l) > len(recs)-sz {
		return 0, fmt.Errorf("record length %d with %d bytes left", l, len(recs)-sz)
	}
	r.Raw = recs[: sz+int(l) : sz+int(l)]
	b := kbin.Reader{Src: recs[sz : sz+int(l)]}
	b.Int8() // attributes: unused in v2
	r.Timestamp = b.Varlong()
	r.OffsetDelta = b.Varint()
	r.Key = readBytes(&b)
	r.Value = readBytes(&b)
	r.Headers = r.Headers[:0]
	if err := scanHeaders(&b, r, headers); err != nil {
		return 0, err
	}
	if !b.Ok() {
		return 0, fmt.Errorf("record fields run past its length %d", l)
	}
	if len(b.Src) != 0 {
		return 0, fmt.Errorf("record length %d, but its fields end %d bytes early", l, len(b.Src))
	}
	return sz + int(l), nil
}

// scanHeaders reads a record's headers, appending them to r.Headers when
// keep is true; a negative count or key length is an error (a negative
// value length is a null value, as in Kafka).
func scanHeaders(b *kbin.Reader, r *Record, keep bool) error {
	count := b.Varint()
	if count < 0 {
		return fmt.Errorf("negative header count %d", count)
	}
	for i := int32(0); i < count && b.Ok(); i++ {
		kl := b.Varint()
		if kl < 0 {
			return fmt.Errorf("header %d: negative key length %d", i, kl)
		}
		k := b.Span(int(kl))
		v := readBytes(b)
		if keep {
			r.Headers = append(r.Headers, RecordHeader{Key: k, Value: v})
		}
	}
	return nil
}

// readBytes reads a varint-length byte field; a negative length is null
// (nil). The result is capped at its length, so appending to it never
// writes into the record bytes.
func readBytes(b *kbin.Reader) []byte {
	n := b.Varint()
	if n < 0 {
		return nil
	}
	s := b.Span(int(n))
	if s == nil && b.Ok() {
		return []byte{} // empty, not null
	}
	return s[:len(s):len(s)]
}

// recordTimestamp is a record's timestamp as Kafka's DefaultRecordBatch
// reports it: the batch's maxTimestamp under LogAppendTime, else
// firstTimestamp plus the record's delta.
func recordTimestamp(h *Header, delta int64) int64 {
	if h.TimestampType() == LogAppendTime {
		return h.MaxTimestamp
	}
	return h.FirstTimestamp + delta
}
