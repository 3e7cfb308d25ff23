//go:build unix

package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/internal/metastore/boltstore"
	"github.com/tributary-io/tributary/internal/objstore"
	"github.com/tributary-io/tributary/node"
)

// The crash tests run `tributary serve` as a child process, kill it while
// an idempotent franz-go producer (acks=all) is sending numbered records,
// restart it on the same data directory and Kafka address, and read the
// whole log back. Whatever the kill, the log must hold every acknowledged
// record exactly once, with offsets dense from 0, and nothing else: no
// batch of a flush that never committed, no corrupt data.

const (
	crashTopic      = "crash"
	crashPartitions = 3
	crashRecords    = 2000
)

// TestCrash builds the binary once for its subtests.
func TestCrash(t *testing.T) {
	bin := buildTributary(t)
	t.Run("KillBetweenObjectPutAndCommit", func(t *testing.T) { testCrashAfterPut(t, bin) })
	t.Run("KillAtRandomMoment", func(t *testing.T) { testCrashRandom(t, bin) })
	t.Run("SIGTERMDrains", func(t *testing.T) { testCrashSIGTERM(t, bin) })
}

// crashProducer is the producer under test: idempotent, acks=all (both
// franz-go's defaults, spelled out), records placed by hand round-robin.
func crashProducer(t *testing.T, addr string) *kgo.Client {
	t.Helper()
	return newClient(t, addr, kgo.DefaultProduceTopic(crashTopic),
		kgo.RequiredAcks(kgo.AllISRAcks()), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RetryBackoffFn(func(int) time.Duration { return 100 * time.Millisecond }),
		kgo.MetadataMinAge(100*time.Millisecond))
}

// produceNumbered sends records first..first+n-1, one every pace,
// round-robin over the partitions, until done or stop is closed; it
// returns how many it sent.
func produceNumbered(ctx context.Context, cl *kgo.Client, log *ackLog, first, n int, pace time.Duration, stop <-chan struct{}) <-chan int {
	sent := make(chan int, 1)
	go func() {
		i := 0
		defer func() { sent <- i }()
		tick := time.NewTicker(pace)
		defer tick.Stop()
		for ; i < n; i++ {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			log.produce(ctx, cl, &kgo.Record{Partition: int32(i % crashPartitions), Value: []byte(numbered(first + i))})
		}
	}()
	return sent
}

func createCrashTopic(t *testing.T, addr string) {
	t.Helper()
	ctx := ctxTimeout(t, 20*time.Second)
	resp, err := newAdmin(t, addr).CreateTopic(ctx, crashPartitions, 1, nil, crashTopic)
	if err != nil || resp.Err != nil {
		t.Fatalf("create topic: %v %v", err, resp.Err)
	}
}

// orphans lists the intake objects in dataDir that the metadata store does
// not know: the leftovers of flushes that wrote their object and never
// committed. Call it only while no broker runs on dataDir.
func orphans(t *testing.T, dataDir string) (orphaned []objstore.ObjectInfo, total int) {
	t.Helper()
	ctx := ctxTimeout(t, 20*time.Second)
	local, err := objstore.NewLocal(filepath.Join(dataDir, "objects"))
	if err != nil {
		t.Fatalf("open objects: %v", err)
	}
	defer local.Close()
	objs, err := local.List(ctx, "intake/")
	if err != nil {
		t.Fatalf("list intake objects: %v", err)
	}
	meta, err := boltstore.Open(filepath.Join(dataDir, "meta.db"), boltstore.Options{OpenTimeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("open metadata store: %v", err)
	}
	defer meta.Close()
	keys := make([]string, len(objs))
	for i, o := range objs {
		keys[i] = o.Key
	}
	known, err := meta.KnownObjects(ctx, keys)
	if err != nil {
		t.Fatalf("known objects: %v", err)
	}
	for _, o := range objs {
		if !known[o.Key] {
			orphaned = append(orphaned, o)
		}
	}
	return orphaned, len(objs)
}

// testCrashAfterPut is the crash the design must survive by construction:
// the process dies (SIGKILL, by the node's test hook) after an intake
// object is durable and before the metadata transaction that would index
// it. The producer, kept alive across the restart, retries the lost
// batches; the broker must serve each record once and never the orphan.
func testCrashAfterPut(t *testing.T, bin string) {
	const crashAt = 8 // intake Put after which the process kills itself
	dir, addr := t.TempDir(), freeAddr(t)
	p := startProc(t, bin, dir, addr, fmt.Sprintf("%s=%d", node.CrashAfterPutEnv, crashAt))
	createCrashTopic(t, addr)

	ctx := ctxTimeout(t, 90*time.Second)
	cl := crashProducer(t, addr)
	log := newAckLog()
	sent := produceNumbered(ctx, cl, log, 0, crashRecords, time.Millisecond, nil)

	st := p.waitExit(t, 30*time.Second)
	ws, _ := st.Sys().(syscall.WaitStatus)
	if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("broker ended with %v, want killed by SIGKILL from the hook\n%s", st, p.out.String())
	}
	if !strings.Contains(p.out.String(), node.CrashAfterPutEnv) {
		t.Fatalf("broker died but not by the hook:\n%s", p.out.String())
	}
	time.Sleep(200 * time.Millisecond) // let acks already on the wire land
	ackedBefore, _ := log.snapshot()
	ackedAtCrash := len(ackedBefore)
	if ackedAtCrash == 0 {
		t.Fatalf("nothing acknowledged before the crash: the test proves nothing")
	}

	orph, total := orphans(t, dir)
	// Written objects are the crashAt puts; the empty ones are keys the
	// writer prepared ahead (at most two ready and one being prepared),
	// orphans holding nothing. With group commit, put crashAt may have
	// been written while put crashAt-1 was still being indexed, so one or
	// two written objects are orphans: none may hold an acknowledged record.
	var written []objstore.ObjectInfo
	empty := 0
	for _, o := range orph {
		if o.Size == 0 {
			empty++
		} else {
			written = append(written, o)
		}
	}
	if total-empty != crashAt || len(written) < 1 || len(written) > 2 || empty > 3 {
		t.Fatalf("after the crash: %d intake objects, %d orphaned (%v); want %d written, 1 or 2 of them (the puts whose commit the kill prevented) orphaned, and at most 3 empty prepared ones", total, len(orph), orph, crashAt)
	}
	var inOrphan []int
	for _, o := range written {
		recs := objectRecords(t, dir, o.Key)
		if len(recs) == 0 {
			t.Fatalf("orphan %s holds no records", o.Key)
		}
		for _, i := range recs {
			if _, ok := ackedBefore[i]; ok {
				t.Fatalf("record %d was acknowledged, yet its only copy is in the uncommitted object %s", i, o.Key)
			}
		}
		inOrphan = append(inOrphan, recs...)
	}

	startProc(t, bin, dir, addr)
	n := <-sent
	log.wait(t, 60*time.Second)
	acked, failed := log.snapshot()
	if len(failed) > 0 || len(acked) != n || n != crashRecords {
		t.Fatalf("after restart: %d sent, %d acked, %d failed (first failure %v)", n, len(acked), len(failed), firstErr(failed))
	}
	got, hwm := readAll(t, addr, crashTopic)
	seen := checkLog(t, got, hwm)
	for i := range n {
		r, ok := seen[i]
		if !ok {
			t.Fatalf("acknowledged record %d missing from the log", i)
		}
		if a := acked[i]; r.Partition != a.Partition || r.Offset != a.Offset {
			t.Fatalf("record %d acknowledged at %d/%d, read at %d/%d", i, a.Partition, a.Offset, r.Partition, r.Offset)
		}
	}
	if len(seen) != n {
		t.Fatalf("log holds %d records, %d were produced", len(seen), n)
	}
	t.Logf("killed after intake put %d with %d/%d acked; %d orphans (%d records) and %d empty prepared objects not served; all %d records once after restart",
		crashAt, ackedAtCrash, crashRecords, len(written), len(inOrphan), empty, n)
}

// testCrashRandom kills the broker (SIGKILL from outside) at a random
// moment while records are in flight, and abandons the producer: every
// record acknowledged before the kill must be in the log once; a record
// never acknowledged may be there (committed, answer lost) but only once.
func testCrashRandom(t *testing.T, bin string) {
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 0))
	t.Logf("seed %d", seed)
	dir, addr := t.TempDir(), freeAddr(t)
	p := startProc(t, bin, dir, addr)
	createCrashTopic(t, addr)

	ctx := ctxTimeout(t, 90*time.Second)
	cl := crashProducer(t, addr)
	log := newAckLog()
	stop := make(chan struct{})
	sent := produceNumbered(ctx, cl, log, 0, crashRecords, time.Millisecond, stop)
	log.waitAcked(t, 100, 20*time.Second)
	time.Sleep(time.Duration(rng.Int64N(int64(400 * time.Millisecond))))
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill: %v", err)
	}
	p.waitExit(t, 10*time.Second)
	close(stop)
	n := <-sent
	time.Sleep(200 * time.Millisecond) // let acks already on the wire land
	cl.Close()                         // abandons (fails) what is still unanswered
	log.wait(t, 10*time.Second)
	acked, _ := log.snapshot()

	startProc(t, bin, dir, addr)
	got, hwm := readAll(t, addr, crashTopic)
	seen := checkLog(t, got, hwm)
	for _, i := range sortedKeys(acked) {
		r, ok := seen[i]
		if !ok {
			t.Fatalf("record %d was acknowledged before the kill and is lost", i)
		}
		if a := acked[i]; r.Partition != a.Partition || r.Offset != a.Offset {
			t.Fatalf("record %d acknowledged at %d/%d, read at %d/%d", i, a.Partition, a.Offset, r.Partition, r.Offset)
		}
	}
	for i := range seen {
		if i >= n {
			t.Fatalf("log holds record %d, only %d were sent", i, n)
		}
	}

	// The log goes on densely after the crash with a new producer.
	cl2 := crashProducer(t, addr)
	for part := range int32(crashPartitions) {
		r := &kgo.Record{Partition: part, Value: []byte(numbered(crashRecords + int(part)))}
		if err := cl2.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatalf("produce after restart: %v", err)
		}
		if r.Offset != hwm[part] {
			t.Fatalf("partition %d: first record after restart at offset %d, want %d", part, r.Offset, hwm[part])
		}
	}
	t.Logf("killed with %d sent, %d acked; log holds %d (acked + %d committed but unanswered)",
		n, len(acked), len(seen), len(seen)-len(acked))
}

// testCrashSIGTERM stops the broker with SIGTERM mid-stream, a few times
// over: each time it must drain (answer every request it started, flush
// the intake buffer), exit 0 and leave no orphan. Then the log is exactly
// the acknowledged records: a request is either answered or never read.
func testCrashSIGTERM(t *testing.T, bin string) {
	const rounds = 3
	dir, addr := t.TempDir(), freeAddr(t)
	ctx := ctxTimeout(t, 120*time.Second)
	log := newAckLog() // across rounds: numbers never repeat
	sentTotal := 0
	for round := range rounds {
		p := startProc(t, bin, dir, addr)
		if round == 0 {
			createCrashTopic(t, addr)
		}
		cl := crashProducer(t, addr)
		stop := make(chan struct{})
		before := log.numAcked()
		sent := produceNumbered(ctx, cl, log, round*crashRecords, crashRecords, time.Millisecond, stop)
		log.waitAcked(t, before+100, 20*time.Second)
		p.signal(t, syscall.SIGTERM)
		st := p.waitExit(t, 40*time.Second)
		if st.ExitCode() != 0 {
			t.Fatalf("round %d: broker exited with %v after SIGTERM, want 0\n%s", round, st, p.out.String())
		}
		close(stop)
		sentTotal += <-sent
		time.Sleep(200 * time.Millisecond) // let the last answers land
		cl.Close()
		log.wait(t, 10*time.Second)
		if orph, _ := orphans(t, dir); len(orph) > 0 {
			t.Fatalf("round %d: graceful stop left %d orphaned intake objects: %v", round, len(orph), orph)
		}
	}
	acked, _ := log.snapshot()

	startProc(t, bin, dir, addr)
	got, hwm := readAll(t, addr, crashTopic)
	seen := checkLog(t, got, hwm)
	for _, i := range sortedKeys(acked) {
		if _, ok := seen[i]; !ok {
			t.Fatalf("record %d was acknowledged before SIGTERM and is lost", i)
		}
	}
	for _, i := range sortedKeys(seen) {
		if _, ok := acked[i]; !ok {
			t.Fatalf("record %d is in the log but was never acknowledged: the drain dropped an answer", i)
		}
	}
	t.Logf("%d SIGTERMs with %d sent: %d acknowledged, exactly those in the log", rounds, sentTotal, len(acked))
}

// objectRecords decodes the record batches of an intake object, as a
// consumer would (franz-go, CRC checked), into our sequence numbers.
func objectRecords(t *testing.T, dataDir, key string) []int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dataDir, "objects", filepath.FromSlash(key)))
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	rp := kmsg.FetchResponseTopicPartition{RecordBatches: data, HighWatermark: 1 << 62}
	fp, _ := kgo.ProcessFetchPartition(kgo.ProcessFetchPartitionOpts{Topic: crashTopic}, &rp, kgo.DefaultDecompressor(), nil)
	if fp.Err != nil {
		t.Fatalf("decode %s: %v", key, fp.Err)
	}
	var out []int
	for _, r := range fp.Records {
		out = append(out, seqOf(r.Value))
	}
	return out
}
