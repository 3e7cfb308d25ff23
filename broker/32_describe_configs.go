package broker

// DescribeConfigs, versions 1-4.
//
// Topics: every known key with its effective value (source DEFAULT_CONFIG or
// DYNAMIC_TOPIC_CONFIG), plus any stored bufstream.* key. Brokers: the few
// broker settings that shape client behaviour, read-only. Groups (type 32):
// the KIP-848 group configs (groupconfig.go). Other resource types get
// INVALID_REQUEST.

import (
	"context"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/topicconfig"
)

func init() { register(1, 4, handleDescribeConfigs) }

func handleDescribeConfigs(s *Server, c *conn, req *kmsg.DescribeConfigsRequest) (reply, error) {
	ctx, cancel := s.requestContext()
	defer cancel()
	resp := req.ResponseKind().(*kmsg.DescribeConfigsResponse)
	for _, rr := range req.Resources {
		out := kmsg.NewDescribeConfigsResponseResource()
		out.ResourceType, out.ResourceName = rr.ResourceType, rr.ResourceName
		switch rr.ResourceType {
		case kmsg.ConfigResourceTypeTopic:
			s.describeTopicConfigs(ctx, &out, rr, req.IncludeDocumentation)
		case kmsg.ConfigResourceTypeBroker:
			s.describeBrokerConfigs(&out, rr)
		case kmsg.ConfigResourceTypeGroupConfig:
			s.describeGroupConfigs(ctx, &out, rr, req.IncludeDocumentation)
		default:
			out.ErrorCode, out.ErrorMessage = kerr.InvalidRequest.Code, strp("unsupported resource type")
		}
		resp.Resources = append(resp.Resources, out)
	}
	return now(resp), nil
}

func (s *Server) describeTopicConfigs(ctx context.Context, out *kmsg.DescribeConfigsResponseResource, rr kmsg.DescribeConfigsRequestResource, docs bool) {
	t, ok, err := s.lookupTopic(ctx, rr.ResourceName, metastore.TopicID{})
	switch {
	case err != nil:
		out.ErrorCode, out.ErrorMessage = storeErrCode(err), strp(err.Error())
		return
	case !ok:
		out.ErrorCode, out.ErrorMessage = kerr.UnknownTopicOrPartition.Code, strp("topic '"+rr.ResourceName+"' does not exist")
		return
	}
	want := nameFilter(rr.ConfigNames)
	for _, name := range topicconfig.Described(t.Configs) {
		if !want(name) {
			continue
		}
		c := kmsg.NewDescribeConfigsResponseResourceConfig()
		c.Name = name
		d, known := topicconfig.Lookup(name)
		c.ConfigType = kmsg.ConfigTypeString
		if known {
			c.ConfigType = d.Type
			if docs {
				c.Documentation = strp(d.Doc)
			}
		}
		if v, set := t.Configs[name]; set {
			c.Value, c.Source = strp(v), kmsg.ConfigSourceDynamicTopicConfig
		} else {
			c.Value, c.Source, c.IsDefault = strp(d.Default), kmsg.ConfigSourceDefaultConfig, true
		}
		out.Configs = append(out.Configs, c)
	}
}

func (s *Server) describeBrokerConfigs(out *kmsg.DescribeConfigsResponseResource, rr kmsg.DescribeConfigsRequestResource) {
	if rr.ResourceName != "" && rr.ResourceName != strconv.Itoa(int(s.nodeID())) {
		out.ErrorCode, out.ErrorMessage = kerr.InvalidRequest.Code, strp("unknown broker "+rr.ResourceName)
		return
	}
	want := nameFilter(rr.ConfigNames)
	for _, kv := range [][2]string{
		{"auto.create.topics.enable", strconv.FormatBool(s.opts.AutoCreateTopics)},
		{"broker.id", strconv.Itoa(int(s.nodeID()))},
		{"message.max.bytes", strconv.Itoa(int(s.opts.MaxMessageBytes))},
		{"num.partitions", strconv.Itoa(int(s.opts.DefaultPartitions))},
		{"socket.request.max.bytes", strconv.Itoa(int(s.opts.MaxRequestBytes))},
	} {
		if !want(kv[0]) {
			continue
		}
		c := kmsg.NewDescribeConfigsResponseResourceConfig()
		c.Name, c.Value, c.ReadOnly, c.Source = kv[0], strp(kv[1]), true, kmsg.ConfigSourceStaticBrokerConfig
		out.Configs = append(out.Configs, c)
	}
}

// nameFilter matches every name when names is nil (describe all).
func nameFilter(names []string) func(string) bool {
	if names == nil {
		return func(string) bool { return true }
	}
	set := map[string]bool{}
	for _, n := range names {
		set[n] = true
	}
	return func(n string) bool { return set[n] }
}
