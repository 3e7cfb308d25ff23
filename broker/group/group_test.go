package group

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/metastore/boltstore"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func openStore(t *testing.T) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(filepath.Join(t.TempDir(), "meta.db"), boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func testOptions() Options {
	return Options{MinSessionTimeout: 50 * time.Millisecond, InitialRebalanceDelay: 100 * time.Millisecond, Tick: 10 * time.Millisecond,
		ConsumerSessionTimeout: 2 * time.Second}
}

func newCoordinator(t *testing.T, store metastore.Groups, opts Options) *Coordinator {
	t.Helper()
	if opts.Tick == 0 {
		opts = testOptions()
	}
	c := New(store, opts, slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(c.Close)
	return c
}

var ctx = context.Background()

// joiner runs one classic member's JoinGroup, MEMBER_ID_REQUIRED round
// trip included.
type joiner struct {
	c        *Coordinator
	group    string
	id       string
	instance string
	session  int32
	meta     string
}

func (j *joiner) joinReq() *kmsg.JoinGroupRequest {
	req := kmsg.NewPtrJoinGroupRequest()
	req.Version = 9
	req.Group, req.MemberID, req.ProtocolType = j.group, j.id, "consumer"
	req.SessionTimeoutMillis, req.RebalanceTimeoutMillis = j.session, 5000
	if j.session == 0 {
		req.SessionTimeoutMillis = 10000
	}
	if j.instance != "" {
		req.InstanceID = kmsg.StringPtr(j.instance)
	}
	req.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range", Metadata: []byte(j.meta)}}
	return req
}

// join sends JoinGroup and returns the wait for its answer.
func (j *joiner) join() func() *kmsg.JoinGroupResponse {
	w := j.c.JoinGroup(ctx, j.joinReq(), Client{ID: "test", Host: "/127.0.0.1"})
	return func() *kmsg.JoinGroupResponse {
		r := w()
		if r.ErrorCode == kerr.MemberIDRequired.Code {
			j.id = r.MemberID
			return j.join()()
		}
		if r.ErrorCode == 0 {
			j.id = r.MemberID
		}
		return r
	}
}

func (j *joiner) sync(gen int32, assign map[string]string) *kmsg.SyncGroupResponse {
	req := kmsg.NewPtrSyncGroupRequest()
	req.Version = 5
	req.Group, req.Generation, req.MemberID = j.group, gen, j.id
	if j.instance != "" {
		req.InstanceID = kmsg.StringPtr(j.instance)
	}
	for m, a := range assign {
		req.GroupAssignment = append(req.GroupAssignment, kmsg.SyncGroupRequestGroupAssignment{MemberID: m, MemberAssignment: []byte(a)})
	}
	return j.c.SyncGroup(ctx, req)()
}

func (j *joiner) heartbeat(gen int32) int16 {
	req := kmsg.NewPtrHeartbeatRequest()
	req.Version = 4
	req.Group, req.Generation, req.MemberID = j.group, gen, j.id
	if j.instance != "" {
		req.InstanceID = kmsg.StringPtr(j.instance)
	}
	return j.c.Heartbeat(ctx, req)
}

func (j *joiner) commit(gen int32, offset int64) int16 {
	req := kmsg.NewPtrOffsetCommitRequest()
	req.Version = 9
	req.Group, req.Generation, req.MemberID = j.group, gen, j.id
	if j.instance != "" {
		req.InstanceID = kmsg.StringPtr(j.instance)
	}
	req.Topics = []kmsg.OffsetCommitRequestTopic{{Topic: "t", Partitions: []kmsg.OffsetCommitRequestTopicPartition{{Partition: 0, Offset: offset, LeaderEpoch: -1}}}}
	return j.c.OffsetCommit(ctx, req, nil).Topics[0].Partitions[0].ErrorCode
}

func fetched(t *testing.T, c *Coordinator, group string) int64 {
	t.Helper()
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Version = 8
	req.Groups = []kmsg.OffsetFetchRequestGroup{{Group: group, Topics: []kmsg.OffsetFetchRequestGroupTopic{{Topic: "t", Partitions: []int32{0}}}}}
	resp := c.OffsetFetch(ctx, req)
	if g := resp.Groups[0]; g.ErrorCode != 0 {
		t.Fatalf("offset fetch: %v", kerr.ErrorForCode(g.ErrorCode))
	}
	return resp.Groups[0].Topics[0].Partitions[0].Offset
}

// joinAll joins every member concurrently and returns their answers.
func joinAll(t *testing.T, js ...*joiner) []*kmsg.JoinGroupResponse {
	t.Helper()
	out := make([]*kmsg.JoinGroupResponse, len(js))
	var wg sync.WaitGroup
	for i, j := range js {
		wg.Add(1)
		go func() { defer wg.Done(); out[i] = j.join()() }()
	}
	wg.Wait()
	for i, r := range out {
		if r.ErrorCode != 0 {
			t.Fatalf("member %d join: %v", i, kerr.ErrorForCode(r.ErrorCode))
		}
	}
	return out
}

// syncAll syncs every member, the leader handing in assign, and returns
// what each got.
func syncAll(t *testing.T, gen int32, leader string, js ...*joiner) []string {
	t.Helper()
	assign := map[string]string{}
	for _, j := range js {
		assign[j.id] = "for-" + j.id
	}
	out := make([]string, len(js))
	var wg sync.WaitGroup
	for i, j := range js {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var a map[string]string
			if j.id == leader {
				a = assign
			}
			r := j.sync(gen, a)
			if r.ErrorCode != 0 {
				t.Errorf("member %d sync: %v", i, kerr.ErrorForCode(r.ErrorCode))
			}
			out[i] = string(r.MemberAssignment)
		}()
	}
	wg.Wait()
	return out
}

func TestClassicRebalance(t *testing.T) {
	c := newCoordinator(t, openStore(t), Options{})
	a := &joiner{c: c, group: "g", meta: "a"}
	b := &joiner{c: c, group: "g", meta: "b"}
	rs := joinAll(t, a, b)
	gen := rs[0].Generation
	if gen != 1 || rs[1].Generation != 1 {
		t.Fatalf("generations %d %d, want 1", rs[0].Generation, rs[1].Generation)
	}
	leader := rs[0].LeaderID
	if leader != a.id && leader != b.id {
		t.Fatalf("leader %q is not a member", leader)
	}
	for i, r := range rs {
		isLeader := r.MemberID == leader
		if isLeader != (len(r.Members) == 2) {
			t.Fatalf("member %d (leader %v) got %d members' metadata", i, isLeader, len(r.Members))
		}
		if *r.Protocol != "range" {
			t.Fatalf("protocol %q", *r.Protocol)
		}
	}
	got := syncAll(t, gen, leader, a, b)
	if got[0] != "for-"+a.id || got[1] != "for-"+b.id {
		t.Fatalf("assignments %q", got)
	}
	if code := a.heartbeat(gen); code != 0 {
		t.Fatalf("heartbeat: %v", kerr.ErrorForCode(code))
	}
	if code := a.commit(gen, 42); code != 0 {
		t.Fatalf("commit: %v", kerr.ErrorForCode(code))
	}
	if off := fetched(t, c, "g"); off != 42 {
		t.Fatalf("fetched %d, want 42", off)
	}

	// A third member: the others learn of the rebalance by heartbeat.
	cm := &joiner{c: c, group: "g", meta: "c"}
	wc := make(chan *kmsg.JoinGroupResponse, 1)
	go func() { wc <- cm.join()() }()
	waitFor(t, func() bool { return a.heartbeat(gen) == kerr.RebalanceInProgress.Code })
	// Committing in PreparingRebalance with the current generation works
	// (eager consumers commit before revoking).
	if code := b.commit(gen, 43); code != 0 {
		t.Fatalf("commit while preparing: %v", kerr.ErrorForCode(code))
	}
	rs = joinAll(t, a, b)
	rc := <-wc
	if rc.ErrorCode != 0 || rc.Generation != 2 || rs[0].Generation != 2 {
		t.Fatalf("after third join: %v gen %d / %d", kerr.ErrorForCode(rc.ErrorCode), rc.Generation, rs[0].Generation)
	}
	// A zombie of generation 1 is fenced.
	if code := a.commit(gen, 99); code != kerr.IllegalGeneration.Code {
		t.Fatalf("old-generation commit: got %v, want ILLEGAL_GENERATION", kerr.ErrorForCode(code))
	}
	if code := b.heartbeat(gen); code != kerr.IllegalGeneration.Code {
		t.Fatalf("old-generation heartbeat: got %v", kerr.ErrorForCode(code))
	}
	if off := fetched(t, c, "g"); off != 43 {
		t.Fatalf("fetched %d, want 43", off)
	}
	// Commit before the sync: REBALANCE_IN_PROGRESS.
	if code := a.commit(2, 50); code != kerr.RebalanceInProgress.Code {
		t.Fatalf("commit before sync: got %v", kerr.ErrorForCode(code))
	}
	syncAll(t, 2, rc.LeaderID, a, b, cm)
	if code := a.commit(2, 50); code != 0 {
		t.Fatalf("commit gen 2: %v", kerr.ErrorForCode(code))
	}

	// Leaving: the rest rebalance; the last out leaves the group Empty.
	leave := func(j *joiner) {
		req := kmsg.NewPtrLeaveGroupRequest()
		req.Version = 5
		req.Group = "g"
		req.Members = []kmsg.LeaveGroupRequestMember{{MemberID: j.id}}
		if r := c.LeaveGroup(ctx, req); r.ErrorCode != 0 || r.Members[0].ErrorCode != 0 {
			t.Fatalf("leave: %v %v", r.ErrorCode, r.Members[0].ErrorCode)
		}
	}
	leave(cm)
	rs = joinAll(t, a, b)
	if rs[0].Generation != 3 {
		t.Fatalf("generation after leave %d, want 3", rs[0].Generation)
	}
	syncAll(t, 3, rs[0].LeaderID, a, b)
	leave(a)
	leave(b)
	desc := c.DescribeGroups(ctx, &kmsg.DescribeGroupsRequest{Version: 5, Groups: []string{"g"}})
	if st := desc.Groups[0].State; st != stateEmpty {
		t.Fatalf("state after everyone left: %s", st)
	}
	// Empty group: a simple (generation -1) commit is allowed, and the
	// group can be deleted, offsets and all.
	simple := &joiner{c: c, group: "g"}
	if code := simple.commit(-1, 77); code != 0 {
		t.Fatalf("simple commit: %v", kerr.ErrorForCode(code))
	}
	del := c.DeleteGroups(ctx, &kmsg.DeleteGroupsRequest{Version: 2, Groups: []string{"g"}})
	if code := del.Groups[0].ErrorCode; code != 0 {
		t.Fatalf("delete group: %v", kerr.ErrorForCode(code))
	}
	if off := fetched(t, c, "g"); off != -1 {
		t.Fatalf("offset after delete %d, want -1", off)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestNonEmptyGroupNotDeleted(t *testing.T) {
	c := newCoordinator(t, openStore(t), Options{})
	a := &joiner{c: c, group: "busy"}
	rs := joinAll(t, a)
	syncAll(t, rs[0].Generation, rs[0].LeaderID, a)
	del := c.DeleteGroups(ctx, &kmsg.DeleteGroupsRequest{Version: 2, Groups: []string{"busy", "nobody"}})
	if code := del.Groups[0].ErrorCode; code != kerr.NonEmptyGroup.Code {
		t.Fatalf("delete busy group: %v", kerr.ErrorForCode(code))
	}
	if code := del.Groups[1].ErrorCode; code != kerr.GroupIDNotFound.Code {
		t.Fatalf("delete unknown group: %v", kerr.ErrorForCode(code))
	}
	od := c.OffsetDelete(ctx, &kmsg.OffsetDeleteRequest{Group: "busy", Topics: []kmsg.OffsetDeleteRequestTopic{{Topic: "t", Partitions: []kmsg.OffsetDeleteRequestTopicPartition{{Partition: 0}}}}})
	if od.ErrorCode != 0 || od.Topics[0].Partitions[0].ErrorCode != 0 {
		t.Fatalf("offset delete of a topic nobody subscribes to: %d %d", od.ErrorCode, od.Topics[0].Partitions[0].ErrorCode)
	}
}

func TestStaticMemberFenced(t *testing.T) {
	c := newCoordinator(t, openStore(t), Options{})
	a := &joiner{c: c, group: "s", instance: "host-1"}
	b := &joiner{c: c, group: "s", instance: "host-2"}
	rs := joinAll(t, a, b)
	gen := rs[0].Generation
	syncAll(t, gen, rs[0].LeaderID, a, b)
	oldID := a.id
	// host-1 restarts: it joins with no member ID and gets a new one,
	// without a rebalance (same protocols).
	a2 := &joiner{c: c, group: "s", instance: "host-1"}
	r := a2.join()()
	if r.ErrorCode != 0 || r.Generation != gen || a2.id == oldID {
		t.Fatalf("static rejoin: %v gen %d id %q (old %q)", kerr.ErrorForCode(r.ErrorCode), r.Generation, a2.id, oldID)
	}
	if code := a.heartbeat(gen); code != kerr.FencedInstanceID.Code {
		t.Fatalf("old static member heartbeat: %v, want FENCED_INSTANCE_ID", kerr.ErrorForCode(code))
	}
	if code := a.commit(gen, 5); code != kerr.FencedInstanceID.Code {
		t.Fatalf("old static member commit: %v, want FENCED_INSTANCE_ID", kerr.ErrorForCode(code))
	}
	if code := a2.heartbeat(gen); code != 0 {
		t.Fatalf("new static member heartbeat: %v", kerr.ErrorForCode(code))
	}
	if code := b.heartbeat(gen); code != 0 {
		t.Fatalf("the other member was disturbed: %v", kerr.ErrorForCode(code))
	}
}

func TestSessionExpiry(t *testing.T) {
	c := newCoordinator(t, openStore(t), Options{})
	a := &joiner{c: c, group: "e", session: 200}
	b := &joiner{c: c, group: "e", session: 200}
	rs := joinAll(t, a, b)
	gen := rs[0].Generation
	syncAll(t, gen, rs[0].LeaderID, a, b)
	// a keeps heartbeating, b goes silent: b is removed and a told to
	// rejoin.
	deadline := time.Now().Add(5 * time.Second)
	for a.heartbeat(gen) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("b never expired")
		}
		time.Sleep(20 * time.Millisecond)
	}
	r := a.join()()
	if r.ErrorCode != 0 || r.Generation != gen+1 || len(r.Members) != 1 {
		t.Fatalf("rejoin after expiry: %v gen %d members %d", kerr.ErrorForCode(r.ErrorCode), r.Generation, len(r.Members))
	}
	if code := b.heartbeat(gen); code != kerr.UnknownMemberID.Code {
		t.Fatalf("expired member heartbeat: %v", kerr.ErrorForCode(code))
	}
}

func TestInitialRebalanceDelay(t *testing.T) {
	opts := testOptions()
	opts.InitialRebalanceDelay = 300 * time.Millisecond
	c := newCoordinator(t, openStore(t), opts)
	a := &joiner{c: c, group: "d"}
	b := &joiner{c: c, group: "d"}
	start := time.Now()
	wa := make(chan *kmsg.JoinGroupResponse, 1)
	go func() { wa <- a.join()() }()
	time.Sleep(100 * time.Millisecond)
	rb := b.join()()
	ra := <-wa
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Fatalf("first rebalance completed after %v, before the initial delay", took)
	}
	if ra.Generation != 1 || rb.Generation != 1 {
		t.Fatalf("both members should be in generation 1: %d %d", ra.Generation, rb.Generation)
	}
}

// owner is a switchable ownership rule, to move groups between two
// coordinators sharing one store.
type owner struct{ node atomic.Int32 }

func (o *owner) rule(self int32) func(string) (int32, bool) {
	return func(string) (int32, bool) { n := o.node.Load(); return n, n == self }
}

func TestFailoverKeepsGroupAndFencesStaleCoordinator(t *testing.T) {
	store := openStore(t)
	var own owner
	optsA, optsB := testOptions(), testOptions()
	optsA.Owner, optsB.Owner = own.rule(0), own.rule(1)
	ca := newCoordinator(t, store, optsA)
	cb := newCoordinator(t, store, optsB)

	a := &joiner{c: ca, group: "f"}
	b := &joiner{c: ca, group: "f"}
	rs := joinAll(t, a, b)
	gen := rs[0].Generation
	syncAll(t, gen, rs[0].LeaderID, a, b)
	if code := a.commit(gen, 10); code != 0 {
		t.Fatalf("commit: %v", kerr.ErrorForCode(code))
	}

	// The group moves to B: A now refuses, B loads the group and carries on.
	own.node.Store(1)
	if code := a.heartbeat(gen); code != kerr.NotCoordinator.Code {
		t.Fatalf("old coordinator heartbeat: %v, want NOT_COORDINATOR", kerr.ErrorForCode(code))
	}
	a.c, b.c = cb, cb
	if code := a.heartbeat(gen); code != 0 {
		t.Fatalf("heartbeat at the new coordinator: %v", kerr.ErrorForCode(code))
	}
	if code := b.commit(gen, 11); code != 0 {
		t.Fatalf("commit at the new coordinator: %v", kerr.ErrorForCode(code))
	}
	if off := fetched(t, cb, "f"); off != 11 {
		t.Fatalf("offset %d, want 11", off)
	}

	// A stale coordinator (it still holds generation gen in memory) cannot
	// commit once B moved the group on: load A's copy first.
	own.node.Store(0)
	if code := (&joiner{c: ca, group: "f", id: a.id}).heartbeat(gen); code != 0 {
		t.Fatalf("A reloading: %v", kerr.ErrorForCode(code))
	}
	own.node.Store(1)
	cm := &joiner{c: cb, group: "f"}
	wc := make(chan *kmsg.JoinGroupResponse, 1)
	go func() { wc <- cm.join()() }()
	waitFor(t, func() bool { return a.heartbeat(gen) == kerr.RebalanceInProgress.Code })
	joinAll(t, a, b)
	if r := <-wc; r.ErrorCode != 0 || r.Generation != gen+1 {
		t.Fatalf("third member: %v gen %d", kerr.ErrorForCode(r.ErrorCode), r.Generation)
	}
	own.node.Store(0) // A believes it owns the group again, with its old copy
	stale := &joiner{c: ca, group: "f", id: b.id}
	if code := stale.commit(gen, 999); code != kerr.IllegalGeneration.Code {
		t.Fatalf("stale coordinator commit: %v, want ILLEGAL_GENERATION", kerr.ErrorForCode(code))
	}
	if off := fetched(t, ca, "f"); off != 11 {
		t.Fatalf("offset %d after the stale commit, want 11", off)
	}
}

// TestSplitBrainCoordinators: two brokers whose views of the live set
// disagree both believe they coordinate a group. The store decides: the
// stale one's commits of an old generation and its writes fail.
func TestSplitBrainCoordinators(t *testing.T) {
	store := openStore(t)
	ca := newCoordinator(t, store, testOptions()) // Owner nil: "mine" for both
	cb := newCoordinator(t, store, testOptions())
	a := &joiner{c: ca, group: "sb"}
	rs := joinAll(t, a)
	gen := rs[0].Generation
	syncAll(t, gen, rs[0].LeaderID, a)
	if code := a.commit(gen, 1); code != 0 {
		t.Fatalf("commit: %v", kerr.ErrorForCode(code))
	}
	// B loads the group (a's heartbeat reaches it) and rebalances it on.
	a.c = cb
	if code := a.heartbeat(gen); code != 0 {
		t.Fatalf("heartbeat at B: %v", kerr.ErrorForCode(code))
	}
	bm := &joiner{c: cb, group: "sb"}
	wb := make(chan *kmsg.JoinGroupResponse, 1)
	go func() { wb <- bm.join()() }()
	waitFor(t, func() bool { return a.heartbeat(gen) == kerr.RebalanceInProgress.Code })
	if r := a.join()(); r.ErrorCode != 0 || r.Generation != gen+1 {
		t.Fatalf("rejoin at B: %v gen %d", kerr.ErrorForCode(r.ErrorCode), r.Generation)
	}
	<-wb
	// A still holds generation gen in memory.
	zombie := &joiner{c: ca, group: "sb", id: a.id}
	if code := zombie.commit(gen, 999); code != kerr.IllegalGeneration.Code {
		t.Fatalf("commit through the stale coordinator: %v, want ILLEGAL_GENERATION", kerr.ErrorForCode(code))
	}
	if off := fetched(t, cb, "sb"); off != 1 {
		t.Fatalf("offset %d, want 1", off)
	}
	// The stale coordinator dropped its copy: it now reads generation
	// gen+1 from the store and fences the zombie by itself.
	if code := zombie.heartbeat(gen); code != kerr.IllegalGeneration.Code {
		t.Fatalf("zombie heartbeat at the reloaded coordinator: %v", kerr.ErrorForCode(code))
	}
}
