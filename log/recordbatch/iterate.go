package recordbatch

import (
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Reading records whole: the enforcement of schemas and the Iceberg
// ingest need each record's key, value and headers, and the bytes to keep
// when some records are dropped. The scanner (records.go) yields them,
// aliasing the decompressed records, without allocating per record.

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
// that does not parse (the checks of scanRecord, the one scanner Validate
// uses too) stops the walk with an *Error, records before it having been
// passed to fn.
func (rs *Records) Each(fn func(r *Record) bool) error {
	return eachRecord(rs.recs, &rs.Header, true, func(r *Record) error {
		if !fn(r) {
			return errStop
		}
		return nil
	})
}

// Collect appends every record of the batch to dst, in order, and returns
// it: the records Each yields, each its own Record, for a caller that
// keeps them all (schema enforcement checks them in parallel, then drops
// some). The headers of all records share backing arrays that grow with
// the headers read, rather than one slice per record; keys, values, header
// fields and Raw alias the batch as in Each. A record that does not parse
// is an *Error, as in Each, and dst comes back as far as it got.
func (rs *Records) Collect(dst []Record) ([]Record, error) {
	var hs []RecordHeader
	err := eachRecord(rs.recs, &rs.Header, true, func(r *Record) error {
		c := *r
		if len(r.Headers) == 0 {
			c.Headers = nil
		} else {
			from := len(hs)
			hs = append(hs, r.Headers...)
			c.Headers = hs[from:len(hs):len(hs)]
		}
		dst = append(dst, c)
		return nil
	})
	return dst, err
}
