package e2e

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/node"
)

// BenchmarkFetchCatchUp: one Java consumer's catch-up fetch, as in
// ConsumerPerformance after a produce: 6 partitions × 1 MiB
// (max.partition.fetch.bytes) from a log written in producer batches of
// 16 KiB (batch.size) by a running producer, over the Kafka protocol.
// Reports MB/s, the time of one fetch (which the consumer waits for
// before it has a byte to work on) and the process's CPU per fetch
// (broker and client: the node runs in process), steadier than the time
// on a shared machine.
func BenchmarkFetchCatchUp(b *testing.B) {
	const parts = 6
	cfg := config.Default()
	cfg.DataDir = b.TempDir()
	cfg.Kafka.Listeners[0].ListenAddress, cfg.Kafka.Listeners[0].AdvertiseAddress = "127.0.0.1:0", ""
	cfg.Admin.ListenAddress, cfg.Registry.ListenAddress, cfg.Catalog.ListenAddress = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	nd, err := node.Start(cfg, testLogger(), node.Hooks{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = nd.Close(ctx) // a benchmark's node going away
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	b.Cleanup(cancel)
	cl, err := kgo.NewClient(kgo.SeedBrokers(nd.KafkaAddr()), kgo.DefaultProduceTopic("catchup"),
		kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.ProducerBatchMaxBytes(16<<10), kgo.ProducerLinger(5*time.Millisecond))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(cl.Close)
	val := make([]byte, 1000)
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, parts, 1, nil, "catchup"); err != nil {
		b.Fatal(err)
	}
	for i := range parts * 2048 { // 2 MiB a partition
		cl.Produce(ctx, &kgo.Record{Partition: int32(i % parts), Value: val}, func(_ *kgo.Record, err error) {
			if err != nil {
				b.Error(err)
			}
		})
	}
	if err := cl.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	td, err := kadm.NewClient(cl).ListTopics(ctx, "catchup")
	if err != nil || td["catchup"].Err != nil {
		b.Fatalf("list topics: %v %v", err, td["catchup"].Err)
	}
	id := td["catchup"].ID
	req := fetchAll("catchup", id, parts, 500, 1)
	req.Version = 17
	b.SetBytes(parts << 20)
	cpu0 := processCPU(b)
	b.ResetTimer()
	for range b.N {
		resp, err := cl.Broker(0).Request(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		total := 0
		for _, p := range resp.(*kmsg.FetchResponse).Topics[0].Partitions {
			total += len(p.RecordBatches)
		}
		if total < parts*(1<<20-32<<10) {
			for _, p := range resp.(*kmsg.FetchResponse).Topics[0].Partitions {
				b.Logf("partition %d: error %d, high watermark %d, %d bytes", p.Partition, p.ErrorCode, p.HighWatermark, len(p.RecordBatches))
			}
			b.Fatalf("fetched %d bytes, want about %d", total, parts<<20)
		}
	}
	b.StopTimer()
	b.ReportMetric((processCPU(b)-cpu0).Seconds()*1000/float64(b.N), "cpu-ms/op")
}

// processCPU is this process's user+system CPU so far (broker and client
// both: the node runs in process).
func processCPU(b *testing.B) time.Duration {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
