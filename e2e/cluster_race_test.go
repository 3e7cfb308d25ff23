//go:build unix

package e2e

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestClusterProduceRaceDenseOffsets: idempotent producers pinned two to
// each of three brokers (every connection of a client goes to its broker,
// whatever Metadata says) all write to the same three partitions as fast
// as they can, so that flushes of different brokers race for the same
// offsets in Postgres. Offsets must come out dense and unique per
// partition, each acknowledged at the offset where it is read, and each
// broker must really have taken a share of the produce. Housekeeping
// rewrites the partitions into segments meanwhile.
func TestClusterProduceRaceDenseOffsets(t *testing.T) {
	const (
		topic      = "race"
		partitions = 3
		perBroker  = 2
		perWriter  = 1000
		pace       = time.Millisecond
	)
	c := startCluster(t, clusterOpts{Brokers: 3, Housekeeping: true})
	createClusterTopic(t, c.Brokers[0].KafkaAddr, topic, partitions)
	c.waitBrokers(t, 5*time.Second)

	var clients []*kgo.Client
	for _, b := range c.Brokers {
		for range perBroker {
			clients = append(clients, pinnedClient(t, b.KafkaAddr, append(loadProducerOpts(topic), kgo.ProducerLinger(0))...))
		}
	}
	chk := newChecker()
	ctx := ctxTimeout(t, 2*time.Minute)
	start := time.Now()
	load := startProducers(ctx, chk, clients, partitions, perWriter, pace)
	load.waitSent(t, 60*time.Second)
	chk.wait(t, 60*time.Second)
	took := time.Since(start)

	got, hwm := readLogVia(t, topic, 60*time.Second, func(o ...kgo.Opt) *kgo.Client { return clusterClient(t, c.seeds(), o...) })
	rep := chk.check(got, hwm)
	t.Logf("%d producers, %d records in %v; %v", len(clients), len(clients)*perWriter, took.Round(time.Millisecond), rep)
	if !rep.ok() {
		t.FailNow()
	}
	if rep.Acked != len(clients)*perWriter || rep.Read != rep.Acked {
		t.Fatalf("%d acked, %d read, want %d", rep.Acked, rep.Read, len(clients)*perWriter)
	}
	for _, b := range c.Brokers {
		n := metricSum(t, b.AdminAddr, "tributary_produce_records_total")
		puts := metricSum(t, b.AdminAddr, "tributary_objstore_operations_total", `op="put"`, `result="ok"`)
		t.Logf("broker %d accepted %.0f records in %.0f intake objects", b.Index, n, puts)
		if n < perBroker*perWriter {
			t.Fatalf("broker %d accepted %.0f records, its pinned producers sent %d", b.Index, n, perBroker*perWriter)
		}
	}
}

// TestClusterIdempotentRetryAcrossBrokers: a retried idempotent batch
// (same producer ID, epoch and sequence, same bytes) that lands on another
// broker is answered with the original base offset and not appended
// again, because producer state lives in Postgres; so is an older batch
// still among the five remembered, and the same batch sent to all three
// brokers at once is appended once. A sequence gap is refused by any
// broker. Raw Produce requests on one connection per broker.
func TestClusterIdempotentRetryAcrossBrokers(t *testing.T) {
	const topic = "idem"
	c := startCluster(t, clusterOpts{Brokers: 3})
	createClusterTopic(t, c.Brokers[0].KafkaAddr, topic, 1)
	c.waitBrokers(t, 5*time.Second)
	conns := make([]*rawConn, len(c.Brokers))
	for i, b := range c.Brokers {
		conns[i] = dialRaw(t, b.KafkaAddr)
	}
	a, b, cc := conns[0], conns[1], conns[2]

	ipr := kmsg.NewPtrInitProducerIDRequest()
	ipr.Version, ipr.TransactionTimeoutMillis = 4, -1
	ir := a.roundTrip(ipr).(*kmsg.InitProducerIDResponse)
	if ir.ErrorCode != 0 {
		t.Fatalf("InitProducerID: error code %d", ir.ErrorCode)
	}
	pid, epoch := ir.ProducerID, ir.ProducerEpoch
	chk := newChecker()
	batch := func(seq int32, n int) []byte {
		vals := make([]string, n)
		for i := range vals {
			vals[i] = checkerValue(0, int(seq)+i)
			chk.attempt(vals[i])
		}
		return idempotentBatch(pid, epoch, seq, vals...)
	}
	produce := func(r *rawConn, recs []byte) produceResult {
		t.Helper()
		return produceResults(r.roundTrip(produceReq(9, topic, 10000, map[int32][]byte{0: recs})))[0]
	}
	expect := func(what string, got produceResult, code int16, base int64) {
		t.Helper()
		if got.code != code || (code == 0 && got.baseOffset != base) {
			t.Fatalf("%s: code %d (%v) base offset %d %q; want code %d base offset %d", what, got.code, kerr.ErrorForCode(got.code), got.baseOffset, got.msg, code, base)
		}
	}
	hwmVia := func(r *rawConn) int64 { _, hwm := r.fetchRaw(topic, 0); return hwm }

	b0 := batch(0, 3)
	expect("seq 0 to broker 0", produce(a, b0), 0, 0)
	expect("seq 0 again, to broker 1", produce(b, b0), 0, 0)
	expect("seq 0 again, to broker 2", produce(cc, b0), 0, 0)
	for i, r := range conns {
		if h := hwmVia(r); h != 3 {
			t.Fatalf("after one batch of 3 and two retries, broker %d reports high watermark %d, want 3", i, h)
		}
	}
	b3 := batch(3, 2)
	expect("seq 3 to broker 1", produce(b, b3), 0, 3)
	expect("old seq 0 again, to broker 2", produce(cc, b0), 0, 0)
	expect("seq 3 again, to broker 0", produce(a, b3), 0, 3)

	// The same new batch to all three brokers at once: every request is
	// written before any answer is read.
	b5 := batch(5, 2)
	corrs := make([]int32, len(conns))
	for i, r := range conns {
		var frame []byte
		frame, corrs[i] = r.encode(produceReq(9, topic, 10000, map[int32][]byte{0: b5}))
		r.write(frame)
	}
	for i, r := range conns {
		resp := r.readResponse(corrs[i], kmsg.NewPtrProduceResponse(), 9, true)
		expect(fmt.Sprintf("seq 5 raced to broker %d", i), produceResults(resp)[0], 0, 5)
	}

	gap := batch(10, 1)
	for i, r := range conns {
		expect(fmt.Sprintf("seq 10 after 6, to broker %d", i), produce(r, gap), kerr.OutOfOrderSequenceNumber.Code, 0)
	}

	for i := range 7 {
		chk.ack(checkerValue(0, i), logPos{0, int64(i)})
	}
	for i, r := range conns {
		if h := hwmVia(r); h != 7 {
			t.Fatalf("broker %d reports high watermark %d, want 7", i, h)
		}
	}
	got, hwm := readLogVia(t, topic, 30*time.Second, func(o ...kgo.Opt) *kgo.Client { return clusterClient(t, c.seeds(), o...) })
	if rep := chk.check(got, hwm); !rep.ok() || rep.Read != 7 || rep.Indeterminate != 0 {
		t.Fatalf("%v", rep)
	}
}

// idempotentBatch encodes values as one v2 record batch of producer pid at
// epoch, its first record at sequence seq, as an idempotent producer
// writes it.
func idempotentBatch(pid int64, epoch int16, seq int32, values ...string) []byte {
	var recs []byte
	for i, v := range values {
		r := kmsg.Record{OffsetDelta: int32(i), Value: []byte(v)}
		r.Length = int32(len(r.AppendTo(nil)) - 1) // a zero length prefix is one byte
		recs = r.AppendTo(recs)
	}
	now := time.Now().UnixMilli()
	b := kmsg.RecordBatch{
		PartitionLeaderEpoch: -1, Magic: 2, LastOffsetDelta: int32(len(values) - 1),
		FirstTimestamp: now, MaxTimestamp: now,
		ProducerID: pid, ProducerEpoch: epoch, FirstSequence: seq,
		NumRecords: int32(len(values)), Records: recs,
	}
	b.Length = int32(len(b.AppendTo(nil)) - 12) // after baseOffset and length
	out := b.AppendTo(nil)
	binary.BigEndian.PutUint32(out[17:], crc32.Checksum(out[21:], crc32.MakeTable(crc32.Castagnoli)))
	return out
}
