package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tributary-io/tributary/node"
)

// A KIP-848 group under churn must consume every offset exactly once when
// its members commit on revoke and leave cleanly: the coordinator hands a
// partition to its next owner only after the previous one released it,
// that is after its OnPartitionsRevoked commit. Before that rule, members
// joining and leaving let a new owner fetch the committed offset while the
// old one was still committing, and offsets were consumed twice.

const (
	exactlyPartitions = 64
	exactlyRecords    = 64_000
	exactlyMaxMembers = 8
	// exactlyRounds is how many groups consume the topic, alternating the
	// assignors: each takes a few seconds; before the fix about one in
	// four saw an offset twice.
	exactlyRounds = 10
)

// TestGroup848ChurnConsumesEachOffsetOnce consumes a 64-partition topic
// of 64k records with ten KIP-848 groups in turn (uniform and range
// assignors alternating, every group from the start) whose franz-go members, up to
// eight at once, join and leave while they consume: four start, then
// every 1/12th of the records one joins or one leaves, in a fixed
// pattern, from when the first four hold every partition (a join holds consumption until the new member got partitions
// from the others). Members poll with BlockRebalanceOnPoll, record every polled
// offset before allowing a rebalance, commit what they polled in
// OnPartitionsRevoked (and nothing otherwise), and leave by closing their
// client (which revokes, so commits, first). The check: no offset of the
// topic consumed twice by one group, none never consumed.
func TestGroup848ChurnConsumesEachOffsetOnce(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	// Reconciliation moves one heartbeat at a time: a short interval makes
	// more of them, and more chances for a handover to race a commit.
	cfg.Groups.ConsumerHeartbeatInterval = 250 * time.Millisecond
	nd := startNode(t, cfg, node.Hooks{})
	addr := nd.KafkaAddr()
	if _, ok := servedAPIs(t, addr)[keyConsumerGroupHeartbeat]; !ok {
		t.Fatal("the broker does not serve ConsumerGroupHeartbeat (KIP-848)")
	}
	const topic = "exactly-848"
	adm := newAdmin(t, addr)
	ctx := ctxTimeout(t, 10*time.Minute)
	if _, err := adm.CreateTopic(ctx, exactlyPartitions, 1, nil, topic); err != nil {
		t.Fatalf("create %s: %v", topic, err)
	}
	produceSequence(t, ctx, addr, topic, exactlyRecords, kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	hwm := endOffsets(t, ctx, adm, topic)
	balancers := []struct {
		name     string
		balancer kgo.GroupBalancer
	}{{"uniform", kgo.StickyBalancer()}, {"range", kgo.RangeBalancer()}}
	for round := range exactlyRounds {
		b := balancers[round%len(balancers)]
		t.Run(fmt.Sprintf("%s-%d", b.name, round), func(t *testing.T) {
			r := &exactlyRun{addr: addr, topic: topic, group: fmt.Sprintf("exactly-%s-%d", b.name, round),
				balancer: b.balancer, hwm: hwm, seen: map[int32]map[int64]string{}, gate: newGate()}
			r.run(t)
		})
	}
}

// exactlyRun is one group's run.
type exactlyRun struct {
	addr, topic, group string
	balancer           kgo.GroupBalancer
	hwm                map[int32]int64
	gate               *gate

	mu       sync.Mutex
	seen     map[int32]map[int64]string // partition → offset → the member that consumed it
	consumed int
	twice    []string
	errs     []string
	members  []*exactlyMember
}

// exactlyMember is one franz-go member of the group.
type exactlyMember struct {
	name   string
	cl     *kgo.Client
	cancel context.CancelFunc
	done   chan struct{}
	owned  atomic.Int64 // partitions held, by the callbacks
}

func (r *exactlyRun) total() int {
	n := 0
	for _, end := range r.hwm {
		n += int(end)
	}
	return n
}

func (r *exactlyRun) progress() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.consumed
}

func (r *exactlyRun) note(list *[]string, format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(*list) < 20 {
		*list = append(*list, fmt.Sprintf(format, args...))
	}
}

// record notes that member consumed rec.
func (r *exactlyRun) record(member string, rec *kgo.Record) {
	r.mu.Lock()
	defer r.mu.Unlock()
	byOffset := r.seen[rec.Partition]
	if byOffset == nil {
		byOffset = map[int64]string{}
		r.seen[rec.Partition] = byOffset
	}
	if prev, dup := byOffset[rec.Offset]; dup {
		if len(r.twice) < 20 {
			r.twice = append(r.twice, fmt.Sprintf("partition %d offset %d consumed by %s and again by %s", rec.Partition, rec.Offset, prev, member))
		}
		return
	}
	byOffset[rec.Offset] = member
	r.consumed++
}

// start starts a member in its own goroutine.
func (r *exactlyRun) start(t *testing.T) *exactlyMember {
	t.Helper()
	m := &exactlyMember{name: fmt.Sprintf("m%d", len(r.members)), done: make(chan struct{})}
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(r.addr), kgo.ClientID("e2e-"+r.group+"-"+m.name),
		kgo.ConsumerGroup(r.group), kgo.ConsumeTopics(r.topic),
		kgo.Balancers(r.balancer), kgo.ServerSideBalancer(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(), kgo.BlockRebalanceOnPoll(),
		kgo.FetchMaxWait(100*time.Millisecond), kgo.FetchMaxPartitionBytes(4<<10),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, ps map[string][]int32) {
			m.owned.Add(int64(len(ps[r.topic])))
		}),
		kgo.OnPartitionsRevoked(func(ctx context.Context, cl *kgo.Client, ps map[string][]int32) {
			m.owned.Add(-int64(len(ps[r.topic])))
			if err := cl.CommitUncommittedOffsets(ctx); err != nil {
				r.note(&r.errs, "%s: commit on revoke: %v", m.name, err)
			}
		}),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, ps map[string][]int32) {
			r.note(&r.errs, "%s: partitions lost (not revoked): %v", m.name, ps)
		}),
	)
	if err != nil {
		t.Fatalf("member %s: new client: %v", m.name, err)
	}
	m.cl = cl
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	r.members = append(r.members, m)
	go r.consume(ctx, m)
	t.Cleanup(func() {
		cancel()
		<-m.done
	})
	return m
}

// consume polls until ctx ends, recording every polled record before it
// lets a rebalance through, and closes the client at the end (revoking,
// so committing, and leaving).
func (r *exactlyRun) consume(ctx context.Context, m *exactlyMember) {
	defer close(m.done)
	defer m.cl.Close()
	defer m.cl.AllowRebalance()
	for ctx.Err() == nil {
		if !r.gate.hold(ctx, r.progress) {
			return
		}
		pollCtx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		fs := m.cl.PollRecords(pollCtx, 200)
		cancel()
		fs.EachError(func(topic string, p int32, err error) {
			if ctx.Err() == nil && pollCtx.Err() == nil {
				r.note(&r.errs, "%s: fetch %s[%d]: %v", m.name, topic, p, err)
			}
		})
		fs.EachRecord(func(rec *kgo.Record) { r.record(m.name, rec) })
		m.cl.AllowRebalance()
	}
}

// stop closes m and waits for it.
func (m *exactlyMember) stop(t *testing.T) {
	t.Helper()
	m.cancel()
	select {
	case <-m.done:
	case <-time.After(60 * time.Second):
		t.Fatalf("member %s not closed 60s after being stopped", m.name)
	}
}

func (r *exactlyRun) run(t *testing.T) {
	start := time.Now()
	total := r.total()
	var running []*exactlyMember
	for range 4 {
		running = append(running, r.start(t))
	}
	// The first event falls on a settled group: every partition held,
	// so each join takes partitions from members that consumed them.
	r.gate.set(0)
	until := time.Now().Add(60 * time.Second)
	for held := int64(0); held != exactlyPartitions; {
		if time.Now().After(until) {
			t.Fatalf("the first four members hold %d of %d partitions after 60s; %s", held, exactlyPartitions, r.status())
		}
		time.Sleep(5 * time.Millisecond)
		held = 0
		for _, m := range running {
			held += m.owned.Load()
		}
	}
	// Joins and leaves in turn, never below two members nor above eight.
	plan := []string{"join", "join", "leave", "join", "join", "leave", "leave", "join", "join", "leave", "leave"}
	var log []string
	for i, ev := range plan {
		at := total * (i + 1) / (len(plan) + 1)
		r.gate.set(at)
		deadline := time.Now().Add(90 * time.Second)
		for r.progress() < at {
			if time.Now().After(deadline) {
				t.Fatalf("before event %d (%s): %d of %d offsets consumed after 90s; %s", i, ev, r.progress(), at, r.status())
			}
			time.Sleep(5 * time.Millisecond)
		}
		switch {
		case ev == "join" && len(running) < exactlyMaxMembers:
			// Consumption holds until the new member got partitions, so the
			// next events fall mid-consumption however fast the machine.
			m := r.start(t)
			running = append(running, m)
			until := time.Now().Add(30 * time.Second)
			for m.owned.Load() <= 0 {
				if time.Now().After(until) {
					t.Fatalf("member %s holds no partition 30s after joining; %s", m.name, r.status())
				}
				time.Sleep(5 * time.Millisecond)
			}
		case ev == "leave" && len(running) > 2:
			// The oldest leaves: it holds the most, so the most moves.
			running[0].stop(t)
			running = running[1:]
		}
		log = append(log, fmt.Sprintf("%s at %d (%d members, %v)", ev, r.progress(), len(running), time.Since(start).Round(time.Millisecond)))
	}
	r.gate.set(int(^uint(0) >> 1))
	deadline := time.Now().Add(2 * time.Minute)
	for r.progress() < total {
		if time.Now().After(deadline) {
			break
		}
		if r.hasTwice() {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, m := range running {
		m.stop(t)
	}
	t.Logf("events: %s", strings.Join(log, "; "))
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.twice) > 0 {
		t.Fatalf("offsets consumed twice by group %s (%d members over the run):\n%s", r.group, len(r.members), strings.Join(r.twice, "\n"))
	}
	if len(r.errs) > 0 {
		t.Fatalf("member errors:\n%s", strings.Join(r.errs, "\n"))
	}
	for p, end := range r.hwm {
		for o := int64(0); o < end; o++ {
			if _, ok := r.seen[p][o]; !ok {
				t.Fatalf("partition %d offset %d never consumed (%d of %d consumed)", p, o, r.consumed, total)
			}
		}
	}
	t.Logf("%d offsets of %d partitions consumed once each by %d members in %v", r.consumed, len(r.hwm), len(r.members), time.Since(start).Round(time.Millisecond))
}

func (r *exactlyRun) hasTwice() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.twice) > 0
}

func (r *exactlyRun) status() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return fmt.Sprintf("%d members started, errors: %v", len(r.members), r.errs)
}
