package recordbatch

import (
	"bytes"
	"testing"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestValidateNonMinimalVarints: Kafka's readers accept a varint padded
// with continuation bytes, so Validate does too.
func TestValidateNonMinimalVarints(t *testing.T) {
	// attributes 0, timestamp delta 0, offset delta 0, key "k" with its
	// length as a 3-byte varint, value null, no headers.
	body := []byte{0, 0, 0, 0x82, 0x80, 0x00, 'k', 1, 0}
	data := plain(t, withRecords(framed(body), 1))
	if _, err := Validate(data, ValidateOptions{Compacted: true}); err != nil {
		t.Fatalf("Validate: %v", err)
	}
}

// TestValidateHeaderBombAllocations is the regression test for decoding
// records with kmsg.Record, which allocates a slice entry for every
// header a record claims: here 8M empty headers, a valid record, which
// zstd packs into a few KiB and kmsg would turn into 320 MiB of slice.
// Validate may allocate about the decompressed size, not a multiple.
func TestValidateHeaderBombAllocations(t *testing.T) {
	const headers = 8 << 20
	body := kbin.AppendVarint([]byte{0, 0, 0, 1, 1}, headers) // attrs, ts, offset, null key, null value, count
	body = append(body, make([]byte, 2*headers)...)           // each header: key "" and empty value
	records, codec := compress(t, kgo.ZstdCompression(), framed(body))
	data := plain(t, func(rb *kmsg.RecordBatch) {
		rb.Records, rb.Attributes, rb.NumRecords, rb.LastOffsetDelta = records, int16(codec), 1, 0
	})
	t.Logf("%d byte batch inflates to %d bytes", len(data), len(body))

	opts := ValidateOptions{MaxDecompressedBytes: 32 << 20}
	Validate(data, opts) // warm the decompressor pool
	var err error
	got := allocated(func() { _, err = Validate(data, opts) })
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if limit := uint64(3 * len(body)); got > limit {
		t.Fatalf("Validate allocated %d bytes for %d decompressed, want at most %d", got, len(body), limit)
	}
	t.Logf("allocated %d bytes", got)
}

// TestScanRecordMatchesKmsg: for well-formed records the one scanner
// reads what kmsg.Record reads, in both of its modes (headers skipped, as
// Validate and the lookups scan; headers kept, as Records.Each reads),
// and the two modes agree on everything but the headers.
func TestScanRecordMatchesKmsg(t *testing.T) {
	recs := sampleRecords(20, 30)
	recs[4].Key = nil
	recs[5].TimestampDelta64 = -1 << 40
	recs[6].Headers = []kmsg.Header{{Key: "a", Value: []byte("1")}, {Key: "", Value: nil}}
	raw := encodeRecords(recs)
	for i := range recs {
		var skip, keep Record
		size, err := scanRecord(raw, &skip, false)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if n, err := scanRecord(raw, &keep, true); err != nil || n != size {
			t.Fatalf("record %d with headers: size %d (%v), want %d", i, n, err, size)
		}
		var k kmsg.Record
		if err := k.ReadFrom(raw[:size]); err != nil {
			t.Fatalf("kmsg record %d: %v", i, err)
		}
		for _, r := range []*Record{&skip, &keep} {
			if r.Timestamp != k.TimestampDelta64 || r.OffsetDelta != k.OffsetDelta || (r.Key == nil) != (k.Key == nil) ||
				!bytes.Equal(r.Key, k.Key) || !bytes.Equal(r.Value, k.Value) || !bytes.Equal(r.Raw, raw[:size]) {
				t.Fatalf("record %d: scanned %+v, kmsg %+v", i, r, k)
			}
		}
		if len(skip.Headers) != 0 || len(keep.Headers) != len(k.Headers) {
			t.Fatalf("record %d: %d headers skipped, %d kept, kmsg %d", i, len(skip.Headers), len(keep.Headers), len(k.Headers))
		}
		for j, h := range k.Headers {
			if string(keep.Headers[j].Key) != h.Key || !bytes.Equal(keep.Headers[j].Value, h.Value) || (keep.Headers[j].Value == nil) != (h.Value == nil) {
				t.Fatalf("record %d header %d: %+v, kmsg %+v", i, j, keep.Headers[j], h)
			}
		}
		raw = raw[size:]
	}
	if len(raw) != 0 {
		t.Fatalf("%d bytes left", len(raw))
	}
}
