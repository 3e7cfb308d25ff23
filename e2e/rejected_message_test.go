package e2e

import (
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"github.com/tributary-io/tributary/node"
)

// ruleReason is what a cart with a zero quantity breaks, as the broker
// names it: the field's path and the protovalidate rule.
var ruleReason = []string{"line_items[0].quantity", "uint64.gt"}

// rejectedTopic starts a node with a topic in reject mode and the shop
// schema registered for it, and returns the node and the value of a cart
// that breaks a rule (a zero quantity).
func rejectedTopic(t *testing.T) (*node.Node, []byte) {
	t.Helper()
	n := startNode(t, testConfig(t, t.TempDir()), node.Hooks{})
	createTopics(t, newAdmin(t, n.KafkaAddr()), map[string]map[string]*string{
		"payments": {"bufstream.validate.mode": ptr("reject")},
	})
	_, serde := shopRegistry(t, "http://"+n.RegistryAddr(), "payments-value")
	return n, mustEncode(t, serde, cart("z", 0))
}

// TestRejectedRecordReasonInFranzGo: the reason is in the Produce
// response's partition error_message and the record's record_errors entry
// as franz-go decodes the response (kmsg, through kgo.Client.Request).
// kgo's producer itself hands the application kerr.InvalidRecord only: it
// does not read error_message (franz-go v1.22.2, and v1.22.3, the newest);
// this test checks the error class there and the reason in the response.
func TestRejectedRecordReasonInFranzGo(t *testing.T) {
	n, bad := rejectedTopic(t)
	ctx := ctxTimeout(t, time.Minute)
	cl := newClient(t, n.KafkaAddr(), kgo.ProducerLinger(0))
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "payments", Value: bad}).FirstErr(); !errors.Is(err, kerr.InvalidRecord) {
		t.Fatalf("kgo produce of a bad cart: %v; want INVALID_RECORD", err)
	}
	// Produce v9 names topics (v13 carries ids): a client capped at
	// Kafka 3.0's versions sends it as built.
	raw, err := newClient(t, n.KafkaAddr(), kgo.MaxVersions(kversion.V3_0_0())).Request(ctx,
		produceReq(9, "payments", 5000, map[int32][]byte{0: testBatch(string(bad))}))
	if err != nil {
		t.Fatalf("produce request: %v", err)
	}
	rp := raw.(*kmsg.ProduceResponse).Topics[0].Partitions[0]
	if rp.ErrorCode != kerr.InvalidRecord.Code || len(rp.ErrorRecords) != 1 {
		t.Fatalf("partition: code %d, record errors %+v; want INVALID_RECORD with one", rp.ErrorCode, rp.ErrorRecords)
	}
	for _, want := range ruleReason {
		if msg := deref(rp.ErrorMessage); !strings.Contains(msg, want) {
			t.Errorf("error_message %q lacks %q", msg, want)
		}
		if msg := deref(rp.ErrorRecords[0].ErrorMessage); !strings.Contains(msg, want) {
			t.Errorf("record_errors[0].error_message %q lacks %q", msg, want)
		}
	}
}

// TestRejectedRecordReasonInJavaClient: Kafka's Java producer
// (kafka-clients 4.4, interop/java RejectedRecordCheck) fails the send of
// a record that breaks a rule with an InvalidRecordException whose
// message is the broker's reason, naming the field and the rule.
func TestRejectedRecordReasonInJavaClient(t *testing.T) {
	mvn, java := javaTools(t)
	project, err := filepath.Abs(filepath.Join("..", "interop", "java"))
	if err != nil {
		t.Fatal(err)
	}
	n, bad := rejectedTopic(t)
	ctx := ctxTimeout(t, 5*time.Minute)
	build := t.TempDir()
	runLogged(t, ctx, "mvn compile", exec.CommandContext(ctx, mvn,
		"-B", "-ntp", "-q", "-f", filepath.Join(project, "pom.xml"), "-Dinterop.buildDir="+build, "compile"))
	cp, err := os.ReadFile(filepath.Join(build, "classpath.txt"))
	if err != nil {
		t.Fatalf("maven wrote no classpath: %v", err)
	}
	classpath := filepath.Join(build, "classes") + string(os.PathListSeparator) + strings.TrimSpace(string(cp))
	out := runLogged(t, ctx, "java rejected record", exec.CommandContext(ctx, java, "-cp", classpath,
		"-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
		"io.tributary.interop.RejectedRecordCheck", n.KafkaAddr(), "payments", hex.EncodeToString(bad)))
	var line string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "REJECTED ") {
			line = l
		}
	}
	if !strings.HasPrefix(line, "REJECTED org.apache.kafka.common.InvalidRecordException: ") {
		t.Fatalf("the Java producer's error is not an InvalidRecordException; output:\n%s", out)
	}
	for _, want := range ruleReason {
		if !strings.Contains(line, want) {
			t.Errorf("the Java client's message lacks %q: %s", want, line)
		}
	}
	t.Log(line)
}
