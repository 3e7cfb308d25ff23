package broker

// CreateTopics, versions 2-7.
//
// NumPartitions -1 takes the broker default (KIP-464). ReplicationFactor -1
// or any positive value is accepted: durability comes from the object
// store, and the topic is reported with replication factor 1 (this broker
// as the single replica), which is what Metadata shows. Manual replica
// assignments are refused with INVALID_REQUEST. ValidateOnly checks
// everything and creates nothing. Configs are validated like AlterConfigs.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/topicconfig"
)

func init() { register(2, 7, handleCreateTopics) }

func handleCreateTopics(s *Server, c *conn, req *kmsg.CreateTopicsRequest) (reply, error) {
	ctx, cancel := s.requestContextWithin(req.TimeoutMillis)
	defer cancel()
	resp := req.ResponseKind().(*kmsg.CreateTopicsResponse)
	seen := map[string]int{}
	for _, rt := range req.Topics {
		seen[rt.Topic]++
	}
	for _, rt := range req.Topics {
		st := s.createOneTopic(ctx, rt, req.ValidateOnly, seen[rt.Topic] > 1)
		resp.Topics = append(resp.Topics, st)
	}
	return now(resp), nil
}

func (s *Server) createOneTopic(ctx context.Context, rt kmsg.CreateTopicsRequestTopic, validateOnly, duplicate bool) kmsg.CreateTopicsResponseTopic {
	out := kmsg.NewCreateTopicsResponseTopic()
	out.Topic = rt.Topic
	fail := func(e *kerr.Error, msg string) kmsg.CreateTopicsResponseTopic {
		out.ErrorCode, out.ErrorMessage = e.Code, strp(msg)
		out.NumPartitions, out.ReplicationFactor = -1, -1
		return out
	}
	spec, code, msg := s.topicSpec(rt)
	switch {
	case duplicate:
		return fail(kerr.InvalidRequest, "topic named more than once in the request")
	case code != nil:
		return fail(code, msg)
	}
	out.NumPartitions, out.ReplicationFactor = spec.Partitions, 1
	if validateOnly {
		if _, ok, _ := s.lookupTopic(ctx, rt.Topic, metastore.TopicID{}); ok {
			return fail(kerr.TopicAlreadyExists, "topic '"+rt.Topic+"' already exists")
		}
		out.Configs = createdConfigs(spec.Configs)
		return out
	}
	t, err := s.createTopic(ctx, spec)
	if err != nil {
		if isExists(err) {
			return fail(kerr.TopicAlreadyExists, "topic '"+rt.Topic+"' already exists")
		}
		return fail(kerr.ErrorForCode(storeErrCode(err)).(*kerr.Error), err.Error())
	}
	out.TopicID = t.ID
	out.Configs = createdConfigs(t.Configs)
	s.log.Info("created topic", "topic", t.Name, "partitions", t.Partitions)
	return out
}

// topicSpec validates a CreateTopics entry into a spec, or says why not.
func (s *Server) topicSpec(rt kmsg.CreateTopicsRequestTopic) (metastore.TopicSpec, *kerr.Error, string) {
	spec := metastore.TopicSpec{Name: rt.Topic, Partitions: rt.NumPartitions, Configs: map[string]string{}}
	if err := validTopicName(rt.Topic); err != nil {
		return spec, kerr.InvalidTopicException, err.Error()
	}
	if len(rt.ReplicaAssignment) > 0 {
		return spec, kerr.InvalidRequest, "manual replica assignment is not supported: the object store holds the replicas"
	}
	if spec.Partitions == -1 {
		spec.Partitions = s.opts.DefaultPartitions
	}
	if spec.Partitions < 1 || spec.Partitions > maxPartitions {
		return spec, kerr.InvalidPartitions, "number of partitions must be between 1 and 10000"
	}
	if rt.ReplicationFactor == 0 || rt.ReplicationFactor < -1 {
		return spec, kerr.InvalidReplicationFactor, "replication factor must be -1 or at least 1"
	}
	for _, c := range rt.Configs {
		if c.Value == nil {
			return spec, kerr.InvalidConfig, "config " + c.Name + ": null value"
		}
		spec.Configs[c.Name] = *c.Value
	}
	if err := s.opts.TopicConfig.Check(spec.Configs); err != nil {
		return spec, kerr.InvalidConfig, err.Error()
	}
	return spec, nil, ""
}

// createdConfigs lists a new topic's effective configs (v5+ responses).
func createdConfigs(stored map[string]string) []kmsg.CreateTopicsResponseTopicConfig {
	var out []kmsg.CreateTopicsResponseTopicConfig
	for _, name := range topicconfig.Described(stored) {
		c := kmsg.NewCreateTopicsResponseTopicConfig()
		c.Name = name
		v, set := stored[name]
		if !set {
			k, _ := topicconfig.Lookup(name)
			v = k.Default
			c.Source = int8(kmsg.ConfigSourceDefaultConfig)
		} else {
			c.Source = int8(kmsg.ConfigSourceDynamicTopicConfig)
		}
		c.Value = strp(v)
		out = append(out, c)
	}
	return out
}
