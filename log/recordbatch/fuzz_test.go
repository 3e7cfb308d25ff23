package recordbatch

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// fuzzBound is the decompression bound the fuzz targets validate with,
// small so that the allocation invariant is tight.
const fuzzBound = 1 << 20

var fuzzOpts = ValidateOptions{AllowMultipleBatches: true, MaxDecompressedBytes: fuzzBound, Now: baseTS}

// lz4Buffers is a fixed cost of decoding lz4: pierrec/lz4 takes two
// buffers of the block size a frame declares (up to 4 MiB) from its
// pools, whatever the frame holds.
const lz4Buffers = 2 * 4 << 20

// allocLimit is what one Validate call may allocate for an input of n
// bytes: the decompressed records, kgo's growing output buffer and its
// copy (a few times the bound), lz4's buffers, and per-batch results.
func allocLimit(n int) uint64 { return 8*fuzzBound + lz4Buffers + 64*uint64(n) }

// seeds are valid batches of every codec and shape, and broken ones.
func seeds(tb testing.TB) [][]byte {
	var out [][]byte
	for _, c := range codecs {
		out = append(out, buildBatch(tb, c.codec, sampleRecords(3, 16), nil))
	}
	mixed, _ := mixedSet(tb)
	valid := buildBatch(tb, kgo.NoCompression(), sampleRecords(4, 8), nil)
	bomb, _ := compress(tb, kgo.ZstdCompression(), make([]byte, 2*fuzzBound))
	gzbomb, _ := compress(tb, kgo.GzipCompression(), make([]byte, 2*fuzzBound))
	headers := kbin.AppendVarint([]byte{0, 0, 0, 1, 1}, 100_000)
	headers, codec := compress(tb, kgo.ZstdCompression(), framed(append(headers, make([]byte, 200_000)...)))
	withBody := func(body []byte, codec kgo.CompressionCodecType) []byte {
		return buildBatch(tb, kgo.NoCompression(), sampleRecords(1, 1), func(rb *kmsg.RecordBatch) {
			rb.Records, rb.Attributes = body, int16(codec)
		})
	}
	flipped := bytes.Clone(valid)
	flipped[len(flipped)-1] ^= 1
	magic1 := bytes.Clone(valid)
	magic1[offMagic] = 1
	badLen := bytes.Clone(valid)
	binary.BigEndian.PutUint32(badLen[offBatchLength:], 20)
	return append(out,
		mixed,
		buildBatch(tb, kgo.Lz4Compression(), sampleRecords(5, 8), func(rb *kmsg.RecordBatch) {
			rb.Attributes |= attrLogAppendTime | attrTransactional
			rb.ProducerID, rb.ProducerEpoch, rb.FirstSequence = 7, 1, 100
		}),
		withBody(headers, codec),
		withBody(bomb, kgo.CodecZstd),
		withBody(gzbomb, kgo.CodecGzip),
		nil, valid[:len(valid)-1], valid[:20], flipped, magic1, badLen,
		concat(valid, []byte{0, 0, 0}),
	)
}

// FuzzValidate. Invariants: Validate never panics and, with a 1 MiB
// decompression bound, never allocates more than a few times that bound
// (plus a small multiple of the input); its errors are *Error. When it
// accepts: the batches tile the input; ValidateOpen returns the same
// batches, opened, and Records.Collect on each reads what OpenBatch and
// Each read; franz-go's consumer decodes the
// same records (count, offsets, timestamps) after PatchRecordSet stamps
// them; and Validate accepts the patched set again with identical batches.
func FuzzValidate(f *testing.F) {
	for i, s := range seeds(f) {
		f.Add(s, uint32(i*1000), i%2 == 0)
	}
	f.Fuzz(func(t *testing.T, data []byte, base uint32, reseal bool) {
		if reseal { // let mutations reach past the CRC check
			resealAll(data)
		}
		var batches []Batch
		var err error
		if got := allocated(func() { batches, err = Validate(data, fuzzOpts) }); got > allocLimit(len(data)) {
			t.Fatalf("Validate allocated %d bytes for a %d byte input, limit %d", got, len(data), allocLimit(len(data)))
		}
		if err != nil {
			if e := (*Error)(nil); !errors.As(err, &e) {
				t.Fatalf("error %v is %T, not *Error", err, err)
			}
			return
		}
		checkTiling(t, data, batches)
		checkOpened(t, data, batches)

		patched := bytes.Clone(data)
		next, err := PatchRecordSet(patched, int64(base))
		if err != nil {
			t.Fatalf("PatchRecordSet after Validate accepted: %v", err)
		}
		checkConsumerView(t, patched, batches, int64(base), next)

		again, err := Validate(patched, ValidateOptions{
			AllowMultipleBatches: true, AllowNonZeroBaseOffset: true,
			MaxDecompressedBytes: fuzzBound, Now: baseTS,
		})
		if err != nil {
			t.Fatalf("Validate after PatchRecordSet: %v", err)
		}
		if !reflect.DeepEqual(again, batches) {
			t.Fatalf("patched batches differ:\n%+v\n%+v", again, batches)
		}
	})
}

// resealAll recomputes the CRC of every batch that frames in data, so
// that mutated inputs get past the checksum to the deeper checks.
func resealAll(data []byte) {
	for len(data) >= headerSize {
		l := int32(binary.BigEndian.Uint32(data[offBatchLength:]))
		if l < minBatchLength || int(l) > len(data)-logOverhead {
			return
		}
		sealCRC(data[:logOverhead+int(l)])
		data = data[logOverhead+int(l):]
	}
}

// checkTiling: accepted batches cover the input exactly, in order.
func checkTiling(t *testing.T, data []byte, batches []Batch) {
	t.Helper()
	off := 0
	for i, b := range batches {
		if b.Offset != off || b.Len < headerSize || b.NumRecords < 1 {
			t.Fatalf("batch %d: %+v at %d", i, b, off)
		}
		off += b.Len
	}
	if off != len(data) {
		t.Fatalf("batches cover %d of %d bytes", off, len(data))
	}
}

// checkConsumerView decodes patched as franz-go's consumer does (which
// checks every CRC) and each batch's records with kmsg.Record, and
// compares both with what Validate reported.
func checkConsumerView(t *testing.T, patched []byte, batches []Batch, base, next int64) {
	t.Helper()
	total := int64(0)
	for _, b := range batches {
		total += int64(b.NumRecords)
	}
	if next != base+total {
		t.Fatalf("next %d, want %d + %d", next, base, total)
	}
	recs := fetchDecode(t, patched)
	if int64(len(recs)) != total {
		t.Fatalf("franz-go decoded %d records, Validate counted %d", len(recs), total)
	}
	for i, r := range recs {
		if r.Offset != base+int64(i) {
			t.Fatalf("record %d at offset %d, want %d", i, r.Offset, base+int64(i))
		}
	}
	for _, b := range batches {
		checkKmsgRecords(t, patched[b.Offset:b.Offset+b.Len], b)
	}
}

// checkKmsgRecords decodes one batch's records with kmsg.Record and
// checks Validate's count, deltas and timestamp peak against them.
func checkKmsgRecords(t *testing.T, raw []byte, b Batch) {
	t.Helper()
	var rb kmsg.RecordBatch
	if err := rb.ReadFrom(raw); err != nil {
		t.Fatalf("kmsg batch: %v", err)
	}
	recs, err := kgo.DefaultDecompressor().Decompress(rb.Records, kgo.CompressionCodecType(rb.Attributes&7))
	if err != nil {
		t.Fatalf("kgo decompress: %v", err)
	}
	peak, at := int64(-1), int32(-1)
	each := eachRecords(t, raw)
	if len(each) != int(b.NumRecords) {
		t.Fatalf("Records.Each yields %d records of a batch Validate counted %d in", len(each), b.NumRecords)
	}
	for j := range int32(b.NumRecords) {
		l, sz := kbin.Varint(recs)
		var r kmsg.Record
		if sz <= 0 || int(l) > len(recs)-sz || r.ReadFrom(recs[:sz+int(l)]) != nil {
			t.Fatalf("kmsg cannot decode record %d that Validate accepted", j)
		}
		recs = recs[sz+int(l):]
		ts := rb.FirstTimestamp + r.TimestampDelta64
		if rb.Attributes&attrLogAppendTime != 0 {
			ts = rb.MaxTimestamp
		}
		sameRecord(t, int(j), each[j], &r, ts)
		if r.OffsetDelta != j {
			t.Fatalf("kmsg reads offset delta %d for record %d", r.OffsetDelta, j)
		}
		if ts > peak {
			peak, at = ts, j
		}
	}
	if len(recs) != 0 {
		t.Fatalf("%d bytes after the records kmsg decoded", len(recs))
	}
	if peak != b.MaxTimestamp || at != b.MaxTimestampDelta {
		t.Fatalf("kmsg's records peak at %d (record %d), Validate says %d (%d)", peak, at, b.MaxTimestamp, b.MaxTimestampDelta)
	}
}

// FuzzPatchRecordSet. Invariants: PatchRecordSet never panics; on error
// it returns an *Error and leaves data as it was; on success it wrote
// only bytes 0-15 of each batch, chaining base offsets from base with
// leader epoch 0, and next follows the last batch. The per-batch
// functions (PatchBaseOffset, SetLogAppendTime, SetCreateTime,
// FindOffsetByTimestamp, MaxTimestampRecord) never panic on the batches
// Walk yields, and fail only with *Error.
func FuzzPatchRecordSet(f *testing.F) {
	for i, s := range seeds(f) {
		f.Add(s, int64(i)*1000, int64(baseTS+1), i%2 == 0)
	}
	f.Add(seeds(f)[0], int64(1<<63-2), int64(0), false)
	f.Fuzz(func(t *testing.T, data []byte, base, ts int64, reseal bool) {
		if reseal {
			resealAll(data)
		}
		orig := bytes.Clone(data)
		next, err := PatchRecordSet(data, base)
		if err != nil {
			wantError(t, err)
			if !bytes.Equal(data, orig) {
				t.Fatal("PatchRecordSet failed but wrote to the data")
			}
			return
		}
		checkPatched(t, data, orig, base, next)
		Walk(data, func(_ Header, raw []byte) bool {
			exercise(t, bytes.Clone(raw), base, ts)
			return true
		})
	})
}

// checkPatched: PatchRecordSet changed nothing but offsets and epochs.
func checkPatched(t *testing.T, data, orig []byte, base, next int64) {
	t.Helper()
	want, off := base, 0
	err := Walk(data, func(h Header, raw []byte) bool {
		if h.BaseOffset != want || h.PartitionLeaderEpoch != 0 {
			t.Fatalf("batch at %d: base %d epoch %d, want %d 0", off, h.BaseOffset, h.PartitionLeaderEpoch, want)
		}
		if !bytes.Equal(raw[offMagic:], orig[off+offMagic:off+len(raw)]) {
			t.Fatalf("batch at %d: bytes past the leader epoch changed", off)
		}
		want += int64(h.LastOffsetDelta) + 1
		off += len(raw)
		return true
	})
	if err != nil || want != next || off != len(data) {
		t.Fatalf("Walk after patch: %v; next %d want %d; %d of %d bytes", err, next, want, off, len(data))
	}
}

// exercise runs every per-batch function on one framed batch.
func exercise(t *testing.T, raw []byte, base, ts int64) {
	t.Helper()
	_, _, _, err := FindOffsetByTimestamp(raw, base, ts)
	wantError(t, err)
	_, _, err = MaxTimestampRecord(raw, base)
	wantError(t, err)
	wantError(t, PatchBaseOffset(raw, base))
	wantError(t, SetCreateTime(raw, ts))
	wantError(t, SetLogAppendTime(raw, ts))
}

// wantError fails unless err is nil or an *Error.
func wantError(t *testing.T, err error) {
	t.Helper()
	if e := (*Error)(nil); err != nil && !errors.As(err, &e) {
		t.Fatalf("error %v is %T, not *Error", err, err)
	}
}

// eachRecords reads a batch with OpenBatch and Records.Each (the reading
// mode of the one scanner), copying each record out.
func eachRecords(t *testing.T, batch []byte) []Record {
	t.Helper()
	rs, err := OpenBatch(batch)
	if err != nil {
		t.Fatalf("OpenBatch of a batch Validate accepted: %v", err)
	}
	var out []Record
	if err := rs.Each(func(r *Record) bool {
		c := *r
		c.Headers = slices.Clone(r.Headers)
		out = append(out, c)
		return true
	}); err != nil {
		t.Fatalf("Records.Each of a batch Validate accepted: %v", err)
	}
	return out
}

// sameRecord: Records.Each read what kmsg.Record decodes (timestamp as
// Kafka reports it, delta, key, value, headers, nulls kept apart from
// empties).
func sameRecord(t *testing.T, i int, got Record, want *kmsg.Record, ts int64) {
	t.Helper()
	same := got.Index == i && got.Timestamp == ts && got.OffsetDelta == want.OffsetDelta &&
		bytes.Equal(got.Key, want.Key) && (got.Key == nil) == (want.Key == nil) &&
		bytes.Equal(got.Value, want.Value) && (got.Value == nil) == (want.Value == nil) &&
		len(got.Headers) == len(want.Headers)
	for j := 0; same && j < len(want.Headers); j++ {
		h := got.Headers[j]
		same = string(h.Key) == want.Headers[j].Key && bytes.Equal(h.Value, want.Headers[j].Value) && (h.Value == nil) == (want.Headers[j].Value == nil)
	}
	if !same {
		t.Fatalf("record %d: Records.Each read %+v, kmsg %+v (timestamp %d)", i, got, want, ts)
	}
}

// checkOpened: ValidateOpen agrees with Validate, and the records it
// hands on (decompressed once) are those OpenBatch would read.
func checkOpened(t *testing.T, data []byte, batches []Batch) {
	t.Helper()
	got, opened, err := ValidateOpen(data, fuzzOpts)
	if err != nil || !reflect.DeepEqual(got, batches) || len(opened) != len(batches) {
		t.Fatalf("ValidateOpen = %+v, %d opened, %v; Validate gave %+v", got, len(opened), err, batches)
	}
	var v visited
	if got, _, err := ValidateVisit(data, fuzzOpts, &v); err != nil || !reflect.DeepEqual(got, batches) || len(v.recs) > len(batches) {
		t.Fatalf("ValidateVisit = %+v, %v, %d batches visited; Validate gave %+v", got, err, len(v.recs), batches)
	}
	for i, b := range batches {
		if i < len(v.recs) && !reflect.DeepEqual(v.recs[i], eachRecords(t, data[b.Offset:b.Offset+b.Len])) {
			t.Fatalf("batch %d: ValidateVisit handed on records Each does not yield", i)
		}
		recs, err := opened[i].Collect(nil)
		if err != nil {
			t.Fatalf("batch %d: Collect of a batch Validate accepted: %v", i, err)
		}
		want := eachRecords(t, data[b.Offset:b.Offset+b.Len])
		if len(recs) != len(want) {
			t.Fatalf("batch %d: Collect read %d records, Each %d", i, len(recs), len(want))
		}
		for j := range want {
			if len(want[j].Headers) == 0 {
				want[j].Headers = nil // Collect leaves no headers nil
			}
			if !reflect.DeepEqual(recs[j], want[j]) {
				t.Fatalf("batch %d record %d: Collect %+v, Each %+v", i, j, recs[j], want[j])
			}
		}
	}
}
