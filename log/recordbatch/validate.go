package recordbatch

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Batch is one validated batch of a record set: where it sits and what
// the broker needs from its header and records.
type Batch struct {
	// Offset and Len locate the batch: data[Offset : Offset+Len].
	Offset, Len int

	// NumRecords is the record count (LastOffsetDelta+1, checked
	// against the header's count and the records themselves).
	NumRecords int32

	// FirstTimestamp is the header's baseTimestamp.
	FirstTimestamp int64
	// MaxTimestamp is the largest record timestamp (-1 if no record has
	// one): what Kafka writes back into the header of a CreateTime
	// topic's batch. See HeaderMaxTimestamp.
	MaxTimestamp int64
	// HeaderMaxTimestamp is the maxTimestamp the producer wrote. When it
	// is not MaxTimestamp, or TimestampType is LogAppendTime on a
	// CreateTime topic, SetCreateTime fixes the header as Kafka does.
	HeaderMaxTimestamp int64
	// MaxTimestampDelta is the offset delta of the first record with
	// MaxTimestamp, -1 if none.
	MaxTimestampDelta int32

	ProducerID    int64
	ProducerEpoch int16
	BaseSequence  int32

	Attributes    int16
	Codec         kgo.CompressionCodecType
	TimestampType TimestampType
	Transactional bool
	Control       bool
}

func newBatch(h *Header, off int) Batch {
	return Batch{
		Offset: off, Len: h.Len(), NumRecords: h.NumRecords,
		FirstTimestamp: h.FirstTimestamp, MaxTimestamp: -1,
		HeaderMaxTimestamp: h.MaxTimestamp, MaxTimestampDelta: -1,
		ProducerID: h.ProducerID, ProducerEpoch: h.ProducerEpoch,
		BaseSequence: h.BaseSequence, Attributes: h.Attributes,
		Codec: h.Codec(), TimestampType: h.TimestampType(),
		Transactional: h.Transactional(), Control: h.Control(),
	}
}

// Validate splits the record set one produce request carries for one
// partition into its batches and validates each as Kafka's
// UnifiedLog.analyzeAndValidateRecords and LogValidator do for a client
// append: framing, size, CRC, header consistency, then every record,
// decompressed within opts.MaxDecompressedBytes. It writes nothing.
//
// A failure is an *Error (errors.Is it against ErrCorrupt and the other
// kinds); an error of any other type means opts is invalid.
func Validate(data []byte, opts ValidateOptions) ([]Batch, error) {
	batches, _, err := validate(data, opts, false, nil)
	return batches, err
}

// ValidateOpen is Validate that also hands on each batch opened for
// reading its records (Records.Each, Collect, Filter), decompressed by
// the validation itself: the produce path's schema enforcement reads
// every record next, and a batch is decompressed once. An uncompressed
// batch's Records alias data.
func ValidateOpen(data []byte, opts ValidateOptions) ([]Batch, []*Records, error) {
	return validate(data, opts, true, nil)
}

// Visitor reads each record as validation walks it, so that a reader of
// every record (the produce path's schema enforcement) needs no walk of
// its own.
type Visitor interface {
	// VisitRecord is called with each record, in order, once it parsed
	// and its offset delta held; batch is the batch's index in the
	// record set, h its header. r is what Records.Each yields (key,
	// value, headers, raw bytes aliasing the decompressed records) and
	// valid during the call only. A call says nothing of the outcome:
	// validation may still refuse the record set after it (a record
	// further on that does not parse, a bad timestamp), and then what
	// the visitor made of it must be dropped.
	VisitRecord(batch int, h *Header, r *Record)
}

// ValidateVisit is ValidateOpen that also hands each record to vis (nil:
// none) during its own walk of the records: one read of each record for
// validation and the visitor together. Its result is ValidateOpen's.
func ValidateVisit(data []byte, opts ValidateOptions, vis Visitor) ([]Batch, []*Records, error) {
	return validate(data, opts, true, vis)
}

func validate(data []byte, opts ValidateOptions, open bool, vis Visitor) ([]Batch, []*Records, error) {
	if err := opts.Validate(); err != nil {
		return nil, nil, err
	}
	o := opts.withDefaults()
	dec, err := decompressorFor(o.MaxDecompressedBytes)
	if err != nil {
		return nil, nil, err
	}
	if len(data) == 0 {
		return nil, nil, batchErr(ErrInvalidRecord, ErrEmptyRecordSet, "no record batch for the partition")
	}
	v := validator{opts: &o, dec: dec, vis: vis}
	var batches []Batch
	var opened []*Records
	var rb kmsg.RecordBatch
	for off := 0; off < len(data); {
		i := len(batches)
		raw, err := frame(data[off:], &rb)
		if err != nil {
			return nil, nil, inBatch(err, i)
		}
		if i > 0 && !o.AllowMultipleBatches {
			return nil, nil, inBatch(batchErr(ErrInvalidRecord, nil, "more than one record batch for the partition"), i)
		}
		b, recs, err := v.batch(raw, &rb, off, i)
		if err != nil {
			return nil, nil, inBatch(err, i)
		}
		batches = append(batches, b)
		if open {
			opened = append(opened, &Records{Header: headerOf(&rb), recs: recs})
		}
		off += len(raw)
	}
	return batches, opened, nil
}

// validator checks batches against one set of options.
type validator struct {
	opts *ValidateOptions
	dec  kgo.Decompressor
	vis  Visitor // nil: records are not handed on
}

// batch validates batch number i and returns it and its records,
// decompressed.
func (v *validator) batch(raw []byte, rb *kmsg.RecordBatch, off, i int) (Batch, []byte, error) {
	h := headerOf(rb)
	if err := v.envelope(raw, &h); err != nil {
		return Batch{}, nil, err
	}
	if err := v.header(&h); err != nil {
		return Batch{}, nil, err
	}
	recs, err := recordBytes(&h, rb.Records, v.dec)
	if err != nil {
		return Batch{}, nil, err
	}
	b := newBatch(&h, off)
	if err := v.records(recs, &h, &b, i); err != nil {
		return Batch{}, nil, err
	}
	return b, recs, nil
}

// envelope runs UnifiedLog.analyzeAndValidateRecords' checks, in its
// order: baseOffset 0, size, CRC.
func (v *validator) envelope(raw []byte, h *Header) error {
	if h.BaseOffset != 0 && !v.opts.AllowNonZeroBaseOffset {
		return batchErr(ErrInvalidRecord, nil, fmt.Sprintf("baseOffset %d, a client batch must have 0", h.BaseOffset))
	}
	if len(raw) > v.opts.MaxBatchBytes {
		return batchErr(ErrTooLarge, nil, fmt.Sprintf("batch of %d bytes exceeds max.message.bytes %d", len(raw), v.opts.MaxBatchBytes))
	}
	if crc := crcOf(raw); crc != h.CRC {
		return batchErr(ErrCorrupt, ErrCRC, fmt.Sprintf("stored crc %#08x, computed %#08x", h.CRC, crc))
	}
	return nil
}

// header runs LogValidator.validateBatch's client checks, and the codec
// checks Kafka makes on the way in.
func (v *validator) header(h *Header) error {
	var msg string
	switch {
	case h.LastOffsetDelta < 0:
		msg = fmt.Sprintf("invalid offset range: lastOffsetDelta %d", h.LastOffsetDelta)
	case h.NumRecords <= 0:
		msg = fmt.Sprintf("invalid record count %d", h.NumRecords)
	case int64(h.LastOffsetDelta)+1 != int64(h.NumRecords):
		msg = fmt.Sprintf("lastOffsetDelta %d is inconsistent with record count %d", h.LastOffsetDelta, h.NumRecords)
	case h.Control():
		msg = "clients may not write control batches"
	case h.ProducerID >= 0 && h.BaseSequence < 0:
		msg = fmt.Sprintf("invalid sequence %d for producer id %d", h.BaseSequence, h.ProducerID)
	}
	if msg != "" {
		return batchErr(ErrInvalidRecord, nil, msg)
	}
	if h.Codec() == kgo.CodecZstd && v.opts.RejectZstd {
		return batchErr(ErrUnsupportedCompression, nil, "zstd needs Produce v7 or later")
	}
	return nil
}

// records checks every record as LogValidator.validateRecord does and
// fills in b's timestamps. Records that do not parse, or whose offset
// deltas do not run 0..n-1, fail the batch at once; key and timestamp
// problems are collected, as Kafka's record_errors. Each record that
// parses and has the right offset delta is handed to v.vis (batch bi),
// headers collected for it.
func (v *validator) records(recs []byte, h *Header, b *Batch, bi int) error {
	var bad []RecordError
	nbad, anyTimestamp := 0, false
	err := eachRecord(recs, h, v.vis != nil, func(r *Record) error {
		i := r.Index
		if r.OffsetDelta != int32(i) {
			return recordErr(ErrInvalidRecord, i, nil,
				fmt.Sprintf("offset delta %d, want %d: deltas must run 0..n-1", r.OffsetDelta, i))
		}
		if v.vis != nil {
			v.vis.VisitRecord(bi, h, r)
		}
		ts := r.Timestamp
		if ts > b.MaxTimestamp {
			b.MaxTimestamp, b.MaxTimestampDelta = ts, r.OffsetDelta
		}
		msg, isTS := v.recordProblem(h, r, ts)
		if msg != "" {
			nbad++
			anyTimestamp = anyTimestamp || isTS
			if len(bad) < maxRecordErrors {
				bad = append(bad, RecordError{Index: i, Message: msg})
			}
		}
		return nil
	})
	if err != nil || nbad == 0 {
		return err
	}
	return recordsRejected(bad, nbad, anyTimestamp)
}

// recordProblem is LogValidator.validateKey then validateTimestamp: the
// message for the record, if it is bad, and whether it is about time.
func (v *validator) recordProblem(h *Header, r *Record, ts int64) (string, bool) {
	if v.opts.Compacted && r.Key == nil {
		return "compacted topic cannot accept a record without a key", false
	}
	if v.opts.TimestampType == CreateTime && ts != -1 {
		if lo, hi := v.opts.window(); ts < lo || ts > hi {
			return fmt.Sprintf("timestamp %d of record at offset delta %d is out of range; it must be within [%d, %d]",
				ts, r.OffsetDelta, lo, hi), true
		}
	} else if h.TimestampType() == LogAppendTime {
		return "producer should not set timestamp type to LogAppendTime", true
	}
	return "", false
}

// recordsRejected is LogValidator.processRecordErrors: INVALID_TIMESTAMP
// if any record's timestamp was bad, else INVALID_RECORD.
func recordsRejected(bad []RecordError, nbad int, anyTimestamp bool) *Error {
	kind := ErrInvalidRecord
	if anyTimestamp {
		kind = ErrInvalidTimestamp
	}
	e := recordErr(kind, bad[0].Index, nil, bad[0].Message)
	e.RecordErrors = bad
	if nbad > 1 {
		e.Message = fmt.Sprintf("%d records rejected, the first: %s", nbad, bad[0].Message)
	}
	return e
}

// crcOf is the CRC-32C a batch header must carry.
func crcOf(batch []byte) uint32 { return crc32.Checksum(batch[offAttributes:], castagnoli) }

// putCRC stores the batch's CRC.
func putCRC(batch []byte) { binary.BigEndian.PutUint32(batch[offCRC:], crcOf(batch)) }
