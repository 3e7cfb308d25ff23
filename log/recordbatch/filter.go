package recordbatch

import (
	"bytes"
	"fmt"
	"sync"

	"github.com/twmb/franz-go/pkg/kbin"
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
//
// The kept records are gathered in one buffer sized for all of them, and
// their headers are skipped, not collected.
func (rs *Records) Filter(keep func(index int) bool) ([]byte, error) {
	kept := make([]byte, 0, len(rs.recs))
	n := int32(0)
	maxTS := int64(-1)
	err := eachRecord(rs.recs, &rs.Header, false, func(r *Record) error {
		if keep(r.Index) {
			kept = append(kept, r.Raw...)
			n++
			maxTS = max(maxTS, r.Timestamp)
		}
		return nil
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
	var body, enc []byte
	var hs []kmsg.Header
	for i, nr := range recs {
		hs = hs[:0]
		for _, h := range nr.Headers {
			hs = append(hs, kmsg.Header{Key: string(h.Key), Value: h.Value})
		}
		r := kmsg.Record{
			TimestampDelta64: nr.Timestamp - first, OffsetDelta: int32(i),
			Key: nr.Key, Value: nr.Value, Headers: hs,
		}
		// The length prefix counts what follows it: encode once with a
		// zero length (one byte, 0), then write the real prefix and the
		// rest of that encoding.
		enc = r.AppendTo(enc[:0])
		body = kbin.AppendVarint(body, int32(len(enc)-1))
		body = append(body, enc[1:]...)
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
