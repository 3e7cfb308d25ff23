package recordbatch

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

// BenchmarkValidate validates a 1 MiB batch of 1 KiB records (1024 of
// them), uncompressed and zstd. MB/s is of record bytes, decompressed,
// so the two are comparable.
func BenchmarkValidate(b *testing.B) {
	for _, c := range []struct {
		name  string
		codec kgo.CompressionCodec
	}{{"none", kgo.NoCompression()}, {"zstd", kgo.ZstdCompression()}} {
		b.Run(c.name, func(b *testing.B) {
			recs := sampleRecords(1024, 1024)
			data := buildBatch(b, c.codec, recs, nil)
			opts := ValidateOptions{MaxBatchBytes: 2 << 20}
			if _, err := Validate(data, opts); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(encodeRecords(recs))))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Validate(data, opts); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(data)), "batch-bytes")
		})
	}
}

// BenchmarkPatchRecordSet stamps offsets into a record set of 16
// batches: the per-append cost on the produce path.
func BenchmarkPatchRecordSet(b *testing.B) {
	var data []byte
	for range 16 {
		data = append(data, buildBatch(b, kgo.NoCompression(), sampleRecords(16, 64), nil)...)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := PatchRecordSet(data, 1000); err != nil {
			b.Fatal(err)
		}
	}
}
