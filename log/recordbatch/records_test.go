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

// TestScanRecordMatchesKmsg: for well-formed records the scanner reads
// what kmsg.Record reads.
func TestScanRecordMatchesKmsg(t *testing.T) {
	recs := sampleRecords(20, 30)
	recs[4].Key = nil
	recs[5].TimestampDelta64 = -1 << 40
	raw := encodeRecords(recs)
	for i := range recs {
		var r record
		size, err := scanRecord(raw, &r)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		var k kmsg.Record
		if err := k.ReadFrom(raw[:size]); err != nil {
			t.Fatalf("kmsg record %d: %v", i, err)
		}
		if r.TimestampDelta != k.TimestampDelta64 || r.OffsetDelta != k.OffsetDelta || r.NullKey != (k.Key == nil) {
			t.Fatalf("record %d: scanned %+v, kmsg %+v", i, r, k)
		}
		raw = raw[size:]
	}
	if !bytes.Equal(raw, nil) && len(raw) != 0 {
		t.Fatalf("%d bytes left", len(raw))
	}
}
