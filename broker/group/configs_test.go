package group

import (
	"context"
	"testing"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// staticConfigs is a ConfigResolver over fixed per-group configs.
type staticConfigs map[string]map[string]string

func (s staticConfigs) GroupConfigs(_ context.Context, group string) (map[string]string, error) {
	return s[group], nil
}

// TestGroupConfigsOverrideConsumerTimeouts: a group's
// consumer.heartbeat.interval.ms is the interval its KIP-848 members are
// told, and its consumer.session.timeout.ms is the session after which a
// silent member is removed; other groups keep the broker's.
func TestGroupConfigsOverrideConsumerTimeouts(t *testing.T) {
	topic := metastore.Topic{Name: "events", ID: metastore.TopicID{1}, Partitions: 2}
	opts := testOptions()
	opts.ConsumerSessionTimeout, opts.ConsumerHeartbeatInterval = time.Hour, 5*time.Second
	opts.Topics = staticTopics{"events": topic}
	opts.Configs = staticConfigs{"short": {
		ConfigConsumerSessionTimeout:    "300",
		ConfigConsumerHeartbeatInterval: "120",
	}}
	c := newCoordinator(t, openStore(t), opts)
	short := &consumer{c: c, group: "short", id: "s1"}
	long := &consumer{c: c, group: "long", id: "l1"}
	if got := short.heartbeat(t, []string{"events"}).HeartbeatIntervalMillis; got != 120 {
		t.Fatalf("short group's heartbeat interval %d ms, want its config's 120", got)
	}
	if got := long.heartbeat(t, []string{"events"}).HeartbeatIntervalMillis; got != 5000 {
		t.Fatalf("unconfigured group's heartbeat interval %d ms, want the broker's 5000", got)
	}
	time.Sleep(700 * time.Millisecond) // past the short session, far from the broker's hour
	req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
	req.Version, req.Group, req.MemberID, req.MemberEpoch = 1, "short", "s1", short.epoch
	req.RebalanceTimeoutMillis = 5000
	if resp := c.ConsumerGroupHeartbeat(ctx, req, Client{ID: "t", Host: "/127.0.0.1"}); resp.ErrorCode != kerr.UnknownMemberID.Code {
		t.Fatalf("heartbeat after the group's 300ms session: %v, want UNKNOWN_MEMBER_ID", kerr.ErrorForCode(resp.ErrorCode))
	}
	long.heartbeat(t, nil) // still a member under the broker's session
}
