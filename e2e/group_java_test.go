package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tributary-io/tributary/node"
)

// TestGroupJavaConsumer runs Kafka's Java KafkaConsumer (kafka-clients,
// interop/java GroupConsumerCheck) in a group of two against an in-process
// broker, with group.protocol=classic and with group.protocol=consumer
// (KIP-848: the broker assigns partitions through ConsumerGroupHeartbeat;
// skipped while the broker does not serve it). The Java side checks it read
// every produced value between the two consumers, each value at one
// position; here the committed offsets must reach the high watermarks and
// the group, both consumers closed, be empty and of the protocol asked for.
func TestGroupJavaConsumer(t *testing.T) {
	mvn, java := javaTools(t)
	project, err := filepath.Abs(filepath.Join("..", "interop", "java"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxTimeout(t, 5*time.Minute)
	addr := startNode(t, testConfig(t, t.TempDir()), node.Hooks{}).KafkaAddr()
	build := t.TempDir()
	runLogged(t, ctx, "mvn compile", exec.CommandContext(ctx, mvn,
		"-B", "-ntp", "-q", "-f", filepath.Join(project, "pom.xml"), "-Dinterop.buildDir="+build, "compile"))
	cp, err := os.ReadFile(filepath.Join(build, "classpath.txt"))
	if err != nil {
		t.Fatalf("maven wrote no classpath: %v", err)
	}
	classpath := filepath.Join(build, "classes") + string(os.PathListSeparator) + strings.TrimSpace(string(cp))
	served := servedAPIs(t, addr)
	const records, partitions = 2000, 4
	for _, protocol := range []string{"classic", "consumer"} {
		t.Run(protocol, func(t *testing.T) {
			if _, ok := served[keyConsumerGroupHeartbeat]; protocol == "consumer" && !ok {
				t.Skip("the broker does not serve ConsumerGroupHeartbeat (KIP-848)")
			}
			topic := "java-group-" + protocol
			group := topic + "-g"
			adm := newAdmin(t, addr)
			if _, err := adm.CreateTopic(ctx, partitions, 1, nil, topic); err != nil {
				t.Fatalf("create %s: %v", topic, err)
			}
			var recs []*kgo.Record
			for i := range records {
				recs = append(recs, &kgo.Record{Value: fmt.Appendf(nil, "jg-%06d", i)})
			}
			cl := newClient(t, addr, kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
			if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
				t.Fatalf("produce: %v", err)
			}
			out := runLogged(t, ctx, "java group check", exec.CommandContext(ctx, java, "-cp", classpath,
				"io.tributary.interop.GroupConsumerCheck", addr, "--topic", topic, "--group", group,
				"--expect", strconv.Itoa(records), "--protocol", protocol, "--consumers", "2", "--timeout-sec", "90"))
			summary := ""
			for _, line := range strings.Split(out, "\n") {
				if strings.HasPrefix(line, "OK ") {
					summary = line
				}
			}
			if summary == "" {
				t.Fatalf("the Java group check exited 0 without its OK line; output:\n%s", out)
			}
			t.Log(summary)
			waitCommittedAt(t, adm, group, topic, endOffsets(t, ctx, adm, topic), 15*time.Second, nil)
			if protocol == "consumer" {
				ds, err := adm.DescribeConsumerGroups(ctx, group)
				if d := ds[group]; err != nil || d.Err != nil || d.State != "Empty" || len(d.Members) != 0 {
					t.Fatalf("ConsumerGroupDescribe(%s) after both closed: state %q, %d members, err %v / %v; want an empty KIP-848 group", group, d.State, len(d.Members), err, d.Err)
				}
				return
			}
			ds, err := adm.DescribeGroups(ctx, group)
			if d := ds[group]; err != nil || d.Err != nil || d.State != "Empty" || d.ProtocolType != "consumer" || len(d.Members) != 0 {
				t.Fatalf("DescribeGroups(%s) after both closed: state %q, protocol type %q, %d members, err %v / %v; want an empty classic consumer group", group, d.State, d.ProtocolType, len(d.Members), err, d.Err)
			}
		})
	}
}
