//go:build unix

package e2e

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// failoverBound is the goal for the time from a broker's SIGKILL
// to every partition acknowledged through the others, with a margin for
// this busy test machine.
const failoverBound = 5 * time.Second

// TestClusterFailoverWithShippedDefaults: with the shipped membership
// settings (no membership block in the config), after SIGKILL of one of
// three brokers a client seeded with all three gets a produce to every
// partition acknowledged within a few seconds. It used to take 15s: the
// dead broker stayed in Metadata for the 10s session timeout, then clients
// backed off. The client's own settings are the cluster tests' (100ms
// retry backoff and metadata age; franz-go's default metadata age is 5s).
func TestClusterFailoverWithShippedDefaults(t *testing.T) {
	const (
		topic      = "failover-defaults"
		partitions = 24
	)
	c := startCluster(t, clusterOpts{Brokers: 3, DefaultMembership: true})
	createClusterTopic(t, c.Brokers[0].KafkaAddr, topic, partitions)
	c.waitBrokers(t, 15*time.Second)
	chk := newChecker()
	ctx := ctxTimeout(t, 90*time.Second)
	cl := clusterClient(t, c.seeds(), kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RetryBackoffFn(func(int) time.Duration { return 100 * time.Millisecond }), kgo.MetadataMinAge(100*time.Millisecond))
	round := func(n int) {
		for p := range int32(partitions) {
			chk.produce(ctx, cl, &kgo.Record{Partition: p, Value: []byte(checkerValue(0, n*partitions+int(p)))})
		}
		chk.wait(t, 60*time.Second)
	}
	round(0)
	c.Brokers[1].kill9(t)
	killed := time.Now()
	round(1)
	took := time.Since(killed)
	t.Logf("a round to all %d partitions acknowledged %v after the kill", partitions, took.Round(time.Millisecond))
	if took > failoverBound {
		t.Fatalf("every partition served again only %v after the kill; want at most %v", took.Round(time.Millisecond), failoverBound)
	}
	c.waitBrokers(t, 15*time.Second)
}
