//go:build unix

package e2e

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestClusterGroupCoordinatorFailover: three brokers on one Postgres and
// one bucket; idempotent producers write while a group of two franz-go
// members (commit after process, seeded with all three brokers) consumes.
// The group's coordinator is killed with SIGKILL mid-consumption; the
// coordination must move to a live broker and the group carry on. After
// the load: every record in the log (every acknowledged one among them)
// was processed at least once, at the position the log has it, and the
// committed offsets equal the high watermarks. Then the whole cluster is
// restarted: the committed offsets are intact, and a new member of the
// group resumes exactly there.
func TestClusterGroupCoordinatorFailover(t *testing.T) {
	const (
		topic        = "group-failover"
		group        = "group-failover-g"
		partitions   = 6
		writers      = 2
		pace         = 2 * time.Millisecond // ≈ 1000 records/s in all
		maxPerWriter = 30000                // a cap for a run gone wrong; the load is halted long before
	)
	c := startCluster(t, clusterOpts{Brokers: 3})
	createClusterTopic(t, c.Brokers[0].KafkaAddr, topic, partitions)
	c.waitBrokers(t, 5*time.Second)

	chk := newChecker()
	proc := &processedSet{seen: map[string]int{}}
	ctx := ctxTimeout(t, 3*time.Minute)
	opts := memberOpts{Seeds: c.seeds(), Group: group, Topic: topic,
		Process: func(_ *groupMember, r *kgo.Record) {
			chk.observe(string(r.Value), logPos{r.Partition, r.Offset})
			proc.add(string(r.Value))
		},
		Extra: []kgo.Opt{kgo.RetryBackoffFn(func(int) time.Duration { return 100 * time.Millisecond }), kgo.MetadataMinAge(100 * time.Millisecond)},
	}
	members := []*groupMember{startMember(t, "a", 0, opts), startMember(t, "b", 1, opts)}
	var clients []*kgo.Client
	for range writers {
		clients = append(clients, clusterClient(t, c.seeds(), loadProducerOpts(topic)...))
	}
	start := time.Now()
	load := startProducers(ctx, chk, clients, partitions, maxPerWriter, pace)
	adm := kadm.NewClient(clusterClient(t, c.seeds(), kgo.RetryBackoffFn(func(int) time.Duration { return 100 * time.Millisecond }), kgo.MetadataMinAge(100*time.Millisecond)))

	proc.waitCount(t, 1000, 60*time.Second)
	victim := c.broker(t, waitCoordinator(t, adm, group, "", 10*time.Second))
	processedAtKill := proc.count()
	victim.kill9(t)
	killedAt := time.Since(start)
	moved := waitCoordinator(t, adm, group, victim.KafkaAddr, 30*time.Second)
	movedAfter := time.Since(start) - killedAt
	proc.waitCount(t, processedAtKill+2000, 60*time.Second)
	carriedOn := time.Since(start) - killedAt

	sent := load.halt()
	chk.wait(t, 60*time.Second)
	got, hwm := readLogVia(t, topic, 60*time.Second, func(o ...kgo.Opt) *kgo.Client { return clusterClient(t, c.seeds(), o...) })
	waitCommittedAt(t, adm, group, topic, hwm, 60*time.Second, func() (bool, string) {
		missing := proc.missing(got)
		return missing == "", "not processed: " + missing + "; members: " + members[0].String() + "; " + members[1].String()
	})
	for _, m := range members {
		m.stopAndWait(t, memberLeaving)
	}
	rep := chk.check(got, hwm)
	t.Logf("coordinator %s (broker %d) killed at %v with %d processed; coordinator %s %v later; 2000 more processed %v after the kill; %d records sent",
		victim.KafkaAddr, victim.Index, killedAt.Round(time.Millisecond), processedAtKill, moved, movedAfter.Round(time.Millisecond), carriedOn.Round(time.Millisecond), sent)
	t.Logf("members: %s; %s; %d processings of %d distinct values", members[0], members[1], proc.n, proc.count())
	t.Logf("%v", rep)
	if !rep.ok() {
		t.FailNow()
	}
	chk.mu.Lock()
	for v := range chk.acked {
		if proc.times(v) == 0 {
			t.Fatalf("%s acknowledged, never processed", v)
		}
	}
	chk.mu.Unlock()
	checkCommitted(t, ctx, adm, group, topic, hwm, "after the members left")
	adm.Close()

	// The whole cluster down (SIGTERM for the live ones) and up again.
	for _, b := range c.live() {
		b.term(t)
	}
	for _, b := range c.Brokers {
		b.restart(t)
	}
	c.waitBrokers(t, 10*time.Second)
	adm = kadm.NewClient(clusterClient(t, c.seeds()))
	waitCommittedAt(t, adm, group, topic, hwm, 30*time.Second, nil)
	resumeAtCommitted(t, c, opts, hwm)
}

// resumeAtCommitted produces one record to each partition and checks a
// new member of the group gets, as the first record of each partition,
// the one at the committed offset (here the old high watermark).
func resumeAtCommitted(t *testing.T, c *testCluster, opts memberOpts, committed map[int32]int64) {
	t.Helper()
	ctx := ctxTimeout(t, 30*time.Second)
	cl := clusterClient(t, c.seeds(), kgo.DefaultProduceTopic(opts.Topic), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	for p := range committed {
		if err := cl.ProduceSync(ctx, &kgo.Record{Partition: p, Value: []byte("after-restart")}).FirstErr(); err != nil {
			t.Fatalf("produce to partition %d after the restart: %v", p, err)
		}
	}
	var mu sync.Mutex
	first := map[int32]int64{}
	opts.Process = func(_ *groupMember, r *kgo.Record) {
		mu.Lock()
		defer mu.Unlock()
		if _, ok := first[r.Partition]; !ok {
			first[r.Partition] = r.Offset
		}
	}
	m := startMember(t, "after-restart", 0, opts)
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(first)
		mu.Unlock()
		if n == len(committed) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a new member saw %d of %d partitions after 30s: %s", n, len(committed), m)
		}
		time.Sleep(20 * time.Millisecond)
	}
	m.stopAndWait(t, memberLeaving)
	if !offsetsEqual(first, committed) {
		t.Fatalf("after the cluster restart a new member started at %s, the group had committed %s", fmtOffsets(first), fmtOffsets(committed))
	}
}

// waitCoordinator polls FindCoordinator until the group's coordinator is a
// broker other than not, and returns its address.
func waitCoordinator(t *testing.T, adm *kadm.Client, group, not string, d time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(d)
	var last string
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		r := adm.FindGroupCoordinators(ctx, group)[group]
		cancel()
		if r.Err == nil {
			addr := net.JoinHostPort(r.Host, strconv.Itoa(int(r.Port)))
			if addr != not {
				return addr
			}
			last = "still " + addr
		} else {
			last = r.Err.Error()
		}
		if time.Now().After(deadline) {
			t.Fatalf("FindCoordinator(%s): no coordinator but %q after %v (%s)", group, not, d, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// processedSet counts processings per value.
type processedSet struct {
	mu   sync.Mutex
	seen map[string]int
	n    int
}

func (s *processedSet) add(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen[v]++
	s.n++
}

// count is the number of distinct values processed.
func (s *processedSet) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen)
}

func (s *processedSet) times(v string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen[v]
}

// missing names (some of) the records of log never processed, "" if none.
func (s *processedSet) missing(log map[int32][]*kgo.Record) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, example := 0, ""
	for _, recs := range log {
		for _, r := range recs {
			if s.seen[string(r.Value)] == 0 {
				if n == 0 {
					example = fmt.Sprintf("%s at %d/%d", r.Value, r.Partition, r.Offset)
				}
				n++
			}
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%d records, e.g. %s", n, example)
}

// waitCount waits until n distinct values were processed.
func (s *processedSet) waitCount(t *testing.T, n int, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for s.count() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d values processed after %v", s.count(), n, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
