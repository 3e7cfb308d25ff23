package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	icetable "github.com/apache/iceberg-go/table"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/ingest"
	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/node"
)

// panicStore wraps a metadata store and panics in the next armed calls of
// ReadIndex or Partition: a fault-injection point for the broker's and
// ingest's panic recovery.
type panicStore struct {
	metastore.Store
	mu    sync.Mutex
	armed map[metastore.Method]int
}

func newPanicStore() *panicStore { return &panicStore{armed: map[metastore.Method]int{}} }

// arm makes the next n calls of m panic.
func (p *panicStore) arm(m metastore.Method, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.armed[m] += n
}

func (p *panicStore) maybePanic(m metastore.Method) {
	p.mu.Lock()
	fire := p.armed[m] > 0
	if fire {
		p.armed[m]--
	}
	p.mu.Unlock()
	if fire {
		panic(fmt.Sprintf("injected panic in %s", m))
	}
}

func (p *panicStore) ReadIndex(ctx context.Context, pk metastore.PartitionKey, from int64, max int) ([]metastore.IndexEntry, metastore.PartitionState, error) {
	p.maybePanic(metastore.MethodReadIndex)
	return p.Store.ReadIndex(ctx, pk, from, max)
}

func (p *panicStore) Partition(ctx context.Context, pk metastore.PartitionKey) (metastore.PartitionState, error) {
	p.maybePanic(metastore.MethodPartition)
	return p.Store.Partition(ctx, pk)
}

// quietConfig is testConfig without background housekeeping, so that an
// armed fault is met by the request under test, not by a sweep.
func quietConfig(t *testing.T) config.Config {
	t.Helper()
	cfg := testConfig(t, t.TempDir())
	cfg.Housekeeping.Interval = time.Hour
	return cfg
}

func fetchReq(topic string, offset int64, maxWait, minBytes int32) *kmsg.FetchRequest {
	return &kmsg.FetchRequest{Version: 11, ReplicaID: -1, MaxWaitMillis: maxWait, MinBytes: minBytes, MaxBytes: 1 << 20,
		SessionEpoch: -1, Topics: []kmsg.FetchRequestTopic{{Topic: topic, Partitions: []kmsg.FetchRequestTopicPartition{
			{Partition: 0, FetchOffset: offset, LogStartOffset: -1, PartitionMaxBytes: 1 << 20, CurrentLeaderEpoch: -1}}}}}
}

func apiVersionsReq() *kmsg.ApiVersionsRequest {
	return &kmsg.ApiVersionsRequest{Version: 3, ClientSoftwareName: "e2e-raw", ClientSoftwareVersion: "1"}
}

// produceSome produces n records to topic with cl and fails the test on
// any error.
func produceSome(t *testing.T, cl *kgo.Client, topic string, n int) {
	t.Helper()
	var recs []*kgo.Record
	for i := range n {
		recs = append(recs, &kgo.Record{Topic: topic, Value: fmt.Appendf(nil, "v%d", i)})
	}
	if err := cl.ProduceSync(ctxTimeout(t, 15*time.Second), recs...).FirstErr(); err != nil {
		t.Fatalf("produce to %s: %v", topic, err)
	}
}

// TestRobustPanicClosesOnlyItsConnection: a panic in a reply function
// (a Fetch's read, on the connection's writer goroutine) once took the
// whole process down. Now it closes that connection only, as does a
// panic in a handler (ListOffsets' store read, on the reader goroutine);
// each is counted in tributary_panics_total{where}, and a client on
// another connection keeps producing and consuming.
func TestRobustPanicClosesOnlyItsConnection(t *testing.T) {
	ps := newPanicStore()
	n := startNode(t, quietConfig(t), node.Hooks{WrapMeta: func(s metastore.Store) metastore.Store { ps.Store = s; return ps }})
	other := newClient(t, n.KafkaAddr(), kgo.DefaultProduceTopic("p"), kgo.AllowAutoTopicCreation())
	produceSome(t, other, "p", 10)

	fetchConn := dialRaw(t, n.KafkaAddr())
	ps.arm(metastore.MethodReadIndex, 1)
	b, _ := fetchConn.encode(fetchReq("p", 0, 0, 0))
	fetchConn.write(b)
	fetchConn.expectClosed("a Fetch whose read panicked")
	if got := testutil.ToFloat64(n.Metrics.Panics.WithLabelValues("kafka_reply")); got != 1 {
		t.Errorf("tributary_panics_total{where=kafka_reply} = %v, want 1", got)
	}

	listConn := dialRaw(t, n.KafkaAddr())
	ps.arm(metastore.MethodPartition, 1)
	b, _ = listConn.encode(&kmsg.ListOffsetsRequest{Version: 4, ReplicaID: -1, Topics: []kmsg.ListOffsetsRequestTopic{
		{Topic: "p", Partitions: []kmsg.ListOffsetsRequestTopicPartition{{Partition: 0, Timestamp: -1, CurrentLeaderEpoch: -1}}}}})
	listConn.write(b)
	listConn.expectClosed("a ListOffsets whose handler panicked")
	if got := testutil.ToFloat64(n.Metrics.Panics.WithLabelValues("kafka_handler")); got != 1 {
		t.Errorf("tributary_panics_total{where=kafka_handler} = %v, want 1", got)
	}

	// The process is alive, and the other connection still works.
	produceSome(t, other, "p", 10)
	fresh := dialRaw(t, n.KafkaAddr())
	resp := fresh.roundTrip(fetchReq("p", 0, 0, 0)).(*kmsg.FetchResponse)
	if p := resp.Topics[0].Partitions[0]; p.ErrorCode != 0 || p.HighWatermark != 20 {
		t.Fatalf("fetch after the panics: error %d, high watermark %d; want 0, 20", p.ErrorCode, p.HighWatermark)
	}
}

// TestRobustRequestDeadline: handlers once ran on context.Background(),
// so a stalled metadata store held a connection's reader forever. Now a
// request with its own timeout (CreateTopics timeout_ms) gets that one and
// a request without (ListOffsets) gets kafka.request_timeout; both answer
// REQUEST_TIMED_OUT within it, and the connection stays usable.
func TestRobustRequestDeadline(t *testing.T) {
	cfg := quietConfig(t)
	cfg.Kafka.RequestTimeout = 2 * time.Second
	var f *metastore.Faulty
	n := startNode(t, cfg, node.Hooks{WrapMeta: func(s metastore.Store) metastore.Store { f = metastore.NewFaulty(s); return f }})
	createTopicWith(t, n.KafkaAddr(), "d", 1, nil)
	rc := dialRaw(t, n.KafkaAddr())

	f.HangNext(metastore.MethodCreateTopic, -1)
	start := time.Now()
	ct := rc.roundTrip(&kmsg.CreateTopicsRequest{Version: 4, TimeoutMillis: 300,
		Topics: []kmsg.CreateTopicsRequestTopic{{Topic: "stuck", NumPartitions: 1, ReplicationFactor: 1}}}).(*kmsg.CreateTopicsResponse)
	took := time.Since(start)
	if code := ct.Topics[0].ErrorCode; code != kerr.RequestTimedOut.Code {
		t.Errorf("CreateTopics on a hung store: error %v, want REQUEST_TIMED_OUT", kerr.ErrorForCode(code))
	}
	if took < 300*time.Millisecond || took > 1500*time.Millisecond {
		t.Errorf("CreateTopics with timeout_ms 300 answered after %v", took)
	}

	f.HangNext(metastore.MethodPartition, -1)
	start = time.Now()
	lo := rc.roundTrip(&kmsg.ListOffsetsRequest{Version: 4, ReplicaID: -1, Topics: []kmsg.ListOffsetsRequestTopic{
		{Topic: "d", Partitions: []kmsg.ListOffsetsRequestTopicPartition{{Partition: 0, Timestamp: -1, CurrentLeaderEpoch: -1}}}}}).(*kmsg.ListOffsetsResponse)
	took = time.Since(start)
	if code := lo.Topics[0].Partitions[0].ErrorCode; code != kerr.RequestTimedOut.Code {
		t.Errorf("ListOffsets on a hung store: error %v, want REQUEST_TIMED_OUT", kerr.ErrorForCode(code))
	}
	if took < 2*time.Second || took > 4*time.Second {
		t.Errorf("ListOffsets with request_timeout 2s answered after %v", took)
	}

	f.Reset()
	lo = rc.roundTrip(&kmsg.ListOffsetsRequest{Version: 4, ReplicaID: -1, Topics: []kmsg.ListOffsetsRequestTopic{
		{Topic: "d", Partitions: []kmsg.ListOffsetsRequestTopicPartition{{Partition: 0, Timestamp: -1, CurrentLeaderEpoch: -1}}}}}).(*kmsg.ListOffsetsResponse)
	if code := lo.Topics[0].Partitions[0].ErrorCode; code != 0 {
		t.Errorf("ListOffsets on the same connection after the store recovered: %v", kerr.ErrorForCode(code))
	}
}

// sendDeclared opens a connection that declares a frame of size bytes
// and sends only the first 10 of them.
func sendDeclared(t *testing.T, addr string, size int32) *rawConn {
	t.Helper()
	rc := dialRaw(t, addr)
	b := kbin.AppendInt32(nil, size)
	b = append(b, header(18, 3, 1, true)[:10]...)
	rc.write(b)
	return rc
}

// waitGauge polls get until it returns want.
func waitGauge(t *testing.T, what string, get func() float64, want float64, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for get() != want {
		if time.Now().After(deadline) {
			t.Fatalf("%s = %v after %v, want %v", what, get(), within, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRobustDeclaredFrameNotAllocated: a frame's declared size was once
// allocated before any of its bytes arrived, so each connection declaring
// 100 MiB and sending 10 bytes cost 100 MiB of heap. Now the buffer grows
// as bytes arrive: four such connections (the queued-bytes budget raised
// so that all four are reading at once) raise the heap by far less than
// one declared frame.
func TestRobustDeclaredFrameNotAllocated(t *testing.T) {
	const conns, declared = 4, 100 << 20
	cfg := quietConfig(t)
	cfg.Kafka.QueuedMaxRequestBytes = 1 << 30
	n := startNode(t, cfg, node.Hooks{})
	queued := func() float64 { return testutil.ToFloat64(n.Metrics.QueuedRequestBytes) }

	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before := ms.HeapAlloc
	var rcs []*rawConn
	for range conns {
		rcs = append(rcs, sendDeclared(t, n.KafkaAddr(), declared))
	}
	waitGauge(t, "tributary_kafka_queued_request_bytes", queued, conns*declared, 10*time.Second)
	time.Sleep(100 * time.Millisecond) // the readers are in their body reads
	runtime.GC()
	runtime.ReadMemStats(&ms)
	grew := int64(ms.HeapAlloc) - int64(before)
	t.Logf("heap grew %d KiB for %d connections declaring %d MiB each", grew>>10, conns, declared>>20)
	if grew > 16<<20 {
		t.Errorf("heap grew %d MiB for %d connections that sent 10 bytes each", grew>>20, conns)
	}
	for _, rc := range rcs {
		rc.c.Close()
	}
	waitGauge(t, "tributary_kafka_queued_request_bytes after the clients left", queued, 0, 10*time.Second)
}

// TestRobustQueuedBytesBudget: kafka.queued_max_request_bytes bounds the
// bytes of requests read and not yet answered across connections: while
// one connection holds the whole budget with a half-sent frame, another
// connection's request waits, and is answered once the budget is freed.
func TestRobustQueuedBytesBudget(t *testing.T) {
	const budget = 1 << 20
	cfg := quietConfig(t)
	cfg.Kafka.QueuedMaxRequestBytes = budget
	n := startNode(t, cfg, node.Hooks{})
	queued := func() float64 { return testutil.ToFloat64(n.Metrics.QueuedRequestBytes) }

	hog := sendDeclared(t, n.KafkaAddr(), budget)
	waitGauge(t, "tributary_kafka_queued_request_bytes", queued, budget, 10*time.Second)

	waiter := dialRaw(t, n.KafkaAddr())
	b, corr := waiter.encode(apiVersionsReq())
	waiter.write(b)
	waiter.c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	var one [1]byte
	if _, err := waiter.c.Read(one[:]); !isTimeout(err) {
		t.Fatalf("a request past the queued-bytes budget was answered (read: %v)", err)
	}
	hog.c.Close()
	waiter.readResponse(corr, apiVersionsReq().ResponseKind(), 3, true)
	if got := waiter.roundTrip(apiVersionsReq()).(*kmsg.ApiVersionsResponse); got.ErrorCode != 0 {
		t.Fatalf("ApiVersions after the budget freed: %v", kerr.ErrorForCode(got.ErrorCode))
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestRobustIdleConnectionClosed: kafka.idle_timeout closes a connection
// that sends nothing, counted in tributary_kafka_connections_idle_closed_total;
// a connection that keeps sending, or that waits on a long-polling fetch
// longer than the timeout, stays open.
func TestRobustIdleConnectionClosed(t *testing.T) {
	cfg := quietConfig(t)
	cfg.Kafka.IdleTimeout = 500 * time.Millisecond
	n := startNode(t, cfg, node.Hooks{})
	createTopicWith(t, n.KafkaAddr(), "idle", 1, nil)

	idle := dialRaw(t, n.KafkaAddr())
	idle.roundTrip(apiVersionsReq())
	start := time.Now()
	idle.expectClosed("an idle connection")
	if took := time.Since(start); took < 400*time.Millisecond || took > 5*time.Second {
		t.Errorf("idle connection closed after %v, want about 500ms", took)
	}
	if got := testutil.ToFloat64(n.Metrics.ConnectionsIdleClosed); got < 1 {
		t.Errorf("tributary_kafka_connections_idle_closed_total = %v", got)
	}

	busy := dialRaw(t, n.KafkaAddr())
	polling := dialRaw(t, n.KafkaAddr())
	b, corr := polling.encode(fetchReq("idle", 0, 1500, 1))
	polling.write(b)
	for range 8 {
		busy.roundTrip(apiVersionsReq())
		time.Sleep(200 * time.Millisecond)
	}
	resp := polling.readResponse(corr, &kmsg.FetchResponse{}, 11, false).(*kmsg.FetchResponse)
	if p := resp.Topics[0].Partitions[0]; p.ErrorCode != 0 {
		t.Fatalf("long poll: %v", kerr.ErrorForCode(p.ErrorCode))
	}
	polling.roundTrip(apiVersionsReq()) // still open after waiting 1.5s
}

// TestRobustMaxConnections: connections past kafka.max_connections are
// closed at accept and counted; the open ones keep working, and a slot
// freed is usable again.
func TestRobustMaxConnections(t *testing.T) {
	cfg := quietConfig(t)
	cfg.Kafka.MaxConnections = 3
	n := startNode(t, cfg, node.Hooks{})
	var open []*rawConn
	for range 3 {
		rc := dialRaw(t, n.KafkaAddr())
		rc.roundTrip(apiVersionsReq())
		open = append(open, rc)
	}
	dialRaw(t, n.KafkaAddr()).expectClosed("a connection past max_connections")
	if got := testutil.ToFloat64(n.Metrics.ConnectionsRefused); got != 1 {
		t.Errorf("tributary_kafka_connections_refused_total = %v, want 1", got)
	}
	for _, rc := range open {
		rc.roundTrip(apiVersionsReq())
	}
	open[0].c.Close()
	waitGauge(t, "tributary_connections_open", func() float64 { return testutil.ToFloat64(n.Metrics.OpenConnections) }, 2, 10*time.Second)
	dialRaw(t, n.KafkaAddr()).roundTrip(apiVersionsReq())
}

// TestRobustShutdownWakesLongPoll: Close once waited out each parked
// fetch's MaxWait (30s here); now the drain answers long polls at once.
func TestRobustShutdownWakesLongPoll(t *testing.T) {
	n, err := node.Start(quietConfig(t), testLogger(), node.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			stopNode(t, n)
		}
	})
	createTopicWith(t, n.KafkaAddr(), "lp", 1, nil)
	rc := dialRaw(t, n.KafkaAddr())
	b, corr := rc.encode(fetchReq("lp", 0, 30000, 1))
	rc.write(b)
	time.Sleep(300 * time.Millisecond) // the fetch is parked

	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = n.Close(ctx)
	closed = true
	took := time.Since(start)
	if err != nil {
		t.Fatalf("close: %v", err)
	}
	if took > 5*time.Second {
		t.Fatalf("Close took %v with a fetch long-polling for 30s", took)
	}
	resp := rc.readResponse(corr, &kmsg.FetchResponse{}, 11, false).(*kmsg.FetchResponse)
	if p := resp.Topics[0].Partitions[0]; p.ErrorCode != 0 {
		t.Fatalf("the woken fetch: %v", kerr.ErrorForCode(p.ErrorCode))
	}
	t.Logf("Close returned in %v with a 30s long poll parked", took)
}

// TestRobustIngestPipelinePanic: a panic in an Iceberg ingest pipeline
// (here its log read) once took the process down. Now the pipeline is
// restarted from the table after its backoff, each panic is counted in
// tributary_panics_total{where=ingest_pipeline}, and the table read back
// with iceberg-go holds every produced record exactly once (no duplicate
// from rows buffered before the panic, no gap).
func TestRobustIngestPipelinePanic(t *testing.T) {
	const (
		topic      = "orders"
		partitions = 2
		panics     = 3
	)
	ident := icetable.Identifier{"shop", "orders"}
	ps := newPanicStore()
	n := startNode(t, quietConfig(t), node.Hooks{WrapMeta: func(s metastore.Store) metastore.Store { ps.Store = s; return ps }})
	id, md := registerOrder(t, n.RegistryAddr(), "orders-value", icebergOrderProto)
	icebergTopic(t, n.KafkaAddr(), topic, "shop.orders", partitions, 200*time.Millisecond)

	ctx := ctxTimeout(t, 2*time.Minute)
	cl := orderProducer(t, []string{n.KafkaAddr()}, topic)
	acks := newIcebergAcks()
	stop := make(chan struct{})
	sent := produceOrders(ctx, cl, acks, topic, id, md, 0, 20000, partitions, 5*time.Millisecond, stop)
	counted := func() float64 { return testutil.ToFloat64(n.Metrics.Panics.WithLabelValues("ingest_pipeline")) }

	st := waitStatus(t, n.AdminAddr(), "a commit", 30*time.Second, func(s ingest.TableStatus) bool { return s.Commits > 0 })
	for i := 1; i <= panics; i++ {
		ps.arm(metastore.MethodReadIndex, 1)
		waitGauge(t, "tributary_panics_total{where=ingest_pipeline}", counted, float64(i), 30*time.Second)
		before := st.Commits
		st = waitStatus(t, n.AdminAddr(), "a commit after the restart", 30*time.Second, func(s ingest.TableStatus) bool { return s.Commits > before })
	}

	close(stop)
	total := <-sent
	acks.wait(t, 30*time.Second)
	acked, failed := acks.snapshot()
	if len(failed) > 0 || len(acked) != total {
		t.Fatalf("%d sent, %d acknowledged, %d failed (%v)", total, len(acked), len(failed), firstErr(failed))
	}
	hwm := endOffsets(t, ctx, newAdmin(t, n.KafkaAddr()), topic)
	waitTableOffsets(t, n.CatalogAddr(), ident, hwm, 30*time.Second)
	rows := checkExactlyOnce(t, scanOrderRows(t, n.CatalogAddr(), ident), acked, hwm)
	final := waitStatus(t, n.AdminAddr(), "no lag", 10*time.Second, func(s ingest.TableStatus) bool { return s.LagRecords == 0 })
	if final.LastError != "" || !final.HoldsLease {
		t.Errorf("/-/tables at the end: %+v", final)
	}
	t.Logf("%d pipeline panics recovered; %d records, %d rows, none twice", panics, total, rows)
}
