package e2e

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/objstore"
	"github.com/tributary-io/tributary/node"
)

// Storage faults under a running broker (node.Hooks wrap its stores):
// while the object store or the metadata store fails, a produce gets a
// retriable error and nothing of it becomes visible; once the fault
// clears, franz-go's idempotent producer, which keeps retrying, gets every
// record in exactly once.

const (
	faultTopic      = "faults"
	faultPartitions = 2
	faultRecords    = 200
)

// faultNode starts a broker with its stores wrapped: objects by Faulty,
// then by a gate (an object store hang the test can end), and metadata by
// metastore.Faulty. It creates faultTopic.
func faultNode(t *testing.T) (string, *objstore.Faulty, *gateStore, *metastore.Faulty) {
	t.Helper()
	var (
		obj  *objstore.Faulty
		gate *gateStore
		meta *metastore.Faulty
	)
	n := startNode(t, testConfig(t, t.TempDir()), node.Hooks{
		WrapObjects: func(s objstore.Store) objstore.Store {
			obj = objstore.NewFaulty(s)
			gate = &gateStore{Store: obj}
			return gate
		},
		WrapMeta: func(s metastore.Store) metastore.Store {
			meta = metastore.NewFaulty(s)
			return meta
		},
	})
	ctx := ctxTimeout(t, 20*time.Second)
	if resp, err := newAdmin(t, n.KafkaAddr()).CreateTopic(ctx, faultPartitions, 1, nil, faultTopic); err != nil || resp.Err != nil {
		t.Fatalf("create topic: %v %v", err, resp.Err)
	}
	return n.KafkaAddr(), obj, gate, meta
}

// rawProduce sends one produce of a valid batch to partition 0 on a fresh
// connection and returns the partition's answer and how long it took.
func rawProduce(t *testing.T, addr string, timeoutMillis int32, values ...string) (produceResult, time.Duration) {
	t.Helper()
	rc := dialRaw(t, addr)
	start := time.Now()
	resp := rc.roundTrip(produceReq(9, faultTopic, timeoutMillis, map[int32][]byte{0: testBatch(values...)}))
	return produceResults(resp)[0], time.Since(start)
}

// expectRetriable asserts a produce answer carries code, and that Kafka
// clients treat code as retriable.
func expectRetriable(t *testing.T, r produceResult, code int16) {
	t.Helper()
	if r.code != code {
		t.Fatalf("produce answered %v (%q), want %v", kerr.ErrorForCode(r.code), r.msg, kerr.ErrorForCode(code))
	}
	if !kerr.IsRetriable(kerr.ErrorForCode(code)) {
		t.Fatalf("%v is not retriable", kerr.ErrorForCode(code))
	}
}

// faultProducer is franz-go's idempotent producer, acks=all, with a short
// retry backoff and metadata age (it refreshes metadata before retrying a
// storage error) to keep the tests quick.
func faultProducer(t *testing.T, addr string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	return newClient(t, addr, append([]kgo.Opt{kgo.DefaultProduceTopic(faultTopic),
		kgo.RequiredAcks(kgo.AllISRAcks()), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RetryBackoffFn(func(int) time.Duration { return 50 * time.Millisecond }),
		kgo.MetadataMinAge(50 * time.Millisecond)}, opts...)...)
}

// produceDuringFault starts producing faultRecords numbered records (from
// 0 on) and asserts none is acknowledged while the fault lasts, which the
// test ends (clear) once attempts reports three more tries; then it waits
// for every record to be acknowledged.
func produceDuringFault(t *testing.T, cl *kgo.Client, attempts func() int, clear func()) {
	t.Helper()
	ctx := ctxTimeout(t, 60*time.Second)
	log := newAckLog()
	before := attempts()
	for i := range faultRecords {
		log.produce(ctx, cl, &kgo.Record{Partition: int32(i % faultPartitions), Value: []byte(numbered(i))})
	}
	deadline := time.Now().Add(20 * time.Second)
	for attempts() < before+3 {
		if time.Now().After(deadline) {
			t.Fatalf("producer made %d attempts in 20s while the fault lasted; want retries", attempts()-before)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := log.numAcked(); n > 0 {
		t.Fatalf("%d records acknowledged while the store was failing", n)
	}
	clear()
	log.wait(t, 30*time.Second)
	if acked, failed := log.snapshot(); len(failed) > 0 || len(acked) != faultRecords {
		t.Fatalf("after the fault cleared: %d acked, %d failed (first: %v)", len(acked), len(failed), firstErr(failed))
	}
	t.Logf("%d store attempts during the fault, all %d records acknowledged after", attempts()-before, faultRecords)
}

// expectExactly reads the whole topic and asserts it holds exactly the
// numbered records in want, each once, and nothing else.
func expectExactly(t *testing.T, addr string, want []int) {
	t.Helper()
	got, hwm := readAll(t, addr, faultTopic)
	seen := checkLog(t, got, hwm)
	if len(seen) != len(want) {
		t.Fatalf("log holds %d records, want %d", len(seen), len(want))
	}
	for _, i := range want {
		if _, ok := seen[i]; !ok {
			t.Fatalf("record %d missing", i)
		}
	}
}

func seq(from, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = from + i
	}
	return out
}

func TestFaultObjectPutFails(t *testing.T) {
	addr, obj, _, _ := faultNode(t)
	obj.FailAlways(objstore.OpPut, nil)
	r, _ := rawProduce(t, addr, 10000, numbered(9999))
	expectRetriable(t, r, kerr.KafkaStorageError.Code)

	cl := faultProducer(t, addr)
	produceDuringFault(t, cl, func() int { return obj.Calls(objstore.OpPut) }, func() { obj.Clear(objstore.OpPut) })
	expectExactly(t, addr, seq(0, faultRecords))
}

// TestFaultObjectPutLostAnswer: the object store stores the object but the
// answer is lost. The flush fails, its object is an orphan, and the retry
// writes a new one; the records are in the log once.
func TestFaultObjectPutLostAnswer(t *testing.T) {
	addr, obj, _, _ := faultNode(t)
	obj.FailNextAfter(objstore.OpPut, 1000, nil)
	cl := faultProducer(t, addr)
	produceDuringFault(t, cl, func() int { return obj.Calls(objstore.OpPut) }, func() { obj.Clear(objstore.OpPut) })
	expectExactly(t, addr, seq(0, faultRecords))
}

func TestFaultMetaAppendFails(t *testing.T) {
	addr, _, _, meta := faultNode(t)
	meta.FailNext(metastore.MethodAppend, -1, errInjected)
	r, _ := rawProduce(t, addr, 10000, numbered(9999))
	expectRetriable(t, r, kerr.KafkaStorageError.Code)

	cl := faultProducer(t, addr)
	produceDuringFault(t, cl, appendCalls(meta), meta.Reset)
	expectExactly(t, addr, seq(0, faultRecords))
}

// TestFaultMetaAppendLostAnswer is the case idempotence exists for: the
// metadata transaction commits but its answer is lost, so the broker
// reports a storage error for batches that are in the log. Their retries
// must be recognized as duplicates, not appended again.
func TestFaultMetaAppendLostAnswer(t *testing.T) {
	addr, _, _, meta := faultNode(t)
	meta.FailAfterNext(metastore.MethodAppend, -1, errInjected)
	cl := faultProducer(t, addr)
	produceDuringFault(t, cl, appendCalls(meta), func() {
		if n := committed(t, addr); n == 0 {
			t.Fatalf("nothing committed while every answer was lost: the test proves nothing")
		}
		meta.Reset()
	})
	expectExactly(t, addr, seq(0, faultRecords))
}

// TestFaultMetaAppendLostAnswerWakesConsumers: records committed while the
// answers were lost, then acknowledged as duplicates of themselves, must
// reach a consumer long-polling the partition as soon as they are
// acknowledged, not when its max wait runs out.
//
// Regression: a flush whose commit answer is lost, and retries answered as
// duplicates, once woke no watcher, so long polls slept their full MaxWait
// (Kafka completes a delayed fetch on every append); every flush now wakes
// the watchers of its partitions (produce.Hooks.OnFlushed).
func TestFaultMetaAppendLostAnswerWakesConsumers(t *testing.T) {
	addr, _, _, meta := faultNode(t)
	const maxWait = 10 * time.Second
	cons := newClient(t, addr, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{faultTopic: {0: kgo.NewOffset().At(0), 1: kgo.NewOffset().At(0)}}),
		kgo.FetchMaxWait(maxWait))
	var got atomic.Int64
	all := make(chan time.Time, 1)
	ctx := ctxTimeout(t, 60*time.Second)
	go func() {
		for ctx.Err() == nil {
			fs := cons.PollFetches(ctx)
			if got.Add(int64(fs.NumRecords())) >= faultRecords {
				all <- time.Now()
				return
			}
		}
	}()
	time.Sleep(300 * time.Millisecond) // the consumer is now long-polling
	meta.FailAfterNext(metastore.MethodAppend, -1, errInjected)
	cl := faultProducer(t, addr)
	produceDuringFault(t, cl, appendCalls(meta), meta.Reset)
	acked := time.Now()
	select {
	case at := <-all:
		if d := at.Sub(acked); d > 2*time.Second {
			t.Fatalf("consumer saw the records %v after they were acknowledged (long poll not woken)", d.Round(time.Millisecond))
		}
	case <-time.After(maxWait + 5*time.Second):
		t.Fatalf("consumer got %d of %d records", got.Load(), faultRecords)
	}
}

// TestFaultObjectStoreHangs: an object write that hangs past the produce
// timeout answers REQUEST_TIMED_OUT when the timeout passes, not when the
// store gives up. A timed-out produce has an unknown outcome (as in Kafka):
// here the hung write completes once released, so its record is in the
// log, once; franz-go's retries of its own timed-out batches are
// duplicates and must not be appended twice.
func TestFaultObjectStoreHangs(t *testing.T) {
	addr, _, gate, _ := faultNode(t)
	testHang(t, addr, gate.hold, gate.release, func() bool { return gate.waited.Load() > 0 })
}

// TestFaultMetaAppendHangs is the same with the metadata transaction
// hanging (after the object is written).
func TestFaultMetaAppendHangs(t *testing.T) {
	addr, _, _, meta := faultNode(t)
	testHang(t, addr, func() { meta.HangNext(metastore.MethodAppend, -1) }, meta.Reset,
		func() bool { return meta.Calls(metastore.MethodAppend) > 0 })
}

func testHang(t *testing.T, addr string, hang, release func(), hung func() bool) {
	t.Helper()
	hang()
	r, took := rawProduce(t, addr, 500, "timed-out")
	expectRetriable(t, r, kerr.RequestTimedOut.Code)
	if took < 400*time.Millisecond || took > 5*time.Second {
		t.Fatalf("REQUEST_TIMED_OUT after %v, want about the request's 500ms timeout", took)
	}
	if !hung() {
		t.Fatalf("the store call never hung: the test proves nothing")
	}

	// Each franz-go attempt times out after 1s and is retried; once a few
	// have, the store is released.
	var writes produceWrites
	cl := faultProducer(t, addr, kgo.ProduceRequestTimeout(time.Second), kgo.WithHooks(&writes))
	produceDuringFault(t, cl, writes.count, release)

	got, hwm := readAll(t, addr, faultTopic)
	if len(got[0]) == 0 || string(got[0][0].Value) != "timed-out" {
		t.Fatalf("partition 0 offset 0 is not the timed-out produce, committed once the store was released")
	}
	got[0] = got[0][1:] // checkLog wants only numbered records
	for i, r := range got[0] {
		if r.Offset != int64(i+1) {
			t.Fatalf("partition 0: offset %d at position %d", r.Offset, i+1)
		}
		r.Offset--
	}
	hwm[0]--
	seen := checkLog(t, got, hwm)
	if len(seen) != faultRecords {
		t.Fatalf("log holds %d numbered records, want %d", len(seen), faultRecords)
	}
}

// produceWrites counts franz-go's Produce requests written (a kgo hook).
type produceWrites struct{ n atomic.Int64 }

func (h *produceWrites) OnBrokerWrite(_ kgo.BrokerMetadata, key int16, _ int, _, _ time.Duration, err error) {
	if key == 0 && err == nil {
		h.n.Add(1)
	}
}

func (h *produceWrites) count() int { return int(h.n.Load()) }

// gateStore makes Puts wait, while held, until released or their context
// ends: a hang the test can end, unlike Faulty.Hang, whose calls stay hung
// until the flush's own 30s timeout.
type gateStore struct {
	objstore.Store
	mu     sync.Mutex
	gate   chan struct{} // nil: open
	waited atomic.Int64  // Puts that found the gate closed
}

func (g *gateStore) hold() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.gate = make(chan struct{})
}

func (g *gateStore) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.gate != nil {
		close(g.gate)
		g.gate = nil
	}
}

func (g *gateStore) Put(ctx context.Context, key string, data []byte) error {
	g.mu.Lock()
	gate := g.gate
	g.mu.Unlock()
	if gate != nil {
		g.waited.Add(1)
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return g.Store.Put(ctx, key, data)
}

// errInjected is the metadata-store failure the tests inject: the class
// the store contract gives to failures of the store itself.
var errInjected = fmt.Errorf("%w: injected", metastore.ErrUnavailable)

func appendCalls(f *metastore.Faulty) func() int {
	return func() int { return f.Calls(metastore.MethodAppend) }
}

// committed is the number of records in faultTopic (its high watermarks).
func committed(t *testing.T, addr string) int64 {
	t.Helper()
	ends, err := newAdmin(t, addr).ListEndOffsets(ctxTimeout(t, 10*time.Second), faultTopic)
	if err != nil || ends.Error() != nil {
		t.Fatalf("list end offsets: %v %v", err, ends.Error())
	}
	var n int64
	ends.Each(func(o kadm.ListedOffset) { n += o.Offset })
	return n
}
