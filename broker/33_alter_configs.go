package broker

// AlterConfigs, versions 0-2: replace a topic's whole config set (keys not
// named return to their defaults), as Kafka's legacy AlterConfigs does.
// Every value is validated before anything is stored; ValidateOnly stores
// nothing. Broker configs are static here: INVALID_REQUEST.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() { register(0, 2, handleAlterConfigs) }

func handleAlterConfigs(s *Server, c *conn, req *kmsg.AlterConfigsRequest) (reply, error) {
	ctx, cancel := s.requestContext()
	defer cancel()
	resp := req.ResponseKind().(*kmsg.AlterConfigsResponse)
	for _, rr := range req.Resources {
		out := kmsg.NewAlterConfigsResponseResource()
		out.ResourceType, out.ResourceName = rr.ResourceType, rr.ResourceName
		set := map[string]*string{}
		for _, c := range rr.Configs {
			set[c.Name] = c.Value
		}
		code, msg := s.alterTopicConfigs(ctx, rr.ResourceType, rr.ResourceName, set, true, req.ValidateOnly)
		if code != nil {
			out.ErrorCode, out.ErrorMessage = code.Code, strp(msg)
		}
		resp.Resources = append(resp.Resources, out)
	}
	return now(resp), nil
}

// alterTopicConfigs validates then stores a config change on one topic.
// With replace, set becomes the whole config; otherwise nil values delete.
func (s *Server) alterTopicConfigs(ctx context.Context, typ kmsg.ConfigResourceType, name string, set map[string]*string, replace, validateOnly bool) (*kerr.Error, string) {
	if typ != kmsg.ConfigResourceTypeTopic {
		return kerr.InvalidRequest, "only topic configs can be altered"
	}
	for k, v := range set {
		if v == nil && !replace {
			if _, known := topicConfigDefs[k]; !known && !isBufstreamKey(k) {
				return kerr.InvalidConfig, "unknown topic config name: " + k
			}
			continue
		}
		if err := validateTopicConfig(k, v); err != nil {
			return kerr.InvalidConfig, err.Error()
		}
	}
	if t, ok, err := s.lookupTopic(ctx, name, [16]byte{}); err != nil {
		return kerr.ErrorForCode(storeErrCode(err)).(*kerr.Error), err.Error()
	} else if ok && isInternal(t) {
		return kerr.InvalidRequest, "internal topic " + name + " cannot be altered"
	} else if !ok {
		return kerr.UnknownTopicOrPartition, "topic '" + name + "' does not exist"
	}
	if validateOnly {
		return nil, ""
	}
	_, err := s.meta.AlterTopicConfigs(ctx, name, set, replace)
	s.topics.invalidate()
	if err != nil {
		return kerr.ErrorForCode(storeErrCode(err)).(*kerr.Error), err.Error()
	}
	return nil, ""
}

func isBufstreamKey(k string) bool {
	return len(k) > len(bufstreamPrefix) && k[:len(bufstreamPrefix)] == bufstreamPrefix
}
