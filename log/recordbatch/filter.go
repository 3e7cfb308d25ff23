package recordbatch

import (
	"bytes"
	"fmt"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Filter returns a new batch holding only the records keep selects (by
// index), as Kafka's log cleaner rewrites a batch it compacts
// (MemoryRecords.filterTo): the header keeps its baseOffset,
// lastOffsetDelta, producer id, epoch and base sequence, attributes and
// firstTimestamp, so the offsets of dropped records become gaps that
// consumers step over (KAFKA-5443) and an idempotent producer's sequence
// numbers stay what the broker expects. The kept records are copied
// verbatim (their offset and timestamp deltas unchanged), recompressed
// with the batch's codec, and the count and CRC recomputed. maxTimestamp
// becomes the largest kept timestamp (the old one if none is kept, or
// under LogAppendTime).
//
// A batch that keeps nothing has no record bytes and no compression
// codec (Kafka's writeEmptyHeader): readers decompress nothing.
// partitionLeaderEpoch is copied as it is.
func (rs *Records) Filter(keep func(index int) bool) ([]byte, error) {
	var kept []byte
	n := int32(0)
	maxTS := int64(-1)
	err := rs.Each(func(r *Record) bool {
		if keep(r.Index) {
			kept = append(kept, r.Raw...)
			n++
			maxTS = max(maxTS, r.Timestamp)
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	h := rs.Header
	attrs := h.Attributes
	body := kept
	if n == 0 {
		attrs &^= attrCodecMask
		maxTS = h.MaxTimestamp
	} else if codec := h.Codec(); codec != kgo.CodecNone {
		if body, err = compressRecords(codec, kept); err != nil {
			return nil, err
		}
	}
	if h.TimestampType() == LogAppendTime || maxTS < 0 {
		maxTS = h.MaxTimestamp
	}
	rb := kmsg.RecordBatch{
		FirstOffset: h.BaseOffset, Length: int32(minBatchLength + len(body)),
		PartitionLeaderEpoch: h.PartitionLeaderEpoch, Magic: 2, Attributes: attrs,
		LastOffsetDelta: h.LastOffsetDelta, FirstTimestamp: h.FirstTimestamp, MaxTimestamp: maxTS,
		ProducerID: h.ProducerID, ProducerEpoch: h.ProducerEpoch, FirstSequence: h.BaseSequence,
		NumRecords: n, Records: body,
	}
	out := rb.AppendTo(make([]byte, 0, headerSize+len(body)))
	putCRC(out)
	return out, nil
}

// compressors caches franz-go's compressor per codec.
var compressors sync.Map // kgo.CompressionCodecType → kgo.Compressor

// compressRecords compresses raw records with codec, into a new slice.
func compressRecords(codec kgo.CompressionCodecType, raw []byte) ([]byte, error) {
	c, err := compressorFor(codec)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	out, used := c.Compress(&buf, raw)
	if used != codec {
		return nil, batchErr(ErrInvalidRecord, nil, fmt.Sprintf("compress records with %s failed", codecName(codec)))
	}
	return bytes.Clone(out), nil
}

func compressorFor(codec kgo.CompressionCodecType) (kgo.Compressor, error) {
	if c, ok := compressors.Load(codec); ok {
		return c.(kgo.Compressor), nil
	}
	var cc kgo.CompressionCodec
	switch codec {
	case kgo.CodecGzip:
		cc = kgo.GzipCompression()
	case kgo.CodecSnappy:
		cc = kgo.SnappyCompression()
	case kgo.CodecLz4:
		cc = kgo.Lz4Compression()
	case kgo.CodecZstd:
		cc = kgo.ZstdCompression()
	default:
		return nil, batchErr(ErrUnsupportedCompression, nil, fmt.Sprintf("no compressor for %s", codecName(codec)))
	}
	c, err := kgo.DefaultCompressor(cc)
	if err != nil {
		return nil, fmt.Errorf("recordbatch: %s compressor: %w", codecName(codec), err)
	}
	got, _ := compressors.LoadOrStore(codec, c)
	return got.(kgo.Compressor), nil
}

// NewRecord is a record for Build: a key, a value (nil for null), headers
// and an absolute timestamp in Unix milliseconds.
type NewRecord struct {
	Key, Value []byte
	Headers    []RecordHeader
	Timestamp  int64
}

// Build encodes recs, at least one, as one uncompressed v2 batch as a
// producer without idempotence writes it: baseOffset 0, offset deltas
// 0..n-1, firstTimestamp the smallest timestamp, CreateTime, no producer
// id, partitionLeaderEpoch -1, CRC set. It is how the broker writes records
// of its own (dead-letter copies) through the same intake path as
// producers' batches.
func Build(recs []NewRecord) []byte {
	first, maxTS := recs[0].Timestamp, recs[0].Timestamp
	for _, r := range recs {
		first, maxTS = min(first, r.Timestamp), max(maxTS, r.Timestamp)
	}
	var body []byte
	for i, nr := range recs {
		r := kmsg.Record{
			TimestampDelta64: nr.Timestamp - first, OffsetDelta: int32(i),
			Key: nr.Key, Value: nr.Value, Headers: make([]kmsg.Header, len(nr.Headers)),
		}
		for j, h := range nr.Headers {
			r.Headers[j] = kmsg.Header{Key: string(h.Key), Value: h.Value}
		}
		// The length prefix counts what follows it: encode once with a
		// zero length (one byte) to learn it.
		r.Length = int32(len(r.AppendTo(nil)) - 1)
		body = r.AppendTo(body)
	}
	rb := kmsg.RecordBatch{
		Length: int32(minBatchLength + len(body)), PartitionLeaderEpoch: -1, Magic: 2,
		LastOffsetDelta: int32(len(recs) - 1), FirstTimestamp: first, MaxTimestamp: maxTS,
		ProducerID: -1, ProducerEpoch: -1, FirstSequence: -1, NumRecords: int32(len(recs)), Records: body,
	}
	out := rb.AppendTo(make([]byte, 0, headerSize+len(body)))
	putCRC(out)
	return out
}
