package broker

// Authorization of every API, as Kafka's KafkaApis checks it, when
// kafka.authorization is configured (with none, every request goes straight
// to its handler). Each hook checks the request's resources before the
// handler runs: a request about one resource (a group's join, heartbeat,
// sync, leave, commit) is answered with the error at once; a request about
// many (topics in Produce, Fetch, Metadata, ...) has the denied ones taken
// out, the handler serves the rest, and the denied ones are put back into
// the response with the API's authorization error:
//
//	Produce            WRITE topic               TOPIC_AUTHORIZATION_FAILED
//	Fetch              READ topic                TOPIC_AUTHORIZATION_FAILED
//	ListOffsets, OffsetForLeaderEpoch
//	                   DESCRIBE topic            TOPIC_AUTHORIZATION_FAILED
//	Metadata           DESCRIBE topic: all-topics requests omit the topic;
//	                   named ones get TOPIC_AUTHORIZATION_FAILED, and so does
//	                   an unknown one the client may not CREATE (auto-create)
//	CreateTopics       CREATE cluster or topic   TOPIC_AUTHORIZATION_FAILED
//	DeleteTopics, DeleteRecords
//	                   DELETE topic              TOPIC_AUTHORIZATION_FAILED
//	CreatePartitions   ALTER topic               TOPIC_AUTHORIZATION_FAILED
//	Describe/AlterConfigs, IncrementalAlterConfigs
//	                   DESCRIBE_CONFIGS / ALTER_CONFIGS on the topic, group
//	                   or (broker) cluster       TOPIC_/GROUP_/CLUSTER_AUTHORIZATION_FAILED
//	FindCoordinator    DESCRIBE group / transactional id
//	                                             GROUP_/TRANSACTIONAL_ID_AUTHORIZATION_FAILED
//	JoinGroup, SyncGroup, Heartbeat, LeaveGroup, ConsumerGroupHeartbeat
//	                   READ group                GROUP_AUTHORIZATION_FAILED
//	OffsetCommit       READ group, READ topic    GROUP_/TOPIC_AUTHORIZATION_FAILED
//	OffsetFetch        DESCRIBE group; topics the client may not DESCRIBE
//	                   are omitted (all) or TOPIC_AUTHORIZATION_FAILED (named)
//	DescribeGroups, ConsumerGroupDescribe
//	                   DESCRIBE group            GROUP_AUTHORIZATION_FAILED
//	ListGroups         DESCRIBE cluster, else only groups the client may DESCRIBE
//	DeleteGroups       DELETE group              GROUP_AUTHORIZATION_FAILED
//	OffsetDelete       DELETE group, READ topic  GROUP_/TOPIC_AUTHORIZATION_FAILED
//	InitProducerId     WRITE transactional id    TRANSACTIONAL_ID_AUTHORIZATION_FAILED
//
// The ACL and SCRAM APIs check the cluster themselves (acls.go, 50, 51).
// Not checked, where Kafka checks: IDEMPOTENT_WRITE for a non-transactional
// InitProducerId (Produce still needs WRITE), and authorized-operations
// bitfields are not filled in.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

type authzHook func(s *Server, c *conn, req kmsg.Request, next func() (reply, error)) (reply, error)

// authzHooks holds the hook of each API that names resources.
var authzHooks = map[int16]authzHook{}

func hook[R kmsg.Request](fn func(s *Server, c *conn, req R, next func() (reply, error)) (reply, error)) {
	var zero R
	authzHooks[zero.Key()] = func(s *Server, c *conn, req kmsg.Request, next func() (reply, error)) (reply, error) {
		return fn(s, c, req.(R), next)
	}
}

// authorizeThen runs the API's hook around its handler (next).
func (s *Server) authorizeThen(c *conn, req kmsg.Request, next func() (reply, error)) (reply, error) {
	if s.sec.authz == nil {
		return next()
	}
	if h := authzHooks[req.Key()]; h != nil {
		return h(s, c, req, next)
	}
	return next()
}

// after runs fn on the handler's response before it is written.
func after(r reply, err error, fn func(kmsg.Response)) (reply, error) {
	if err != nil || r.fn == nil {
		return r, err
	}
	inner := r.fn
	r.fn = func() kmsg.Response {
		resp := inner()
		if resp != nil {
			fn(resp)
		}
		return resp
	}
	return r, nil
}

// split keeps, in order and in items' own array, the items refuse lets
// through, and collects the answers it gives for the others: the handler
// sees only what the principal may touch, and the refusals are appended
// to its response (after).
func split[I, O any](items []I, refuse func(I) (O, bool)) (kept []I, denied []O) {
	kept = items[:0]
	for _, it := range items {
		if o, refused := refuse(it); refused {
			denied = append(denied, o)
			continue
		}
		kept = append(kept, it)
	}
	return kept, denied
}

// topicName names a requested topic; by ID, an unknown ID is left to the
// handler (ok false: not checked here, answered UNKNOWN_TOPIC_ID).
func (s *Server) topicName(name string, id [16]byte, byID bool) (string, bool) {
	if !byID {
		return name, true
	}
	r := s.resolve(context.Background(), name, id, true)
	if !r.ok {
		return "", false
	}
	return r.t.Name, true
}

func (s *Server) topicAllowed(c *conn, op kmsg.ACLOperation, name string) bool {
	return s.allowed(c, op, kmsg.ACLResourceTypeTopic, name)
}

func (s *Server) groupAllowed(c *conn, op kmsg.ACLOperation, name string) bool {
	return s.allowed(c, op, kmsg.ACLResourceTypeGroup, name)
}

var (
	topicDenied = kerr.TopicAuthorizationFailed.Code
	groupDenied = kerr.GroupAuthorizationFailed.Code
)

func init() {
	hook(authzProduce)
	hook(authzFetch)
	hook(authzListOffsets)
	hook(authzMetadata)
	hook(authzOffsetCommit)
	hook(authzOffsetFetch)
	hook(authzFindCoordinator)
	hook(func(s *Server, c *conn, req *kmsg.JoinGroupRequest, next func() (reply, error)) (reply, error) {
		if s.groupAllowed(c, kmsg.ACLOperationRead, req.Group) {
			return next()
		}
		resp := req.ResponseKind().(*kmsg.JoinGroupResponse)
		resp.ErrorCode, resp.Generation = groupDenied, -1
		return now(resp), nil
	})
	hook(func(s *Server, c *conn, req *kmsg.HeartbeatRequest, next func() (reply, error)) (reply, error) {
		if s.groupAllowed(c, kmsg.ACLOperationRead, req.Group) {
			return next()
		}
		resp := req.ResponseKind().(*kmsg.HeartbeatResponse)
		resp.ErrorCode = groupDenied
		return now(resp), nil
	})
	hook(func(s *Server, c *conn, req *kmsg.LeaveGroupRequest, next func() (reply, error)) (reply, error) {
		if s.groupAllowed(c, kmsg.ACLOperationRead, req.Group) {
			return next()
		}
		resp := req.ResponseKind().(*kmsg.LeaveGroupResponse)
		resp.ErrorCode = groupDenied
		return now(resp), nil
	})
	hook(func(s *Server, c *conn, req *kmsg.SyncGroupRequest, next func() (reply, error)) (reply, error) {
		if s.groupAllowed(c, kmsg.ACLOperationRead, req.Group) {
			return next()
		}
		resp := req.ResponseKind().(*kmsg.SyncGroupResponse)
		resp.ErrorCode = groupDenied
		return now(resp), nil
	})
	hook(func(s *Server, c *conn, req *kmsg.ConsumerGroupHeartbeatRequest, next func() (reply, error)) (reply, error) {
		if s.groupAllowed(c, kmsg.ACLOperationRead, req.Group) {
			return next()
		}
		resp := req.ResponseKind().(*kmsg.ConsumerGroupHeartbeatResponse)
		resp.ErrorCode = groupDenied
		return now(resp), nil
	})
	hook(authzDescribeGroups)
	hook(authzListGroups)
	hook(authzCreateTopics)
	hook(authzDeleteTopics)
	hook(authzDeleteRecords)
	hook(authzInitProducerID)
	hook(authzOffsetForLeaderEpoch)
	hook(authzDescribeConfigs)
	hook(authzAlterConfigs)
	hook(authzIncrementalAlterConfigs)
	hook(authzCreatePartitions)
	hook(authzDeleteGroups)
	hook(authzOffsetDelete)
	hook(authzConsumerGroupDescribe)
}

func authzProduce(s *Server, c *conn, req *kmsg.ProduceRequest, next func() (reply, error)) (reply, error) {
	var denied []kmsg.ProduceResponseTopic
	req.Topics, denied = split(req.Topics, func(t kmsg.ProduceRequestTopic) (out kmsg.ProduceResponseTopic, refused bool) {
		name, ok := s.topicName(t.Topic, t.TopicID, req.Version >= 13)
		if !ok || s.topicAllowed(c, kmsg.ACLOperationWrite, name) {
			return out, false
		}
		rt := kmsg.NewProduceResponseTopic()
		rt.Topic, rt.TopicID = t.Topic, t.TopicID
		for _, p := range t.Partitions {
			rp := kmsg.NewProduceResponseTopicPartition()
			rp.Partition, rp.ErrorCode = p.Partition, topicDenied
			rp.BaseOffset, rp.LogAppendTime, rp.LogStartOffset = -1, -1, -1
			rt.Partitions = append(rt.Partitions, rp)
		}
		return rt, true
	})
	r, err := next()
	return after(r, err, func(resp kmsg.Response) {
		p := resp.(*kmsg.ProduceResponse)
		p.Topics = append(p.Topics, denied...)
	})
}

func authzFetch(s *Server, c *conn, req *kmsg.FetchRequest, next func() (reply, error)) (reply, error) {
	var denied []kmsg.FetchResponseTopic
	req.Topics, denied = split(req.Topics, func(t kmsg.FetchRequestTopic) (out kmsg.FetchResponseTopic, refused bool) {
		name, ok := s.topicName(t.Topic, t.TopicID, req.Version >= 13)
		if !ok || s.topicAllowed(c, kmsg.ACLOperationRead, name) {
			return out, false
		}
		rt := kmsg.NewFetchResponseTopic()
		rt.Topic, rt.TopicID = t.Topic, t.TopicID
		for _, p := range t.Partitions {
			rp := kmsg.NewFetchResponseTopicPartition()
			rp.Partition, rp.ErrorCode = p.Partition, topicDenied
			rp.HighWatermark, rp.LastStableOffset, rp.LogStartOffset = -1, -1, -1
			rp.RecordBatches = []byte{}
			rt.Partitions = append(rt.Partitions, rp)
		}
		return rt, true
	})
	r, err := next()
	return after(r, err, func(resp kmsg.Response) {
		f := resp.(*kmsg.FetchResponse)
		f.Topics = append(f.Topics, denied...)
	})
}

func authzListOffsets(s *Server, c *conn, req *kmsg.ListOffsetsRequest, next func() (reply, error)) (reply, error) {
	var denied []kmsg.ListOffsetsResponseTopic
	req.Topics, denied = split(req.Topics, func(t kmsg.ListOffsetsRequestTopic) (out kmsg.ListOffsetsResponseTopic, refused bool) {
		if s.topicAllowed(c, kmsg.ACLOperationDescribe, t.Topic) {
			return out, false
		}
		rt := kmsg.NewListOffsetsResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewListOffsetsResponseTopicPartition()
			rp.Partition, rp.ErrorCode, rp.Timestamp, rp.Offset, rp.LeaderEpoch = p.Partition, topicDenied, -1, -1, -1
			rt.Partitions = append(rt.Partitions, rp)
		}
		return rt, true
	})
	r, err := next()
	return after(r, err, func(resp kmsg.Response) {
		l := resp.(*kmsg.ListOffsetsResponse)
		l.Topics = append(l.Topics, denied...)
	})
}

func authzMetadata(s *Server, c *conn, req *kmsg.MetadataRequest, next func() (reply, error)) (reply, error) {
	if req.Topics == nil {
		r, err := next()
		return after(r, err, func(resp kmsg.Response) {
			m := resp.(*kmsg.MetadataResponse)
			kept := m.Topics[:0]
			for _, t := range m.Topics {
				if t.Topic != nil && s.topicAllowed(c, kmsg.ACLOperationDescribe, *t.Topic) {
					kept = append(kept, t)
				}
			}
			m.Topics = kept
		})
	}
	autoCreate := s.opts.AutoCreateTopics && (req.Version < 4 || req.AllowAutoTopicCreation)
	mayCreate := s.clusterAllowed(c, kmsg.ACLOperationCreate)
	var denied []kmsg.MetadataResponseTopic
	kept := req.Topics[:0]
	for _, t := range req.Topics {
		var name string
		if t.Topic != nil {
			name = *t.Topic
		} else if n, ok := s.topicName("", t.TopicID, true); ok {
			name = n
		} else {
			kept = append(kept, t)
			continue
		}
		ok := s.topicAllowed(c, kmsg.ACLOperationDescribe, name)
		if ok && autoCreate && !mayCreate && !s.topicAllowed(c, kmsg.ACLOperationCreate, name) {
			_, exists, err := s.lookupTopic(context.Background(), name, [16]byte{})
			ok = exists || err != nil
		}
		if ok {
			kept = append(kept, t)
			continue
		}
		rt := kmsg.NewMetadataResponseTopic()
		rt.ErrorCode, rt.Topic, rt.TopicID = topicDenied, &name, t.TopicID
		rt.Partitions = []kmsg.MetadataResponseTopicPartition{}
		denied = append(denied, rt)
	}
	req.Topics = kept
	r, err := next()
	return after(r, err, func(resp kmsg.Response) {
		m := resp.(*kmsg.MetadataResponse)
		m.Topics = append(m.Topics, denied...)
	})
}

func authzOffsetCommit(s *Server, c *conn, req *kmsg.OffsetCommitRequest, next func() (reply, error)) (reply, error) {
	groupOK := s.groupAllowed(c, kmsg.ACLOperationRead, req.Group)
	var denied []kmsg.OffsetCommitResponseTopic
	kept := req.Topics[:0]
	for _, t := range req.Topics {
		code := groupDenied
		if groupOK {
			if s.topicAllowed(c, kmsg.ACLOperationRead, t.Topic) {
				kept = append(kept, t)
				continue
			}
			code = topicDenied
		}
		rt := kmsg.NewOffsetCommitResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewOffsetCommitResponseTopicPartition()
			rp.Partition, rp.ErrorCode = p.Partition, code
			rt.Partitions = append(rt.Partitions, rp)
		}
		denied = append(denied, rt)
	}
	req.Topics = kept
	if !groupOK {
		resp := req.ResponseKind().(*kmsg.OffsetCommitResponse)
		resp.Topics = denied
		return now(resp), nil
	}
	r, err := next()
	return after(r, err, func(resp kmsg.Response) {
		o := resp.(*kmsg.OffsetCommitResponse)
		o.Topics = append(o.Topics, denied...)
	})
}

func authzOffsetFetch(s *Server, c *conn, req *kmsg.OffsetFetchRequest, next func() (reply, error)) (reply, error) {
	if req.Version < 8 {
		if !s.groupAllowed(c, kmsg.ACLOperationDescribe, req.Group) {
			resp := req.ResponseKind().(*kmsg.OffsetFetchResponse)
			resp.ErrorCode = groupDenied
			return now(resp), nil
		}
		named := req.Topics != nil
		r, err := next()
		return after(r, err, func(resp kmsg.Response) {
			o := resp.(*kmsg.OffsetFetchResponse)
			kept := o.Topics[:0]
			for _, t := range o.Topics {
				if !s.topicAllowed(c, kmsg.ACLOperationDescribe, t.Topic) {
					if !named {
						continue
					}
					for i := range t.Partitions {
						p := &t.Partitions[i]
						p.ErrorCode, p.Offset, p.LeaderEpoch, p.Metadata = topicDenied, -1, -1, nil
					}
				}
				kept = append(kept, t)
			}
			o.Topics = kept
		})
	}
	var denied []kmsg.OffsetFetchResponseGroup
	named := map[string]bool{}
	kept := req.Groups[:0]
	for _, g := range req.Groups {
		if s.groupAllowed(c, kmsg.ACLOperationDescribe, g.Group) {
			kept = append(kept, g)
			named[g.Group] = g.Topics != nil
			continue
		}
		rg := kmsg.NewOffsetFetchResponseGroup()
		rg.Group, rg.ErrorCode = g.Group, groupDenied
		denied = append(denied, rg)
	}
	req.Groups = kept
	r, err := next()
	return after(r, err, func(resp kmsg.Response) {
		o := resp.(*kmsg.OffsetFetchResponse)
		for gi := range o.Groups {
			g := &o.Groups[gi]
			kt := g.Topics[:0]
			for _, t := range g.Topics {
				if !s.topicAllowed(c, kmsg.ACLOperationDescribe, t.Topic) {
					if !named[g.Group] {
						continue
					}
					for i := range t.Partitions {
						p := &t.Partitions[i]
						p.ErrorCode, p.Offset, p.LeaderEpoch, p.Metadata = topicDenied, -1, -1, nil
					}
				}
				kt = append(kt, t)
			}
			g.Topics = kt
		}
		o.Groups = append(o.Groups, denied...)
	})
}

func authzFindCoordinator(s *Server, c *conn, req *kmsg.FindCoordinatorRequest, next func() (reply, error)) (reply, error) {
	code := groupDenied
	allowed := func(key string) bool { return s.groupAllowed(c, kmsg.ACLOperationDescribe, key) }
	if req.CoordinatorType == 1 {
		code = kerr.TransactionalIDAuthorizationFailed.Code
		allowed = func(key string) bool {
			return s.allowed(c, kmsg.ACLOperationDescribe, kmsg.ACLResourceTypeTransactionalId, key)
		}
	}
	if req.Version < 4 {
		if allowed(req.CoordinatorKey) {
			return next()
		}
		resp := req.ResponseKind().(*kmsg.FindCoordinatorResponse)
		resp.ErrorCode, resp.NodeID, resp.Port = code, -1, -1
		return now(resp), nil
	}
	var denied []kmsg.FindCoordinatorResponseCoordinator
	req.CoordinatorKeys, denied = split(req.CoordinatorKeys, func(k string) (out kmsg.FindCoordinatorResponseCoordinator, refused bool) {
		if allowed(k) {
			return out, false
		}
		rc := kmsg.NewFindCoordinatorResponseCoordinator()
		rc.Key, rc.ErrorCode, rc.NodeID, rc.Port = k, code, -1, -1
		return rc, true
	})
	r, err := next()
	return after(r, err, func(resp kmsg.Response) {
		f := resp.(*kmsg.FindCoordinatorResponse)
		f.Coordinators = append(f.Coordinators, denied...)
	})
}

func authzDescribeGroups(s *Server, c *conn, req *kmsg.DescribeGroupsRequest, next func() (reply, error)) (reply, error) {
	var denied []kmsg.DescribeGroupsResponseGroup
	req.Groups, denied = split(req.Groups, func(g string) (out kmsg.DescribeGroupsResponseGroup, refused bool) {
		if s.groupAllowed(c, kmsg.ACLOperationDescribe, g) {
			return out, false
		}
		rg := kmsg.NewDescribeGroupsResponseGroup()
		rg.Group, rg.ErrorCode = g, groupDenied
		return rg, true
	})
	r, err := next()
	return after(r, err, func(resp kmsg.Response) {
		d := resp.(*kmsg.DescribeGroupsResponse)
		d.Groups = append(d.Groups, denied...)
	})
}

func authzListGroups(s *Server, c *conn, req *kmsg.ListGroupsRequest, next func() (reply, error)) (reply, error) {
	if s.clusterAllowed(c, kmsg.ACLOperationDescribe) {
		return next()
	}
	r, err := next()
	return after(r, err, func(resp kmsg.Response) {
		l := resp.(*kmsg.ListGroupsResponse)
		kept := l.Groups[:0]
		for _, g := range l.Groups {
			if s.groupAllowed(c, kmsg.ACLOperationDescribe, g.Group) {
				kept = append(kept, g)
			}
		}
		l.Groups = kept
	})
}

func authzCreateTopics(s *Server, c *conn, req *kmsg.CreateTopicsRequest, next func() (reply, error)) (reply, error) {
	if s.clusterAllowed(c, kmsg.ACLOperationCreate) {
		return next()
	}
	var denied []kmsg.CreateTopicsResponseTopic
	req.Topics, denied = split(req.Topics, func(t kmsg.CreateTopicsRequestTopic) (out kmsg.CreateTopicsResponseTopic, refused bool) {
		if s.topicAllowed(c, kmsg.ACLOperationCreate, t.Topic) {
			return out, false
		}
		rt := kmsg.NewCreateTopicsResponseTopic()
		rt.Topic, rt.ErrorCode, rt.NumPartitions, rt.ReplicationFactor = t.Topic, topicDenied, -1, -1
		return rt, true
	})
	r, err := next()
	return after(r, err, func(resp kmsg.Response) {
		ct := resp.(*kmsg.CreateTopicsResponse)
		ct.Topics = append(ct.Topics, denied...)
	})
}

func authzDeleteTopics(s *Server, c *conn, req *kmsg.DeleteTopicsRequest, next func() (reply, error)) (reply, error) {
	var denied []kmsg.DeleteTopicsResponseTopic
	deny := func(name string, id [16]byte) {
		rt := kmsg.NewDeleteTopicsResponseTopic()
		rt.Topic, rt.TopicID, rt.ErrorCode = &name, id, topicDenied
		denied = append(denied, rt)
	}
	if req.Version < 6 {
		kept := req.TopicNames[:0]
		for _, n := range req.TopicNames {
			if s.topicAllowed(c, kmsg.ACLOperationDelete, n) {
				kept = append(kept, n)
			} else {
				deny(n, [16]byte{})
			}
		}
		req.TopicNames = kept
	} else {
		kept := req.Topics[:0]
		for _, t := range req.Topics {
			name, ok := "", false
			if t.Topic != nil {
				name, ok = *t.Topic, true
			} else {
				name, ok = s.topicName("", t.TopicID, true)
			}
			if !ok || s.topicAllowed(c, kmsg.ACLOperationDelete, name) {
				kept = append(kept, t)
			} else {
				deny(name, t.TopicID)
			}
		}
		req.Topics = kept
	}
	r, err := next()
	return after(r, err, func(resp kmsg.Response) {
		d := resp.(*kmsg.DeleteTopicsResponse)
		d.Topics = append(d.Topics, denied...)
	})
}

func authzDeleteRecords(s *Server, c *conn, req *kmsg.DeleteRecordsRequest, next func() (reply, error)) (reply, error) {
	var denied []kmsg.DeleteRecordsResponseTopic
	req.Topics, denied = split(req.Topics, func(t kmsg.DeleteRecordsRequestTopic) (out kmsg.DeleteRecordsResponseTopic, refused bool) {
		if s.topicAllowed(c, kmsg.ACLOperationDelete, t.Topic) {
			return out, false
		}
		rt := kmsg.NewDeleteRecordsResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewDeleteRecordsResponseTopicPartition()
			rp.Partition, rp.ErrorCode, rp.LowWatermark = p.Partition, topicDenied, -1
			rt.Partitions = append(rt.Partitions, rp)
		}
		return rt, true
	})
	r, err := next()
	return after(r, err, func(resp kmsg.Response) {
		d := resp.(*kmsg.DeleteRecordsResponse)
		d.Topics = append(d.Topics, denied...)
	})
}

func authzInitProducerID(s *Server, c *conn, req *kmsg.InitProducerIDRequest, next func() (reply, error)) (reply, error) {
	if req.TransactionalID == nil || s.allowed(c, kmsg.ACLOperationWrite, kmsg.ACLResourceTypeTransactionalId, *req.TransactionalID) {
		return next()
	}
	resp := req.ResponseKind().(*kmsg.InitProducerIDResponse)
	resp.ErrorCode, resp.ProducerID, resp.ProducerEpoch = kerr.TransactionalIDAuthorizationFailed.Code, -1, -1
	return now(resp), nil
}

func authzOffsetForLeaderEpoch(s *Server, c *conn, req *kmsg.OffsetForLeaderEpochRequest, next func() (reply, error)) (reply, error) {
	var denied []kmsg.OffsetForLeaderEpochResponseTopic
	req.Topics, denied = split(req.Topics, func(t kmsg.OffsetForLeaderEpochRequestTopic) (out kmsg.OffsetForLeaderEpochResponseTopic, refused bool) {
		if s.topicAllowed(c, kmsg.ACLOperationDescribe, t.Topic) {
			return out, false
		}
		rt := kmsg.NewOffsetForLeaderEpochResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewOffsetForLeaderEpochResponseTopicPartition()
			rp.Partition, rp.ErrorCode, rp.LeaderEpoch, rp.EndOffset = p.Partition, topicDenied, -1, -1
			rt.Partitions = append(rt.Partitions, rp)
		}
		return rt, true
	})
	r, err := next()
	return after(r, err, func(resp kmsg.Response) {
		o := resp.(*kmsg.OffsetForLeaderEpochResponse)
		o.Topics = append(o.Topics, denied...)
	})
}

// configAllowed checks op on a config resource; it returns the error code
// of a refusal, 0 when allowed (an unknown resource type is left to the
// handler).
func (s *Server) configAllowed(c *conn, op kmsg.ACLOperation, rt kmsg.ConfigResourceType, name string) int16 {
	switch rt {
	case kmsg.ConfigResourceTypeTopic:
		if !s.topicAllowed(c, op, name) {
			return topicDenied
		}
	case kmsg.ConfigResourceTypeBroker, kmsg.ConfigResourceTypeBrokerLogger:
		if !s.clusterAllowed(c, op) {
			return kerr.ClusterAuthorizationFailed.Code
		}
	case kmsg.ConfigResourceTypeGroupConfig:
		if !s.groupAllowed(c, op, name) {
			return groupDenied
		}
	}
	return 0
}

func authzDescribeConfigs(s *Server, c *conn, req *kmsg.DescribeConfigsRequest, next func() (reply, error)) (reply, error) {
	var denied []kmsg.DescribeConfigsResponseResource
	req.Resources, denied = split(req.Resources, func(r kmsg.DescribeConfigsRequestResource) (out kmsg.DescribeConfigsResponseResource, refused bool) {
		code := s.configAllowed(c, kmsg.ACLOperationDescribeConfigs, r.ResourceType, r.ResourceName)
		if code == 0 {
			return out, false
		}
		rr := kmsg.NewDescribeConfigsResponseResource()
		rr.ResourceType, rr.ResourceName, rr.ErrorCode = r.ResourceType, r.ResourceName, code
		return rr, true
	})
	r, err := next()
	return after(r, err, func(resp kmsg.Response) {
		d := resp.(*kmsg.DescribeConfigsResponse)
		d.Resources = append(d.Resources, denied...)
	})
}

func authzAlterConfigs(s *Server, c *conn, req *kmsg.AlterConfigsRequest, next func() (reply, error)) (reply, error) {
	var denied []kmsg.AlterConfigsResponseResource
	req.Resources, denied = split(req.Resources, func(r kmsg.AlterConfigsRequestResource) (out kmsg.AlterConfigsResponseResource, refused bool) {
		code := s.configAllowed(c, kmsg.ACLOperationAlterConfigs, r.ResourceType, r.ResourceName)
		if code == 0 {
			return out, false
		}
		rr := kmsg.NewAlterConfigsResponseResource()
		rr.ResourceType, rr.ResourceName, rr.ErrorCode = r.ResourceType, r.ResourceName, code
		return rr, true
	})
	r, err := next()
	return after(r, err, func(resp kmsg.Response) {
		d := resp.(*kmsg.AlterConfigsResponse)
		d.Resources = append(d.Resources, denied...)
	})
}

func authzIncrementalAlterConfigs(s *Server, c *conn, req *kmsg.IncrementalAlterConfigsRequest, next func() (reply, error)) (reply, error) {
	var denied []kmsg.IncrementalAlterConfigsResponseResource
	req.Resources, denied = split(req.Resources, func(r kmsg.IncrementalAlterConfigsRequestResource) (out kmsg.IncrementalAlterConfigsResponseResource, refused bool) {
		code := s.configAllowed(c, kmsg.ACLOperationAlterConfigs, r.ResourceType, r.ResourceName)
		if code == 0 {
			return out, false
		}
		rr := kmsg.NewIncrementalAlterConfigsResponseResource()
		rr.ResourceType, rr.ResourceName, rr.ErrorCode = r.ResourceType, r.ResourceName, code
		return rr, true
	})
	r, err := next()
	return after(r, err, func(resp kmsg.Response) {
		d := resp.(*kmsg.IncrementalAlterConfigsResponse)
		d.Resources = append(d.Resources, denied...)
	})
}

func authzCreatePartitions(s *Server, c *conn, req *kmsg.CreatePartitionsRequest, next func() (reply, error)) (reply, error) {
	var denied []kmsg.CreatePartitionsResponseTopic
	req.Topics, denied = split(req.Topics, func(t kmsg.CreatePartitionsRequestTopic) (out kmsg.CreatePartitionsResponseTopic, refused bool) {
		if s.topicAllowed(c, kmsg.ACLOperationAlter, t.Topic) {
			return out, false
		}
		rt := kmsg.NewCreatePartitionsResponseTopic()
		rt.Topic, rt.ErrorCode = t.Topic, topicDenied
		return rt, true
	})
	r, err := next()
	return after(r, err, func(resp kmsg.Response) {
		cp := resp.(*kmsg.CreatePartitionsResponse)
		cp.Topics = append(cp.Topics, denied...)
	})
}

func authzDeleteGroups(s *Server, c *conn, req *kmsg.DeleteGroupsRequest, next func() (reply, error)) (reply, error) {
	var denied []kmsg.DeleteGroupsResponseGroup
	req.Groups, denied = split(req.Groups, func(g string) (out kmsg.DeleteGroupsResponseGroup, refused bool) {
		if s.groupAllowed(c, kmsg.ACLOperationDelete, g) {
			return out, false
		}
		rg := kmsg.NewDeleteGroupsResponseGroup()
		rg.Group, rg.ErrorCode = g, groupDenied
		return rg, true
	})
	r, err := next()
	return after(r, err, func(resp kmsg.Response) {
		d := resp.(*kmsg.DeleteGroupsResponse)
		d.Groups = append(d.Groups, denied...)
	})
}

func authzOffsetDelete(s *Server, c *conn, req *kmsg.OffsetDeleteRequest, next func() (reply, error)) (reply, error) {
	if !s.groupAllowed(c, kmsg.ACLOperationDelete, req.Group) {
		resp := req.ResponseKind().(*kmsg.OffsetDeleteResponse)
		resp.ErrorCode = groupDenied
		return now(resp), nil
	}
	var denied []kmsg.OffsetDeleteResponseTopic
	req.Topics, denied = split(req.Topics, func(t kmsg.OffsetDeleteRequestTopic) (out kmsg.OffsetDeleteResponseTopic, refused bool) {
		if s.topicAllowed(c, kmsg.ACLOperationRead, t.Topic) {
			return out, false
		}
		rt := kmsg.NewOffsetDeleteResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewOffsetDeleteResponseTopicPartition()
			rp.Partition, rp.ErrorCode = p.Partition, topicDenied
			rt.Partitions = append(rt.Partitions, rp)
		}
		return rt, true
	})
	r, err := next()
	return after(r, err, func(resp kmsg.Response) {
		o := resp.(*kmsg.OffsetDeleteResponse)
		o.Topics = append(o.Topics, denied...)
	})
}

func authzConsumerGroupDescribe(s *Server, c *conn, req *kmsg.ConsumerGroupDescribeRequest, next func() (reply, error)) (reply, error) {
	var denied []kmsg.ConsumerGroupDescribeResponseGroup
	req.Groups, denied = split(req.Groups, func(g string) (out kmsg.ConsumerGroupDescribeResponseGroup, refused bool) {
		if s.groupAllowed(c, kmsg.ACLOperationDescribe, g) {
			return out, false
		}
		rg := kmsg.NewConsumerGroupDescribeResponseGroup()
		rg.Group, rg.ErrorCode = g, groupDenied
		return rg, true
	})
	r, err := next()
	return after(r, err, func(resp kmsg.Response) {
		d := resp.(*kmsg.ConsumerGroupDescribeResponse)
		d.Groups = append(d.Groups, denied...)
	})
}
