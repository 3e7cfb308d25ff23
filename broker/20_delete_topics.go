package broker

// DeleteTopics, versions 1-6 (v6 names topics by name or by ID, KIP-516).
//
// Deleting removes the topic and its index at once; the objects that held
// its data become unreferenced and housekeeping deletes them.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/internal/metastore"
)

func init() { register(1, 6, handleDeleteTopics) }

func handleDeleteTopics(s *Server, c *conn, req *kmsg.DeleteTopicsRequest) (reply, error) {
	ctx, cancel := s.requestContextWithin(req.TimeoutMillis)
	defer cancel()
	resp := req.ResponseKind().(*kmsg.DeleteTopicsResponse)
	targets := req.Topics
	for _, name := range req.TopicNames { // v0-v5
		n := name
		targets = append(targets, kmsg.DeleteTopicsRequestTopic{Topic: &n})
	}
	for _, rt := range targets {
		resp.Topics = append(resp.Topics, s.deleteOneTopic(ctx, rt))
	}
	return now(resp), nil
}

func (s *Server) deleteOneTopic(ctx context.Context, rt kmsg.DeleteTopicsRequestTopic) kmsg.DeleteTopicsResponseTopic {
	out := kmsg.NewDeleteTopicsResponseTopic()
	out.Topic, out.TopicID = rt.Topic, rt.TopicID
	name := ""
	if rt.Topic != nil {
		name = *rt.Topic
	}
	t, ok, err := s.lookupTopic(ctx, name, metastore.TopicID(rt.TopicID))
	switch {
	case err != nil:
		out.ErrorCode = storeErrCode(err)
		return out
	case !ok && name == "":
		out.ErrorCode = kerr.UnknownTopicID.Code
		return out
	case !ok:
		out.ErrorCode = kerr.UnknownTopicOrPartition.Code
		return out
	case isInternal(t):
		out.Topic, out.TopicID = strp(t.Name), t.ID
		out.ErrorCode, out.ErrorMessage = kerr.InvalidRequest.Code, strp("internal topic "+t.Name+" cannot be deleted")
		return out
	}
	out.Topic, out.TopicID = strp(t.Name), t.ID
	if _, err := s.meta.DeleteTopic(ctx, t.Name); err != nil {
		out.ErrorCode = storeErrCode(err)
		out.ErrorMessage = strp(err.Error())
	} else {
		s.log.Info("deleted topic", "topic", t.Name)
	}
	s.topics.invalidate()
	return out
}
