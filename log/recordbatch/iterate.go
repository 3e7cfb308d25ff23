package recordbatch

import (
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Reading records whole: the enforcement of schemas needs each record's
// key, value and headers, and the bytes to keep when some records are
// dropped. Validate and scan skip those fields (see scanRecord); this file
// exposes them, aliasing the decompressed records, without allocating per
// record.

// Record is one record of a batch as Records.Each yields it. Key, Value,
// Headers and Raw alias the batch's decompressed records: they are valid
// until the Records is dropped, and Each reuses the Record (and its
// Headers slice) from one call to the next.
type Record struct {
	// Index is the record's position in the batch, from 0.
	Index int
	// OffsetDelta is the record's offset relative to the batch's base.
	OffsetDelta int32
	// Timestamp is the record's timestamp as Kafka reports it: the
	// batch's maxTimestamp under LogAppendTime, else firstTimestamp plus
	// the record's delta.
	Timestamp int64
	// Key and Value are nil when null (a negative length on the wire).
	Key, Value []byte
	Headers    []RecordHeader
	// Raw is the record as encoded in the batch, length prefix included.
	Raw []byte
}

// RecordHeader is one record header. Value is nil when null.
type RecordHeader struct {
	Key   []byte
	Value []byte
}

// Records is one batch opened for reading its records: the header and
// the decompressed record bytes. Safe for concurrent use (Each keeps its
// state on the caller's stack).
type Records struct {
	Header Header
	recs   []byte
}

// OpenBatch frames batch, which must be exactly one v2 batch, and
// decompresses its records within DefaultMaxDecompressedBytes. It checks
// framing and the codec, not the CRC (Validate does, before a batch is
// stored) nor the records (Each does, as it reads them). Failures are
// *Error.
func OpenBatch(batch []byte) (*Records, error) {
	return openBatch(batch, DefaultMaxDecompressedBytes)
}

func openBatch(batch []byte, maxDecompressed int) (*Records, error) {
	var rb kmsg.RecordBatch
	if err := one(batch, &rb); err != nil {
		return nil, err
	}
	dec, err := decompressorFor(maxDecompressed)
	if err != nil {
		return nil, err
	}
	h := headerOf(&rb)
	recs, err := recordBytes(&h, rb.Records, dec)
	if err != nil {
		return nil, err
	}
	return &Records{Header: h, recs: recs}, nil
}

// Each reads the batch's records in order and calls fn with each until fn
// returns false. As Kafka's DefaultRecordBatch iterator it wants exactly
// the header's record count and no bytes after the last record; a record
// that does not parse (the checks of scanRecord) stops the walk with an
// *Error, records before it having been passed to fn.
func (rs *Records) Each(fn func(r *Record) bool) error {
	n := rs.Header.NumRecords
	if n < 0 {
		return batchErr(ErrInvalidRecord, nil, fmt.Sprintf("negative record count %d", n))
	}
	var r Record
	recs := rs.recs
	for i := range int(n) {
		size, err := readRecord(recs, &r)
		if err != nil {
			return recordErr(ErrInvalidRecord, i, err, fmt.Sprintf("record does not parse (%d declared)", n))
		}
		r.Index = i
		r.Timestamp = rs.Header.FirstTimestamp + r.Timestamp // readRecord left the delta there
		if rs.Header.TimestampType() == LogAppendTime {
			r.Timestamp = rs.Header.MaxTimestamp
		}
		if !fn(&r) {
			return nil
		}
		recs = recs[size:]
	}
	if len(recs) != 0 {
		return batchErr(ErrInvalidRecord, nil,
			fmt.Sprintf("%d bytes after the last of %d records (declared count too small?)", len(recs), n))
	}
	return nil
}

// readRecord reads the record recs starts with into r (its timestamp
// field holds the delta) and returns its size on the wire. It makes the
// checks scanRecord makes, and keeps the fields scanRecord skips.
func readRecord(recs []byte, r *Record) (int, error) {
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
	count := b.Varint()
	if count < 0 {
		return 0, fmt.Errorf("negative header count %d", count)
	}
	r.Headers = r.Headers[:0]
	for i := int32(0); i < count && b.Ok(); i++ {
		kl := b.Varint()
		if kl < 0 {
			return 0, fmt.Errorf("header %d: negative key length %d", i, kl)
		}
		k := b.Span(int(kl))
		r.Headers = append(r.Headers, RecordHeader{Key: k, Value: readBytes(&b)})
	}
	if !b.Ok() {
		return 0, fmt.Errorf("record fields run past its length %d", l)
	}
	if len(b.Src) != 0 {
		return 0, fmt.Errorf("record length %d, but its fields end %d bytes early", l, len(b.Src))
	}
	return sz + int(l), nil
}

// readBytes reads a varint-length byte field; a negative length is null.
// The result is capped at its length, so appending to it never writes
// into the record bytes.
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
