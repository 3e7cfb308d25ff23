package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/objstore"
	"github.com/tributary-io/tributary/node"
)

// indexReads counts ReadIndex calls per partition.
type indexReads struct {
	metastore.Store
	mu sync.Mutex
	n  map[metastore.PartitionKey]int
}

func (c *indexReads) ReadIndex(ctx context.Context, pk metastore.PartitionKey, from int64, limit int) ([]metastore.IndexEntry, metastore.PartitionState, error) {
	c.mu.Lock()
	c.n[pk]++
	c.mu.Unlock()
	return c.Store.ReadIndex(ctx, pk, from, limit)
}

func (c *indexReads) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	sum := 0
	for _, v := range c.n {
		sum += v
	}
	return sum
}

// slowRanges delays every ranged read, as a cold read from S3 is slow.
type slowRanges struct {
	objstore.Store
	delay time.Duration
}

func (s slowRanges) GetRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	time.Sleep(s.delay)
	return s.Store.GetRange(ctx, key, off, n)
}

// fetchAll builds a Fetch of partitions [0, n) of topic from offset 0.
func fetchAll(topic string, id [16]byte, n int32, maxWait, minBytes int32) *kmsg.FetchRequest {
	req := kmsg.NewPtrFetchRequest()
	req.MaxWaitMillis, req.MinBytes, req.MaxBytes = maxWait, minBytes, 50<<20
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic, rt.TopicID = topic, id
	for p := range n {
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.Partition, rp.FetchOffset, rp.PartitionMaxBytes, rp.LogStartOffset = p, 0, 1<<20, -1
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	return req
}

// topicID creates topic with n partitions and returns its ID.
func topicID(t *testing.T, ctx context.Context, addr, topic string, n int32) [16]byte {
	t.Helper()
	adm := newAdmin(t, addr)
	if _, err := adm.CreateTopic(ctx, n, 1, nil, topic); err != nil {
		t.Fatal(err)
	}
	td, err := adm.ListTopics(ctx, topic)
	if err != nil || td[topic].Err != nil {
		t.Fatalf("list topics: %v %v", err, td[topic].Err)
	}
	return td[topic].ID
}

// produceTo produces one record to each of partitions, acknowledged.
func produceTo(t *testing.T, ctx context.Context, addr, topic string, partitions ...int32) {
	t.Helper()
	cl := newClient(t, addr, kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.DefaultProduceTopic(topic))
	var recs []*kgo.Record
	for _, p := range partitions {
		recs = append(recs, &kgo.Record{Partition: p, Value: []byte("v")})
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
}

// TestFetchWakeRereadsOnlyChangedPartitions: a long poll over 20 empty
// partitions woken by a record on one of them used to read all 20 again
// (index and objects); now it re-reads only the one that changed.
func TestFetchWakeRereadsOnlyChangedPartitions(t *testing.T) {
	reads := &indexReads{n: map[metastore.PartitionKey]int{}}
	n := startNode(t, testConfig(t, t.TempDir()), node.Hooks{WrapMeta: func(s metastore.Store) metastore.Store {
		reads.Store = s
		return reads
	}})
	ctx := ctxTimeout(t, time.Minute)
	const parts = 20
	id := topicID(t, ctx, n.KafkaAddr(), "wake", parts)
	cl := newClient(t, n.KafkaAddr())
	if _, err := cl.Request(ctx, kmsg.NewPtrMetadataRequest()); err != nil {
		t.Fatal(err)
	}
	before := reads.total()
	type answer struct {
		resp kmsg.Response
		err  error
	}
	got := make(chan answer, 1)
	go func() {
		resp, err := cl.Broker(0).Request(ctx, fetchAll("wake", id, parts, 20_000, 1))
		got <- answer{resp, err}
	}()
	for reads.total()-before < parts { // the first read of every partition, then the wait
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	first := reads.total() - before
	produceTo(t, ctx, n.KafkaAddr(), "wake", 3)
	a := <-got
	if a.err != nil {
		t.Fatal(a.err)
	}
	resp := a.resp.(*kmsg.FetchResponse)
	for _, p := range resp.Topics[0].Partitions {
		if (p.Partition == 3) != (len(p.RecordBatches) > 0) {
			t.Errorf("partition %d: %d bytes of records", p.Partition, len(p.RecordBatches))
		}
	}
	if again := reads.total() - before - first; again > 2 {
		t.Fatalf("after the wake %d index reads for one changed partition of %d (first read: %d)", again, parts, first)
	}
}

// TestFetchColdReadsOverlap: a fetch of 8 partitions whose data is not in
// the cache used to read them one after another (8 × the object store's
// latency); now the reads go out together.
func TestFetchColdReadsOverlap(t *testing.T) {
	const delay = 300 * time.Millisecond
	n := startNode(t, testConfig(t, t.TempDir()), node.Hooks{WrapObjects: func(s objstore.Store) objstore.Store {
		return slowRanges{Store: s, delay: delay}
	}})
	ctx := ctxTimeout(t, time.Minute)
	const parts = 8
	id := topicID(t, ctx, n.KafkaAddr(), "cold", parts)
	produceTo(t, ctx, n.KafkaAddr(), "cold", 0, 1, 2, 3, 4, 5, 6, 7)
	cl := newClient(t, n.KafkaAddr())
	if _, err := cl.Request(ctx, kmsg.NewPtrMetadataRequest()); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	resp, err := cl.Broker(0).Request(ctx, fetchAll("cold", id, parts, 0, 0))
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range resp.(*kmsg.FetchResponse).Topics[0].Partitions {
		if p.ErrorCode != 0 || len(p.RecordBatches) == 0 {
			t.Fatalf("partition %d: error %d, %d bytes", p.Partition, p.ErrorCode, len(p.RecordBatches))
		}
	}
	if took > 4*delay {
		t.Fatalf("cold fetch of %d partitions took %v with %v per object read: the reads did not overlap", parts, took, delay)
	}
	t.Logf("cold fetch of %d partitions: %v (%v per object read)", parts, took, delay)
}

// TestFetchPooledBuffersNeverShared: fetch responses are read into
// buffers reused from one response to the next, returned only once a
// response is encoded. Clients on their own connections fetch their own
// partitions over and over, concurrently; every record must carry its
// partition's bytes, which a buffer handed to another read too early
// would mix up.
func TestFetchPooledBuffersNeverShared(t *testing.T) {
	n := startNode(t, testConfig(t, t.TempDir()), node.Hooks{})
	ctx := ctxTimeout(t, 2*time.Minute)
	const parts = 4
	id := topicID(t, ctx, n.KafkaAddr(), "pooled", parts)
	pr := newClient(t, n.KafkaAddr(), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.DefaultProduceTopic("pooled"),
		kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.ProducerBatchMaxBytes(16<<10))
	var recs []*kgo.Record
	for p := range int32(parts) {
		for range 300 {
			recs = append(recs, &kgo.Record{Partition: p, Value: bytes.Repeat([]byte{byte('a' + p)}, 1000)})
		}
	}
	if err := pr.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for p := range int32(parts) {
		cl := newClient(t, n.KafkaAddr())
		wg.Go(func() {
			for round := range 40 {
				req := fetchAll("pooled", id, parts, 0, 0)
				req.Topics[0].Partitions = req.Topics[0].Partitions[p : p+1]
				req.Topics[0].Partitions[0].PartitionMaxBytes = int32(64<<10 + round*4<<10)
				resp, err := cl.Broker(0).Request(ctx, req)
				if err != nil {
					t.Error(err)
					return
				}
				if err := checkPartitionBytes(resp.(*kmsg.FetchResponse), p); err != nil {
					t.Errorf("client of partition %d, round %d: %v", p, round, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// checkPartitionBytes checks that the response has records of partition
// p only, each value made of the byte 'a'+p.
func checkPartitionBytes(resp *kmsg.FetchResponse, p int32) error {
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		return fmt.Errorf("%d topics in the response", len(resp.Topics))
	}
	rp := resp.Topics[0].Partitions[0]
	if rp.ErrorCode != 0 || rp.Partition != p || len(rp.RecordBatches) == 0 {
		return fmt.Errorf("partition %d: error %d, %d bytes", rp.Partition, rp.ErrorCode, len(rp.RecordBatches))
	}
	fp, _ := kgo.ProcessFetchPartition(kgo.ProcessFetchPartitionOpts{Topic: "pooled", Partition: p}, &rp, kgo.DefaultDecompressor(), nil)
	if fp.Err != nil {
		return fmt.Errorf("decoding: %w", fp.Err)
	}
	if len(fp.Records) == 0 {
		return errors.New("no records decoded")
	}
	want := byte('a' + p)
	for _, r := range fp.Records {
		if len(r.Value) != 1000 || bytes.Count(r.Value, []byte{want}) != 1000 {
			return fmt.Errorf("offset %d: a value not all %q (%q...)", r.Offset, want, r.Value[:min(8, len(r.Value))])
		}
	}
	return nil
}
