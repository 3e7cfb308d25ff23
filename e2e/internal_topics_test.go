package e2e

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/node"
)

// Issue 9, item 6a: __consumer_offsets was missing from Metadata, so
// franz-go's own regex tests, which subscribe to it and expect it skipped
// (client-side regex) or assigned (KIP-848 broker-side regex), failed.

// TestFranzGoRegexInternalTopics runs franz-go's TestConsumeRegex and
// Test848RegexBrokerResolves (from the module cache, at the version in
// go.mod) against a node, through KGO_SEEDS as franz-go's CI runs them
// against Kafka; each must PASS, not skip.
func TestFranzGoRegexInternalTopics(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs franz-go's test binary")
	}
	n := startNode(t, testConfig(t, t.TempDir()), node.Hooks{})
	ctx := ctxTimeout(t, 4*time.Minute)
	tests := []string{"TestConsumeRegex", "Test848RegexBrokerResolves"}
	cmd := exec.CommandContext(ctx, "go", "test", "github.com/twmb/franz-go/pkg/kgo",
		"-run", "^("+strings.Join(tests, "|")+")$", "-count=1", "-v")
	cmd.Env = append(os.Environ(), "KGO_SEEDS="+n.KafkaAddr(), "KGO_TEST_RF=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("franz-go tests: %v\n%s", err, out)
	}
	for _, name := range tests {
		if !strings.Contains(string(out), "--- PASS: "+name+" ") {
			t.Errorf("%s did not pass (skipped or not run):\n%s", name, out)
		}
	}
}

// TestConsumerOffsetsTopic: __consumer_offsets is listed as Kafka lists it
// (internal, 50 partitions, led by this broker), by name and by ID, is
// describable (cleanup.policy=compact), reads as empty through Fetch and
// ListOffsets, and refuses produce, create, delete and config changes.
func TestConsumerOffsetsTopic(t *testing.T) {
	n := startNode(t, testConfig(t, t.TempDir()), node.Hooks{})
	cl := newClient(t, n.KafkaAddr())
	ctx := ctxTimeout(t, 30*time.Second)
	const name = "__consumer_offsets"

	all := kmsg.NewPtrMetadataRequest()
	resp, err := all.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	var mt *kmsg.MetadataResponseTopic
	for i := range resp.Topics {
		if tp := resp.Topics[i].Topic; tp != nil && *tp == name {
			mt = &resp.Topics[i]
		}
	}
	if mt == nil {
		t.Fatalf("%s not in Metadata for all topics", name)
	}
	if !mt.IsInternal || mt.ErrorCode != 0 || len(mt.Partitions) != 50 {
		t.Fatalf("%s: internal %v, code %d, %d partitions; want internal, 0, 50", name, mt.IsInternal, mt.ErrorCode, len(mt.Partitions))
	}
	for _, p := range mt.Partitions {
		if p.Leader != n.NodeID() {
			t.Fatalf("%s[%d] leader %d, want %d", name, p.Partition, p.Leader, n.NodeID())
		}
	}
	byID := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.TopicID = mt.TopicID
	byID.Topics = append(byID.Topics, rt)
	if r, err := byID.RequestWith(ctx, cl); err != nil || len(r.Topics) != 1 || r.Topics[0].ErrorCode != 0 || r.Topics[0].Topic == nil || *r.Topics[0].Topic != name {
		t.Fatalf("Metadata by %s's ID: %+v, %v", name, r, err)
	}

	adm := newAdmin(t, n.KafkaAddr())
	rcs, err := adm.DescribeTopicConfigs(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if rc, err := rcs.On(name, nil); err != nil || rc.Err != nil || configValue(rc.Configs, "cleanup.policy") != "compact" {
		t.Fatalf("DescribeConfigs %s: %+v, %v", name, rc, err)
	}

	prod := newClient(t, n.KafkaAddr(), kgo.RecordRetries(1), kgo.UnknownTopicRetries(1))
	if err := prod.ProduceSync(ctx, &kgo.Record{Topic: name, Value: []byte("x")}).FirstErr(); !errors.Is(err, kerr.InvalidTopicException) {
		t.Errorf("produce to %s: %v, want INVALID_TOPIC_EXCEPTION", name, err)
	}
	if r, err := adm.CreateTopic(ctx, 1, 1, nil, name); err == nil && r.Err == nil {
		t.Errorf("creating %s succeeded", name)
	} else if !errors.Is(r.Err, kerr.TopicAlreadyExists) {
		t.Errorf("create %s: %v %v, want TOPIC_ALREADY_EXISTS", name, r.Err, err)
	}
	if r, err := adm.DeleteTopic(ctx, name); err == nil && r.Err == nil {
		t.Errorf("deleting %s succeeded", name)
	}
	if r, err := adm.AlterTopicConfigs(ctx, nil, name); err == nil {
		if rr, _ := r.On(name, nil); rr.Err == nil {
			t.Errorf("altering %s's configs succeeded", name)
		}
	}

	lo, err := adm.ListEndOffsets(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if o, ok := lo.Lookup(name, 7); !ok || o.Err != nil || o.Offset != 0 {
		t.Errorf("end offset of %s[7]: %+v %v", name, o, ok)
	}
	fr := kmsg.NewPtrFetchRequest()
	fr.MaxWaitMillis, fr.MinBytes, fr.MaxBytes = 100, 1, 1<<20
	ft := kmsg.NewFetchRequestTopic()
	ft.Topic, ft.TopicID = name, mt.TopicID
	for p, off := range []int64{0, 5} {
		fp := kmsg.NewFetchRequestTopicPartition()
		fp.Partition, fp.FetchOffset, fp.PartitionMaxBytes = int32(p), off, 1<<20
		ft.Partitions = append(ft.Partitions, fp)
	}
	fr.Topics = append(fr.Topics, ft)
	fresp, err := fr.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	ps := fresp.Topics[0].Partitions
	if ps[0].ErrorCode != 0 || ps[0].HighWatermark != 0 || len(ps[0].RecordBatches) != 0 {
		t.Errorf("fetch %s[0]@0: code %d hw %d, %d bytes", name, ps[0].ErrorCode, ps[0].HighWatermark, len(ps[0].RecordBatches))
	}
	if ps[1].ErrorCode != kerr.OffsetOutOfRange.Code {
		t.Errorf("fetch %s[1]@5: code %d, want OFFSET_OUT_OF_RANGE", name, ps[1].ErrorCode)
	}
}

func configValue(cs []kadm.Config, name string) string {
	for _, c := range cs {
		if c.Key == name && c.Value != nil {
			return *c.Value
		}
	}
	return ""
}
