package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/node"
)

// DeleteRecords (API key 21) end to end with franz-go's kadm: the log
// start moves to the offset asked (inside a batch too) or to the high
// watermark for -1, a consumer from the earliest offset gets exactly the
// records from there, ListOffsets earliest moves, a fetch below the start
// is OFFSET_OUT_OF_RANGE, housekeeping deletes the objects wholly below
// it, and a restart keeps it all.

const drTopic = "dr"

// deleteRecordsConfig is a node whose housekeeping deletes dead objects
// at once and rewrites nothing, so the intake objects left can be counted.
func deleteRecordsConfig(t *testing.T, dir string) config.Config {
	t.Helper()
	cfg := testConfig(t, dir)
	cfg.Housekeeping.Interval = 20 * time.Millisecond
	cfg.Housekeeping.DeadObjectGrace = 0
	cfg.Housekeeping.SegmentMinAge = time.Hour
	return cfg
}

// drProducerOpts make a client produceDR can use.
func drProducerOpts() []kgo.Opt {
	return []kgo.Opt{kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(0)}
}

// produceDR writes numbered records 0..9 to partitions 0 and 1 through cl
// (made with drProducerOpts): on partition 0 the first five in one batch,
// then one batch each; on partition 1 one batch each. Each batch is its
// own intake object.
func produceDR(t *testing.T, ctx context.Context, cl *kgo.Client) {
	t.Helper()
	var first []*kgo.Record
	for i := range 5 {
		first = append(first, &kgo.Record{Topic: drTopic, Partition: 0, Value: []byte(numbered(i))})
	}
	if err := cl.ProduceSync(ctx, first...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
	for p := range int32(2) {
		for i := range 10 {
			if p == 0 && i < 5 {
				continue
			}
			if err := cl.ProduceSync(ctx, &kgo.Record{Topic: drTopic, Partition: p, Value: []byte(numbered(i))}).FirstErr(); err != nil {
				t.Fatalf("produce %d to %d: %v", i, p, err)
			}
		}
	}
}

// checkStarts asserts ListOffsets earliest answers want per partition.
func checkStarts(t *testing.T, ctx context.Context, adm *kadm.Client, want map[int32]int64) {
	t.Helper()
	starts, err := adm.ListStartOffsets(ctx, drTopic)
	if err != nil || starts.Error() != nil {
		t.Fatalf("list start offsets: %v %v", err, starts.Error())
	}
	for p, w := range want {
		if o, _ := starts.Lookup(drTopic, p); o.Offset != w {
			t.Fatalf("earliest offset of %s[%d] = %d, want %d", drTopic, p, o.Offset, w)
		}
	}
}

// drConsumerOpts make a client checkFromEarliest can use.
func drConsumerOpts() []kgo.Opt {
	return []kgo.Opt{kgo.ConsumeTopics(drTopic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(100 * time.Millisecond)}
}

// checkFromEarliest consumes the topic from the earliest offset with cl
// (made with drConsumerOpts) and asserts partition 0 yields exactly the
// records from offset 3 to 9 and partition 1 none.
func checkFromEarliest(t *testing.T, ctx context.Context, cl *kgo.Client) {
	t.Helper()
	var got []*kgo.Record
	for len(got) == 0 || got[len(got)-1].Offset < 9 {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatalf("consume after %d records: %v", len(got), err)
		}
		fs.EachRecord(func(r *kgo.Record) { got = append(got, r) })
	}
	for i, r := range got {
		want := int64(3 + i)
		if r.Partition != 0 || r.Offset != want || string(r.Value) != numbered(int(want)) {
			t.Fatalf("record %d from earliest: %s[%d]@%d %q, want [0]@%d %q", i, r.Topic, r.Partition, r.Offset, r.Value, want, numbered(int(want)))
		}
	}
	if len(got) != 7 {
		t.Fatalf("consumed %d records from earliest, want 7 (offsets 3..9)", len(got))
	}
}

// rawFetchCode fetches partition p of drTopic at offset and returns the
// partition's error code (franz-go sends the highest version both sides
// know, which names the topic by ID).
func rawFetchCode(t *testing.T, ctx context.Context, cl *kgo.Client, p int32, offset int64) int16 {
	t.Helper()
	topics, err := kadm.NewClient(cl).ListTopics(ctx, drTopic)
	if err != nil || topics.Error() != nil {
		t.Fatalf("list topics: %v %v", err, topics.Error())
	}
	req := kmsg.NewPtrFetchRequest()
	req.MaxWaitMillis, req.MaxBytes = 0, 1<<20
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic, rt.TopicID = drTopic, topics[drTopic].ID
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.Partition, rp.FetchOffset, rp.PartitionMaxBytes = p, offset, 1<<20
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatalf("fetch: %v", err)
	}
	return resp.Topics[0].Partitions[0].ErrorCode
}

// rawDeleteRecords sends one DeleteRecords at version for topic[p] at
// offset straight to the broker at addr (not sharded by the client, so
// missing partitions reach the broker) and returns the partition's answer.
func rawDeleteRecords(t *testing.T, ctx context.Context, addr string, version int16, topic string, p int32, offset int64) kmsg.DeleteRecordsResponseTopicPartition {
	t.Helper()
	versions := kversion.Stable()
	versions.SetMaxKeyVersion(21, version)
	cl := newClient(t, addr, kgo.MaxVersions(versions))
	req := kmsg.NewPtrDeleteRecordsRequest()
	req.TimeoutMillis = 5000
	rt := kmsg.NewDeleteRecordsRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewDeleteRecordsRequestTopicPartition()
	rp.Partition, rp.Offset = p, offset
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	kresp, err := cl.Broker(0).Request(ctx, req)
	if err != nil {
		t.Fatalf("delete records v%d: %v", version, err)
	}
	resp := kresp.(*kmsg.DeleteRecordsResponse)
	if resp.Version != version {
		t.Fatalf("answered at v%d, asked v%d", resp.Version, version)
	}
	return resp.Topics[0].Partitions[0]
}

// waitIntakeObjects waits until exactly want intake objects are left.
func waitIntakeObjects(t *testing.T, ctx context.Context, n *node.Node, want int) {
	t.Helper()
	for {
		infos, err := n.Objects.List(ctx, "intake/")
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		if len(infos) == want {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("%d intake objects left, want %d", len(infos), want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDeleteRecordsKadm(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, deleteRecordsConfig(t, dir), node.Hooks{})
	ctx := ctxTimeout(t, 60*time.Second)
	adm := newAdmin(t, n.KafkaAddr())
	if resp, err := adm.CreateTopic(ctx, 2, 1, nil, drTopic); err != nil || resp.Err != nil {
		t.Fatalf("create topic: %v %v", err, resp.Err)
	}
	produceDR(t, ctx, newClient(t, n.KafkaAddr(), drProducerOpts()...))
	waitIntakeObjects(t, ctx, n, 6+10)

	// Offset 3 is inside partition 0's first batch (offsets 0..4).
	var offs kadm.Offsets
	offs.AddOffset(drTopic, 0, 3, -1)
	offs.AddOffset(drTopic, 1, -1, -1)
	resp, err := adm.DeleteRecords(ctx, offs)
	if err != nil {
		t.Fatalf("delete records: %v", err)
	}
	for p, want := range map[int32]int64{0: 3, 1: 10} {
		r, ok := resp.Lookup(drTopic, p)
		if !ok || r.Err != nil || r.LowWatermark != want {
			t.Fatalf("delete records %s[%d]: %+v (found %v), want low watermark %d", drTopic, p, r, ok, want)
		}
	}
	checkStarts(t, ctx, adm, map[int32]int64{0: 3, 1: 10})
	checkFromEarliest(t, ctx, newClient(t, n.KafkaAddr(), drConsumerOpts()...))
	// By timestamp: offsets 0..2 share a batch with 3 but are gone.
	byTime, err := adm.ListOffsetsAfterMilli(ctx, 0, drTopic)
	if o, _ := byTime.Lookup(drTopic, 0); err != nil || o.Err != nil || o.Offset != 3 {
		t.Fatalf("ListOffsets by timestamp 0 on %s[0]: %d %v %v, want 3", drTopic, o.Offset, err, o.Err)
	}

	cl := newClient(t, n.KafkaAddr())
	if code := rawFetchCode(t, ctx, cl, 0, 2); code != kerr.OffsetOutOfRange.Code {
		t.Fatalf("fetch below the log start: %v, want OFFSET_OUT_OF_RANGE", kerr.ErrorForCode(code))
	}
	for v := int16(0); v <= 2; v++ {
		// Below the start: nothing moves, the current start is answered.
		if r := rawDeleteRecords(t, ctx, n.KafkaAddr(), v, drTopic, 0, 1); r.ErrorCode != 0 || r.LowWatermark != 3 {
			t.Fatalf("v%d delete below the start: %v low watermark %d", v, kerr.ErrorForCode(r.ErrorCode), r.LowWatermark)
		}
		if r := rawDeleteRecords(t, ctx, n.KafkaAddr(), v, drTopic, 0, 11); r.ErrorCode != kerr.OffsetOutOfRange.Code {
			t.Fatalf("v%d delete past the high watermark: %v", v, kerr.ErrorForCode(r.ErrorCode))
		}
		if r := rawDeleteRecords(t, ctx, n.KafkaAddr(), v, drTopic, 2, 0); r.ErrorCode != kerr.UnknownTopicOrPartition.Code {
			t.Fatalf("v%d delete in a missing partition: %v", v, kerr.ErrorForCode(r.ErrorCode))
		}
		if r := rawDeleteRecords(t, ctx, n.KafkaAddr(), v, "no-such-topic", 0, 0); r.ErrorCode != kerr.UnknownTopicOrPartition.Code {
			t.Fatalf("v%d delete in a missing topic: %v", v, kerr.ErrorForCode(r.ErrorCode))
		}
	}
	compact := "compact"
	if r, err := adm.CreateTopic(ctx, 1, 1, map[string]*string{"cleanup.policy": &compact}, "dr-compact"); err != nil || r.Err != nil {
		t.Fatalf("create compacted topic: %v %v", err, r.Err)
	}
	if r := rawDeleteRecords(t, ctx, n.KafkaAddr(), 2, "dr-compact", 0, 0); r.ErrorCode != kerr.PolicyViolation.Code {
		t.Fatalf("delete in a compacted topic: %v, want POLICY_VIOLATION", kerr.ErrorForCode(r.ErrorCode))
	}

	// Partition 1's ten objects and partition 0's none: its first object
	// still holds offsets 3 and 4.
	waitIntakeObjects(t, ctx, n, 6)

	stopNode(t, n)
	n2 := startNode(t, deleteRecordsConfig(t, dir), node.Hooks{})
	adm2 := newAdmin(t, n2.KafkaAddr())
	checkStarts(t, ctx, adm2, map[int32]int64{0: 3, 1: 10})
	checkFromEarliest(t, ctx, newClient(t, n2.KafkaAddr(), drConsumerOpts()...))
	ends, err := adm2.ListEndOffsets(ctx, drTopic)
	if err != nil || ends.Error() != nil {
		t.Fatalf("list end offsets: %v %v", err, ends.Error())
	}
	for p := range int32(2) {
		if o, _ := ends.Lookup(drTopic, p); o.Offset != 10 {
			t.Fatalf("end offset of %s[%d] after restart = %d, want 10", drTopic, p, o.Offset)
		}
	}
}
