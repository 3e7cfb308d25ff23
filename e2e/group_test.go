package e2e

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tributary-io/tributary/node"
)

// Consumer groups with franz-go against one in-process node: a group
// whose members join, leave and die while it works through 200k records,
// with the eager (range), cooperative (cooperative-sticky) and KIP-848
// protocols; and committed offsets across a restart of the node.

const (
	churnRecords    = 200_000
	churnPartitions = 8
)

// TestGroupConsumeWithChurn produces 200k records (value = a unique id,
// round-robin over 8 partitions, acks=all) and consumes them with one
// group, committing after processing, while members come and go:
//
//	start a, b · 10%: c joins · 25%: d joins (static, group.instance.id)
//	40%: a leaves (commits, LeaveGroup) · 55%: b is killed (half a batch
//	processed, nothing committed) · 70%: d is killed (static: no
//	LeaveGroup, the group waits out its 6s session) · 80%: e joins
//
// Processing holds at each threshold until that event ran (a join until
// the new member holds partitions), so the events fall mid-consumption
// however fast the machine. At the end: every id was
// processed (at least once), each partition/offset always carried the
// same id, what the killed members processed without a commit was
// processed again by another member, and the committed offsets equal the
// high watermarks (nothing skipped, nothing left behind).
func TestGroupConsumeWithChurn(t *testing.T) {
	variants := []struct {
		name       string
		balancers  []kgo.GroupBalancer
		serverSide bool
	}{
		{"eager-range", []kgo.GroupBalancer{kgo.RangeBalancer()}, false},
		{"cooperative-sticky", []kgo.GroupBalancer{kgo.CooperativeStickyBalancer()}, false},
		// KIP-848: the broker assigns; franz-go falls back to the classic
		// protocol silently when the broker does not serve it, so the
		// variant skips unless ConsumerGroupHeartbeat is served.
		{"consumer-848", []kgo.GroupBalancer{kgo.RangeBalancer()}, true},
	}
	n := churnRecords
	if testing.Short() {
		n = 20_000
	}
	nd := startNode(t, testConfig(t, t.TempDir()), node.Hooks{})
	addr := nd.KafkaAddr()
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			if v.serverSide {
				if _, ok := servedAPIs(t, addr)[keyConsumerGroupHeartbeat]; !ok {
					t.Skip("the broker does not serve ConsumerGroupHeartbeat (KIP-848)")
				}
			}
			r := newChurnRun(t, addr, "churn-"+v.name, n)
			r.balancers, r.serverSide = v.balancers, v.serverSide
			r.run(t)
		})
	}
}

// churnRun is one variant's run: the topic, the members, and what was
// processed where.
type churnRun struct {
	addr, topic, group string
	n                  int
	balancers          []kgo.GroupBalancer
	serverSide         bool
	adm                *kadm.Client
	hwm                map[int32]int64
	gate               *gate
	members            []*groupMember

	mu         sync.Mutex
	ids        [][]int32  // partition → offset → id processed there (-1: not yet)
	who        [][]uint16 // partition → offset → members that processed it (bit per member)
	done       []bool     // id → processed
	distinct   int
	deliveries int
	bad        []string
}

func newChurnRun(t *testing.T, addr, topic string, n int) *churnRun {
	t.Helper()
	r := &churnRun{addr: addr, topic: topic, group: topic + "-group", n: n, adm: newAdmin(t, addr), gate: newGate()}
	ctx := ctxTimeout(t, time.Minute)
	if _, err := r.adm.CreateTopic(ctx, churnPartitions, 1, nil, topic); err != nil {
		t.Fatalf("create %s: %v", topic, err)
	}
	start := time.Now()
	produceSequence(t, ctx, addr, topic, n, kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	r.hwm = endOffsets(t, ctx, r.adm, topic)
	total := int64(0)
	r.ids = make([][]int32, churnPartitions)
	r.who = make([][]uint16, churnPartitions)
	for p, end := range r.hwm {
		total += end
		r.ids[p] = make([]int32, end)
		for i := range r.ids[p] {
			r.ids[p][i] = -1
		}
		r.who[p] = make([]uint16, end)
	}
	if total != int64(n) || len(r.hwm) != churnPartitions {
		t.Fatalf("high watermarks %s sum to %d over %d partitions, produced %d", fmtOffsets(r.hwm), total, len(r.hwm), n)
	}
	r.done = make([]bool, n)
	t.Logf("produced %d records in %v; high watermarks %s", n, time.Since(start).Round(time.Millisecond), fmtOffsets(r.hwm))
	return r
}

// process records one processing of rec by m.
func (r *churnRun) process(m *groupMember, rec *kgo.Record) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.deliveries++
	id, err := strconv.Atoi(string(rec.Value))
	p, o := rec.Partition, rec.Offset
	switch {
	case err != nil || id < 0 || id >= r.n:
		r.note("%s: %d/%d: value %q is no produced id", m.Name, p, o, rec.Value)
		return
	case p < 0 || int(p) >= len(r.ids) || o < 0 || o >= int64(len(r.ids[p])):
		r.note("%s: %d/%d: beyond the high watermarks %s", m.Name, p, o, fmtOffsets(r.hwm))
		return
	case r.ids[p][o] >= 0 && r.ids[p][o] != int32(id):
		r.note("%s: %d/%d: id %d, another delivery had %d", m.Name, p, o, id, r.ids[p][o])
		return
	}
	r.ids[p][o] = int32(id)
	r.who[p][o] |= 1 << m.Index
	if !r.done[id] {
		r.done[id] = true
		r.distinct++
	}
}

func (r *churnRun) note(format string, args ...any) {
	if len(r.bad) < 20 {
		r.bad = append(r.bad, fmt.Sprintf(format, args...))
	}
}

func (r *churnRun) progress() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.distinct
}

func (r *churnRun) start(t *testing.T, name string, static bool) *groupMember {
	t.Helper()
	o := memberOpts{Seeds: []string{r.addr}, Group: r.group, Topic: r.topic, Balancers: r.balancers, ServerSide: r.serverSide,
		Process: r.process, Gate: func(ctx context.Context) bool { return r.gate.hold(ctx, r.progress) }}
	if static {
		o.InstanceID = r.group + "-" + name
	}
	m := startMember(t, name, len(r.members), o)
	r.members = append(r.members, m)
	return m
}

func (r *churnRun) run(t *testing.T) {
	start := time.Now()
	// KIP-848 keeps a static member's partitions for the broker's own
	// session timeout (45s in Kafka), out of this test's reach: there d is
	// an ordinary member.
	static := !r.serverSide
	r.start(t, "a", false)
	r.start(t, "b", false)
	events := []struct {
		at   float64
		what string
		do   func()
	}{
		{0.10, "c joins", func() { r.start(t, "c", false).waitAssigned(t, 30*time.Second) }},
		{0.25, "d joins", func() { r.start(t, "d", static).waitAssigned(t, 30*time.Second) }},
		{0.40, "a leaves", func() { r.members[0].stopAndWait(t, memberLeaving) }},
		{0.55, "b is killed", func() { r.members[1].stopAndWait(t, memberKilled) }},
		{0.70, "d is killed", func() { r.members[3].stopAndWait(t, memberKilled) }},
		{0.80, "e joins", func() { r.start(t, "e", false).waitAssigned(t, 30*time.Second) }},
	}
	var log []string
	for _, ev := range events {
		at := int(ev.at * float64(r.n))
		r.gate.set(at)
		r.waitProgress(t, at, 60*time.Second, ev.what)
		ev.do()
		log = append(log, fmt.Sprintf("%s at %d (%v)", ev.what, r.progress(), time.Since(start).Round(time.Millisecond)))
	}
	r.gate.set(int(^uint(0) >> 1))
	waitCommittedAt(t, r.adm, r.group, r.topic, r.hwm, 60*time.Second, func() (bool, string) {
		got := r.progress()
		return got == r.n, fmt.Sprintf("%d of %d ids processed; members: %s", got, r.n, r.describeMembers())
	})
	consumed := time.Since(start)
	for _, m := range r.members {
		if m.how.Load() == memberRunning {
			m.stopAndWait(t, memberLeaving)
		}
	}
	t.Logf("events: %s", strings.Join(log, "; "))
	t.Logf("members: %s", r.describeMembers())
	r.check(t)
	// Everyone left: the committed offsets stay, the group is empty.
	ctx := ctxTimeout(t, 10*time.Second)
	final, err := groupCommitted(ctx, r.adm, r.group, r.topic)
	if err != nil || !offsetsEqual(final, r.hwm) {
		t.Fatalf("after every member left: committed %s (err %v), high watermarks %s", fmtOffsets(final), err, fmtOffsets(r.hwm))
	}
	r.checkEmpty(t)
	r.mu.Lock()
	t.Logf("%d ids consumed in %v: %d deliveries (%d redelivered)", r.n, consumed.Round(time.Millisecond), r.deliveries, r.deliveries-r.n)
	r.mu.Unlock()
}

// waitProgress waits until at least at ids were processed.
func (r *churnRun) waitProgress(t *testing.T, at int, d time.Duration, what string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for r.progress() < at {
		if time.Now().After(deadline) {
			t.Fatalf("before %q: %d of %d ids processed after %v; members: %s", what, r.progress(), at, d, r.describeMembers())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (r *churnRun) describeMembers() string {
	s := make([]string, len(r.members))
	for i, m := range r.members {
		s[i] = m.String()
	}
	return strings.Join(s, "; ")
}

// check asserts at-least-once processing and the killed members'
// redelivery.
func (r *churnRun) check(t *testing.T) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.bad) > 0 {
		t.Fatalf("wrong deliveries:\n%s", strings.Join(r.bad, "\n"))
	}
	for id, ok := range r.done {
		if !ok {
			t.Fatalf("id %d never processed (%d of %d were)", id, r.distinct, r.n)
		}
	}
	checked := 0
	for _, m := range r.members {
		for _, rec := range m.Unsettled {
			checked++
			if others := r.who[rec.Partition][rec.Offset] &^ (1 << m.Index); others == 0 {
				t.Fatalf("%s was killed holding %d/%d processed but uncommitted; no other member processed it: not redelivered",
					m.Name, rec.Partition, rec.Offset)
			}
		}
	}
	if checked == 0 {
		t.Fatalf("the killed members held no processed-but-uncommitted record: redelivery went unchecked")
	}
	t.Logf("%d records processed by killed members without a commit were all processed again by others", checked)
}

// checkEmpty polls until the group has no members left: the leavers are
// gone at once, the static member killed without leaving once its 6s
// session timed out. DescribeGroups for a classic group,
// ConsumerGroupDescribe for a KIP-848 one.
func (r *churnRun) checkEmpty(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		state, members, err := r.describe()
		if err == nil && state == "Empty" && len(members) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("group %s 20s after every member left or was killed: state %q, members %v, err %v; want Empty", r.group, state, members, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// describe is the group's state and its members' client IDs.
func (r *churnRun) describe() (string, []string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var members []string
	if r.serverSide {
		ds, err := r.adm.DescribeConsumerGroups(ctx, r.group)
		d := ds[r.group]
		for _, m := range d.Members {
			members = append(members, m.ClientID)
		}
		return d.State, members, errors.Join(err, d.Err)
	}
	ds, err := r.adm.DescribeGroups(ctx, r.group)
	d := ds[r.group]
	for _, m := range d.Members {
		members = append(members, m.ClientID)
	}
	return d.State, members, errors.Join(err, d.Err)
}

// gate holds processing once progress reaches at, until at moves.
type gate struct {
	mu    sync.Mutex
	at    int
	moved chan struct{}
}

func newGate() *gate { return &gate{moved: make(chan struct{})} }

func (g *gate) set(at int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.at = at
	close(g.moved)
	g.moved = make(chan struct{})
}

// hold returns true once progress() is below the threshold, false if ctx
// ends first.
func (g *gate) hold(ctx context.Context, progress func() int) bool {
	for {
		g.mu.Lock()
		at, moved := g.at, g.moved
		g.mu.Unlock()
		if progress() < at {
			return true
		}
		select {
		case <-moved:
		case <-ctx.Done():
			return false
		}
	}
}

// TestGroupOffsetsSurviveRestart commits offsets from a group member
// (partition 0 at 10, 1 at 55, 2 at its end, 3 none), restarts the node on
// the same data dir, and checks OffsetFetch gives them back and a new
// member of the group resumes exactly there: the first record it gets of
// each partition is at the committed offset (partition 3 from 0, and
// partition 2 the one record produced after the restart).
func TestGroupOffsetsSurviveRestart(t *testing.T) {
	const topic, group, perPartition = "group-restart", "restart-group", 100
	dir := t.TempDir()
	n, err := node.Start(testConfig(t, dir), testLogger(), node.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxTimeout(t, 90*time.Second)
	adm := newAdmin(t, n.KafkaAddr())
	if _, err := adm.CreateTopic(ctx, 4, 1, nil, topic); err != nil {
		t.Fatalf("create %s: %v", topic, err)
	}
	produceSequence(t, ctx, n.KafkaAddr(), topic, 4*perPartition, kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	want := map[int32]int64{0: 10, 1: 55, 2: perPartition}

	for p, end := range endOffsets(t, ctx, adm, topic) {
		if end != perPartition {
			t.Fatalf("partition %d ends at %d, want %d (round-robin)", p, end, perPartition)
		}
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(n.KafkaAddr()), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic), kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	at := map[int32]*kgo.Record{} // the record just below each wanted commit
	for len(at) < len(want) {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatalf("group consume: %v", err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			if c, ok := want[r.Partition]; ok && r.Offset == c-1 {
				at[r.Partition] = r
			}
		})
	}
	var recs []*kgo.Record
	for _, r := range at {
		recs = append(recs, r)
	}
	if err := cl.CommitRecords(ctx, recs...); err != nil {
		t.Fatalf("commit: %v", err)
	}
	checkCommitted(t, ctx, adm, group, topic, want, "before the restart")
	cl.Close() // leaves the group; DisableAutoCommit: commits nothing more
	adm.Close()
	stopNode(t, n)

	n2 := startNode(t, testConfig(t, dir), node.Hooks{})
	adm = newAdmin(t, n2.KafkaAddr())
	checkCommitted(t, ctx, adm, group, topic, want, "after the restart")
	after := newClient(t, n2.KafkaAddr(), kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err := after.ProduceSync(ctx, &kgo.Record{Partition: 2, Value: []byte("after-restart")}).FirstErr(); err != nil {
		t.Fatalf("produce after restart: %v", err)
	}
	ends := endOffsets(t, ctx, adm, topic)

	resumed := newClient(t, n2.KafkaAddr(), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic), kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(200*time.Millisecond))
	first, next := map[int32]int64{}, map[int32]int64{}
	wantFirst := map[int32]int64{0: 10, 1: 55, 2: perPartition, 3: 0}
	for p, o := range wantFirst {
		next[p] = o
	}
	for !offsetsEqual(next, ends) {
		fs := resumed.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatalf("resumed consume (read up to %s of %s): %v", fmtOffsets(next), fmtOffsets(ends), err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			if _, ok := first[r.Partition]; !ok {
				first[r.Partition] = r.Offset
			}
			if r.Offset != next[r.Partition] {
				t.Fatalf("resumed member got %d/%d, expected offset %d next", r.Partition, r.Offset, next[r.Partition])
			}
			next[r.Partition]++
		})
	}
	if !offsetsEqual(first, wantFirst) {
		t.Fatalf("first offsets delivered after the restart %s, want the committed ones %s", fmtOffsets(first), fmtOffsets(wantFirst))
	}
}

// checkCommitted asserts the group's committed offsets of topic are want.
func checkCommitted(t *testing.T, ctx context.Context, adm *kadm.Client, group, topic string, want map[int32]int64, when string) {
	t.Helper()
	got, err := groupCommitted(ctx, adm, group, topic)
	if err != nil {
		t.Fatalf("%s: %v", when, err)
	}
	if !offsetsEqual(got, want) {
		t.Fatalf("%s: group %s committed %s, want %s", when, group, fmtOffsets(got), fmtOffsets(want))
	}
}
