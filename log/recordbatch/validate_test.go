package recordbatch

import (
	"errors"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestValidateEveryCodec(t *testing.T) {
	for _, c := range codecs {
		t.Run(c.name, func(t *testing.T) {
			recs := sampleRecords(50, 100)
			data := buildBatch(t, c.codec, recs, nil)
			batches, err := Validate(data, ValidateOptions{})
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if len(batches) != 1 {
				t.Fatalf("got %d batches, want 1", len(batches))
			}
			b := batches[0]
			want := Batch{
				Offset: 0, Len: len(data), NumRecords: 50,
				FirstTimestamp: baseTS, MaxTimestamp: baseTS + 49, HeaderMaxTimestamp: baseTS + 49,
				MaxTimestampDelta: 49, ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1,
				Attributes: int16(b.Codec), Codec: b.Codec,
			}
			if b != want {
				t.Errorf("batch\n got %+v\nwant %+v", b, want)
			}
			if c.name != "none" && b.Codec == kgo.CodecNone {
				t.Errorf("franz-go did not compress with %s", c.name)
			}
		})
	}
}

func TestValidateMultipleBatches(t *testing.T) {
	one := buildBatch(t, kgo.NoCompression(), sampleRecords(3, 10), nil)
	two := buildBatch(t, kgo.ZstdCompression(), sampleRecords(4, 10), nil)
	data := concat(one, two)

	_, err := Validate(data, ValidateOptions{})
	wantKind(t, err, ErrInvalidRecord, 1, -1)

	batches, err := Validate(data, ValidateOptions{AllowMultipleBatches: true})
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if len(batches) != 2 || batches[1].Offset != len(one) || batches[1].Len != len(two) || batches[1].NumRecords != 4 {
		t.Fatalf("batches %+v", batches)
	}
}

// TestValidateMaxTimestamp: the batch reports the records' real maximum,
// first record on ties, whatever the producer put in the header.
func TestValidateMaxTimestamp(t *testing.T) {
	recs := sampleRecords(5, 10)
	for i, d := range []int64{5, 1, 9, 9, 3} {
		recs[i].TimestampDelta64 = d
	}
	data := buildBatch(t, kgo.Lz4Compression(), recs, func(rb *kmsg.RecordBatch) { rb.MaxTimestamp = 7 })
	batches, err := Validate(data, ValidateOptions{})
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}
	b := batches[0]
	if b.MaxTimestamp != baseTS+9 || b.MaxTimestampDelta != 2 || b.HeaderMaxTimestamp != 7 {
		t.Fatalf("max %d at %d, header %d; want %d at 2, header 7", b.MaxTimestamp, b.MaxTimestampDelta, b.HeaderMaxTimestamp, int64(baseTS+9))
	}
}

func TestValidateOptionsRejected(t *testing.T) {
	for _, o := range []ValidateOptions{
		{MaxBatchBytes: -1}, {MaxDecompressedBytes: -1}, {MaxDecompressedBytes: 1 << 31},
		{TimestampType: 2}, {TimestampBeforeMax: -1},
	} {
		_, err := Validate(buildBatch(t, kgo.NoCompression(), sampleRecords(1, 1), nil), o)
		var e *Error
		if err == nil || errors.As(err, &e) {
			t.Errorf("%+v: got %v, want a plain options error", o, err)
		}
	}
}

// wantKind fails unless err is an *Error of kind at batch and record.
func wantKind(t *testing.T, err error, kind error, batch, record int) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v (%T), want *Error", err, err)
	}
	if !errors.Is(err, kind) {
		t.Fatalf("got %v, want kind %v", err, kind)
	}
	if e.Batch != batch || e.RecordIndex != record {
		t.Fatalf("got batch %d record %d, want %d %d: %v", e.Batch, e.RecordIndex, batch, record, err)
	}
	return e
}
