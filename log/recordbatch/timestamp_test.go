package recordbatch

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestSetLogAppendTime(t *testing.T) {
	const lat = 1_800_000_000_000
	for _, c := range codecs {
		t.Run(c.name, func(t *testing.T) {
			b := buildBatch(t, c.codec, sampleRecords(6, 40), nil)
			if err := SetLogAppendTime(b, lat); err != nil {
				t.Fatalf("SetLogAppendTime: %v", err)
			}
			var h Header
			Walk(b, func(got Header, _ []byte) bool { h = got; return false })
			if h.TimestampType() != LogAppendTime || h.MaxTimestamp != lat || h.FirstTimestamp != baseTS {
				t.Fatalf("header %+v", h)
			}
			for _, r := range fetchDecode(t, b) { // checks the new CRC
				if r.Timestamp.UnixMilli() != lat || r.Attrs.TimestampType() != 1 {
					t.Fatalf("record %d: timestamp %d, LogAppendTime %v", r.Offset, r.Timestamp.UnixMilli(), r.Attrs.TimestampType())
				}
			}
			if _, err := Validate(b, ValidateOptions{}); err != nil {
				t.Fatalf("Validate after SetLogAppendTime: %v", err)
			}
		})
	}
}

func TestSetCreateTime(t *testing.T) {
	b := buildBatch(t, codecs[4].codec, sampleRecords(5, 10), func(rb *kmsg.RecordBatch) { rb.MaxTimestamp = 3 })
	batches, err := Validate(b, ValidateOptions{})
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if err := SetCreateTime(b, batches[0].MaxTimestamp); err != nil {
		t.Fatalf("SetCreateTime: %v", err)
	}
	if got := int64(binary.BigEndian.Uint64(b[offMaxTimestamp:])); got != baseTS+4 {
		t.Fatalf("maxTimestamp %d, want %d", got, int64(baseTS+4))
	}
	fetchDecode(t, b) // CRC holds

	before := bytes.Clone(b)
	if err := SetCreateTime(b, baseTS+4); err != nil || !bytes.Equal(b, before) {
		t.Fatalf("a batch already right changed (%v)", err)
	}
}

// TestSetCreateTimeClearsLogAppendTime: a client's LogAppendTime bit on
// a CreateTime topic is rewritten, as Kafka's setMaxTimestamp does.
func TestSetCreateTimeClearsLogAppendTime(t *testing.T) {
	b := buildBatch(t, codecs[0].codec, sampleRecords(2, 10), func(rb *kmsg.RecordBatch) { rb.Attributes |= attrLogAppendTime })
	if err := SetCreateTime(b, baseTS+1); err != nil {
		t.Fatalf("SetCreateTime: %v", err)
	}
	for i, r := range fetchDecode(t, b) {
		if r.Attrs.TimestampType() != 0 || r.Timestamp.UnixMilli() != baseTS+int64(i) {
			t.Fatalf("record %d: LogAppendTime %v, timestamp %d", i, r.Attrs.TimestampType(), r.Timestamp.UnixMilli())
		}
	}
}

func TestSetTimestampRefusesNonBatch(t *testing.T) {
	b := buildBatch(t, codecs[0].codec, sampleRecords(2, 10), nil)
	for _, bad := range [][]byte{nil, b[:20], b[:len(b)-1], concat(b, b)} {
		before := bytes.Clone(bad)
		if err := SetLogAppendTime(bad, 1); err == nil || !bytes.Equal(bad, before) {
			t.Errorf("%d bytes: got %v and wrote %v", len(bad), err, !bytes.Equal(bad, before))
		}
	}
}
