package broker

// Group configs: DescribeConfigs and IncrementalAlterConfigs on resource
// type GROUP (32, KIP-848), as `kafka-configs --entity-type groups` sends.
//
// Served: consumer.session.timeout.ms and consumer.heartbeat.interval.ms
// (Kafka 4's share.* and streams.* group configs are not). Values are
// checked as Kafka's GroupConfig does: the session timeout within
// group.consumer.min/max.session.timeout.ms (45s, 60s), the heartbeat
// interval within group.consumer.min/max.heartbeat.interval.ms (5s, 15s)
// and below the session timeout; each range is widened to hold the
// broker's own default when that is configured outside it. A group need
// not exist to be configured, as in Kafka.
//
// The configs live in the metadata store's KV space, one JSON object per
// configured group under groupConfigPrefix, so every broker (and the next
// coordinator of the group) sees them. The group coordinator reads them
// through groupConfigs.GroupConfigs, cached for groupConfigTTL.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/broker/group"
	"github.com/tributary-io/tributary/internal/metastore"
)

const (
	groupConfigPrefix = "groupconfig/"
	// groupConfigTTL bounds how stale a broker's view of a group's configs
	// set through another broker may be; this broker's own writes
	// invalidate its cache at once.
	groupConfigTTL = 2 * time.Second
)

// groupConfigDef is one served group config: its broker default and the
// range Kafka allows it (in milliseconds).
type groupConfigDef struct {
	name     string
	doc      string
	def      int64
	min, max int64
}

// groupConfigDefs lists the served group configs, in DescribeConfigs order.
func (s *Server) groupConfigDefs() []groupConfigDef {
	session := s.opts.Groups.ConsumerSessionTimeout
	if session <= 0 {
		session = 45 * time.Second
	}
	interval := s.opts.Groups.ConsumerHeartbeatInterval
	if interval <= 0 {
		interval = 5 * time.Second
	}
	sms, ims := session.Milliseconds(), interval.Milliseconds()
	return []groupConfigDef{
		{name: group.ConfigConsumerHeartbeatInterval, def: ims, min: min(5000, ims), max: max(15000, ims),
			doc: "The heartbeat interval given to the members of a consumer group."},
		{name: group.ConfigConsumerSessionTimeout, def: sms, min: min(45000, sms), max: max(60000, sms),
			doc: "The timeout to detect client failures when using the consumer group protocol."},
	}
}

// groupConfigs reads and writes groups' configs in the metadata store's
// KV space. mu guards cache.
type groupConfigs struct {
	kv metastore.KV

	mu    sync.Mutex
	cache map[string]cachedGroupConfig
}

type cachedGroupConfig struct {
	cfg     map[string]string
	version int64
	loaded  time.Time
}

func newGroupConfigs(kv metastore.KV) *groupConfigs {
	return &groupConfigs{kv: kv, cache: map[string]cachedGroupConfig{}}
}

// GroupConfigs is group.ConfigResolver: the configs set on a group.
func (gc *groupConfigs) GroupConfigs(ctx context.Context, name string) (map[string]string, error) {
	gc.mu.Lock()
	c, ok := gc.cache[name]
	gc.mu.Unlock()
	if ok && time.Since(c.loaded) < groupConfigTTL {
		return c.cfg, nil
	}
	c, err := gc.load(ctx, name)
	if err != nil {
		return nil, err
	}
	return c.cfg, nil
}

// load reads a group's configs from the store and caches them.
func (gc *groupConfigs) load(ctx context.Context, name string) (cachedGroupConfig, error) {
	c := cachedGroupConfig{cfg: map[string]string{}, loaded: time.Now()}
	e, err := gc.kv.KVGet(ctx, groupConfigPrefix+name)
	switch {
	case errors.Is(err, metastore.ErrUnknownKey):
	case err != nil:
		return c, fmt.Errorf("read configs of group %s: %w", name, err)
	default:
		if err := json.Unmarshal(e.Value, &c.cfg); err != nil {
			return c, fmt.Errorf("decode configs of group %s: %w", name, err)
		}
		c.version = e.Version
	}
	gc.mu.Lock()
	gc.cache[name] = c
	gc.mu.Unlock()
	return c, nil
}

// alter applies set (nil values delete) to a group's configs, after
// check accepts the result; validateOnly stores nothing. A concurrent
// change is retried a few times.
func (gc *groupConfigs) alter(ctx context.Context, name string, set map[string]*string, check func(map[string]string) error, validateOnly bool) error {
	for attempt := 0; ; attempt++ {
		c, err := gc.load(ctx, name)
		if err != nil {
			return err
		}
		next := metastore.AlterConfigs(c.cfg, set, false)
		if err := check(next); err != nil {
			return err
		}
		if validateOnly {
			return nil
		}
		op := metastore.KVOp{Key: groupConfigPrefix + name, Expect: c.version}
		if len(next) == 0 {
			op.Delete, op.Expect = true, metastore.KVAny
		} else if op.Value, err = json.Marshal(next); err != nil {
			return fmt.Errorf("encode configs of group %s: %w", name, err)
		}
		_, err = gc.kv.KVApply(ctx, []metastore.KVOp{op})
		gc.mu.Lock()
		delete(gc.cache, name)
		gc.mu.Unlock()
		if !errors.Is(err, metastore.ErrConflict) || attempt == 4 {
			if err != nil {
				return fmt.Errorf("write configs of group %s: %w", name, err)
			}
			return nil
		}
	}
}

// errInvalidGroupConfig marks a group config value Kafka would refuse.
var errInvalidGroupConfig = errors.New("invalid group config")

// checkGroupConfigs validates a group's configs as they would be stored.
func (s *Server) checkGroupConfigs(cfg map[string]string) error {
	defs := s.groupConfigDefs()
	vals := map[string]int64{}
	for _, d := range defs {
		vals[d.name] = d.def
	}
	for _, k := range slices.Sorted(maps.Keys(cfg)) {
		d, ok := findGroupConfig(defs, k)
		if !ok {
			return fmt.Errorf("unknown group config name: %s: %w", k, errInvalidGroupConfig)
		}
		v, err := strconv.ParseInt(cfg[k], 10, 32)
		if err != nil {
			return fmt.Errorf("%s: %q is not an int: %w", k, cfg[k], errInvalidGroupConfig)
		}
		if v < d.min || v > d.max {
			return fmt.Errorf("%s must be between %d and %d, got %d: %w", k, d.min, d.max, v, errInvalidGroupConfig)
		}
		vals[k] = v
	}
	if vals[group.ConfigConsumerHeartbeatInterval] >= vals[group.ConfigConsumerSessionTimeout] {
		return fmt.Errorf("%s must be less than %s: %w", group.ConfigConsumerHeartbeatInterval, group.ConfigConsumerSessionTimeout, errInvalidGroupConfig)
	}
	return nil
}

func findGroupConfig(defs []groupConfigDef, name string) (groupConfigDef, bool) {
	for _, d := range defs {
		if d.name == name {
			return d, true
		}
	}
	return groupConfigDef{}, false
}

// describeGroupConfigs answers DescribeConfigs for one group.
func (s *Server) describeGroupConfigs(ctx context.Context, out *kmsg.DescribeConfigsResponseResource, rr kmsg.DescribeConfigsRequestResource, docs bool) {
	if rr.ResourceName == "" {
		out.ErrorCode, out.ErrorMessage = kerr.InvalidRequest.Code, strp("group name must not be empty")
		return
	}
	set, err := s.groupConfigs.GroupConfigs(ctx, rr.ResourceName)
	if err != nil {
		out.ErrorCode, out.ErrorMessage = groupConfigErrCode(err).Code, strp(err.Error())
		return
	}
	want := nameFilter(rr.ConfigNames)
	for _, d := range s.groupConfigDefs() {
		if !want(d.name) {
			continue
		}
		c := kmsg.NewDescribeConfigsResponseResourceConfig()
		c.Name, c.ConfigType = d.name, kmsg.ConfigTypeInt
		if docs {
			c.Documentation = strp(d.doc)
		}
		if v, ok := set[d.name]; ok {
			c.Value, c.Source = strp(v), kmsg.ConfigSourceGroupConfig
		} else {
			c.Value, c.Source, c.IsDefault = strp(strconv.FormatInt(d.def, 10)), kmsg.ConfigSourceDefaultConfig, true
		}
		out.Configs = append(out.Configs, c)
	}
}

// alterGroupConfigs applies one IncrementalAlterConfigs resource of type
// GROUP: SET and DELETE (these configs are not lists).
func (s *Server) alterGroupConfigs(ctx context.Context, rr kmsg.IncrementalAlterConfigsRequestResource, validateOnly bool) (*kerr.Error, string) {
	if rr.ResourceName == "" {
		return kerr.InvalidRequest, "group name must not be empty"
	}
	set := map[string]*string{}
	for _, c := range rr.Configs {
		switch c.Op {
		case kmsg.IncrementalAlterConfigOpSet:
			if c.Value == nil {
				return kerr.InvalidConfig, "config " + c.Name + ": null value for SET"
			}
			set[c.Name] = c.Value
		case kmsg.IncrementalAlterConfigOpDelete:
			set[c.Name] = nil
		default:
			return kerr.InvalidConfig, "config " + c.Name + " is not a list"
		}
	}
	err := s.groupConfigs.alter(ctx, rr.ResourceName, set, s.checkGroupConfigs, validateOnly)
	switch {
	case errors.Is(err, errInvalidGroupConfig):
		return kerr.InvalidConfig, err.Error()
	case err != nil:
		return groupConfigErrCode(err), err.Error()
	}
	return nil, ""
}

// groupConfigErrCode classifies a store failure: a key the store refuses
// (a group name too long for it) is the request's fault; the rest are
// retriable storage errors.
func groupConfigErrCode(err error) *kerr.Error {
	if errors.Is(err, metastore.ErrInvalidRequest) {
		return kerr.InvalidRequest
	}
	return kerr.KafkaStorageError
}
