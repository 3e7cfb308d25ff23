package metastoretest

import (
	"fmt"
	"testing"

	"github.com/tributary-io/tributary/internal/metastore"
)

// BenchReadIndex measures the fetch path's lookup on any backend: find the
// entry holding an offset in a partition of 100k entries (pk, empty, must
// exist in s) and read 10 entries. Every backend's BenchmarkReadIndex calls
// it, so the figures compare.
func BenchReadIndex(b *testing.B, s metastore.Store, pk metastore.PartitionKey) {
	const entries = 100_000
	for i := 0; i < entries; i += 1000 {
		batches := make([]metastore.AppendBatch, 1000)
		for j := range batches {
			batches[j] = metastore.AppendBatch{Partition: pk, Pos: int64(j), Size: 1, NumRecords: 4, ProducerID: -1}
		}
		obj := metastore.ObjectRef{Key: fmt.Sprintf("intake/%d", i), Size: 1000}
		if _, err := s.Append(b.Context(), obj, batches); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		from := int64(i*7919) % (entries * 4)
		got, _, err := s.ReadIndex(b.Context(), pk, from, 10)
		if err != nil || len(got) == 0 || got[0].BaseOffset > from || got[0].LastOffset < from {
			b.Fatalf("ReadIndex(%d) = %+v, %v", from, got, err)
		}
	}
}
