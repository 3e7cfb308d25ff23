package recordbatch

import (
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kbin"
)

// errStop ends eachRecord early, without error.
var errStop = errors.New("stop")

// record is what the broker needs of one record. Key, value and headers
// are checked and skipped, never copied.
type record struct {
	TimestampDelta int64
	OffsetDelta    int32
	NullKey        bool
}

// eachRecord reads the n records in recs in order and calls fn with
// each; fn returning errStop ends the walk cleanly. Like Kafka's
// DefaultRecordBatch iterator it wants exactly n records and no bytes
// after them (unless stopped early).
func eachRecord(recs []byte, n int32, fn func(i int, r *record) error) error {
	if n < 0 {
		return batchErr(ErrInvalidRecord, nil, fmt.Sprintf("negative record count %d", n))
	}
	var r record
	for i := range int(n) {
		size, err := scanRecord(recs, &r)
		if err != nil {
			return recordErr(ErrInvalidRecord, i, err, fmt.Sprintf("record does not parse (%d declared)", n))
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

// scanRecord reads the record recs starts with into r and returns its
// size on the wire. It checks what Kafka's DefaultRecord.readFrom
// checks: the length prefix frames exactly the fields, the header count
// and header key lengths are not negative.
//
// This is hand-written over franz-go's kbin primitives rather than
// kmsg.Record.ReadFrom, for two reasons. kmsg.Record materializes the
// headers into a slice sized by the record's own, untrusted, count: 40
// bytes allocated per byte of input, so a 10 KiB zstd batch inflating to
// 64 MiB of empty headers would cost 2.5 GiB. And kmsg, a client codec,
// trusts the framing: it checks neither the length prefix against the
// fields nor negative counts. Kafka's broker likewise skips rather than
// decodes (DefaultRecordBatch.skipKeyValueIterator). kmsg.Record stays
// the reference: the tests build records with it, and FuzzValidate
// checks that every record accepted here decodes the same with it.
func scanRecord(recs []byte, r *record) (int, error) {
	l, sz := kbin.Varint(recs)
	if sz <= 0 {
		return 0, errors.New("bad record length varint")
	}
	if l < 0 || int(l) > len(recs)-sz {
		return 0, fmt.Errorf("record length %d with %d bytes left", l, len(recs)-sz)
	}
	b := kbin.Reader{Src: recs[sz : sz+int(l)]}
	b.Int8() // attributes: unused in v2
	r.TimestampDelta = b.Varlong()
	r.OffsetDelta = b.Varint()
	r.NullKey = skipBytes(&b)
	skipBytes(&b) // value
	if err := skipHeaders(&b); err != nil {
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

// skipHeaders skips a record's headers; a negative count or key length
// is an error (a negative value length is a null value, as in Kafka).
func skipHeaders(b *kbin.Reader) error {
	count := b.Varint()
	if count < 0 {
		return fmt.Errorf("negative header count %d", count)
	}
	for i := int32(0); i < count && b.Ok(); i++ {
		kl := b.Varint()
		if kl < 0 {
			return fmt.Errorf("header %d: negative key length %d", i, kl)
		}
		b.Span(int(kl))
		skipBytes(b)
	}
	return nil
}

// skipBytes skips a varint-length byte field and reports whether it is
// null (any negative length, as Kafka reads it).
func skipBytes(b *kbin.Reader) (null bool) {
	n := b.Varint()
	if n < 0 {
		return true
	}
	b.Span(int(n))
	return false
}

// recordTimestamp is a record's timestamp as Kafka's DefaultRecordBatch
// reports it: the batch's maxTimestamp under LogAppendTime, else
// firstTimestamp plus the record's delta.
func recordTimestamp(h *Header, r *record) int64 {
	if h.TimestampType() == LogAppendTime {
		return h.MaxTimestamp
	}
	return h.FirstTimestamp + r.TimestampDelta
}
