package group

import (
	"context"
	"strconv"
	"time"
)

// Dynamic group configs (KIP-848): a group may override the broker's
// session timeout and heartbeat interval for its consumer-protocol members.
const (
	ConfigConsumerSessionTimeout    = "consumer.session.timeout.ms"
	ConfigConsumerHeartbeatInterval = "consumer.heartbeat.interval.ms"
)

// ConfigResolver looks up a group's dynamic configs (set with
// IncrementalAlterConfigs on resource type GROUP), already validated.
type ConfigResolver interface {
	// GroupConfigs returns the configs set on group (none: an empty map).
	GroupConfigs(ctx context.Context, group string) (map[string]string, error)
}

// consumerTimeouts is the session timeout and heartbeat interval of a
// group's KIP-848 members: the group's configs where set, else the
// broker's. A store that cannot be read leaves the broker's, logged: a
// heartbeat is not failed over its group's configs.
func (c *Coordinator) consumerTimeouts(ctx context.Context, group string) (session, interval time.Duration) {
	session, interval = c.opts.ConsumerSessionTimeout, c.opts.ConsumerHeartbeatInterval
	if c.opts.Configs == nil {
		return session, interval
	}
	cfg, err := c.opts.Configs.GroupConfigs(ctx, group)
	if err != nil {
		c.log.Warn("read group configs; using the broker's", "group", group, "err", err)
		return session, interval
	}
	if ms, err := strconv.ParseInt(cfg[ConfigConsumerSessionTimeout], 10, 32); err == nil && ms > 0 {
		session = time.Duration(ms) * time.Millisecond
	}
	if ms, err := strconv.ParseInt(cfg[ConfigConsumerHeartbeatInterval], 10, 32); err == nil && ms > 0 {
		interval = time.Duration(ms) * time.Millisecond
	}
	return session, interval
}
