package broker

// AlterConfigs, versions 0-2: replace a topic's whole config set (keys not
// named return to their defaults), as Kafka's legacy AlterConfigs does.
// Every value, then the whole set the change leaves (topicconfig.Options
// Check: an Iceberg catalog the node knows, a table for ICEBERG), is
// validated before anything is stored; ValidateOnly stores nothing.
// Broker configs are static here: INVALID_REQUEST.

import (
	"context"
	"fmt"
	"maps"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/topicconfig"
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
// Each value is checked, then the whole set the change leaves (so an
// Iceberg catalog or table is refused here, not found by ingest later).
func (s *Server) alterTopicConfigs(ctx context.Context, typ kmsg.ConfigResourceType, name string, set map[string]*string, replace, validateOnly bool) (*kerr.Error, string) {
	if typ != kmsg.ConfigResourceTypeTopic {
		return kerr.InvalidRequest, "only topic configs can be altered"
	}
	for k, v := range set {
		if err := checkChange(k, v, replace); err != nil {
			return kerr.InvalidConfig, err.Error()
		}
	}
	t, ok, err := s.lookupTopic(ctx, name, [16]byte{})
	if err != nil {
		return kerr.ErrorForCode(storeErrCode(err)).(*kerr.Error), err.Error()
	} else if ok && isInternal(t) {
		return kerr.InvalidRequest, "internal topic " + name + " cannot be altered"
	} else if !ok {
		return kerr.UnknownTopicOrPartition, "topic '" + name + "' does not exist"
	}
	if err := s.opts.TopicConfig.Check(alteredConfigs(t.Configs, set, replace)); err != nil {
		return kerr.InvalidConfig, err.Error()
	}
	if validateOnly {
		return nil, ""
	}
	_, err = s.meta.AlterTopicConfigs(ctx, name, set, replace)
	s.topics.invalidate()
	if err != nil {
		return kerr.ErrorForCode(storeErrCode(err)).(*kerr.Error), err.Error()
	}
	return nil, ""
}

// checkChange checks one key of a change: a value, or a deletion (nil),
// of which a Kafka key may only be deleted incrementally.
func checkChange(name string, v *string, replace bool) error {
	switch {
	case v != nil:
		return topicconfig.Validate(name, *v)
	case replace && !topicconfig.IsBufstream(name):
		return fmt.Errorf("config %s: null value", name)
	}
	if _, known := topicconfig.Lookup(name); !known && !topicconfig.IsBufstream(name) {
		return fmt.Errorf("unknown topic config name: %s", name)
	}
	return nil
}

// alteredConfigs is the config set a change leaves: set alone with
// replace, else cur with set applied (nil deletes).
func alteredConfigs(cur map[string]string, set map[string]*string, replace bool) map[string]string {
	out := map[string]string{}
	if !replace {
		maps.Copy(out, cur)
	}
	for k, v := range set {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = *v
		}
	}
	return out
}
