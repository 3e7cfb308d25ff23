package recordbatch

import (
	"errors"
	"reflect"
	"slices"
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

// visited collects what ValidateVisit hands its visitor, by batch.
type visited struct {
	recs    [][]Record
	headers []*Header
}

func (v *visited) VisitRecord(batch int, h *Header, r *Record) {
	for len(v.recs) <= batch {
		v.recs, v.headers = append(v.recs, nil), append(v.headers, h)
	}
	c := *r
	c.Headers = slices.Clone(r.Headers)
	v.recs[batch] = append(v.recs[batch], c)
}

// TestValidateVisitHandsOnEachRecord: the visitor sees every record of
// every batch once, in order, as Records.Each yields it (key, value,
// headers, nulls apart from empties, timestamps, raw bytes), with its
// batch's header; the result is ValidateOpen's.
func TestValidateVisitHandsOnEachRecord(t *testing.T) {
	one := buildBatch(t, kgo.NoCompression(), oddRecords(), nil)
	two := buildBatch(t, kgo.ZstdCompression(), sampleRecords(4, 10), nil)
	data := concat(one, two)
	opts := ValidateOptions{AllowMultipleBatches: true, Now: baseTS}
	var v visited
	batches, opened, err := ValidateVisit(data, opts, &v)
	if err != nil {
		t.Fatal(err)
	}
	wantB, wantO, err := ValidateOpen(data, opts)
	if err != nil || !reflect.DeepEqual(batches, wantB) || !reflect.DeepEqual(opened, wantO) {
		t.Fatalf("ValidateVisit %+v, ValidateOpen %+v (%v)", batches, wantB, err)
	}
	if len(v.recs) != 2 {
		t.Fatalf("visited %d batches, want 2", len(v.recs))
	}
	for i, b := range batches {
		want := eachRecords(t, data[b.Offset:b.Offset+b.Len])
		if !reflect.DeepEqual(v.recs[i], want) {
			t.Fatalf("batch %d: visited\n%+v\nEach\n%+v", i, v.recs[i], want)
		}
		if v.headers[i].NumRecords != b.NumRecords || v.headers[i].Codec() != b.Codec {
			t.Fatalf("batch %d: visited with header %+v", i, v.headers[i])
		}
	}
}

// TestValidateVisitStopsAtABadRecord: records up to one that does not
// parse are handed on, and validation fails; the visitor learns the
// outcome from ValidateVisit's error only.
func TestValidateVisitStopsAtABadRecord(t *testing.T) {
	recs := sampleRecords(5, 10)
	recs[3].OffsetDelta = 9
	data := buildBatch(t, kgo.NoCompression(), recs, nil)
	var v visited
	_, _, err := ValidateVisit(data, ValidateOptions{Now: baseTS}, &v)
	wantKind(t, err, ErrInvalidRecord, 0, 3)
	if len(v.recs) != 1 || len(v.recs[0]) != 3 {
		t.Fatalf("visited %+v, want records 0-2", v.recs)
	}
}
