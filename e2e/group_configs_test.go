package e2e

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/node"
)

// TestGroupConfigs is issue 9, item 6c: `kafka-configs --entity-type
// groups` (DescribeConfigs and IncrementalAlterConfigs on resource type
// GROUP) answered "unsupported resource type". Now a group's
// consumer.session.timeout.ms and consumer.heartbeat.interval.ms are
// described with their defaults, set within Kafka's bounds, refused
// outside them, kept across a restart, and the coordinator gives the
// group's KIP-848 members the group's heartbeat interval.
func TestGroupConfigs(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	first, err := node.Start(cfg, testLogger(), node.Hooks{}) // stopped below, to restart
	if err != nil {
		t.Fatalf("start node: %v", err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			stopNode(t, first)
		}
	})
	cl := newClient(t, first.KafkaAddr())
	ctx := ctxTimeout(t, 60*time.Second)
	const g = "configured-group"

	wantGroupConfigs(t, ctx, cl, g, map[string]string{"consumer.heartbeat.interval.ms": "5000", "consumer.session.timeout.ms": "45000"}, kmsg.ConfigSourceDefaultConfig)

	if code, msg := alterGroupConfigs(t, ctx, cl, g, map[string]*string{
		"consumer.heartbeat.interval.ms": ptr("7000"),
		"consumer.session.timeout.ms":    ptr("50000"),
	}); code != 0 {
		t.Fatalf("set group configs: %v %s", kerr.ErrorForCode(code), msg)
	}
	wantGroupConfigs(t, ctx, cl, g, map[string]string{"consumer.heartbeat.interval.ms": "7000", "consumer.session.timeout.ms": "50000"}, kmsg.ConfigSourceGroupConfig)

	for _, bad := range []map[string]*string{
		{"consumer.heartbeat.interval.ms": ptr("1000")}, // below group.consumer.min.heartbeat.interval.ms
		{"consumer.session.timeout.ms": ptr("70000")},   // above group.consumer.max.session.timeout.ms
		{"consumer.session.timeout.ms": ptr("soon")},    // not an int
		{"consumer.rebalance.timeout.ms": ptr("1")},     // not a group config
	} {
		if code, msg := alterGroupConfigs(t, ctx, cl, g, bad); code != kerr.InvalidConfig.Code {
			t.Errorf("set %v: code %v (%s), want INVALID_CONFIG", derefConfigs(bad), kerr.ErrorForCode(code), msg)
		}
	}
	wantGroupConfigs(t, ctx, cl, g, map[string]string{"consumer.heartbeat.interval.ms": "7000", "consumer.session.timeout.ms": "50000"}, kmsg.ConfigSourceGroupConfig)

	long := strings.Repeat("g", 2000) // longer than the metadata store's keys
	if code, msg := alterGroupConfigs(t, ctx, cl, long, map[string]*string{"consumer.heartbeat.interval.ms": ptr("7000")}); code != kerr.InvalidRequest.Code {
		t.Errorf("configure a group with a 2000-character name: %v %s, want INVALID_REQUEST", kerr.ErrorForCode(code), msg)
	}

	if got := joinInterval(t, ctx, cl, g); got != 7000 {
		t.Errorf("ConsumerGroupHeartbeat in %s: heartbeat interval %d ms, want the group's 7000", g, got)
	}
	if got := joinInterval(t, ctx, cl, "unconfigured-group"); got != 5000 {
		t.Errorf("ConsumerGroupHeartbeat in an unconfigured group: heartbeat interval %d ms, want the broker's 5000", got)
	}

	stopNode(t, first)
	stopped = true
	n := startNode(t, cfg, node.Hooks{})
	cl = newClient(t, n.KafkaAddr())
	wantGroupConfigs(t, ctx, cl, g, map[string]string{"consumer.heartbeat.interval.ms": "7000", "consumer.session.timeout.ms": "50000"}, kmsg.ConfigSourceGroupConfig)

	if code, msg := alterGroupConfigs(t, ctx, cl, g, map[string]*string{"consumer.heartbeat.interval.ms": nil}); code != 0 {
		t.Fatalf("delete a group config: %v %s", kerr.ErrorForCode(code), msg)
	}
	if got := joinInterval(t, ctx, cl, g); got != 5000 {
		t.Errorf("after deleting the group's heartbeat interval: %d ms, want the broker's 5000", got)
	}
}

// wantGroupConfigs describes group g and checks each config's value and
// source.
func wantGroupConfigs(t *testing.T, ctx context.Context, cl *kgo.Client, g string, want map[string]string, source kmsg.ConfigSource) {
	t.Helper()
	req := kmsg.NewPtrDescribeConfigsRequest()
	rr := kmsg.NewDescribeConfigsRequestResource()
	rr.ResourceType, rr.ResourceName = kmsg.ConfigResourceTypeGroupConfig, g
	req.Resources = append(req.Resources, rr)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatalf("describe group %s configs: %v", g, err)
	}
	if len(resp.Resources) != 1 || resp.Resources[0].ErrorCode != 0 {
		t.Fatalf("describe group %s configs: %+v", g, resp.Resources)
	}
	got := map[string]string{}
	for _, c := range resp.Resources[0].Configs {
		if c.Value != nil {
			got[c.Name] = *c.Value
		}
		if _, ok := want[c.Name]; ok && c.Source != source {
			t.Errorf("group %s config %s: source %v, want %v", g, c.Name, c.Source, source)
		}
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("group %s config %s = %q, want %q (all: %v)", g, k, got[k], v, got)
		}
	}
}

// alterGroupConfigs sets (nil: deletes) configs of group g and returns
// the resource's error code and message.
func alterGroupConfigs(t *testing.T, ctx context.Context, cl *kgo.Client, g string, set map[string]*string) (int16, string) {
	t.Helper()
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	rr := kmsg.NewIncrementalAlterConfigsRequestResource()
	rr.ResourceType, rr.ResourceName = kmsg.ConfigResourceTypeGroupConfig, g
	for k, v := range set {
		c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
		c.Name, c.Value, c.Op = k, v, kmsg.IncrementalAlterConfigOpSet
		if v == nil {
			c.Op = kmsg.IncrementalAlterConfigOpDelete
		}
		rr.Configs = append(rr.Configs, c)
	}
	req.Resources = append(req.Resources, rr)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil || len(resp.Resources) != 1 {
		t.Fatalf("alter group %s configs: %+v, %v", g, resp, err)
	}
	msg := ""
	if m := resp.Resources[0].ErrorMessage; m != nil {
		msg = *m
	}
	return resp.Resources[0].ErrorCode, msg
}

// joinInterval joins a fresh KIP-848 member to group g and returns the
// heartbeat interval the coordinator gave it; the member then leaves.
func joinInterval(t *testing.T, ctx context.Context, cl *kgo.Client, g string) int32 {
	t.Helper()
	req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
	req.Group, req.MemberID, req.MemberEpoch = g, "cfg-member-"+g, 0
	req.RebalanceTimeoutMillis, req.SubscribedTopicNames = 30000, []string{"cfg-topic"}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil || resp.ErrorCode != 0 {
		t.Fatalf("ConsumerGroupHeartbeat join %s: %+v, %v", g, resp, err)
	}
	leave := kmsg.NewPtrConsumerGroupHeartbeatRequest()
	leave.Group, leave.MemberID, leave.MemberEpoch = g, req.MemberID, -1
	if _, err := leave.RequestWith(ctx, cl); err != nil {
		t.Fatalf("ConsumerGroupHeartbeat leave %s: %v", g, err)
	}
	return resp.HeartbeatIntervalMillis
}

func derefConfigs(m map[string]*string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if v != nil {
			out[k] = *v
		}
	}
	return out
}

// TestKafkaConfigsGroups runs Kafka's own kafka-configs (ConfigCommand from
// org.apache.kafka:kafka-tools, resolved by interop/kafkatools) against a
// node: --entity-type groups --alter sets a group config, --describe shows
// it, and a value outside Kafka's bounds is refused with the reason.
func TestKafkaConfigsGroups(t *testing.T) {
	mvn, java := javaTools(t)
	ctx := ctxTimeout(t, 5*time.Minute)
	n := startNode(t, testConfig(t, t.TempDir()), node.Hooks{})
	cp := kafkaToolsClasspath(t, ctx, mvn)
	kafkaConfigs := func(args ...string) *exec.Cmd {
		base := []string{"-cp", cp, "org.apache.kafka.tools.ConfigCommand",
			"--bootstrap-server", n.KafkaAddr(), "--entity-type", "groups", "--entity-name", "tools-group"}
		return exec.CommandContext(ctx, java, append(base, args...)...)
	}

	runLogged(t, ctx, "kafka-configs --alter", kafkaConfigs("--alter", "--add-config", "consumer.heartbeat.interval.ms=6000"))
	out := runLogged(t, ctx, "kafka-configs --describe", kafkaConfigs("--describe"))
	if !strings.Contains(out, "consumer.heartbeat.interval.ms=6000") {
		t.Errorf("kafka-configs --describe does not show the set heartbeat interval:\n%s", out)
	}
	bad, err := kafkaConfigs("--alter", "--add-config", "consumer.session.timeout.ms=1000").CombinedOutput()
	if err == nil || !strings.Contains(string(bad), "consumer.session.timeout.ms must be between") {
		t.Errorf("kafka-configs set a session timeout of 1s: %v\n%s", err, bad)
	}
}
