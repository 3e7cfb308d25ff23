package broker

// Metadata, versions 0-13.
//
// Any broker serves any partition: the object store is the replica set. A
// partition reports one live broker as leader, sole replica and ISR, at
// leader epoch 0; in cluster mode the leader is spread over the live
// brokers by a rule every broker computes alike (membership.Leader), so
// clients spread their load. Topic IDs (KIP-516) are reported from v10. Unknown topics
// named by the client are created when auto-creation is on and the request
// allows it (v4+), as Kafka's auto.create.topics.enable does. The internal
// __consumer_offsets is listed too, with is_internal set (internal_topics.go).

import (
	"context"
	"sort"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/internal/metastore"
)

func init() { register(0, 13, handleMetadata) }

func handleMetadata(s *Server, c *conn, req *kmsg.MetadataRequest) (reply, error) {
	ctx, cancel := s.requestContext()
	defer cancel()
	resp := req.ResponseKind().(*kmsg.MetadataResponse)
	resp.Brokers = s.brokers()
	resp.ClusterID = &s.opts.ClusterID
	resp.ControllerID = s.nodeID()

	all, err := s.topics.all(ctx)
	if err != nil {
		return now(metadataError(resp, req, err)), nil
	}
	if req.Topics == nil { // all topics, the internal ones included
		names := make([]string, 0, len(all)+1)
		for n := range all {
			names = append(names, n)
		}
		if _, stored := all[consumerOffsetsTopic]; !stored {
			names = append(names, consumerOffsetsTopic)
		}
		sort.Strings(names)
		for _, n := range names {
			t, ok := all[n]
			if !ok {
				t = consumerOffsets
			}
			resp.Topics = append(resp.Topics, s.metadataTopic(t))
		}
		return now(resp), nil
	}
	autoCreate := s.opts.AutoCreateTopics && (req.Version < 4 || req.AllowAutoTopicCreation)
	for _, rt := range req.Topics {
		resp.Topics = append(resp.Topics, s.metadataRequested(ctx, rt, autoCreate))
	}
	return now(resp), nil
}

// metadataRequested answers for one requested topic, by name or (v10+) ID.
func (s *Server) metadataRequested(ctx context.Context, rt kmsg.MetadataRequestTopic, autoCreate bool) kmsg.MetadataResponseTopic {
	name := ""
	if rt.Topic != nil {
		name = *rt.Topic
	}
	t, ok, err := s.lookupTopic(ctx, name, rt.TopicID)
	switch {
	case err != nil:
		return topicError(name, rt.TopicID, storeErrCode(err))
	case ok:
		return s.metadataTopic(t)
	case name == "":
		return topicError(name, rt.TopicID, kerr.UnknownTopicID.Code)
	case validTopicName(name) != nil:
		return topicError(name, rt.TopicID, kerr.InvalidTopicException.Code)
	case !autoCreate:
		return topicError(name, rt.TopicID, kerr.UnknownTopicOrPartition.Code)
	}
	t, err = s.createTopic(ctx, metastore.TopicSpec{Name: name, Partitions: s.opts.DefaultPartitions})
	if err != nil && !isExists(err) {
		return topicError(name, rt.TopicID, storeErrCode(err))
	}
	if isExists(err) {
		if t, ok, err = s.topics.lookup(ctx, name, rt.TopicID); err != nil || !ok {
			return topicError(name, rt.TopicID, kerr.LeaderNotAvailable.Code)
		}
	}
	s.log.Info("auto-created topic", "topic", name, "partitions", t.Partitions)
	return s.metadataTopic(t)
}

func (s *Server) metadataTopic(t metastore.Topic) kmsg.MetadataResponseTopic {
	mt := kmsg.NewMetadataResponseTopic()
	name := t.Name
	mt.Topic = &name
	mt.TopicID = t.ID
	mt.IsInternal = isInternal(t)
	for p := int32(0); p < t.Partitions; p++ {
		mp := kmsg.NewMetadataResponseTopicPartition()
		leader := s.leaderOf(t.ID, p)
		mp.Partition = p
		mp.Leader = leader
		mp.LeaderEpoch = 0
		mp.Replicas = []int32{leader}
		mp.ISR = []int32{leader}
		mt.Partitions = append(mt.Partitions, mp)
	}
	return mt
}

func topicError(name string, id [16]byte, code int16) kmsg.MetadataResponseTopic {
	mt := kmsg.NewMetadataResponseTopic()
	if name != "" {
		mt.Topic = &name
	}
	mt.TopicID = id
	mt.ErrorCode = code
	return mt
}

func metadataError(resp *kmsg.MetadataResponse, req *kmsg.MetadataRequest, err error) *kmsg.MetadataResponse {
	for _, rt := range req.Topics {
		name := ""
		if rt.Topic != nil {
			name = *rt.Topic
		}
		resp.Topics = append(resp.Topics, topicError(name, rt.TopicID, storeErrCode(err)))
	}
	return resp
}

// brokers lists the live brokers: this one alone, or the cluster's.
func (s *Server) brokers() []kmsg.MetadataResponseBroker {
	if s.members == nil {
		b := kmsg.NewMetadataResponseBroker()
		b.NodeID, b.Host, b.Port = s.opts.NodeID, s.adv.host, s.adv.port
		return []kmsg.MetadataResponseBroker{b}
	}
	var out []kmsg.MetadataResponseBroker
	for _, m := range s.members.Live() {
		b := kmsg.NewMetadataResponseBroker()
		b.NodeID, b.Host, b.Port = m.NodeID, m.Host, m.Port
		if m.Rack != "" {
			b.Rack = &m.Rack
		}
		out = append(out, b)
	}
	return out
}

// nodeID is this broker's node ID.
func (s *Server) nodeID() int32 {
	if s.members != nil {
		return s.members.Self().NodeID
	}
	return s.opts.NodeID
}

// leaderOf names the broker reported as a partition's leader.
func (s *Server) leaderOf(topic metastore.TopicID, partition int32) int32 {
	if s.members == nil {
		return s.opts.NodeID
	}
	return s.members.Leader(topic, partition).NodeID
}
