//go:build unix

package e2e

import (
	"maps"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestClusterMetadataAndFailover: three brokers on one Postgres and one
// bucket each list all three in Metadata and agree on partition leaders,
// spread over all of them. A broker killed with SIGKILL drops out of every
// other broker's Metadata within the session timeout (plus a heartbeat and
// a margin), its partitions move to the others, and a client seeded with
// all three carries on; restarted, it takes its node ID back. A broker
// stopped with SIGTERM deregisters and drops out without waiting for the
// session timeout.
func TestClusterMetadataAndFailover(t *testing.T) {
	const (
		topic      = "failover"
		partitions = 48 // three brokers all lead one: fails by chance with p ≈ 3·(2/3)^48 ≈ 1e-8
	)
	c := startCluster(t, clusterOpts{Brokers: 3, Heartbeat: 200 * time.Millisecond, Session: 2 * time.Second})
	createClusterTopic(t, c.Brokers[0].KafkaAddr, topic, partitions)
	took := c.waitBrokers(t, 5*time.Second)
	t.Logf("all three brokers list all three %v after start", took.Round(time.Millisecond))
	ids := checkLeaders(t, c, topic, partitions)
	if !slices.Equal(slices.Sorted(maps.Values(ids)), []int32{0, 1, 2}) {
		t.Fatalf("node IDs %v: want 0, 1, 2 (lowest free, taken in start order)", ids)
	}

	chk := newChecker()
	ctx := ctxTimeout(t, 90*time.Second)
	cl := clusterClient(t, c.seeds(), kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RetryBackoffFn(func(int) time.Duration { return 100 * time.Millisecond }), kgo.MetadataMinAge(100*time.Millisecond))
	round := func(n int) {
		for p := range int32(partitions) {
			chk.produce(ctx, cl, &kgo.Record{Partition: p, Value: []byte(checkerValue(0, n*partitions+int(p)))})
		}
		chk.wait(t, 30*time.Second)
	}
	round(0)

	victim := c.Brokers[1]
	victim.kill9(t)
	killed := time.Now()
	took = c.waitBrokers(t, c.Session+c.Heartbeat+3*time.Second)
	t.Logf("killed broker dropped out of Metadata after %v (session timeout %v, heartbeat %v)", took.Round(time.Millisecond), c.Session, c.Heartbeat)
	after := checkLeaders(t, c, topic, partitions)
	if _, ok := after[victim.KafkaAddr]; ok {
		t.Fatalf("killed broker still listed: %v", after)
	}
	round(1) // the client still has the dead broker among its seeds
	t.Logf("a round to all %d partitions acknowledged %v after the kill", partitions, time.Since(killed).Round(time.Millisecond))

	// Peers stop advertising the victim at once (probes), but its
	// registration holds its node ID until the session lapses: restart it
	// only then, so that it can take the ID back.
	time.Sleep(time.Until(killed.Add(c.Session + c.Heartbeat)))
	victim.restart(t)
	c.waitBrokers(t, 5*time.Second)
	back := checkLeaders(t, c, topic, partitions)
	if back[victim.KafkaAddr] != ids[victim.KafkaAddr] {
		t.Fatalf("restarted broker has node ID %d, had %d: the lowest free ID is its old one", back[victim.KafkaAddr], ids[victim.KafkaAddr])
	}
	round(2)

	c.Brokers[2].term(t)
	took = c.waitBrokers(t, c.Session)
	t.Logf("broker stopped by SIGTERM dropped out %v after its exit (session timeout %v)", took.Round(time.Millisecond), c.Session)
	round(3)

	got, hwm := readLogVia(t, topic, 30*time.Second, func(o ...kgo.Opt) *kgo.Client { return clusterClient(t, c.seeds(), o...) })
	rep := chk.check(got, hwm)
	if !rep.ok() || rep.Acked != 4*partitions {
		t.Fatalf("%v", rep)
	}
	t.Logf("%v", rep)
}

// checkLeaders asks every live broker for Metadata about topic and checks
// they agree on the brokers and leaders, that every partition has one
// live leader and that every live broker leads at least one. It returns
// the node IDs by Kafka address.
func checkLeaders(t *testing.T, c *testCluster, topic string, partitions int) map[string]int32 {
	t.Helper()
	var first clusterView
	for i, b := range c.live() {
		v := metadataVia(b.KafkaAddr, topic)
		if v.Err != nil {
			t.Fatalf("metadata from broker %d: %v", b.Index, v.Err)
		}
		if i == 0 {
			first = v
			continue
		}
		if !maps.Equal(v.Brokers, first.Brokers) || !maps.EqualFunc(v.Leaders, first.Leaders, slices.Equal) {
			t.Fatalf("brokers disagree: %s says %v leaders %v; %s says %v leaders %v",
				c.live()[0].KafkaAddr, first.Brokers, first.Leaders, b.KafkaAddr, v.Brokers, v.Leaders)
		}
	}
	n := 0
	for id, parts := range first.Leaders {
		if _, ok := first.Brokers[id]; !ok {
			t.Fatalf("partitions %v led by node %d, not a listed broker %v", parts, id, first.Brokers)
		}
		n += len(parts)
	}
	if n != partitions || len(first.Leaders) != len(first.Brokers) {
		t.Fatalf("%d partitions with leaders %v over brokers %v: want all %d led, by every broker", n, first.Leaders, first.Brokers, partitions)
	}
	ids := map[string]int32{}
	for id, addr := range first.Brokers {
		ids[addr] = id
	}
	return ids
}

// TestClusterConfigFileAsGiven: the config file of issue 3, unchanged but
// for the test servers' DSN, bucket, endpoint and keys (no membership
// block: the defaults), starts two brokers with --kafka-addr choosing each
// one's address; each advertises its own, not the file's listen_address,
// and a record produced through one is read through the other.
func TestClusterConfigFileAsGiven(t *testing.T) {
	c := newCluster(t, clusterOpts{Heartbeat: time.Second, Session: 10 * time.Second})
	if err := os.WriteFile(c.Config, []byte(c.S3.BufstreamYAML(c.DSN, c.Bucket)), 0o600); err != nil {
		t.Fatal(err)
	}
	a, b := c.addBroker(t), c.addBroker(t)
	a.start(t)
	b.start(t)
	c.waitBrokers(t, 5*time.Second) // the first learns of the second at its next heartbeat (1s)
	for _, br := range c.Brokers {
		v := metadataVia(br.KafkaAddr, "")
		if id := v.nodeID(br.KafkaAddr); id < 0 {
			t.Fatalf("broker on %s does not advertise its own address: lists %v", br.KafkaAddr, v.Brokers)
		}
		if v.nodeID("127.0.0.1:19092") >= 0 {
			t.Fatalf("broker on %s advertises the file's listen_address: %v", br.KafkaAddr, v.Brokers)
		}
	}

	const topic = "as-given"
	createClusterTopic(t, a.KafkaAddr, topic, 2)
	ctx := ctxTimeout(t, 30*time.Second)
	chk := newChecker()
	prod := pinnedClient(t, a.KafkaAddr, kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	for p := range int32(2) {
		chk.produce(ctx, prod, &kgo.Record{Partition: p, Value: []byte(checkerValue(0, int(p)))})
	}
	chk.wait(t, 20*time.Second)
	got, hwm := readLogVia(t, topic, 20*time.Second, func(o ...kgo.Opt) *kgo.Client { return pinnedClient(t, b.KafkaAddr, o...) })
	if rep := chk.check(got, hwm); !rep.ok() || rep.Read != 2 {
		t.Fatalf("produced through %s, read through %s: %v", a.KafkaAddr, b.KafkaAddr, rep)
	}
}
