package recordbatch

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"runtime/metrics"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// baseTS is the producer clock the test batches are stamped with.
const baseTS = 1_700_000_000_000

// codecs are every codec Kafka defines, named for subtests.
var codecs = []struct {
	name  string
	codec kgo.CompressionCodec
}{
	{"none", kgo.NoCompression()},
	{"gzip", kgo.GzipCompression()},
	{"snappy", kgo.SnappyCompression()},
	{"lz4", kgo.Lz4Compression()},
	{"zstd", kgo.ZstdCompression()},
}

// sampleRecords returns n records as a producer writes them: offset
// deltas 0..n-1, timestamp deltas 0..n-1, a key, a value of valueSize
// bytes, and headers on every third record.
func sampleRecords(n, valueSize int) []kmsg.Record {
	recs := make([]kmsg.Record, n)
	for i := range recs {
		v := bytes.Repeat([]byte(fmt.Sprintf("value-%d;", i)), valueSize/8+1)[:valueSize]
		recs[i] = kmsg.Record{
			TimestampDelta64: int64(i), OffsetDelta: int32(i),
			Key: []byte(fmt.Sprintf("key-%d", i)), Value: v,
		}
		if i%3 == 0 {
			recs[i].Headers = []kmsg.Header{{Key: "trace", Value: []byte{byte(i)}}, {Key: "k", Value: nil}}
		}
	}
	return recs
}

// encodeRecords writes recs with kmsg, filling in each length prefix.
func encodeRecords(recs []kmsg.Record) []byte {
	var out []byte
	for _, r := range recs {
		r.Length = 0
		r.Length = int32(len(r.AppendTo(nil)) - 1) // a zero length prefix is one byte
		out = r.AppendTo(out)
	}
	return out
}

// compress compresses raw with franz-go's own compressor.
func compress(tb testing.TB, codec kgo.CompressionCodec, raw []byte) ([]byte, kgo.CompressionCodecType) {
	tb.Helper()
	c, err := kgo.DefaultCompressor(codec)
	if err != nil {
		tb.Fatalf("compressor: %v", err)
	}
	if c == nil { // kgo.NoCompression
		return raw, kgo.CodecNone
	}
	out, used := c.Compress(new(bytes.Buffer), raw)
	if used == kgo.CodecError {
		tb.Fatalf("compress with %v failed", codec)
	}
	return slices.Clone(out), used
}

// buildBatch encodes recs as a producer's batch with codec: baseOffset 0,
// leader epoch -1, no producer id, header fields consistent with recs.
// mod, if not nil, edits the batch before the length and CRC are set.
func buildBatch(tb testing.TB, codec kgo.CompressionCodec, recs []kmsg.Record, mod func(*kmsg.RecordBatch)) []byte {
	tb.Helper()
	records, used := compress(tb, codec, encodeRecords(recs))
	maxTS := int64(baseTS)
	for _, r := range recs {
		maxTS = max(maxTS, baseTS+r.TimestampDelta64)
	}
	rb := kmsg.RecordBatch{
		PartitionLeaderEpoch: -1, Magic: 2, Attributes: int16(used),
		LastOffsetDelta: int32(len(recs) - 1), FirstTimestamp: baseTS, MaxTimestamp: maxTS,
		ProducerID: -1, ProducerEpoch: -1, FirstSequence: -1,
		NumRecords: int32(len(recs)), Records: records,
	}
	if mod != nil {
		mod(&rb)
	}
	rb.Length = int32(minBatchLength + len(rb.Records))
	return sealCRC(rb.AppendTo(nil))
}

// sealCRC recomputes a test batch's CRC-32C after an edit, independently
// of the package's own helper.
func sealCRC(b []byte) []byte {
	binary.BigEndian.PutUint32(b[17:], crc32.Checksum(b[21:], crc32.MakeTable(crc32.Castagnoli)))
	return b
}

// fetchDecode reads data as a consumer does, through franz-go's fetch
// path (which checks every CRC), starting at offset 0.
func fetchDecode(tb testing.TB, data []byte) []*kgo.Record {
	tb.Helper()
	rp := kmsg.FetchResponseTopicPartition{RecordBatches: data, HighWatermark: 1 << 62}
	fp, _ := kgo.ProcessFetchPartition(kgo.ProcessFetchPartitionOpts{Topic: "t"}, &rp, kgo.DefaultDecompressor(), nil)
	if fp.Err != nil {
		tb.Fatalf("franz-go fetch decode: %v", fp.Err)
	}
	return fp.Records
}

// concat joins record sets.
func concat(parts ...[]byte) []byte { return slices.Concat(parts...) }

// allocated is how many heap bytes fn allocated (process-wide, so run it
// from one goroutine with nothing else going on).
func allocated(fn func()) uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	before := s[0].Value.Uint64()
	fn()
	metrics.Read(s)
	return s[0].Value.Uint64() - before
}
