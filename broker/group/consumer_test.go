package group

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// staticTopics is a TopicResolver over a fixed set of topics.
type staticTopics map[string]metastore.Topic

func (s staticTopics) Topics(context.Context) (map[string]metastore.Topic, error) { return s, nil }

// consumer is one KIP-848 member driven by hand: it owns what it was last
// assigned, and reports it.
type consumer struct {
	c     *Coordinator
	group string
	id    string
	epoch int32
	owned []tp
}

func (m *consumer) heartbeat(t *testing.T, topics []string) *kmsg.ConsumerGroupHeartbeatResponse {
	t.Helper()
	req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
	req.Version = 1
	req.Group, req.MemberID, req.MemberEpoch = m.group, m.id, m.epoch
	req.RebalanceTimeoutMillis = 5000
	if topics != nil || m.epoch == 0 {
		req.SubscribedTopicNames = topics
	}
	req.Topics = []kmsg.ConsumerGroupHeartbeatRequestTopic{}
	for _, p := range m.owned {
		n := len(req.Topics)
		if n > 0 && req.Topics[n-1].TopicID == p.Topic {
			req.Topics[n-1].Partitions = append(req.Topics[n-1].Partitions, p.Partition)
			continue
		}
		req.Topics = append(req.Topics, kmsg.ConsumerGroupHeartbeatRequestTopic{TopicID: p.Topic, Partitions: []int32{p.Partition}})
	}
	resp := m.c.ConsumerGroupHeartbeat(ctx, req, Client{ID: "t", Host: "/127.0.0.1"})
	if resp.ErrorCode != 0 {
		t.Fatalf("member %s heartbeat: %v", m.id, kerr.ErrorForCode(resp.ErrorCode))
	}
	m.epoch = resp.MemberEpoch
	if resp.Assignment != nil {
		m.owned = nil
		for _, at := range resp.Assignment.Topics {
			for _, p := range at.Partitions {
				m.owned = append(m.owned, tp{Topic: at.TopicID, Partition: p})
			}
		}
		sortTPs(m.owned)
	}
	return resp
}

func TestConsumerGroupConverges(t *testing.T) {
	topic := metastore.Topic{Name: "events", ID: metastore.TopicID{1}, Partitions: 6}
	opts := testOptions()
	opts.Topics = staticTopics{"events": topic}
	c := newCoordinator(t, openStore(t), opts)
	var ms []*consumer
	// check asserts no partition is owned twice, at every step.
	check := func() {
		seen := map[tp]string{}
		for _, m := range ms {
			for _, p := range m.owned {
				if o, dup := seen[p]; dup {
					t.Fatalf("partition %d owned by %s and %s", p.Partition, o, m.id)
				}
				seen[p] = m.id
			}
		}
	}
	converge := func() {
		for round := 0; round < 10; round++ {
			for _, m := range ms {
				m.heartbeat(t, nil)
				check()
			}
		}
		total := 0
		for _, m := range ms {
			total += len(m.owned)
			if len(m.owned) < 6/len(ms) || len(m.owned) > (6+len(ms)-1)/len(ms) {
				t.Fatalf("member %s owns %d of 6 partitions with %d members", m.id, len(m.owned), len(ms))
			}
		}
		if total != 6 {
			t.Fatalf("%d partitions owned, want 6", total)
		}
	}
	for i := range 3 {
		m := &consumer{c: c, group: "g848", id: fmt.Sprintf("m%d", i)}
		m.heartbeat(t, []string{"events"})
		ms = append(ms, m)
		check()
		converge()
	}
	before := slices.Clone(ms[0].owned)
	// Commit with the current member epoch; a newer one is refused (older
	// ones: TestConsumerCommitAcrossEpochs).
	commit := func(m *consumer, epoch int32) int16 {
		req := kmsg.NewPtrOffsetCommitRequest()
		req.Version = 9
		req.Group, req.Generation, req.MemberID = "g848", epoch, m.id
		req.Topics = []kmsg.OffsetCommitRequestTopic{{Topic: "events", Partitions: []kmsg.OffsetCommitRequestTopicPartition{{Partition: 0, Offset: 3}}}}
		return c.OffsetCommit(ctx, req, nil).Topics[0].Partitions[0].ErrorCode
	}
	if code := commit(ms[0], ms[0].epoch); code != 0 {
		t.Fatalf("commit: %v", kerr.ErrorForCode(code))
	}
	if code := commit(ms[0], ms[0].epoch+1); code != kerr.StaleMemberEpoch.Code {
		t.Fatalf("future-epoch commit: %v, want STALE_MEMBER_EPOCH", kerr.ErrorForCode(code))
	}
	// A member leaves: the others take its partitions over.
	leaving := ms[2]
	leaving.epoch = -1
	leaving.heartbeat(t, nil)
	ms = ms[:2]
	converge()
	// Uniform is sticky: member 0 kept what it had.
	for _, p := range before {
		if !slices.Contains(ms[0].owned, p) {
			t.Fatalf("member 0 lost partition %d in a rebalance that only added to it (had %v, has %v)", p.Partition, before, ms[0].owned)
		}
	}
	desc := c.ConsumerGroupDescribe(ctx, &kmsg.ConsumerGroupDescribeRequest{Groups: []string{"g848"}})
	if g := desc.Groups[0]; g.ErrorCode != 0 || len(g.Members) != 2 || g.State != stateStable {
		t.Fatalf("describe: code %d, %d members, state %s", g.ErrorCode, len(g.Members), g.State)
	}
	// A fenced epoch is refused.
	req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
	req.Group, req.MemberID, req.MemberEpoch = "g848", ms[0].id, ms[0].epoch+5
	if r := c.ConsumerGroupHeartbeat(ctx, req, Client{}); r.ErrorCode != kerr.FencedMemberEpoch.Code {
		t.Fatalf("future epoch: %v, want FENCED_MEMBER_EPOCH", kerr.ErrorForCode(r.ErrorCode))
	}
}

func TestUniformAssignorBalancedAndSticky(t *testing.T) {
	id := metastore.TopicID{7}
	sig := map[string]topicSig{"t": {ID: id, Partitions: 7}}
	subs := map[string][]string{"a": {"t"}, "b": {"t"}}
	first := assign("uniform", subs, sig, nil)
	if len(first["a"])+len(first["b"]) != 7 || abs(len(first["a"])-len(first["b"])) > 1 {
		t.Fatalf("unbalanced: %v", first)
	}
	prev := map[tp]string{}
	for m, ps := range first {
		for _, p := range ps {
			prev[p] = m
		}
	}
	subs["c"] = []string{"t"}
	second := assign("uniform", subs, sig, prev)
	moved := 0
	for m, ps := range second {
		for _, p := range ps {
			if prev[p] != m {
				moved++
			}
		}
		if len(ps) < 2 || len(ps) > 3 {
			t.Fatalf("member %s got %d of 7 with 3 members", m, len(ps))
		}
	}
	if moved > 3 {
		t.Fatalf("%d partitions moved when a third member joined; at most 3 need to", moved)
	}
	r := assign("range", map[string][]string{"a": {"t"}, "b": {"t"}}, sig, nil)
	if len(r["a"]) != 4 || len(r["b"]) != 3 || r["a"][0].Partition != 0 || r["b"][0].Partition != 4 {
		t.Fatalf("range: %v", r)
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
