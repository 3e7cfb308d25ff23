package postgres_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/metastore/metastoretest"
	"github.com/tributary-io/tributary/internal/metastore/postgres"
	"github.com/tributary-io/tributary/internal/testpg"
)

// benchStore opens a store on a fresh database with one topic of n
// partitions.
func benchStore(b *testing.B, n int32) (*postgres.Store, []metastore.PartitionKey, string) {
	b.Helper()
	dsn := testpg.DSN(b)
	s := open(b, dsn)
	topic, err := s.CreateTopic(b.Context(), metastore.TopicSpec{Name: "t", Partitions: n})
	if err != nil {
		b.Fatal(err)
	}
	pks := make([]metastore.PartitionKey, n)
	for i := range pks {
		pks[i] = metastore.PartitionKey{Topic: topic.ID, Partition: int32(i)}
	}
	return s, pks, dsn
}

// flush is one flush's batches: one idempotent batch of 10 records per
// partition, producer IDs from pid.
func flush(pks []metastore.PartitionKey, pid int64) []metastore.AppendBatch {
	batches := make([]metastore.AppendBatch, len(pks))
	for i, pk := range pks {
		batches[i] = metastore.AppendBatch{
			Partition: pk, Pos: int64(i) * 1000, Size: 1000, NumRecords: 10,
			ProducerID: pid + int64(i), MaxTimestamp: 1_700_000_000_000,
		}
	}
	return batches
}

// BenchmarkAppend measures one flush's transaction, as boltstore's
// benchmark does: 6 partitions × 1 idempotent batch per Append, on a
// local server with fsync and synchronous_commit on, so the WAL flush of
// each COMMIT dominates. "serial" is one broker flushing; "wide" a flush
// into 200 partitions (the array-parameter statements' cost per batch);
// "brokers4" is four handles (four brokers) flushing into the same six
// partitions at once, which queue on the partition locks.
func BenchmarkAppend(b *testing.B) {
	for _, bc := range []struct {
		name  string
		parts int32
	}{{"serial", 6}, {"wide", 200}} {
		b.Run(bc.name, func(b *testing.B) { benchSerial(b, bc.parts) })
	}
	b.Run("brokers4", func(b *testing.B) {
		const brokers = 4
		s, pks, dsn := benchStore(b, 6)
		stores := []*postgres.Store{s}
		for range brokers - 1 {
			stores = append(stores, open(b, dsn))
		}
		var done atomic.Int64
		var wg sync.WaitGroup
		b.ReportAllocs()
		b.ResetTimer()
		for w, st := range stores {
			wg.Go(func() {
				batches := flush(pks, int64(1000*w))
				for i := 0; done.Add(1) <= int64(b.N); i++ {
					for j := range batches {
						batches[j].BaseSequence = int32(i * 10)
					}
					obj := metastore.ObjectRef{Key: fmt.Sprintf("intake/%d/%012d.obj", w, i), Size: 6000}
					res, err := st.Append(b.Context(), obj, batches)
					if err != nil || res[0].Err != nil {
						b.Errorf("append: %v %+v", err, res)
						return
					}
				}
			})
		}
		wg.Wait()
	})
}

// benchSerial appends flushes of one batch per partition from one broker.
func benchSerial(b *testing.B, parts int32) {
	s, pks, _ := benchStore(b, parts)
	batches := flush(pks, 0)
	size := 1000 * int64(parts)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		for j := range batches {
			batches[j].BaseSequence = int32(i * 10)
		}
		obj := metastore.ObjectRef{Key: fmt.Sprintf("intake/%012d.obj", i), Size: size}
		if _, err := s.Append(b.Context(), obj, batches); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadIndex: see metastoretest.BenchReadIndex.
func BenchmarkReadIndex(b *testing.B) {
	s, pks, _ := benchStore(b, 1)
	metastoretest.BenchReadIndex(b, s, pks[0])
}
