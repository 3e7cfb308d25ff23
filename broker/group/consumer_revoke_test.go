package group

import (
	"slices"
	"testing"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The revocation rule of KIP-848 groups: a partition taken from a member
// goes to its new owner only once the old owner's heartbeat stops listing
// it, or the old owner is gone (left, fenced, expired); and the commits a
// member makes around an epoch change.

// beat sends one heartbeat of m reporting owned as its owned partitions
// (report false: Topics null, as a client mid-revocation sends), and
// returns the assignment of the answer (nil: none sent) without taking it.
func (m *consumer) beat(t *testing.T, owned []tp, report bool) []tp {
	t.Helper()
	req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
	req.Version = 1
	req.Group, req.MemberID, req.MemberEpoch = m.group, m.id, m.epoch
	req.RebalanceTimeoutMillis = 5000
	if m.epoch == 0 {
		req.SubscribedTopicNames = []string{"events"}
	}
	if report {
		req.Topics = []kmsg.ConsumerGroupHeartbeatRequestTopic{}
		for _, p := range owned {
			req.Topics = append(req.Topics, kmsg.ConsumerGroupHeartbeatRequestTopic{TopicID: p.Topic, Partitions: []int32{p.Partition}})
		}
	}
	resp := m.c.ConsumerGroupHeartbeat(ctx, req, Client{ID: "t", Host: "/127.0.0.1"})
	if resp.ErrorCode != 0 {
		t.Fatalf("member %s heartbeat: %v", m.id, kerr.ErrorForCode(resp.ErrorCode))
	}
	m.epoch = resp.MemberEpoch
	if resp.Assignment == nil {
		return nil
	}
	got := []tp{}
	for _, at := range resp.Assignment.Topics {
		for _, p := range at.Partitions {
			got = append(got, tp{Topic: at.TopicID, Partition: p})
		}
	}
	sortTPs(got)
	return got
}

// revokeFixture is a coordinator with one topic of n partitions.
func revokeFixture(t *testing.T, n int32) (*Coordinator, metastore.Topic) {
	t.Helper()
	topic := metastore.Topic{Name: "events", ID: metastore.TopicID{9}, Partitions: n}
	opts := testOptions()
	opts.ConsumerSessionTimeout = time.Minute // the test's own clock decides expiry
	opts.Topics = staticTopics{"events": topic}
	return newCoordinator(t, openStore(t), opts), topic
}

// held is, per partition, the members whose current assignment or
// pending revocation has it, read from the coordinator itself; it fails
// t if any partition is held twice.
func held(t *testing.T, c *Coordinator, group string) map[tp]string {
	t.Helper()
	g, err := c.acquire(ctx, group, false)
	if err != nil || g == nil {
		t.Fatalf("acquire %s: %v", group, err)
	}
	defer g.mu.Unlock()
	out := map[tp]string{}
	for _, m := range g.consumer.members {
		for _, p := range append(slices.Clone(m.Assigned), m.Pending...) {
			if o, dup := out[p]; dup {
				t.Fatalf("partition %d held by %s and %s", p.Partition, o, m.ID)
			}
			out[p] = m.ID
		}
	}
	return out
}

func parts(topic metastore.Topic, ps ...int32) []tp {
	out := make([]tp, len(ps))
	for i, p := range ps {
		out[i] = tp{Topic: topic.ID, Partition: p}
	}
	return out
}

// TestConsumerRevokedPartitionWaitsForRelease is the regression test of
// franz-go's TestGroupETL seeing offsets twice in KIP-848 groups: the
// coordinator told member a to drop partitions and handed them to b at
// b's next heartbeat, before a's heartbeat showed it had let them go (a
// was still committing them), so b fetched an older committed offset.
func TestConsumerRevokedPartitionWaitsForRelease(t *testing.T) {
	c, topic := revokeFixture(t, 4)
	a := &consumer{c: c, group: "g", id: "a"}
	all := parts(topic, 0, 1, 2, 3)
	if got := a.beat(t, nil, true); !slices.Equal(got, all) {
		t.Fatalf("a alone got %v, want %v", got, all)
	}
	b := &consumer{c: c, group: "g", id: "b"}
	if got := b.beat(t, nil, true); len(got) != 0 {
		t.Fatalf("b joining got %v while a holds everything", got)
	}
	// a is told to keep two; it still owns all four.
	aEpoch := a.epoch
	keep := a.beat(t, all, true)
	if len(keep) != 2 || a.epoch != aEpoch {
		t.Fatalf("a told to own %v at epoch %d (was %d); want two partitions at its old epoch", keep, a.epoch, aEpoch)
	}
	revoked := slices.DeleteFunc(slices.Clone(all), func(p tp) bool { return slices.Contains(keep, p) })
	check := func(when string) {
		t.Helper()
		h := held(t, c, "g")
		for _, p := range revoked {
			if h[p] != "a" {
				t.Fatalf("%s: partition %d held by %q, want a (not released yet)", when, p.Partition, h[p])
			}
		}
	}
	// b heartbeats: it must get none of what a still holds.
	if got := b.beat(t, nil, true); len(got) != 0 {
		t.Fatalf("b got %v while a still owns %v", got, revoked)
	}
	check("after b's heartbeat")
	// a heartbeats without its owned list (it is committing on revoke):
	// nothing is known to be released.
	a.beat(t, nil, false)
	if got := b.beat(t, nil, true); len(got) != 0 {
		t.Fatalf("b got %v after a's keepalive", got)
	}
	check("after a's keepalive")
	// a reports it still owns one of them.
	a.beat(t, append(slices.Clone(keep), revoked[0]), true)
	if got := b.beat(t, nil, true); len(got) != 0 {
		t.Fatalf("b got %v while a still lists %d", got, revoked[0].Partition)
	}
	check("after a listed one revoked partition")
	// a's heartbeat omits them: released, and b gets them next.
	a.beat(t, keep, true)
	if got := b.beat(t, nil, true); !slices.Equal(got, revoked) {
		t.Fatalf("b got %v after a released %v", got, revoked)
	}
	if h := held(t, c, "g"); len(h) != 4 {
		t.Fatalf("held %v, want all four partitions", h)
	}
}

// TestConsumerRevocationEndsWithOwnerGone: a member that never confirms
// its revocation keeps the partitions from others until it is gone: it
// leaves, it rejoins at epoch 0 (fenced), or its session or rebalance
// timeout lapses.
func TestConsumerRevocationEndsWithOwnerGone(t *testing.T) {
	for _, how := range []string{"leave", "rejoin", "session", "rebalance-timeout"} {
		t.Run(how, func(t *testing.T) {
			c, topic := revokeFixture(t, 4)
			a := &consumer{c: c, group: "g", id: "a"}
			all := parts(topic, 0, 1, 2, 3)
			a.beat(t, nil, true)
			b := &consumer{c: c, group: "g", id: "b"}
			b.beat(t, nil, true)
			keep := a.beat(t, all, true) // a now revoking two
			if got := b.beat(t, nil, true); len(got) != 0 {
				t.Fatalf("b got %v while a revokes", got)
			}
			switch how {
			case "leave":
				a.epoch = -1
				a.beat(t, nil, false)
			case "rejoin":
				a.epoch = 0
				a.beat(t, nil, true)
			case "session", "rebalance-timeout":
				if how == "rebalance-timeout" {
					// a keeps heartbeating, still listing what it must give up.
					a.beat(t, all, true)
				}
				g, err := c.acquire(ctx, "g", false)
				if err != nil || g == nil {
					t.Fatalf("acquire: %v", err)
				}
				later := time.Now().Add(6 * time.Second) // past the 5s rebalance timeout, not the 1m session
				if how == "session" {
					later = time.Now()
					g.consumer.member("a").deadline = later.Add(-time.Millisecond) // a's alone
				}
				g.onTick(later)
				g.mu.Unlock()
			}
			// Once a is gone (or holds nothing, rejoining), b gets its
			// target: all four, or the two the target kept for it.
			got := b.beat(t, nil, true)
			h := held(t, c, "g")
			for _, p := range got {
				if h[p] != "b" {
					t.Fatalf("b told it owns %d, held by %q", p.Partition, h[p])
				}
			}
			want := 2
			if how != "rejoin" {
				want = 4
			}
			if len(got) != want {
				t.Fatalf("after a's %s, b got %v (a kept %v); want %d partitions", how, got, keep, want)
			}
		})
	}
}

// TestConsumerTargetMovesWhileRevoking is the regression test of
// range/848 groups stalling about 60s and ending in UNKNOWN_MEMBER_ID: a
// member revoking partitions when the target changed again was waited on
// to release partitions it had never been told to release, until its
// rebalance timeout expired it. Now it is asked for the rest once it
// released the first ones, and the group converges in a few heartbeats.
func TestConsumerTargetMovesWhileRevoking(t *testing.T) {
	c, topic := revokeFixture(t, 6)
	a := &consumer{c: c, group: "g", id: "a"}
	owned := a.beat(t, nil, true)
	if len(owned) != 6 {
		t.Fatalf("a alone got %v", owned)
	}
	b := &consumer{c: c, group: "g", id: "b"}
	b.beat(t, nil, true)
	keep := a.beat(t, owned, true) // a revoking 3 of 6
	if len(keep) != 3 {
		t.Fatalf("a kept %v, want 3 partitions", keep)
	}
	cm := &consumer{c: c, group: "g", id: "c"}
	cm.beat(t, nil, true) // the target now takes one more from a
	ms := []*consumer{a, b, cm}
	ownedBy := map[string][]tp{"a": keep}
	// Each member releases what it was told to drop and takes what it
	// was given, one heartbeat at a time, as a client does.
	for round := 0; round < 6; round++ {
		for _, m := range ms {
			if got := m.beat(t, ownedBy[m.id], true); got != nil {
				ownedBy[m.id] = got
			}
			held(t, c, "g")
		}
	}
	total := 0
	for _, m := range ms {
		if len(ownedBy[m.id]) != 2 {
			t.Fatalf("after 6 rounds: %v; want 2 of %s's 6 partitions each", ownedBy, topic.Name)
		}
		total += len(ownedBy[m.id])
	}
	if h := held(t, c, "g"); len(h) != 6 || total != 6 {
		t.Fatalf("held %v", h)
	}
}

// TestConsumerCommitAcrossEpochs: a member's commit at its current epoch
// is taken whatever the partitions; at an older epoch (a commit that
// crossed the heartbeat moving its epoch) only for partitions it still
// holds since that epoch or before (KIP-1251), including those pending
// revocation; a newer epoch, or an older one for partitions it does not
// hold or got later, is STALE_MEMBER_EPOCH.
func TestConsumerCommitAcrossEpochs(t *testing.T) {
	c, topic := revokeFixture(t, 4)
	all := parts(topic, 0, 1, 2, 3)
	a := &consumer{c: c, group: "g", id: "a"}
	a.beat(t, nil, true)
	first := a.epoch
	commit := func(m *consumer, epoch int32, ps ...int32) []int16 {
		t.Helper()
		req := kmsg.NewPtrOffsetCommitRequest()
		req.Version = 9
		req.Group, req.Generation, req.MemberID = "g", epoch, m.id
		rt := kmsg.OffsetCommitRequestTopic{Topic: "events"}
		for _, p := range ps {
			rt.Partitions = append(rt.Partitions, kmsg.OffsetCommitRequestTopicPartition{Partition: p, Offset: 7})
		}
		req.Topics = []kmsg.OffsetCommitRequestTopic{rt}
		var codes []int16
		for _, rp := range c.OffsetCommit(ctx, req, nil).Topics[0].Partitions {
			codes = append(codes, rp.ErrorCode)
		}
		return codes
	}
	stale := kerr.StaleMemberEpoch.Code
	want := func(what string, got []int16, want ...int16) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Fatalf("%s: codes %v, want %v", what, got, want)
		}
	}
	want("current epoch", commit(a, first, 0, 1, 2, 3), 0, 0, 0, 0)
	want("newer epoch", commit(a, first+1, 0), stale)
	// b joins: a revokes two at its epoch (a revoking member commits at
	// the epoch it has), then moves on.
	b := &consumer{c: c, group: "g", id: "b"}
	b.beat(t, nil, true)
	keep := a.beat(t, all, true)
	pending := slices.DeleteFunc(slices.Clone(all), func(p tp) bool { return slices.Contains(keep, p) })
	if a.epoch != first {
		t.Fatalf("a moved to epoch %d while revoking", a.epoch)
	}
	want("revoking, own epoch, pending partition", commit(a, first, pending[0].Partition), 0)
	a.beat(t, keep, true) // released: a moves to the group's epoch
	if a.epoch <= first {
		t.Fatalf("a at epoch %d after releasing, was %d", a.epoch, first)
	}
	want("old epoch, partition still held since then", commit(a, first, keep[0].Partition, keep[1].Partition), 0, 0)
	want("old epoch, partition released", commit(a, first, pending[0].Partition), stale)
	want("mixed", commit(a, first, keep[0].Partition, pending[1].Partition), 0, stale)
	// b got the released partitions at a later epoch than the one a
	// member would still commit with: its older epoch is refused for them.
	got := b.beat(t, nil, true)
	if len(got) != 2 {
		t.Fatalf("b got %v", got)
	}
	want("b at an epoch before it got them", commit(b, b.epoch-1, got[0].Partition), stale)
	want("b at its epoch", commit(b, b.epoch, got[0].Partition), 0)
	want("unknown member", commit(&consumer{id: "zz"}, first, 0), kerr.UnknownMemberID.Code)
}
