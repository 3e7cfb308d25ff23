//go:build unix

package e2e

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestClusterKillDuringLoad kills one of three brokers with SIGKILL while
// idempotent franz-go producers (acks=all, seeded with all three) and
// consumers run, later restarts it, and lets the load finish: every record
// must be acknowledged in the end (the clients carry on through the other
// brokers), and the checker must find nothing acknowledged lost, nothing
// twice, offsets dense, each producer's order kept, and the consumers'
// view consistent with the final log. The log is then read through each
// broker alone: all serve the same one. Before the load ends, another
// broker is stopped with SIGTERM and restarted (a rolling restart).
//
// Housekeeping runs every 300ms meanwhile, rewriting intake data into
// segments and deleting dead objects under the reads, and the broker
// killed is the one holding its lease: another must take it over.
func TestClusterKillDuringLoad(t *testing.T) {
	const (
		topic      = "kill-load"
		partitions = 6
		writers    = 3
		pace       = 2 * time.Millisecond // ≈ 1500 records/s in all
		// The load runs until halted after the last restart, so that it
		// outlasts the faults however slow the machine; the cap only
		// bounds a run gone wrong (40s at the pace).
		maxPerWriter = 20000
	)
	c := startCluster(t, clusterOpts{Brokers: 3, Housekeeping: true})
	createClusterTopic(t, c.Brokers[0].KafkaAddr, topic, partitions)
	c.waitBrokers(t, 5*time.Second)

	chk := newChecker()
	ctx := ctxTimeout(t, 2*time.Minute)
	stopConsumers := startConsumers(t, c, chk, topic, 2)
	var clients []*kgo.Client
	for range writers {
		clients = append(clients, clusterClient(t, c.seeds(), loadProducerOpts(topic)...))
	}
	start := time.Now()
	load := startProducers(ctx, chk, clients, partitions, maxPerWriter, pace)

	chk.waitAcked(t, 1000, 30*time.Second)
	holderAddr, holder := waitLeaseHolder(t, c, "")
	victim := c.broker(t, holderAddr)
	ackedAtKill := chk.numAcked()
	victim.kill9(t)
	killedAt := time.Since(start)
	dropped := c.waitBrokers(t, c.Session+c.Heartbeat+3*time.Second)
	newHolder, _ := waitLeaseHolder(t, c, holder)
	leaseMoved := time.Since(start) - killedAt
	chk.waitAcked(t, chk.numAcked()+500, 30*time.Second) // through the other two
	victim.restart(t)
	restartedAt := time.Since(start)

	// Then a rolling restart of another broker: SIGTERM drains it (every
	// request it read is answered) and it deregisters.
	other := c.Brokers[(victim.Index+1)%len(c.Brokers)]
	chk.waitAcked(t, chk.numAcked()+500, 30*time.Second)
	// Housekeeping counters live in each process: the broker stopped next
	// may be the one whose housekeeping wrote segments, and its count
	// starts again at 0 when it restarts. Read them before it stops.
	segmentsBeforeTerm := segmentsWritten(t, c)
	other.term(t)
	termAt := time.Since(start)
	chk.waitAcked(t, chk.numAcked()+200, 30*time.Second)
	other.restart(t)
	chk.waitAcked(t, chk.numAcked()+500, 30*time.Second)
	// The faults can be over within a few seconds; the load goes on until
	// housekeeping has rewritten intake data under it (in a broker that
	// is live now: counters start again at 0 in a restarted process).
	segments := waitSegmentsWritten(t, c, 30*time.Second)

	sent := load.halt()
	chk.wait(t, 60*time.Second)
	produced := time.Since(start)
	if sent >= writers*maxPerWriter {
		t.Fatalf("the load ran to its cap of %d records: the faults took too long", sent)
	}
	// Consumers see the end of the log before they stop.
	waitObserved(t, chk, sent, 30*time.Second)
	stopConsumers()

	got, hwm := readLogVia(t, topic, 60*time.Second, func(o ...kgo.Opt) *kgo.Client { return clusterClient(t, c.seeds(), o...) })
	rep := chk.check(got, hwm)
	t.Logf("killed broker %d at %v (%d acked), gone from Metadata %v later; housekeeping lease to %s %v after the kill; restarted at %v; "+
		"broker %d stopped by SIGTERM at %v and restarted; %d records produced by %v",
		victim.Index, killedAt.Round(time.Millisecond), ackedAtKill, dropped.Round(time.Millisecond), newHolder, leaseMoved.Round(time.Millisecond),
		restartedAt.Round(time.Millisecond), other.Index, termAt.Round(time.Millisecond), sent, produced.Round(time.Millisecond))
	t.Logf("%v", rep)
	if !rep.ok() {
		t.FailNow()
	}
	if rep.Acked != sent || rep.Failed != 0 {
		t.Fatalf("%d of %d records acknowledged, %d failed: clients did not carry on", rep.Acked, sent, rep.Failed)
	}
	sameLogEverywhere(t, c, topic, got)

	t.Logf("segments written by the live brokers' housekeeping: %.0f before the SIGTERM, %.0f under the load after the restarts", segmentsBeforeTerm, segments)
}

// waitSegmentsWritten waits until the live brokers' housekeeping has
// written a segment and returns how many; it fails the test after d.
func waitSegmentsWritten(t *testing.T, c *testCluster, d time.Duration) float64 {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		if n := segmentsWritten(t, c); n > 0 {
			return n
		}
		if time.Now().After(deadline) {
			t.Fatalf("no segment written in %v: housekeeping did not run under the load", d)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// segmentsWritten sums the segments the live brokers' housekeeping wrote
// since each of them started.
func segmentsWritten(t *testing.T, c *testCluster) float64 {
	t.Helper()
	n := 0.0
	for _, b := range c.live() {
		n += metricSum(t, b.AdminAddr, "tributary_housekeeping_segments_written_total")
	}
	return n
}

// waitLeaseHolder waits until a live broker instance other than not holds
// the housekeeping lease and returns its address and instance.
func waitLeaseHolder(t *testing.T, c *testCluster, not string) (addr, instance string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if addr, instance = c.leaseHolder(t, "housekeeping"); instance != "" && instance != not {
			return addr, instance
		}
		if time.Now().After(deadline) {
			t.Fatalf("no broker instance but %q holds the housekeeping lease after 10s", not)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitObserved waits until the consumers have seen n distinct offsets.
func waitObserved(t *testing.T, chk *checker, n int, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		chk.mu.Lock()
		seen := len(chk.observed)
		chk.mu.Unlock()
		if seen >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("consumers saw %d of at least %d records after %v", seen, n, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sameLogEverywhere reads topic through each running broker alone
// (pinned clients) and compares with want, value by value.
func sameLogEverywhere(t *testing.T, c *testCluster, topic string, want map[int32][]*kgo.Record) {
	t.Helper()
	for _, b := range c.live() {
		got, _ := readLogVia(t, topic, 30*time.Second, func(o ...kgo.Opt) *kgo.Client { return pinnedClient(t, b.KafkaAddr, o...) })
		for p, recs := range want {
			if len(got[p]) != len(recs) {
				t.Fatalf("broker %d serves %d records of partition %d, the cluster read %d", b.Index, len(got[p]), p, len(recs))
			}
			for i, r := range recs {
				if g := got[p][i]; g.Offset != r.Offset || string(g.Value) != string(r.Value) {
					t.Fatalf("broker %d serves %q at %d/%d, the cluster read %q at %d", b.Index, g.Value, p, g.Offset, r.Value, r.Offset)
				}
			}
		}
	}
}
