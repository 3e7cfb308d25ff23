package broker

// IncrementalAlterConfigs, versions 0-1 (KIP-339): SET and DELETE per key;
// APPEND and SUBTRACT on list configs (cleanup.policy). Topics and, with
// SET and DELETE, groups (type 32, groupconfig.go). Validated before
// anything is stored; ValidateOnly stores nothing.

import (
	"context"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/topicconfig"
)

func init() { register(0, 1, handleIncrementalAlterConfigs) }

func handleIncrementalAlterConfigs(s *Server, c *conn, req *kmsg.IncrementalAlterConfigsRequest) (reply, error) {
	ctx, cancel := s.requestContext()
	defer cancel()
	resp := req.ResponseKind().(*kmsg.IncrementalAlterConfigsResponse)
	for _, rr := range req.Resources {
		out := kmsg.NewIncrementalAlterConfigsResponseResource()
		out.ResourceType, out.ResourceName = rr.ResourceType, rr.ResourceName
		code, msg := s.incrementalAlter(ctx, rr, req.ValidateOnly)
		if code != nil {
			out.ErrorCode, out.ErrorMessage = code.Code, strp(msg)
		}
		resp.Resources = append(resp.Resources, out)
	}
	return now(resp), nil
}

func (s *Server) incrementalAlter(ctx context.Context, rr kmsg.IncrementalAlterConfigsRequestResource, validateOnly bool) (*kerr.Error, string) {
	if rr.ResourceType == kmsg.ConfigResourceTypeGroupConfig {
		return s.alterGroupConfigs(ctx, rr, validateOnly)
	}
	if rr.ResourceType != kmsg.ConfigResourceTypeTopic {
		return kerr.InvalidRequest, "only topic and group configs can be altered"
	}
	var current map[string]string
	if t, ok, err := s.topics.lookup(ctx, rr.ResourceName, metastore.TopicID{}); err == nil && ok {
		current = t.Configs
	}
	set := map[string]*string{}
	for _, c := range rr.Configs {
		switch c.Op {
		case kmsg.IncrementalAlterConfigOpSet:
			set[c.Name] = c.Value
			if c.Value == nil {
				return kerr.InvalidConfig, "config " + c.Name + ": null value for SET"
			}
		case kmsg.IncrementalAlterConfigOpDelete:
			set[c.Name] = nil
		case kmsg.IncrementalAlterConfigOpAppend, kmsg.IncrementalAlterConfigOpSubtract:
			if k, _ := topicconfig.Lookup(c.Name); k.Type != kmsg.ConfigTypeList || c.Value == nil {
				return kerr.InvalidConfig, "config " + c.Name + " is not a list"
			}
			set[c.Name] = strp(editList(listValue(current, c.Name), *c.Value, c.Op == kmsg.IncrementalAlterConfigOpAppend))
		default:
			return kerr.InvalidRequest, "unknown config operation"
		}
	}
	return s.alterTopicConfigs(ctx, rr.ResourceType, rr.ResourceName, set, false, validateOnly)
}

func listValue(cfg map[string]string, name string) string {
	if v, ok := cfg[name]; ok {
		return v
	}
	k, _ := topicconfig.Lookup(name)
	return k.Default
}

// editList appends or removes the comma-separated items of change.
func editList(cur, change string, add bool) string {
	var out []string
	has := map[string]bool{}
	for _, v := range strings.Split(cur, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out, has[v] = append(out, v), true
		}
	}
	for _, v := range strings.Split(change, ",") {
		v = strings.TrimSpace(v)
		switch {
		case v == "":
		case add && !has[v]:
			out, has[v] = append(out, v), true
		case !add && has[v]:
			for i := range out {
				if out[i] == v {
					out = append(out[:i], out[i+1:]...)
					break
				}
			}
			delete(has, v)
		}
	}
	return strings.Join(out, ",")
}
