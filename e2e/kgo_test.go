package e2e

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/node"
)

const (
	codecRecords    = 100_000
	codecPartitions = 6
)

var codecs = []struct {
	name  string
	codec kgo.CompressionCodec
}{
	{"none", kgo.NoCompression()},
	{"gzip", kgo.GzipCompression()},
	{"snappy", kgo.SnappyCompression()},
	{"lz4", kgo.Lz4Compression()},
	{"zstd", kgo.ZstdCompression()},
}

// seen is what a consumer read: per partition, the records in offset order.
type seen map[int32][]*kgo.Record

// TestCodecsRoundTripAndRestart produces 100k keyed records over 6
// partitions with each codec (franz-go, acks=all, idempotent), consumes
// them in order per partition, restarts the broker on the same data dir,
// and consumes again: the same records at the same offsets.
func TestCodecsRoundTripAndRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("100k records per codec")
	}
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	n, err := node.Start(cfg, testLogger(), node.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxTimeout(t, 5*time.Minute)
	adm := newAdmin(t, n.KafkaAddr())
	before := map[string]seen{}
	for _, c := range codecs {
		topic := "codec-" + c.name
		if _, err := adm.CreateTopic(ctx, codecPartitions, 1, nil, topic); err != nil {
			t.Fatalf("create %s: %v", topic, err)
		}
		start := time.Now()
		produceSequence(t, ctx, n.KafkaAddr(), topic, codecRecords, kgo.ProducerBatchCompression(c.codec))
		got := consumeAll(t, ctx, n.KafkaAddr(), topic, codecRecords)
		checkNumbered(t, topic, got, codecRecords)
		before[topic] = got
		t.Logf("%s: %d records produced and consumed in %v", c.name, codecRecords, time.Since(start).Round(time.Millisecond))
	}
	adm.Close()
	stopNode(t, n)

	cfg = testConfig(t, dir) // same data dir, new ports
	n2 := startNode(t, cfg, node.Hooks{})
	for topic, want := range before {
		got := consumeAll(t, ctx, n2.KafkaAddr(), topic, codecRecords)
		sameRecords(t, topic, want, got)
	}
}

// produceSequence sends records with value = sequence number and key =
// "key-<i%97>", and fails the test on any produce error.
func produceSequence(t *testing.T, ctx context.Context, addr, topic string, count int, opts ...kgo.Opt) {
	t.Helper()
	cl := newClient(t, addr, append([]kgo.Opt{kgo.DefaultProduceTopic(topic), kgo.RequiredAcks(kgo.AllISRAcks())}, opts...)...)
	var wg sync.WaitGroup
	var failed atomic.Value
	for i := 0; i < count; i++ {
		r := &kgo.Record{Key: []byte("key-" + strconv.Itoa(i%97)), Value: []byte(strconv.Itoa(i))}
		wg.Add(1)
		cl.Produce(ctx, r, func(r *kgo.Record, err error) {
			defer wg.Done()
			if err != nil {
				failed.Store(err)
			}
		})
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		t.Fatalf("produce to %s: %v", topic, err)
	}
}

// consumeAll reads topic from the start until want records arrived.
func consumeAll(t *testing.T, ctx context.Context, addr, topic string, want int) seen {
	t.Helper()
	cl := newClient(t, addr, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(200*time.Millisecond))
	defer cl.Close()
	got := seen{}
	total := 0
	for total < want {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatalf("consume %s after %d records: %v", topic, total, err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			got[r.Partition] = append(got[r.Partition], r)
			total++
		})
	}
	return got
}

// checkNumbered checks that every number 0..count-1 arrived once, that
// offsets are dense from 0 in each partition, that one key stays in one
// partition, and that per partition the numbers increase (produce order).
func checkNumbered(t *testing.T, topic string, got seen, count int) {
	t.Helper()
	present := make([]bool, count)
	keyPart := map[string]int32{}
	for p, recs := range got {
		last := -1
		for i, r := range recs {
			if r.Offset != int64(i) {
				t.Fatalf("%s[%d]: record %d has offset %d", topic, p, i, r.Offset)
			}
			v, err := strconv.Atoi(string(r.Value))
			if err != nil || v < 0 || v >= count {
				t.Fatalf("%s[%d]@%d: bad value %q", topic, p, r.Offset, r.Value)
			}
			if present[v] {
				t.Fatalf("%s: value %d duplicated", topic, v)
			}
			present[v] = true
			if v <= last {
				t.Fatalf("%s[%d]@%d: value %d after %d: out of order", topic, p, r.Offset, v, last)
			}
			last = v
			if kp, ok := keyPart[string(r.Key)]; ok && kp != p {
				t.Fatalf("%s: key %s in partitions %d and %d", topic, r.Key, kp, p)
			}
			keyPart[string(r.Key)] = p
		}
	}
	for v, ok := range present {
		if !ok {
			t.Fatalf("%s: value %d missing", topic, v)
		}
	}
	if len(got) != codecPartitions {
		t.Fatalf("%s: records in %d partitions, want %d", topic, len(got), codecPartitions)
	}
}

func sameRecords(t *testing.T, topic string, want, got seen) {
	t.Helper()
	for p, w := range want {
		g := got[p]
		if len(g) != len(w) {
			t.Fatalf("%s[%d]: %d records after restart, %d before", topic, p, len(g), len(w))
		}
		for i := range w {
			if g[i].Offset != w[i].Offset || string(g[i].Key) != string(w[i].Key) || string(g[i].Value) != string(w[i].Value) || !g[i].Timestamp.Equal(w[i].Timestamp) {
				t.Fatalf("%s[%d]: record %d differs after restart", topic, p, i)
			}
		}
	}
}

// lostAck is a metadata store that commits an Append and then reports a
// failure, as when the connection drops after COMMIT: the producer must
// retry, and the idempotent-producer state must keep the retry from being
// written twice. It stands beside the real store, never instead of it.
type lostAck struct {
	metastore.Store
	remaining atomic.Int32
}

func (l *lostAck) Append(ctx context.Context, obj metastore.ObjectRef, b []metastore.AppendBatch) ([]metastore.AppendResult, error) {
	res, err := l.Store.Append(ctx, obj, b)
	if err == nil && l.remaining.Add(-1) >= 0 {
		return nil, errors.New("injected: commit applied but acknowledgement lost")
	}
	return res, err
}

// TestIdempotentRetryNotDuplicated makes the first commits' answers get
// lost; franz-go retries those batches, and every record must still be
// present exactly once at dense offsets.
func TestIdempotentRetryNotDuplicated(t *testing.T) {
	la := &lostAck{}
	la.remaining.Store(5)
	n := startNode(t, testConfig(t, t.TempDir()), node.Hooks{WrapMeta: func(s metastore.Store) metastore.Store {
		la.Store = s
		return la
	}})
	ctx := ctxTimeout(t, time.Minute)
	if _, err := newAdmin(t, n.KafkaAddr()).CreateTopic(ctx, codecPartitions, 1, nil, "idem"); err != nil {
		t.Fatal(err)
	}
	const count = 5000
	produceSequence(t, ctx, n.KafkaAddr(), "idem", count,
		kgo.RetryBackoffFn(func(int) time.Duration { return 10 * time.Millisecond }), kgo.MetadataMinAge(50*time.Millisecond))
	if la.remaining.Load() >= 0 {
		t.Fatalf("only %d of 5 injected lost acknowledgements were used", 5-la.remaining.Load())
	}
	got := consumeAll(t, ctx, n.KafkaAddr(), "idem", count)
	checkNumbered(t, "idem", got, count)
	// Nothing beyond count: a duplicate would show up as an extra offset.
	total := 0
	for _, recs := range got {
		total += len(recs)
	}
	if total != count {
		t.Fatalf("consumed %d records, produced %d", total, count)
	}
}
