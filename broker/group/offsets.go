package group

// Committed offsets: OffsetCommit, OffsetFetch, OffsetDelete, and the
// expiry of empty groups' offsets.

import (
	"context"
	"errors"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// MaxMetadataBytes is the longest commit metadata string accepted
// (offset.metadata.max.bytes).
const MaxMetadataBytes = 4096

// OffsetCommit handles an OffsetCommit request. known reports whether a
// topic and partition exist (nil accepts any).
func (c *Coordinator) OffsetCommit(ctx context.Context, req *kmsg.OffsetCommitRequest, known func(topic string, partition int32) bool) *kmsg.OffsetCommitResponse {
	resp := req.ResponseKind().(*kmsg.OffsetCommitResponse)
	code, generation, partCode := c.validateCommit(ctx, req)
	var offsets []metastore.GroupOffset
	codes := make([][]int16, len(req.Topics))
	for i, t := range req.Topics {
		codes[i] = make([]int16, len(t.Partitions))
		for j, p := range t.Partitions {
			switch {
			case code != 0:
				codes[i][j] = code
			case partCode != nil && partCode(t.Topic, p.Partition) != 0:
				codes[i][j] = partCode(t.Topic, p.Partition)
			case known != nil && !known(t.Topic, p.Partition):
				codes[i][j] = kerr.UnknownTopicOrPartition.Code
			case p.Metadata != nil && len(*p.Metadata) > MaxMetadataBytes:
				codes[i][j] = kerr.OffsetMetadataTooLarge.Code
			default:
				epoch := p.LeaderEpoch
				if req.Version < 6 {
					epoch = -1
				}
				offsets = append(offsets, metastore.GroupOffset{Topic: t.Topic, Partition: p.Partition,
					Offset: p.Offset, LeaderEpoch: epoch, Metadata: str(p.Metadata)})
			}
		}
	}
	if len(offsets) > 0 {
		err := c.store.CommitOffsets(ctx, req.Group, generation, offsets)
		if err != nil {
			code = kerr.CoordinatorNotAvailable.Code
			if errors.Is(err, metastore.ErrIllegalGeneration) {
				// The stored generation moved on: another coordinator ran a
				// rebalance this one has not seen.
				code = kerr.IllegalGeneration.Code
				c.forget(req.Group)
			} else {
				c.log.Warn("commit offsets", "group", req.Group, "err", err)
			}
			for i := range codes {
				for j := range codes[i] {
					if codes[i][j] == 0 {
						codes[i][j] = code
					}
				}
			}
		}
	}
	for i, t := range req.Topics {
		rt := kmsg.NewOffsetCommitResponseTopic()
		rt.Topic = t.Topic
		for j, p := range t.Partitions {
			rp := kmsg.NewOffsetCommitResponseTopicPartition()
			rp.Partition, rp.ErrorCode = p.Partition, codes[i][j]
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

// validateCommit checks who commits, as Kafka's coordinator does, and
// returns the error code (0 to go ahead), the generation the store must
// still have (-1: no check), and, when partitions are judged one by one
// (a KIP-848 member committing at an older epoch), each one's code.
func (c *Coordinator) validateCommit(ctx context.Context, req *kmsg.OffsetCommitRequest) (int16, int32, func(topic string, partition int32) int16) {
	if req.Group == "" {
		return kerr.InvalidGroupID.Code, -1, nil
	}
	simple := req.Generation < 0 && req.MemberID == "" && req.InstanceID == nil
	g, err := c.acquire(ctx, req.Group, false)
	if err != nil {
		return errorCode(err), -1, nil
	}
	if g == nil {
		if simple {
			return 0, -1, nil
		}
		// A member of a group nobody stored: it cannot hold a generation.
		if req.Generation < 0 {
			return 0, -1, nil
		}
		return kerr.IllegalGeneration.Code, -1, nil
	}
	defer g.mu.Unlock()
	if g.kind == kindConsumer {
		return g.validateConsumerCommit(req)
	}
	if req.Generation < 0 && g.state == stateEmpty {
		return 0, -1, nil
	}
	m, code := g.validateMember(req.MemberID, str(req.InstanceID), req.Generation)
	if code != 0 {
		return code, -1, nil
	}
	if g.state == stateCompletingRebalance {
		return kerr.RebalanceInProgress.Code, -1, nil
	}
	m.deadline = time.Now().Add(m.sessionTimeout())
	return 0, g.generation, nil
}

// OffsetFetch handles an OffsetFetch request: one group before v8, many
// after.
func (c *Coordinator) OffsetFetch(ctx context.Context, req *kmsg.OffsetFetchRequest) *kmsg.OffsetFetchResponse {
	resp := req.ResponseKind().(*kmsg.OffsetFetchResponse)
	if req.Version < 8 {
		var topics []kmsg.OffsetFetchRequestGroupTopic
		for _, t := range req.Topics {
			topics = append(topics, kmsg.OffsetFetchRequestGroupTopic{Topic: t.Topic, Partitions: t.Partitions})
		}
		one := c.fetchGroup(ctx, req.Group, topics, req.Topics == nil)
		resp.ErrorCode = one.ErrorCode
		for _, t := range one.Topics {
			rt := kmsg.NewOffsetFetchResponseTopic()
			rt.Topic = t.Topic
			for _, p := range t.Partitions {
				rp := kmsg.NewOffsetFetchResponseTopicPartition()
				rp.Partition, rp.Offset, rp.LeaderEpoch, rp.Metadata, rp.ErrorCode = p.Partition, p.Offset, p.LeaderEpoch, p.Metadata, p.ErrorCode
				rt.Partitions = append(rt.Partitions, rp)
			}
			resp.Topics = append(resp.Topics, rt)
		}
		if req.Version < 2 && one.ErrorCode != 0 {
			// v0-1 have no top-level code: put it on every partition.
			for i := range resp.Topics {
				for j := range resp.Topics[i].Partitions {
					resp.Topics[i].Partitions[j].ErrorCode = one.ErrorCode
				}
			}
		}
		return resp
	}
	for _, rg := range req.Groups {
		resp.Groups = append(resp.Groups, c.fetchGroup(ctx, rg.Group, rg.Topics, rg.Topics == nil))
	}
	return resp
}

func (c *Coordinator) fetchGroup(ctx context.Context, name string, topics []kmsg.OffsetFetchRequestGroupTopic, all bool) kmsg.OffsetFetchResponseGroup {
	out := kmsg.NewOffsetFetchResponseGroup()
	out.Group = name
	if _, mine := c.Owner(name); !mine {
		out.ErrorCode = kerr.NotCoordinator.Code
		return out
	}
	stored, err := c.store.FetchOffsets(ctx, name)
	if err != nil {
		c.log.Warn("fetch offsets", "group", name, "err", err)
		out.ErrorCode = kerr.CoordinatorNotAvailable.Code
		return out
	}
	byTP := map[metastore.TopicPartition]metastore.GroupOffset{}
	for _, o := range stored {
		byTP[metastore.TopicPartition{Topic: o.Topic, Partition: o.Partition}] = o
	}
	if all {
		topics = nil
		idx := map[string]int{}
		for _, o := range stored {
			i, ok := idx[o.Topic]
			if !ok {
				i = len(topics)
				idx[o.Topic] = i
				topics = append(topics, kmsg.OffsetFetchRequestGroupTopic{Topic: o.Topic})
			}
			topics[i].Partitions = append(topics[i].Partitions, o.Partition)
		}
	}
	for _, t := range topics {
		rt := kmsg.NewOffsetFetchResponseGroupTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewOffsetFetchResponseGroupTopicPartition()
			rp.Partition, rp.Offset, rp.LeaderEpoch = p, -1, -1
			if o, ok := byTP[metastore.TopicPartition{Topic: t.Topic, Partition: p}]; ok {
				rp.Offset, rp.LeaderEpoch, rp.Metadata = o.Offset, o.LeaderEpoch, kmsg.StringPtr(o.Metadata)
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		out.Topics = append(out.Topics, rt)
	}
	return out
}

// OffsetDelete handles an OffsetDelete request: offsets of topics the
// group's members are subscribed to stay (GROUP_SUBSCRIBED_TO_TOPIC).
func (c *Coordinator) OffsetDelete(ctx context.Context, req *kmsg.OffsetDeleteRequest) *kmsg.OffsetDeleteResponse {
	resp := req.ResponseKind().(*kmsg.OffsetDeleteResponse)
	if req.Group == "" {
		resp.ErrorCode = kerr.InvalidGroupID.Code
		return resp
	}
	g, err := c.acquire(ctx, req.Group, false)
	if err != nil {
		resp.ErrorCode = errorCode(err)
		return resp
	}
	subscribed := map[string]bool{}
	if g != nil {
		subscribed = g.subscribedTopics()
		g.mu.Unlock()
	} else if stored, err := c.store.FetchOffsets(ctx, req.Group); err != nil {
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		return resp
	} else if len(stored) == 0 {
		resp.ErrorCode = kerr.GroupIDNotFound.Code
		return resp
	}
	var parts []metastore.TopicPartition
	for _, t := range req.Topics {
		rt := kmsg.NewOffsetDeleteResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewOffsetDeleteResponseTopicPartition()
			rp.Partition = p.Partition
			if subscribed[t.Topic] {
				rp.ErrorCode = kerr.GroupSubscribedToTopic.Code
			} else {
				parts = append(parts, metastore.TopicPartition{Topic: t.Topic, Partition: p.Partition})
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	if len(parts) > 0 {
		if err := c.store.DeleteOffsets(ctx, req.Group, parts); err != nil {
			c.log.Warn("delete offsets", "group", req.Group, "err", err)
			resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
			resp.Topics = nil
		}
	}
	return resp
}

// subscribedTopics lists the topics the group's members consume, from the
// consumer protocol's metadata (classic) or the members' subscriptions
// (KIP-848).
func (g *group) subscribedTopics() map[string]bool {
	out := map[string]bool{}
	if g.kind == kindConsumer {
		if g.consumer != nil {
			for _, m := range g.consumer.members {
				for _, t := range m.Topics {
					out[t] = true
				}
			}
		}
		return out
	}
	if g.protocolType != "consumer" {
		return out
	}
	for _, m := range g.members {
		md, ok := m.metadataFor(g.protocol)
		if !ok {
			continue
		}
		var meta kmsg.ConsumerMemberMetadata
		if meta.ReadFrom(md) != nil {
			continue
		}
		for _, t := range meta.Topics {
			out[t] = true
		}
	}
	return out
}

// ExpireOffsets removes the offsets of groups empty for longer than the
// retention (run by housekeeping, once across the cluster).
func (c *Coordinator) ExpireOffsets(ctx context.Context) ([]string, error) {
	gone, err := c.store.ExpireGroups(ctx, c.opts.OffsetsRetention)
	for _, name := range gone {
		c.forget(name)
	}
	return gone, err
}
