package boltstore_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/metastore/boltstore"
	"github.com/tributary-io/tributary/internal/metastore/metastoretest"
)

// benchStore opens a store with one 6-partition topic.
func benchStore(b *testing.B, opts boltstore.Options) (*boltstore.Store, []metastore.PartitionKey) {
	b.Helper()
	s, err := boltstore.Open(filepath.Join(b.TempDir(), "meta.db"), opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	topic, err := s.CreateTopic(b.Context(), metastore.TopicSpec{Name: "t", Partitions: 6})
	if err != nil {
		b.Fatal(err)
	}
	pks := make([]metastore.PartitionKey, 6)
	for i := range pks {
		pks[i] = metastore.PartitionKey{Topic: topic.ID, Partition: int32(i)}
	}
	return s, pks
}

// BenchmarkAppend measures one flush's transaction: 6 partitions × 1
// idempotent batch per Append. With fsync (the default) it measures the
// disk; NoSync shows the CPU cost of the transaction itself.
func BenchmarkAppend(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts boltstore.Options
	}{{"fsync", boltstore.Options{}}, {"nosync", boltstore.Options{NoSync: true}}} {
		b.Run(bc.name, func(b *testing.B) {
			s, pks := benchStore(b, bc.opts)
			batches := make([]metastore.AppendBatch, len(pks))
			for i, pk := range pks {
				batches[i] = metastore.AppendBatch{
					Partition: pk, Pos: int64(i) * 1000, Size: 1000, NumRecords: 10,
					ProducerID: int64(i), MaxTimestamp: 1_700_000_000_000,
				}
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				for j := range batches {
					batches[j].BaseSequence = int32(i * 10)
				}
				obj := metastore.ObjectRef{Key: fmt.Sprintf("intake/%012d.obj", i), Size: 6000}
				if _, err := s.Append(b.Context(), obj, batches); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReadIndex: see metastoretest.BenchReadIndex.
func BenchmarkReadIndex(b *testing.B) {
	s, pks := benchStore(b, boltstore.Options{NoSync: true})
	metastoretest.BenchReadIndex(b, s, pks[0])
}
