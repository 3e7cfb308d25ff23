//go:build unix

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The outside services failing under a running cluster: Postgres
// restarted, the S3 server stopped (connections refused) or frozen
// (SIGSTOP: connections accepted, never answered). While a service is
// out, a Produce sent straight to each broker must get a retriable error
// code within its timeout (never hang, never succeed without the
// service); franz-go producers (acks=all, idempotent, seeded with every
// broker) keep retrying and must all be acknowledged once the service is
// back (acknowledgements resuming within storeRecoveryBound), with no
// broker restarted; the checker must then find nothing acknowledged lost,
// nothing twice, offsets dense. A broker holds a flush while a store is
// out, so the probe's answer is REQUEST_TIMED_OUT at its timeout. Housekeeping runs every
// 300ms throughout, so its rewrites and deletions meet the outages too.

const (
	clusterFaultTopic      = "faults"
	clusterFaultPartitions = 4
	clusterFaultWriters    = 2
	// The load runs until the test halts it after its last outage, so
	// that it outlasts the outages however slow the machine; the cap only
	// bounds a run gone wrong (40s at the pace).
	clusterFaultMaxPerWriter = 20000
	clusterFaultPace         = 2 * time.Millisecond // ≈ 1000 records/s in all
)

// clusterFaultRun is a cluster under a steady load, for one fault test.
type clusterFaultRun struct {
	c             *testCluster
	chk           *checker
	load          *producers
	stopConsumers func()
	probes        int // probe rounds sent: the sequence of each probe value
	start         time.Time
}

func startClusterFaultRun(t *testing.T) *clusterFaultRun {
	t.Helper()
	r := &clusterFaultRun{c: startCluster(t, clusterOpts{Brokers: 2, Housekeeping: true}), chk: newChecker()}
	createClusterTopic(t, r.c.Brokers[0].KafkaAddr, clusterFaultTopic, clusterFaultPartitions)
	r.c.waitBrokers(t, 5*time.Second)
	r.stopConsumers = startConsumers(t, r.c, r.chk, clusterFaultTopic, 1)
	var clients []*kgo.Client
	for range clusterFaultWriters {
		clients = append(clients, clusterClient(t, r.c.seeds(), loadProducerOpts(clusterFaultTopic)...))
	}
	r.start = time.Now()
	r.load = startProducers(ctxTimeout(t, 3*time.Minute), r.chk, clients, clusterFaultPartitions, clusterFaultMaxPerWriter, clusterFaultPace)
	r.chk.waitAcked(t, 300, 30*time.Second)
	return r
}

// probe sends one record, on a fresh connection to each broker at once,
// with the given produce timeout, and returns each answer's error code.
// The values sent to broker i are producer 90+i's: one broker keeps the
// order of the probes it was sent one after another, two brokers need
// not order probes sent to them at once.
func (r *clusterFaultRun) probe(t *testing.T, timeout time.Duration) []int16 {
	t.Helper()
	conns := make([]*rawConn, len(r.c.Brokers))
	corrs := make([]int32, len(r.c.Brokers))
	r.probes++
	for i, b := range r.c.Brokers {
		v := checkerValue(90+i, r.probes)
		r.chk.attempt(v)
		conns[i] = dialRaw(t, b.KafkaAddr)
		var frame []byte
		frame, corrs[i] = conns[i].encode(produceReq(9, clusterFaultTopic, int32(timeout/time.Millisecond), map[int32][]byte{0: testBatch(v)}))
		conns[i].write(frame)
	}
	codes := make([]int16, len(conns))
	for i, rc := range conns {
		codes[i] = produceResults(rc.readResponse(corrs[i], kmsg.NewPtrProduceResponse(), 9, true))[0].code
		rc.c.Close()
	}
	return codes
}

// expectRetriable probes and fails t unless every broker answers with a
// retriable error within the produce timeout (plus a margin).
func (r *clusterFaultRun) expectRetriable(t *testing.T, why string, timeout time.Duration) string {
	t.Helper()
	start := time.Now()
	codes := r.probe(t, timeout)
	took := time.Since(start)
	var names []string
	for i, code := range codes {
		err := kerr.ErrorForCode(code)
		if code == 0 || !kerr.IsRetriable(err) {
			t.Fatalf("%s: produce to broker %d answered %v (code %d), want a retriable error", why, i, err, code)
		}
		names = append(names, fmt.Sprint(err))
	}
	if took > timeout+5*time.Second {
		t.Fatalf("%s: produce answered after %v, timeout %v", why, took, timeout)
	}
	return fmt.Sprintf("%s in %v", strings.Join(names, ", "), took.Round(time.Millisecond))
}

// expectStalled checks that no record was acknowledged over d: nothing can
// be durable while the service is out. Answers to flushes that completed
// before the outage get 100ms to arrive first.
func (r *clusterFaultRun) expectStalled(t *testing.T, why string, d time.Duration) {
	t.Helper()
	time.Sleep(100 * time.Millisecond)
	before := r.chk.numAcked()
	time.Sleep(d)
	if after := r.chk.numAcked(); after != before {
		t.Fatalf("%s: %d records acknowledged while it was out", why, after-before)
	}
}

// storeRecoveryBound is how soon after a store answers again producers
// must be acknowledged again: the goal is 1s, the brokers' own
// retry waits at most 100ms (log/intake/retry.go), and this busy machine
// gets a wide margin. The measured figures are the cluster benchmark's
// (make bench-cluster, its recovery round); this checks that recovery
// does not wait on a client's backoff or a session timeout.
const storeRecoveryBound = 5 * time.Second

// waitProgress waits until more records are acknowledged than now and
// returns how long that took: the cluster recovered by itself. It fails t
// when that took longer than storeRecoveryBound.
func (r *clusterFaultRun) waitProgress(t *testing.T, d time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	r.chk.waitAcked(t, r.chk.numAcked()+clusterFaultWriters*50, d)
	took := time.Since(start)
	if took > storeRecoveryBound {
		t.Fatalf("producers acknowledged again only %v after the store answered again, want at most %v", took.Round(time.Millisecond), storeRecoveryBound)
	}
	return took
}

// finish halts the load, waits for every answer and runs the check:
// every record handed to a producer must have been acknowledged.
func (r *clusterFaultRun) finish(t *testing.T) {
	t.Helper()
	sent := r.load.halt()
	r.chk.wait(t, 60*time.Second)
	took := time.Since(r.start)
	if sent >= clusterFaultWriters*clusterFaultMaxPerWriter {
		t.Fatalf("the load ran to its cap of %d records: the outages took too long", sent)
	}
	waitObserved(t, r.chk, sent, 30*time.Second)
	r.stopConsumers()
	got, hwm := readLogVia(t, clusterFaultTopic, 60*time.Second, func(o ...kgo.Opt) *kgo.Client { return clusterClient(t, r.c.seeds(), o...) })
	rep := r.chk.check(got, hwm)
	t.Logf("load of %d records done in %v; %v", sent, took.Round(time.Millisecond), rep)
	if !rep.ok() {
		t.FailNow()
	}
	if rep.Acked != sent {
		t.Fatalf("%d of %d records acknowledged, %d failed (e.g. %v)", rep.Acked, sent, rep.Failed, r.firstFailure())
	}
}

func (r *clusterFaultRun) firstFailure() error {
	r.chk.mu.Lock()
	defer r.chk.mu.Unlock()
	for _, err := range r.chk.failed {
		return err
	}
	return nil
}

// TestClusterPostgresRestart restarts Postgres under load twice: a clean
// stop (fast shutdown: sessions ended, checkpoint), then a crash
// (immediate shutdown: recovery from the WAL at start), each a few seconds
// out; commits whose answer was lost in either are retried by the
// producers and must be deduplicated.
func TestClusterPostgresRestart(t *testing.T) {
	r := startClusterFaultRun(t)
	for _, stop := range []struct {
		how  string
		stop func(testing.TB)
	}{{"stopped", r.c.PG.Stop}, {"crashed", r.c.PG.Crash}} {
		stop.stop(t)
		down := time.Now()
		why := "Postgres " + stop.how
		codes := r.expectRetriable(t, why, 2*time.Second)
		r.expectStalled(t, why, 2*time.Second) // past the session timeout: registrations lapse
		r.c.PG.Start(t)
		outage := time.Since(down)
		recovered := r.waitProgress(t, 30*time.Second)
		t.Logf("%s for %v: produce answered %s; producers acknowledged again %v after its start",
			why, outage.Round(time.Millisecond), codes, recovered.Round(time.Millisecond))
	}
	r.finish(t)
	r.c.waitBrokers(t, 5*time.Second) // registrations renewed after the outages
}

// TestClusterObjectStoreFailing makes the S3 server unreachable (stopped:
// connections refused) and then hanging (frozen), each for a few seconds
// under load.
func TestClusterObjectStoreFailing(t *testing.T) {
	r := startClusterFaultRun(t)

	r.c.S3.Stop(t)
	down := time.Now()
	codes := r.expectRetriable(t, "S3 stopped", 10*time.Second)
	r.expectStalled(t, "S3 stopped", time.Second)
	r.c.S3.Start(t)
	outage := time.Since(down)
	recovered := r.waitProgress(t, 30*time.Second)
	t.Logf("S3 stopped %v: produce answered %s; producers acknowledged again %v after its start",
		outage.Round(time.Millisecond), codes, recovered.Round(time.Millisecond))

	r.c.S3.Pause(t)
	down = time.Now()
	codes = r.expectRetriable(t, "S3 frozen", 2*time.Second)
	r.expectStalled(t, "S3 frozen", time.Second)
	r.c.S3.Resume(t)
	outage = time.Since(down)
	recovered = r.waitProgress(t, 40*time.Second)
	t.Logf("S3 frozen %v: produce answered %s; producers acknowledged again %v after it resumed",
		outage.Round(time.Millisecond), codes, recovered.Round(time.Millisecond))

	r.finish(t)
}
