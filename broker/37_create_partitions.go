package broker

// CreatePartitions, versions 0-3: raise a topic's partition count. Manual
// assignments are refused (the object store holds the replicas);
// ValidateOnly checks and changes nothing.

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/internal/metastore"
)

func init() { register(0, 3, handleCreatePartitions) }

func handleCreatePartitions(s *Server, c *conn, req *kmsg.CreatePartitionsRequest) (reply, error) {
	ctx, cancel := s.requestContextWithin(req.TimeoutMillis)
	defer cancel()
	resp := req.ResponseKind().(*kmsg.CreatePartitionsResponse)
	for _, rt := range req.Topics {
		out := kmsg.NewCreatePartitionsResponseTopic()
		out.Topic = rt.Topic
		code, msg := s.createPartitions(ctx, rt, req.ValidateOnly)
		if code != nil {
			out.ErrorCode, out.ErrorMessage = code.Code, strp(msg)
		}
		resp.Topics = append(resp.Topics, out)
	}
	return now(resp), nil
}

func (s *Server) createPartitions(ctx context.Context, rt kmsg.CreatePartitionsRequestTopic, validateOnly bool) (*kerr.Error, string) {
	t, ok, err := s.lookupTopic(ctx, rt.Topic, metastore.TopicID{})
	switch {
	case err != nil:
		return kerr.ErrorForCode(storeErrCode(err)).(*kerr.Error), err.Error()
	case !ok:
		return kerr.UnknownTopicOrPartition, "topic '" + rt.Topic + "' does not exist"
	case isInternal(t):
		return kerr.InvalidRequest, "internal topic " + rt.Topic + " cannot be changed"
	case len(rt.Assignment) > 0:
		return kerr.InvalidRequest, "manual replica assignment is not supported"
	case rt.Count <= t.Partitions:
		return kerr.InvalidPartitions, fmt.Sprintf("topic currently has %d partitions, %d would not be an increase", t.Partitions, rt.Count)
	case rt.Count > maxPartitions:
		return kerr.InvalidPartitions, "number of partitions must be at most 10000"
	case validateOnly:
		return nil, ""
	}
	_, err = s.meta.CreatePartitions(ctx, rt.Topic, rt.Count)
	s.topics.invalidate()
	if err != nil {
		return kerr.ErrorForCode(storeErrCode(err)).(*kerr.Error), err.Error()
	}
	return nil, ""
}
