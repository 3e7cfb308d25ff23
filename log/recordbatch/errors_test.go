package recordbatch

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

const n = 10 // records in the table's batches

// plain is an uncompressed batch of n records, edited by mod.
func plain(t *testing.T, mod func(*kmsg.RecordBatch)) []byte {
	return buildBatch(t, kgo.NoCompression(), sampleRecords(n, 20), mod)
}

// edit returns an edited copy of an uncompressed batch; the CRC is left
// as it was, so edits inside the CRC's range read as corruption.
func edit(t *testing.T, fn func(b []byte) []byte) []byte {
	return fn(plain(t, nil))
}

// withRecords replaces the batch's records with raw, keeping the header
// consistent with count records.
func withRecords(raw []byte, count int32) func(*kmsg.RecordBatch) {
	return func(rb *kmsg.RecordBatch) {
		rb.Records, rb.NumRecords, rb.LastOffsetDelta = raw, count, count-1
	}
}

// recordBody is r's encoding without its length prefix.
func recordBody(r kmsg.Record) []byte {
	r.Length = 0
	return r.AppendTo(nil)[1:]
}

// framed prefixes a record body with its length.
func framed(body []byte) []byte { return append(kbin.AppendVarint(nil, int32(len(body))), body...) }

func TestValidateErrors(t *testing.T) {
	recs := sampleRecords(n, 20)
	noHeaders := recordBody(kmsg.Record{Key: []byte("k"), Value: []byte("v")})
	emptyKey := recordBody(kmsg.Record{Key: []byte("k"), Headers: []kmsg.Header{{Key: "", Value: []byte("v")}}})
	bomb, _ := compress(t, kgo.ZstdCompression(), make([]byte, 2<<20))

	for _, tc := range []struct {
		name   string
		data   []byte
		opts   ValidateOptions
		kind   error
		cause  error
		batch  int
		record int
	}{
		{name: "empty record set", data: nil, kind: ErrInvalidRecord, cause: ErrEmptyRecordSet, record: -1},
		{name: "flipped record byte", kind: ErrCorrupt, cause: ErrCRC, record: -1,
			data: edit(t, func(b []byte) []byte { b[len(b)-3] ^= 0x40; return b })},
		{name: "flipped producer id byte", kind: ErrCorrupt, cause: ErrCRC, record: -1,
			data: edit(t, func(b []byte) []byte { b[45] ^= 1; return b })},
		{name: "flipped crc", kind: ErrCorrupt, cause: ErrCRC, record: -1,
			data: edit(t, func(b []byte) []byte { b[offCRC] ^= 1; return b })},
		{name: "truncated by one byte", kind: ErrCorrupt, cause: ErrTruncated, record: -1,
			data: edit(t, func(b []byte) []byte { return b[:len(b)-1] })},
		{name: "truncated in header", kind: ErrCorrupt, cause: ErrTruncated, record: -1,
			data: edit(t, func(b []byte) []byte { return b[:40] })},
		{name: "truncated before magic", kind: ErrCorrupt, cause: ErrTruncated, record: -1,
			data: edit(t, func(b []byte) []byte { return b[:10] })},
		{name: "batch length below minimum", kind: ErrCorrupt, record: -1,
			data: edit(t, func(b []byte) []byte { binary.BigEndian.PutUint32(b[8:], 48); return b })},
		{name: "negative batch length", kind: ErrCorrupt, record: -1,
			data: edit(t, func(b []byte) []byte { binary.BigEndian.PutUint32(b[8:], 0xffffff00); return b })},
		{name: "batch length past the data", kind: ErrCorrupt, cause: ErrTruncated, record: -1,
			data: edit(t, func(b []byte) []byte { binary.BigEndian.PutUint32(b[8:], 1<<20); return b })},
		{name: "trailing garbage", kind: ErrCorrupt, cause: ErrTruncated, batch: 1, record: -1,
			data: edit(t, func(b []byte) []byte { return append(b, 1, 2, 3, 4, 5) })},
		{name: "trailing garbage with multiple batches allowed", kind: ErrCorrupt, batch: 1, record: -1,
			opts: ValidateOptions{AllowMultipleBatches: true},
			data: edit(t, func(b []byte) []byte { return append(b, bytes.Repeat([]byte{9}, 70)...) })},
		{name: "magic 1", kind: ErrUnsupportedFormat, record: -1,
			data: edit(t, func(b []byte) []byte { b[offMagic] = 1; return b })},
		{name: "magic 0", kind: ErrUnsupportedFormat, record: -1,
			data: edit(t, func(b []byte) []byte { b[offMagic] = 0; return b[:30] })},
		{name: "magic 3", kind: ErrCorrupt, record: -1,
			data: edit(t, func(b []byte) []byte { b[offMagic] = 3; return b })},
		{name: "oversize", kind: ErrTooLarge, record: -1, opts: ValidateOptions{MaxBatchBytes: 100},
			data: plain(t, nil)},
		{name: "decompression bomb", kind: ErrTooLarge, cause: kgo.ErrMaxDecompress, record: -1,
			opts: ValidateOptions{MaxDecompressedBytes: 1 << 20},
			data: buildBatch(t, kgo.NoCompression(), recs, func(rb *kmsg.RecordBatch) {
				rb.Records, rb.Attributes = bomb, int16(kgo.CodecZstd)
			})},
		{name: "non-zero base offset", kind: ErrInvalidRecord, record: -1,
			data: plain(t, func(rb *kmsg.RecordBatch) { rb.FirstOffset = 7 })},
		{name: "count above lastOffsetDelta+1", kind: ErrInvalidRecord, record: -1,
			data: plain(t, func(rb *kmsg.RecordBatch) { rb.NumRecords = n + 1 })},
		{name: "lastOffsetDelta above count-1", kind: ErrInvalidRecord, record: -1,
			data: plain(t, func(rb *kmsg.RecordBatch) { rb.LastOffsetDelta = n })},
		{name: "negative record count", kind: ErrInvalidRecord, record: -1,
			data: plain(t, func(rb *kmsg.RecordBatch) { rb.NumRecords = -1 })},
		{name: "negative lastOffsetDelta", kind: ErrInvalidRecord, record: -1,
			data: plain(t, func(rb *kmsg.RecordBatch) { rb.NumRecords, rb.LastOffsetDelta = -1, -2 })},
		{name: "zero records", kind: ErrInvalidRecord, record: -1,
			data: plain(t, withRecords(nil, 0))},
		{name: "fewer records than declared", kind: ErrInvalidRecord, record: n,
			data: plain(t, func(rb *kmsg.RecordBatch) { rb.NumRecords, rb.LastOffsetDelta = n+1, n })},
		{name: "more records than declared", kind: ErrInvalidRecord, record: -1,
			data: plain(t, func(rb *kmsg.RecordBatch) { rb.NumRecords, rb.LastOffsetDelta = n-1, n-2 })},
		{name: "offset deltas not 0..n-1", kind: ErrInvalidRecord, record: 2,
			data: buildBatch(t, kgo.GzipCompression(), func() []kmsg.Record {
				r := sampleRecords(n, 20)
				r[2].OffsetDelta = 5
				return r
			}(), nil)},
		{name: "record length past the records", kind: ErrInvalidRecord, record: 1,
			data: plain(t, withRecords(concat(framed(noHeaders), kbin.AppendVarint(nil, 100), noHeaders), 2))},
		{name: "record length longer than its fields", kind: ErrInvalidRecord, record: 0,
			data: plain(t, withRecords(framed(append(bytes.Clone(noHeaders), 0)), 1))},
		{name: "negative header count", kind: ErrInvalidRecord, record: 0,
			data: plain(t, withRecords(framed(append(bytes.Clone(noHeaders[:len(noHeaders)-1]), 1)), 1))},
		{name: "null header key", kind: ErrInvalidRecord, record: 0,
			data: plain(t, withRecords(framed(bytes.Replace(emptyKey, []byte{2, 0, 2, 'v'}, []byte{2, 1, 2, 'v'}, 1)), 1))},
		{name: "record fields past its length", kind: ErrInvalidRecord, record: 0,
			data: plain(t, withRecords(framed(noHeaders[:len(noHeaders)-2]), 1))},
		{name: "garbage records", kind: ErrInvalidRecord, record: 0,
			data: plain(t, withRecords(bytes.Repeat([]byte{0xff}, 40), 3))},
		{name: "garbage gzip", kind: ErrInvalidRecord, record: -1,
			data: plain(t, func(rb *kmsg.RecordBatch) { rb.Attributes = int16(kgo.CodecGzip) })},
		{name: "control batch", kind: ErrInvalidRecord, record: -1,
			data: plain(t, func(rb *kmsg.RecordBatch) { rb.Attributes |= attrControl })},
		{name: "producer id without sequence", kind: ErrInvalidRecord, record: -1,
			data: plain(t, func(rb *kmsg.RecordBatch) { rb.ProducerID, rb.ProducerEpoch = 5, 0 })},
		{name: "unknown codec", kind: ErrUnsupportedCompression, record: -1,
			data: plain(t, func(rb *kmsg.RecordBatch) { rb.Attributes = 6 })},
		{name: "zstd before produce v7", kind: ErrUnsupportedCompression, record: -1,
			opts: ValidateOptions{RejectZstd: true}, data: buildBatch(t, kgo.ZstdCompression(), recs, nil)},
		{name: "null key on compacted topic", kind: ErrInvalidRecord, record: 1,
			opts: ValidateOptions{Compacted: true},
			data: buildBatch(t, kgo.SnappyCompression(), func() []kmsg.Record {
				r := sampleRecords(n, 20)
				r[1].Key, r[3].Key = nil, nil
				return r
			}(), nil)},
		{name: "timestamp after window", kind: ErrInvalidTimestamp, record: 3,
			opts: ValidateOptions{Now: baseTS, TimestampAfterMax: 2}, data: plain(t, nil)},
		{name: "timestamp before window", kind: ErrInvalidTimestamp, record: 0,
			opts: ValidateOptions{Now: baseTS + 100, TimestampBeforeMax: 50}, data: plain(t, nil)},
		{name: "client claims LogAppendTime", kind: ErrInvalidTimestamp, record: 0,
			opts: ValidateOptions{TimestampType: LogAppendTime},
			data: plain(t, func(rb *kmsg.RecordBatch) { rb.Attributes |= attrLogAppendTime })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Validate(tc.data, tc.opts)
			t.Log(err)
			wantKind(t, err, tc.kind, tc.batch, tc.record)
			if tc.cause != nil && !errors.Is(err, tc.cause) {
				t.Errorf("got %v, want cause %v", err, tc.cause)
			}
		})
	}
}

func TestValidateRecordErrors(t *testing.T) {
	recs := sampleRecords(n, 20)
	recs[1].Key, recs[3].Key = nil, nil
	data := buildBatch(t, kgo.NoCompression(), recs, nil)
	_, err := Validate(data, ValidateOptions{Compacted: true, Now: baseTS, TimestampAfterMax: 7})
	e := wantKind(t, err, ErrInvalidTimestamp, 0, 1) // any timestamp error makes it INVALID_TIMESTAMP
	var got []int
	for _, re := range e.RecordErrors {
		got = append(got, re.Index)
	}
	if want := []int{1, 3, 8, 9}; !slices.Equal(got, want) {
		t.Fatalf("record errors at %v, want %v", got, want)
	}
	if !strings.Contains(e.Message, "4 records rejected") {
		t.Errorf("message %q does not count the records", e.Message)
	}
	if e.Code() != 32 {
		t.Errorf("code %d, want 32", e.Code())
	}
}

// TestValidateLogAppendTimeFromClientOnCreateTimeTopic: Kafka accepts it
// (the bit is rewritten on append), and every record reads as the
// header's maxTimestamp.
func TestValidateLogAppendTimeFromClientOnCreateTimeTopic(t *testing.T) {
	data := plain(t, func(rb *kmsg.RecordBatch) { rb.Attributes |= attrLogAppendTime })
	batches, err := Validate(data, ValidateOptions{})
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if b := batches[0]; b.TimestampType != LogAppendTime || b.MaxTimestamp != baseTS+n-1 || b.MaxTimestampDelta != 0 {
		t.Fatalf("batch %+v", b)
	}
}

func TestErrorString(t *testing.T) {
	_, err := Validate(edit(t, func(b []byte) []byte { b[offCRC] ^= 1; return b }), ValidateOptions{})
	got := err.Error()
	for _, want := range []string{"batch 0", "stored crc", "crc mismatch", "CORRUPT_MESSAGE"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
}
