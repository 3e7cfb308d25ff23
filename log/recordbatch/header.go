package recordbatch

import (
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Byte layout of a v2 record batch header (KIP-98). kmsg decodes it; the
// offsets are only for the in-place patches kmsg has no API for.
const (
	offBaseOffset     = 0
	offBatchLength    = 8
	offLeaderEpoch    = 12
	offMagic          = 16
	offCRC            = 17
	offAttributes     = 21 // first byte the CRC covers
	offMaxTimestamp   = 35
	headerSize        = 61 // through the records count
	logOverhead       = 12 // baseOffset + batchLength: what batchLength excludes
	minBatchLength    = headerSize - logOverhead
	minRecordSize     = 7 // length, attributes, ts delta, offset delta, key, value, header count
	attrCodecMask     = 0x07
	attrLogAppendTime = 0x08
	attrTransactional = 0x10
	attrControl       = 0x20
)

// TimestampType is bit 3 of the attributes, and a topic's
// message.timestamp.type.
type TimestampType int8

const (
	// CreateTime: the producer's timestamps are kept (Kafka's default).
	CreateTime TimestampType = 0
	// LogAppendTime: the broker stamps the batch with its own clock.
	LogAppendTime TimestampType = 1
)

// Header is a batch header as it is on the wire, decoded by kmsg.
type Header struct {
	BaseOffset           int64
	BatchLength          int32
	PartitionLeaderEpoch int32
	Magic                int8
	CRC                  uint32
	Attributes           int16
	LastOffsetDelta      int32
	FirstTimestamp       int64
	MaxTimestamp         int64
	ProducerID           int64
	ProducerEpoch        int16
	BaseSequence         int32
	NumRecords           int32
}

// Len is the batch's size in bytes, header included.
func (h Header) Len() int { return logOverhead + int(h.BatchLength) }

// Codec is the compression codec from attribute bits 0-2.
func (h Header) Codec() kgo.CompressionCodecType {
	return kgo.CompressionCodecType(h.Attributes & attrCodecMask)
}

// TimestampType is attribute bit 3.
func (h Header) TimestampType() TimestampType {
	if h.Attributes&attrLogAppendTime != 0 {
		return LogAppendTime
	}
	return CreateTime
}

// Transactional is attribute bit 4.
func (h Header) Transactional() bool { return h.Attributes&attrTransactional != 0 }

// Control is attribute bit 5.
func (h Header) Control() bool { return h.Attributes&attrControl != 0 }

func headerOf(rb *kmsg.RecordBatch) Header {
	return Header{
		BaseOffset: rb.FirstOffset, BatchLength: rb.Length,
		PartitionLeaderEpoch: rb.PartitionLeaderEpoch, Magic: rb.Magic,
		CRC: uint32(rb.CRC), Attributes: rb.Attributes,
		LastOffsetDelta: rb.LastOffsetDelta, FirstTimestamp: rb.FirstTimestamp,
		MaxTimestamp: rb.MaxTimestamp, ProducerID: rb.ProducerID,
		ProducerEpoch: rb.ProducerEpoch, BaseSequence: rb.FirstSequence,
		NumRecords: rb.NumRecords,
	}
}

// frame checks the framing of the batch data starts with — magic and
// lengths, what Kafka's ByteBufferLogInputStream checks before anything
// else — and decodes its header. rb.Records is the (maybe compressed)
// record bytes; raw is the batch.
func frame(data []byte, rb *kmsg.RecordBatch) (raw []byte, err error) {
	if len(data) <= offMagic {
		return nil, batchErr(ErrCorrupt, ErrTruncated,
			fmt.Sprintf("%d bytes left, too few to hold a batch header", len(data)))
	}
	switch magic := int8(data[offMagic]); magic {
	case 2:
	case 0, 1:
		return nil, batchErr(ErrUnsupportedFormat, nil,
			fmt.Sprintf("magic %d (message format v0/v1) is not supported, only v2", magic))
	default:
		return nil, batchErr(ErrCorrupt, nil, fmt.Sprintf("invalid magic %d", magic))
	}
	if len(data) < headerSize {
		return nil, batchErr(ErrCorrupt, ErrTruncated,
			fmt.Sprintf("%d bytes left, a v2 batch header needs %d", len(data), headerSize))
	}
	// kmsg fails a length that runs past data; the checks below say why.
	decodeErr := rb.ReadFrom(data)
	if rb.Length < minBatchLength {
		return nil, batchErr(ErrCorrupt, nil,
			fmt.Sprintf("batch length %d is below the minimum %d", rb.Length, minBatchLength))
	}
	n := logOverhead + int(rb.Length)
	if n > len(data) {
		return nil, batchErr(ErrCorrupt, ErrTruncated,
			fmt.Sprintf("batch length %d needs %d bytes, %d left", rb.Length, n, len(data)))
	}
	if decodeErr != nil {
		return nil, batchErr(ErrCorrupt, decodeErr, "decode batch header")
	}
	return data[:n:n], nil
}

// Walk calls fn with the header and bytes of each batch in data, in
// order, until fn returns false. It checks framing only (magic, lengths;
// no CRC, no decompression): it is for data Validate accepted before.
// A framing error stops the walk and is returned as an *Error; batches
// before it have been passed to fn.
func Walk(data []byte, fn func(h Header, raw []byte) bool) error {
	var rb kmsg.RecordBatch
	for i, off := 0, 0; off < len(data); i++ {
		raw, err := frame(data[off:], &rb)
		if err != nil {
			return inBatch(err, i)
		}
		if !fn(headerOf(&rb), raw) {
			return nil
		}
		off += len(raw)
	}
	return nil
}

// one frames batch, which must be exactly one batch.
func one(batch []byte, rb *kmsg.RecordBatch) error {
	raw, err := frame(batch, rb)
	if err != nil {
		return err
	}
	if len(raw) != len(batch) {
		return batchErr(ErrCorrupt, nil,
			fmt.Sprintf("%d bytes after a %d byte batch; want exactly one batch", len(batch)-len(raw), len(raw)))
	}
	return nil
}
