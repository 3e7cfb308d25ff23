package recordbatch

import (
	"bytes"
	"errors"
	"strconv"
	"testing"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// oddRecords are sampleRecords with the edge cases a reader must keep
// apart: a null key, an empty (not null) value, a null header value.
func oddRecords() []kmsg.Record {
	recs := sampleRecords(7, 20)
	recs[1].Key = nil
	recs[2].Value = []byte{}
	recs[4].Headers = []kmsg.Header{{Key: "", Value: nil}, {Key: "h", Value: []byte{}}}
	return recs
}

func TestRecordsEachMatchesKmsg(t *testing.T) {
	for _, c := range codecs {
		t.Run(c.name, func(t *testing.T) {
			want := oddRecords()
			rs, err := OpenBatch(buildBatch(t, c.codec, want, nil))
			if err != nil {
				t.Fatal(err)
			}
			got := 0
			err = rs.Each(func(r *Record) bool {
				checkRecord(t, r, &want[r.Index], baseTS)
				got++
				return true
			})
			if err != nil || got != len(want) {
				t.Fatalf("Each: %v after %d of %d records", err, got, len(want))
			}
		})
	}
}

// checkRecord compares what Each yielded with the kmsg record it came
// from, nulls and empties apart.
func checkRecord(t *testing.T, r *Record, w *kmsg.Record, first int64) {
	t.Helper()
	if r.OffsetDelta != w.OffsetDelta || r.Timestamp != first+w.TimestampDelta64 {
		t.Fatalf("record %d: delta %d ts %d, want %d %d", r.Index, r.OffsetDelta, r.Timestamp, w.OffsetDelta, first+w.TimestampDelta64)
	}
	if !sameBytes(r.Key, w.Key) || !sameBytes(r.Value, w.Value) {
		t.Fatalf("record %d: key %q value %q, want %q %q", r.Index, r.Key, r.Value, w.Key, w.Value)
	}
	if len(r.Headers) != len(w.Headers) {
		t.Fatalf("record %d: %d headers, want %d", r.Index, len(r.Headers), len(w.Headers))
	}
	for i, h := range r.Headers {
		if string(h.Key) != w.Headers[i].Key || !sameBytes(h.Value, w.Headers[i].Value) {
			t.Fatalf("record %d header %d: %q=%q, want %q=%q", r.Index, i, h.Key, h.Value, w.Headers[i].Key, w.Headers[i].Value)
		}
	}
	var again kmsg.Record
	if err := again.ReadFrom(r.Raw); err != nil || again.OffsetDelta != w.OffsetDelta {
		t.Fatalf("record %d: Raw does not decode as the record: %v", r.Index, err)
	}
}

// sameBytes is bytes.Equal that tells nil (null) from empty.
func sameBytes(a, b []byte) bool { return (a == nil) == (b == nil) && bytes.Equal(a, b) }

func TestRecordsLogAppendTime(t *testing.T) {
	raw := buildBatch(t, kgo.NoCompression(), sampleRecords(3, 4), func(rb *kmsg.RecordBatch) {
		rb.Attributes |= attrLogAppendTime
		rb.MaxTimestamp = 42
	})
	rs, err := OpenBatch(raw)
	if err != nil {
		t.Fatal(err)
	}
	rs.Each(func(r *Record) bool {
		if r.Timestamp != 42 {
			t.Fatalf("record %d: timestamp %d under LogAppendTime, want the batch's 42", r.Index, r.Timestamp)
		}
		return true
	})
}

func TestRecordsEachRefusesBadRecords(t *testing.T) {
	good := encodeRecords(sampleRecords(2, 4))
	for name, body := range map[string][]byte{
		"truncated":      good[:len(good)-1],
		"trailing bytes": append(bytes.Clone(good), 0),
		"negative count": framed(append([]byte{0, 0, 0, 0, 0}, kbin.AppendVarint(nil, -1)...)),
	} {
		t.Run(name, func(t *testing.T) {
			raw := buildBatch(t, kgo.NoCompression(), sampleRecords(2, 4), func(rb *kmsg.RecordBatch) { rb.Records = body })
			rs, err := OpenBatch(raw)
			if err != nil {
				t.Fatal(err)
			}
			err = rs.Each(func(*Record) bool { return true })
			if e := (*Error)(nil); !errors.As(err, &e) || !errors.Is(err, ErrInvalidRecord) {
				t.Fatalf("Each = %v, want an INVALID_RECORD *Error", err)
			}
		})
	}
}

func TestFilterKeepsOffsetsAndProducerState(t *testing.T) {
	for _, c := range codecs {
		t.Run(c.name, func(t *testing.T) {
			recs := sampleRecords(6, 30)
			raw := buildBatch(t, c.codec, recs, func(rb *kmsg.RecordBatch) {
				rb.ProducerID, rb.ProducerEpoch, rb.FirstSequence = 9, 2, 300
			})
			PatchBaseOffset(raw, 1000)
			rs, err := OpenBatch(raw)
			if err != nil {
				t.Fatal(err)
			}
			out, err := rs.Filter(func(i int) bool { return i%2 == 1 })
			if err != nil {
				t.Fatal(err)
			}
			var h Header
			if err := Walk(out, func(hh Header, _ []byte) bool { h = hh; return true }); err != nil {
				t.Fatal(err)
			}
			if h.BaseOffset != 1000 || h.LastOffsetDelta != 5 || h.NumRecords != 3 || h.ProducerID != 9 ||
				h.ProducerEpoch != 2 || h.BaseSequence != 300 || h.Codec() != rs.Header.Codec() || h.FirstTimestamp != baseTS {
				t.Fatalf("filtered header %+v", h)
			}
			if h.MaxTimestamp != baseTS+5 {
				t.Fatalf("maxTimestamp %d, want the last kept record's %d", h.MaxTimestamp, baseTS+5)
			}
			got := fetchDecode(t, out) // franz-go checks the CRC
			if len(got) != 3 {
				t.Fatalf("consumer sees %d records, want 3", len(got))
			}
			for i, r := range got {
				want := recs[2*i+1]
				if r.Offset != 1000+int64(2*i+1) || !bytes.Equal(r.Value, want.Value) || r.Timestamp.UnixMilli() != baseTS+want.TimestampDelta64 {
					t.Fatalf("record %d: offset %d value %q", i, r.Offset, r.Value)
				}
			}
		})
	}
}

func TestFilterNothingKept(t *testing.T) {
	raw := buildBatch(t, kgo.ZstdCompression(), sampleRecords(4, 10), nil)
	rs, err := OpenBatch(raw)
	if err != nil {
		t.Fatal(err)
	}
	out, err := rs.Filter(func(int) bool { return false })
	if err != nil {
		t.Fatal(err)
	}
	again, err := OpenBatch(out)
	if err != nil {
		t.Fatal(err)
	}
	h := again.Header
	if h.NumRecords != 0 || h.LastOffsetDelta != 3 || h.Codec() != kgo.CodecNone || len(out) != headerSize || h.MaxTimestamp != baseTS+3 {
		t.Fatalf("empty batch: %+v, %d bytes", h, len(out))
	}
	if crcOf(out) != h.CRC {
		t.Fatal("empty batch CRC wrong")
	}
	if got := fetchDecode(t, out); len(got) != 0 {
		t.Fatalf("consumer sees %d records in an empty batch", len(got))
	}
}

func TestBuildIsAClientBatch(t *testing.T) {
	in := []NewRecord{
		{Key: []byte("k1"), Value: []byte("v1"), Timestamp: baseTS + 7, Headers: []RecordHeader{{Key: []byte("a"), Value: []byte("1")}}},
		{Key: nil, Value: nil, Timestamp: baseTS},
		{Key: []byte{}, Value: []byte("v3"), Timestamp: baseTS + 3, Headers: []RecordHeader{{Key: []byte("n"), Value: nil}}},
	}
	raw := Build(in)
	batches, err := Validate(raw, ValidateOptions{Now: baseTS})
	if err != nil {
		t.Fatal(err)
	}
	if b := batches[0]; b.NumRecords != 3 || b.MaxTimestamp != baseTS+7 || b.HeaderMaxTimestamp != baseTS+7 || b.ProducerID != -1 {
		t.Fatalf("batch %+v", b)
	}
	rs, _ := OpenBatch(raw)
	rs.Each(func(r *Record) bool {
		w := in[r.Index]
		if !sameBytes(r.Key, w.Key) || !sameBytes(r.Value, w.Value) || r.Timestamp != w.Timestamp || len(r.Headers) != len(w.Headers) {
			t.Fatalf("record %d: %+v, want %+v", r.Index, r, w)
		}
		for i, h := range r.Headers {
			if !bytes.Equal(h.Key, w.Headers[i].Key) || !sameBytes(h.Value, w.Headers[i].Value) {
				t.Fatalf("record %d header %d: %q=%q", r.Index, i, h.Key, h.Value)
			}
		}
		return true
	})
}

func BenchmarkRecordsEach(b *testing.B) {
	raw := buildBatch(b, kgo.NoCompression(), sampleRecords(100, 400), nil)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		rs, err := OpenBatch(raw)
		if err != nil {
			b.Fatal(err)
		}
		rs.Each(func(*Record) bool { return true })
	}
}

// FuzzRecords. Invariants: OpenBatch, Each and Filter never panic and fail
// only with *Error. For a batch Validate accepts, Each yields exactly its
// records, each as kmsg.Record decodes it; Filter keeping every record
// yields the same records again, keeping none an empty batch, and keeping
// the odd ones a batch franz-go's consumer reads (CRC included) with those
// records at their original offsets; the header's offsets and producer
// fields never change.
func FuzzRecords(f *testing.F) {
	for i, s := range seeds(f) {
		f.Add(s, i%2 == 0)
	}
	f.Fuzz(func(t *testing.T, data []byte, reseal bool) {
		if reseal {
			resealAll(data)
		}
		rs, err := openBatch(data, fuzzBound)
		if err != nil {
			wantError(t, err)
			return
		}
		wantError(t, rs.Each(func(*Record) bool { return true }))
		if _, err := rs.Filter(func(i int) bool { return i%2 == 0 }); err != nil {
			wantError(t, err)
		}
		if _, err := Validate(data, fuzzOpts); err != nil {
			return
		}
		checkEachAgainstKmsg(t, rs)
		all, err := rs.Filter(func(int) bool { return true })
		if err != nil {
			t.Fatalf("Filter(all) of a valid batch: %v", err)
		}
		checkFiltered(t, rs, all, func(int) bool { return true })
		none, err := rs.Filter(func(int) bool { return false })
		if err != nil {
			t.Fatalf("Filter(none) of a valid batch: %v", err)
		}
		checkFiltered(t, rs, none, func(int) bool { return false })
		odd, err := rs.Filter(func(i int) bool { return i%2 == 1 })
		if err != nil {
			t.Fatalf("Filter(odd) of a valid batch: %v", err)
		}
		checkFiltered(t, rs, odd, func(i int) bool { return i%2 == 1 })
	})
}

// checkEachAgainstKmsg reads rs with Each and with kmsg.Record side by side.
func checkEachAgainstKmsg(t *testing.T, rs *Records) {
	t.Helper()
	recs := rs.recs
	n := 0
	err := rs.Each(func(r *Record) bool {
		l, sz := kbin.Varint(recs)
		var w kmsg.Record
		if sz <= 0 || w.ReadFrom(recs[:sz+int(l)]) != nil {
			t.Fatalf("kmsg cannot decode record %d that Each read", r.Index)
		}
		recs = recs[sz+int(l):]
		first := rs.Header.FirstTimestamp
		if rs.Header.TimestampType() == LogAppendTime {
			first, w.TimestampDelta64 = rs.Header.MaxTimestamp, 0
		}
		checkRecord(t, r, &w, first)
		n++
		return true
	})
	if err != nil || n != int(rs.Header.NumRecords) {
		t.Fatalf("Each on a valid batch: %v after %d of %d", err, n, rs.Header.NumRecords)
	}
}

// checkFiltered: out holds exactly the records of rs that keep selects,
// byte for byte, under an unchanged header, and franz-go reads them at
// their offsets.
func checkFiltered(t *testing.T, rs *Records, out []byte, keep func(int) bool) {
	t.Helper()
	got, err := OpenBatch(out)
	if err != nil {
		t.Fatalf("filtered batch does not open: %v", err)
	}
	h, w := got.Header, rs.Header
	if h.BaseOffset != w.BaseOffset || h.LastOffsetDelta != w.LastOffsetDelta || h.ProducerID != w.ProducerID ||
		h.ProducerEpoch != w.ProducerEpoch || h.BaseSequence != w.BaseSequence || h.FirstTimestamp != w.FirstTimestamp ||
		h.TimestampType() != w.TimestampType() || crcOf(out) != h.CRC {
		t.Fatalf("filtered header %+v from %+v", h, w)
	}
	var want [][]byte
	rs.Each(func(r *Record) bool {
		if keep(r.Index) {
			want = append(want, bytes.Clone(r.Raw))
		}
		return true
	})
	i := 0
	if err := got.Each(func(r *Record) bool {
		if i >= len(want) || !bytes.Equal(r.Raw, want[i]) {
			t.Fatalf("filtered record %d differs", i)
		}
		i++
		return true
	}); err != nil || i != len(want) {
		t.Fatalf("filtered batch: %v, %d records, want %d", err, i, len(want))
	}
	if len(want) > 0 {
		if recs := fetchDecode(t, out); len(recs) != len(want) {
			t.Fatalf("franz-go reads %d filtered records, want %d", len(recs), len(want))
		}
	}
}

// TestValidateOpenDecompressesOnce: the records ValidateOpen hands on
// are the ones it decompressed, and reading them (Collect, Filter) does
// not decompress again. Enforcement used to OpenBatch each batch after
// Validate, a second decompression of every compressed produce.
func TestValidateOpenDecompressesOnce(t *testing.T) {
	recs := sampleRecords(200, 512)
	data := buildBatch(t, kgo.GzipCompression(), recs, nil)
	raw := len(encodeRecords(recs))
	batches, opened, err := ValidateOpen(data, ValidateOptions{Now: baseTS})
	if err != nil || len(opened) != 1 || len(batches) != 1 {
		t.Fatalf("ValidateOpen: %d batches, %d opened, %v", len(batches), len(opened), err)
	}
	var got []Record
	if n := allocated(func() { got, err = opened[0].Collect(make([]Record, 0, 200)) }); err != nil || n >= uint64(raw)/4 {
		t.Fatalf("Collect allocated %d bytes for %d bytes of records (err %v): it decompressed again", n, raw, err)
	}
	if len(got) != len(recs) || !bytes.Equal(got[7].Value, recs[7].Value) {
		t.Fatalf("Collect read %d records", len(got))
	}
	if n := allocated(func() { _, err = OpenBatch(data) }); err != nil || n < uint64(raw) {
		t.Fatalf("OpenBatch allocated %d bytes for %d bytes of records: the check above proves nothing", n, raw)
	}
}

// TestCollectHeadersAreTheirOwn: Each reuses one headers slice; Collect
// keeps every record's headers apart, without a slice per record.
func TestCollectHeadersAreTheirOwn(t *testing.T) {
	recs := sampleRecords(300, 16)
	for i := range recs {
		recs[i].Headers = []kmsg.Header{{Key: "i", Value: []byte(strconv.Itoa(i))}, {Key: "n", Value: nil}}
	}
	rs, err := OpenBatch(buildBatch(t, kgo.NoCompression(), recs, nil))
	if err != nil {
		t.Fatal(err)
	}
	var got []Record
	dst := make([]Record, 0, len(recs))
	if n := testing.AllocsPerRun(5, func() { got, err = rs.Collect(dst[:0]) }); err != nil || n > 20 {
		t.Fatalf("Collect of %d records with headers: %v allocations (err %v), want a few per batch", len(recs), n, err)
	}
	for i, r := range got {
		if len(r.Headers) != 2 || string(r.Headers[0].Value) != strconv.Itoa(i) || r.Headers[1].Value != nil {
			t.Fatalf("record %d headers %q", i, r.Headers)
		}
	}
}

// TestFilterAllocatesPerBatch: Filter used to grow its buffer record by
// record and collect every record's headers it then ignored.
func TestFilterAllocatesPerBatch(t *testing.T) {
	recs := sampleRecords(1000, 64)
	for i := range recs {
		recs[i].Headers = []kmsg.Header{{Key: "h", Value: []byte("v")}}
	}
	rs, err := OpenBatch(buildBatch(t, kgo.NoCompression(), recs, nil))
	if err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(5, func() { _, err = rs.Filter(func(i int) bool { return i%3 != 0 }) }); err != nil || n > 3 {
		t.Fatalf("Filter of 1000 records: %v allocations (err %v), want at most 3", n, err)
	}
}

// TestBuildEncodesEachRecordOnce: Build used to encode every record twice
// (once to learn its length), allocating for each.
func TestBuildEncodesEachRecordOnce(t *testing.T) {
	in := make([]NewRecord, 500)
	for i := range in {
		in[i] = NewRecord{Key: []byte("k"), Value: bytes.Repeat([]byte{'v'}, 100), Timestamp: baseTS + int64(i)}
	}
	if n := testing.AllocsPerRun(5, func() { Build(in) }); n > 40 {
		t.Fatalf("Build of %d records: %v allocations, want O(log n)", len(in), n)
	}
}
