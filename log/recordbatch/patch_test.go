package recordbatch

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

// mixedSet is one batch of every codec, 1..5 records each, as stored.
func mixedSet(t testing.TB) (data []byte, counts []int) {
	t.Helper()
	for i, c := range codecs {
		counts = append(counts, i+1)
		data = append(data, buildBatch(t, c.codec, sampleRecords(i+1, 30), nil)...)
	}
	return data, counts
}

func TestPatchRecordSet(t *testing.T) {
	data, counts := mixedSet(t)
	const base = 1000
	next, err := PatchRecordSet(data, base)
	if err != nil {
		t.Fatalf("PatchRecordSet: %v", err)
	}
	if want := int64(base + 1 + 2 + 3 + 4 + 5); next != want {
		t.Fatalf("next %d, want %d", next, want)
	}

	wantBase, i := int64(base), 0
	err = Walk(data, func(h Header, raw []byte) bool {
		if h.BaseOffset != wantBase || h.PartitionLeaderEpoch != 0 {
			t.Errorf("batch %d: base %d epoch %d, want %d 0", i, h.BaseOffset, h.PartitionLeaderEpoch, wantBase)
		}
		wantBase += int64(counts[i])
		i++
		return true
	})
	if err != nil || i != len(counts) {
		t.Fatalf("Walk: %v after %d batches", err, i)
	}

	// A consumer sees consecutive offsets, and every CRC still holds.
	recs := fetchDecode(t, data)
	if len(recs) != 15 {
		t.Fatalf("franz-go decoded %d records, want 15", len(recs))
	}
	for j, r := range recs {
		if r.Offset != base+int64(j) {
			t.Fatalf("record %d at offset %d, want %d", j, r.Offset, base+int64(j))
		}
	}

	// And the patched set is still valid, with the same batches.
	batches, err := Validate(data, ValidateOptions{AllowMultipleBatches: true, AllowNonZeroBaseOffset: true})
	if err != nil || len(batches) != len(counts) {
		t.Fatalf("re-Validate: %d batches, %v", len(batches), err)
	}
}

func TestPatchRecordSetErrorsWriteNothing(t *testing.T) {
	good, _ := mixedSet(t)
	for _, tc := range []struct {
		name string
		data []byte
		base int64
		kind error
	}{
		{"truncated last batch", good[:len(good)-1], 0, ErrCorrupt},
		{"trailing bytes", concat(good, []byte{1, 2, 3}), 0, ErrCorrupt},
		{"magic 1 in the middle", func() []byte {
			b := bytes.Clone(good)
			second := logOverhead + int(binary.BigEndian.Uint32(b[offBatchLength:]))
			b[second+offMagic] = 1
			return b
		}(), 0, ErrUnsupportedFormat},
		{"offset overflow", good, 1<<63 - 3, ErrCorrupt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := bytes.Clone(tc.data)
			_, err := PatchRecordSet(tc.data, tc.base)
			if !errors.Is(err, tc.kind) {
				t.Fatalf("got %v, want %v", err, tc.kind)
			}
			if !bytes.Equal(tc.data, before) {
				t.Fatal("a failed PatchRecordSet wrote to the data")
			}
		})
	}
}

func TestPatchRecordSetEmpty(t *testing.T) {
	next, err := PatchRecordSet(nil, 42)
	if err != nil || next != 42 {
		t.Fatalf("got %d, %v; want 42, nil", next, err)
	}
}

func TestPatchBaseOffset(t *testing.T) {
	b := buildBatch(t, kgo.Lz4Compression(), sampleRecords(4, 10), nil)
	if err := PatchBaseOffset(b, 77); err != nil {
		t.Fatalf("PatchBaseOffset: %v", err)
	}
	recs := fetchDecode(t, b)
	if len(recs) != 4 || recs[0].Offset != 77 || recs[3].Offset != 80 || recs[0].LeaderEpoch != 0 {
		t.Fatalf("decoded %d records, first at %d epoch %d", len(recs), recs[0].Offset, recs[0].LeaderEpoch)
	}

	two := concat(b, b)
	if err := PatchBaseOffset(two, 1); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("two batches: got %v, want ErrCorrupt", err)
	}
	if err := PatchBaseOffset(b[:30], 1); !errors.Is(err, ErrTruncated) {
		t.Fatalf("short batch: got %v, want ErrTruncated", err)
	}
}

func TestWalkStops(t *testing.T) {
	data, _ := mixedSet(t)
	seen := 0
	err := Walk(data, func(h Header, raw []byte) bool {
		seen++
		if len(raw) != h.Len() || h.Magic != 2 {
			t.Errorf("raw %d bytes, header says %d; magic %d", len(raw), h.Len(), h.Magic)
		}
		return seen < 2
	})
	if err != nil || seen != 2 {
		t.Fatalf("Walk: %v after %d batches, want stop after 2", err, seen)
	}
	err = Walk(data[:len(data)-1], func(Header, []byte) bool { return true })
	var e *Error
	if !errors.As(err, &e) || e.Batch != len(codecs)-1 {
		t.Fatalf("Walk over a truncated set: %v, want an *Error at batch %d", err, len(codecs)-1)
	}
}
