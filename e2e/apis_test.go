package e2e

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/node"
)

// TestTopicAdmin covers CreateTopics (configs, validation, duplicates,
// replication factor), CreatePartitions, DeleteTopics and re-creation.
func TestTopicAdmin(t *testing.T) {
	n := startNode(t, testConfig(t, t.TempDir()), node.Hooks{})
	ctx := ctxTimeout(t, 30*time.Second)
	adm := newAdmin(t, n.KafkaAddr())

	resp, err := adm.CreateTopic(ctx, 3, 3, map[string]*string{"retention.ms": kadm.StringPtr("60000"), "bufstream.archive.kind": kadm.StringPtr("PARQUET")}, "admin-a")
	if err != nil || resp.Err != nil {
		t.Fatalf("create with replication factor 3: %v %v", err, resp.Err)
	}
	if resp.NumPartitions != 3 || resp.ReplicationFactor != 1 || resp.ID == [16]byte{} {
		t.Fatalf("created %+v: want 3 partitions, reported replication factor 1, a topic ID", resp)
	}
	if resp, _ := adm.CreateTopic(ctx, 1, 1, nil, "admin-a"); !errors.Is(resp.Err, kerr.TopicAlreadyExists) {
		t.Fatalf("duplicate create: %v", resp.Err)
	}
	if resp, _ := adm.CreateTopic(ctx, 1, 1, map[string]*string{"retention.ms": kadm.StringPtr("soon")}, "admin-b"); !errors.Is(resp.Err, kerr.InvalidConfig) {
		t.Fatalf("bad config value: %v", resp.Err)
	}
	if resp, _ := adm.CreateTopic(ctx, 1, 1, map[string]*string{"no.such.key": kadm.StringPtr("1")}, "admin-b"); !errors.Is(resp.Err, kerr.InvalidConfig) {
		t.Fatalf("unknown config key: %v", resp.Err)
	}
	if resp, _ := adm.CreateTopic(ctx, 1, 1, nil, "bad/name"); !errors.Is(resp.Err, kerr.InvalidTopicException) {
		t.Fatalf("bad topic name: %v", resp.Err)
	}
	if resp, _ := adm.CreateTopic(ctx, 0, 1, nil, "admin-b"); !errors.Is(resp.Err, kerr.InvalidPartitions) {
		t.Fatalf("zero partitions: %v", resp.Err)
	}
	if resp, err := adm.ValidateCreateTopics(ctx, 2, 1, nil, "admin-v"); err != nil || resp["admin-v"].Err != nil {
		t.Fatalf("validate-only create: %v %v", err, resp["admin-v"].Err)
	}
	if topics, _ := adm.ListTopics(ctx, "admin-v"); topics.Has("admin-v") && topics["admin-v"].Err == nil {
		t.Fatal("validate-only create created the topic")
	}

	if r, err := adm.UpdatePartitions(ctx, 5, "admin-a"); err != nil || r["admin-a"].Err != nil {
		t.Fatalf("create partitions 3→5: %v %v", err, r["admin-a"].Err)
	}
	if r, _ := adm.UpdatePartitions(ctx, 2, "admin-a"); !errors.Is(r["admin-a"].Err, kerr.InvalidPartitions) {
		t.Fatalf("shrink partitions: %v", r["admin-a"].Err)
	}
	rec := &kgo.Record{Topic: "admin-a", Partition: 4, Value: []byte("p4")}
	pcl := newClient(t, n.KafkaAddr(), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err := pcl.ProduceSync(ctx, rec).FirstErr(); err != nil || rec.Offset != 0 {
		t.Fatalf("produce to new partition 4: %v (offset %d)", err, rec.Offset)
	}

	firstID := resp.ID
	if r, err := adm.DeleteTopics(ctx, "admin-a"); err != nil || r["admin-a"].Err != nil {
		t.Fatalf("delete: %v %v", err, r["admin-a"].Err)
	}
	if r, _ := adm.DeleteTopics(ctx, "admin-a"); !errors.Is(r["admin-a"].Err, kerr.UnknownTopicOrPartition) {
		t.Fatalf("delete twice: %v", r["admin-a"].Err)
	}
	again, err := adm.CreateTopic(ctx, 1, 1, nil, "admin-a")
	if err != nil || again.Err != nil || again.ID == firstID {
		t.Fatalf("re-create: %v %v, same ID %v", err, again.Err, again.ID == firstID)
	}
	ends, err := adm.ListEndOffsets(ctx, "admin-a")
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := ends.Lookup("admin-a", 0); o.Offset != 0 {
		t.Fatalf("re-created topic has end offset %d, want 0", o.Offset)
	}
}

// TestTopicConfigs covers DescribeConfigs, AlterConfigs (replace) and
// IncrementalAlterConfigs (set, delete, append), bufstream.* keys included.
func TestTopicConfigs(t *testing.T) {
	n := startNode(t, testConfig(t, t.TempDir()), node.Hooks{})
	ctx := ctxTimeout(t, 30*time.Second)
	adm := newAdmin(t, n.KafkaAddr())
	if _, err := adm.CreateTopic(ctx, 1, 1, map[string]*string{"retention.bytes": kadm.StringPtr("1000")}, "cfg"); err != nil {
		t.Fatal(err)
	}
	get := func() map[string]kadm.Config {
		t.Helper()
		rcs, err := adm.DescribeTopicConfigs(ctx, "cfg")
		if err != nil {
			t.Fatal(err)
		}
		rc, err := rcs.On("cfg", nil)
		if err != nil || rc.Err != nil {
			t.Fatalf("describe: %v %v", err, rc.Err)
		}
		m := map[string]kadm.Config{}
		for _, c := range rc.Configs {
			m[c.Key] = c
		}
		return m
	}
	m := get()
	if val(m, "retention.bytes") != "1000" || m["retention.bytes"].Source != kmsg.ConfigSourceDynamicTopicConfig {
		t.Fatalf("retention.bytes: %+v", m["retention.bytes"])
	}
	if val(m, "retention.ms") != "604800000" || m["retention.ms"].Source != kmsg.ConfigSourceDefaultConfig {
		t.Fatalf("retention.ms default: %+v", m["retention.ms"])
	}
	for _, k := range []string{"cleanup.policy", "max.message.bytes", "message.timestamp.type"} {
		if _, ok := m[k]; !ok {
			t.Fatalf("%s not described", k)
		}
	}
	alter := func(cfgs ...kadm.AlterConfig) error {
		t.Helper()
		r, err := adm.AlterTopicConfigs(ctx, cfgs, "cfg")
		if err != nil {
			return err
		}
		return r[0].Err
	}
	// PARQUET: a Bufstream key stored as set (ICEBERG needs a table too: e2e/topicconfig_test.go).
	if err := alter(
		kadm.AlterConfig{Op: kadm.SetConfig, Name: "retention.ms", Value: kadm.StringPtr("3600000")},
		kadm.AlterConfig{Op: kadm.SetConfig, Name: "bufstream.archive.kind", Value: kadm.StringPtr("PARQUET")},
		kadm.AlterConfig{Op: kadm.DeleteConfig, Name: "retention.bytes"},
		kadm.AlterConfig{Op: kadm.AppendConfig, Name: "cleanup.policy", Value: kadm.StringPtr("compact")},
	); err != nil {
		t.Fatalf("incremental alter: %v", err)
	}
	m = get()
	if val(m, "retention.ms") != "3600000" || val(m, "bufstream.archive.kind") != "PARQUET" ||
		val(m, "retention.bytes") != "-1" || val(m, "cleanup.policy") != "delete,compact" {
		t.Fatalf("after incremental alter: retention.ms=%s archive=%s retention.bytes=%s cleanup=%s",
			val(m, "retention.ms"), val(m, "bufstream.archive.kind"), val(m, "retention.bytes"), val(m, "cleanup.policy"))
	}
	if err := alter(kadm.AlterConfig{Op: kadm.SetConfig, Name: "message.timestamp.type", Value: kadm.StringPtr("Sometimes")}); !errors.Is(err, kerr.InvalidConfig) {
		t.Fatalf("invalid value: %v", err)
	}
	// Legacy AlterConfigs replaces the whole set.
	r, err := adm.AlterTopicConfigsState(ctx, []kadm.AlterConfig{{Name: "max.message.bytes", Value: kadm.StringPtr("2048")}}, "cfg")
	if err != nil || r[0].Err != nil {
		t.Fatalf("alter (replace): %v %v", err, r[0].Err)
	}
	m = get()
	if val(m, "max.message.bytes") != "2048" || val(m, "retention.ms") != "604800000" {
		t.Fatalf("after replace: max.message.bytes=%s retention.ms=%s", val(m, "max.message.bytes"), val(m, "retention.ms"))
	}
	if _, ok := m["bufstream.archive.kind"]; ok {
		t.Fatal("replace kept a key it did not name")
	}
	// max.message.bytes is enforced on produce.
	cl := newClient(t, n.KafkaAddr(), kgo.ProducerBatchCompression(kgo.NoCompression()))
	big := &kgo.Record{Topic: "cfg", Value: make([]byte, 4096)}
	if err := cl.ProduceSync(ctx, big).FirstErr(); !errors.Is(err, kerr.MessageTooLarge) {
		t.Fatalf("record over max.message.bytes: %v", err)
	}
}

// TestAutoCreate: Metadata creates unknown topics when allowed, with the
// default partition count, and not when auto-creation is off.
func TestAutoCreate(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.Kafka.DefaultPartitions = 4
	n := startNode(t, cfg, node.Hooks{})
	ctx := ctxTimeout(t, 30*time.Second)
	cl := newClient(t, n.KafkaAddr(), kgo.AllowAutoTopicCreation())
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "auto", Value: []byte("x")}).FirstErr(); err != nil {
		t.Fatalf("produce to unknown topic: %v", err)
	}
	td, err := newAdmin(t, n.KafkaAddr()).ListTopics(ctx, "auto")
	if err != nil || len(td["auto"].Partitions) != 4 {
		t.Fatalf("auto-created topic: %v, %d partitions", err, len(td["auto"].Partitions))
	}

	cfg2 := testConfig(t, t.TempDir())
	cfg2.Kafka.AutoCreateTopics = false
	n2 := startNode(t, cfg2, node.Hooks{})
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr("nope")
	req.Topics, req.AllowAutoTopicCreation = append(req.Topics, rt), true
	resp, err := req.RequestWith(ctx, newClient(t, n2.KafkaAddr()))
	if err != nil || resp.Topics[0].ErrorCode != kerr.UnknownTopicOrPartition.Code {
		t.Fatalf("metadata for unknown topic with auto-creation off: %v %+v", err, resp)
	}
}

// TestListOffsets covers earliest, latest, by timestamp and max timestamp.
func TestListOffsets(t *testing.T) {
	n := startNode(t, testConfig(t, t.TempDir()), node.Hooks{})
	ctx := ctxTimeout(t, 30*time.Second)
	adm := newAdmin(t, n.KafkaAddr())
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, "lo"); err != nil {
		t.Fatal(err)
	}
	cl := newClient(t, n.KafkaAddr(), kgo.DefaultProduceTopic("lo"), kgo.ProducerLinger(0))
	base := time.UnixMilli(1_700_000_000_000)
	stamps := []int64{0, 10, 20, 500, 30, 40} // offset 3 carries the max timestamp
	for i, d := range stamps {
		r := &kgo.Record{Value: []byte(strconv.Itoa(i)), Timestamp: base.Add(time.Duration(d) * time.Millisecond)}
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	check := func(name string, l kadm.ListedOffsets, err error, want int64) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		o, ok := l.Lookup("lo", 0)
		if !ok || o.Err != nil || o.Offset != want {
			t.Fatalf("%s: offset %d err %v, want %d", name, o.Offset, o.Err, want)
		}
	}
	l, err := adm.ListStartOffsets(ctx, "lo")
	check("earliest", l, err, 0)
	l, err = adm.ListEndOffsets(ctx, "lo")
	check("latest", l, err, 6)
	l, err = adm.ListOffsetsAfterMilli(ctx, base.UnixMilli()+15, "lo")
	check("after +15ms", l, err, 2)
	l, err = adm.ListOffsetsAfterMilli(ctx, base.UnixMilli()+35, "lo")
	check("after +35ms", l, err, 3) // first record with timestamp ≥ ts, in offset order
	l, err = adm.ListMaxTimestampOffsets(ctx, "lo")
	check("max timestamp", l, err, 3)
	l, err = adm.ListOffsetsAfterMilli(ctx, base.UnixMilli()+10_000, "lo")
	check("after the last", l, err, 6) // kadm maps "none" to the end offset
}

// TestFetchLongPoll: a fetch waiting on an empty partition returns as soon
// as a produce commits, well before its MaxWait.
func TestFetchLongPoll(t *testing.T) {
	n := startNode(t, testConfig(t, t.TempDir()), node.Hooks{})
	ctx := ctxTimeout(t, 30*time.Second)
	adm := newAdmin(t, n.KafkaAddr())
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, "lp"); err != nil {
		t.Fatal(err)
	}
	td, _ := adm.ListTopics(ctx, "lp")
	fetchCl := newClient(t, n.KafkaAddr())
	req := kmsg.NewPtrFetchRequest()
	req.MaxWaitMillis, req.MinBytes, req.MaxBytes = 10_000, 1, 1<<20
	ft := kmsg.NewFetchRequestTopic()
	ft.Topic, ft.TopicID = "lp", td["lp"].ID
	fp := kmsg.NewFetchRequestTopicPartition()
	fp.PartitionMaxBytes = 1 << 20
	ft.Partitions = append(ft.Partitions, fp)
	req.Topics = append(req.Topics, ft)

	type result struct {
		resp *kmsg.FetchResponse
		err  error
		took time.Duration
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		resp, err := req.RequestWith(ctx, fetchCl)
		done <- result{resp, err, time.Since(start)}
	}()
	time.Sleep(300 * time.Millisecond)
	cl := newClient(t, n.KafkaAddr(), kgo.DefaultProduceTopic("lp"))
	if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte("wake")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	p := r.resp.Topics[0].Partitions[0]
	if p.ErrorCode != 0 || len(p.RecordBatches) == 0 || p.HighWatermark != 1 {
		t.Fatalf("long poll answer: code %d, %d bytes, hw %d", p.ErrorCode, len(p.RecordBatches), p.HighWatermark)
	}
	if r.took < 250*time.Millisecond || r.took > 5*time.Second {
		t.Fatalf("long poll returned after %v: want soon after the produce at 300ms, far before the 10s max wait", r.took)
	}
}

// TestFetchLimits: PartitionMaxBytes smaller than one batch still returns
// that first batch whole (KIP-74), and a second partition then gets nothing
// once MaxBytes is spent; an offset past the end is OFFSET_OUT_OF_RANGE.
func TestFetchLimits(t *testing.T) {
	n := startNode(t, testConfig(t, t.TempDir()), node.Hooks{})
	ctx := ctxTimeout(t, 30*time.Second)
	adm := newAdmin(t, n.KafkaAddr())
	if _, err := adm.CreateTopic(ctx, 2, 1, nil, "lim"); err != nil {
		t.Fatal(err)
	}
	cl := newClient(t, n.KafkaAddr(), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(0), kgo.ProducerBatchCompression(kgo.NoCompression()))
	for i := 0; i < 3; i++ {
		for p := int32(0); p < 2; p++ {
			r := &kgo.Record{Topic: "lim", Partition: p, Value: make([]byte, 1000)}
			if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
	td, err := adm.ListTopics(ctx, "lim")
	if err != nil {
		t.Fatal(err)
	}
	fcl := newClient(t, n.KafkaAddr())
	fetch := func(maxBytes, partMax int32, offset int64) *kmsg.FetchResponse {
		t.Helper()
		req := kmsg.NewPtrFetchRequest()
		req.MaxBytes, req.MinBytes = maxBytes, 1
		ft := kmsg.NewFetchRequestTopic()
		ft.Topic, ft.TopicID = "lim", td["lim"].ID
		for p := int32(0); p < 2; p++ {
			fp := kmsg.NewFetchRequestTopicPartition()
			fp.Partition, fp.FetchOffset, fp.PartitionMaxBytes = p, offset, partMax
			ft.Partitions = append(ft.Partitions, fp)
		}
		req.Topics = append(req.Topics, ft)
		resp, err := req.RequestWith(ctx, fcl)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := fetch(100, 100, 0)
	p0, p1 := resp.Topics[0].Partitions[0], resp.Topics[0].Partitions[1]
	if p0.ErrorCode != 0 || p1.ErrorCode != 0 {
		t.Fatalf("fetch error codes %d %d", p0.ErrorCode, p1.ErrorCode)
	}
	if n := countBatches(t, p0.RecordBatches); n != 1 {
		t.Fatalf("partition 0 with tiny limits: %d batches, want exactly the first", n)
	}
	if len(p1.RecordBatches) != 0 {
		t.Fatalf("partition 1 got %d bytes after the response budget was spent", len(p1.RecordBatches))
	}
	resp = fetch(1<<20, 1<<20, 0)
	if n := countBatches(t, resp.Topics[0].Partitions[1].RecordBatches); n != 3 {
		t.Fatalf("partition 1 with room: %d batches, want 3", n)
	}
	resp = fetch(1<<20, 1<<20, 99)
	if c := resp.Topics[0].Partitions[0].ErrorCode; c != kerr.OffsetOutOfRange.Code {
		t.Fatalf("offset past the end: code %d", c)
	}
}

// val is a described config's value, "" when absent or null.
func val(m map[string]kadm.Config, k string) string {
	c := m[k]
	return c.MaybeValue()
}

func countBatches(t *testing.T, b []byte) int {
	t.Helper()
	n := 0
	for len(b) > 0 {
		var rb kmsg.RecordBatch
		if err := rb.ReadFrom(b); err != nil {
			t.Fatalf("batch %d: %v", n, err)
		}
		if rb.FirstOffset != int64(n) {
			t.Fatalf("batch %d has base offset %d", n, rb.FirstOffset)
		}
		b = b[12+int(rb.Length):]
		n++
	}
	return n
}

// TestLogAppendTime: on a LogAppendTime topic the broker stamps records.
func TestLogAppendTime(t *testing.T) {
	n := startNode(t, testConfig(t, t.TempDir()), node.Hooks{})
	ctx := ctxTimeout(t, 30*time.Second)
	adm := newAdmin(t, n.KafkaAddr())
	if _, err := adm.CreateTopic(ctx, 1, 1, map[string]*string{"message.timestamp.type": kadm.StringPtr("LogAppendTime")}, "lat"); err != nil {
		t.Fatal(err)
	}
	old := time.UnixMilli(1_000_000_000_000)
	cl := newClient(t, n.KafkaAddr(), kgo.DefaultProduceTopic("lat"))
	before := time.Now().Add(-time.Second)
	if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte("x"), Timestamp: old}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	got := consumeAll(t, ctx, n.KafkaAddr(), "lat", 1)
	r := got[0][0]
	if r.Timestamp.Before(before) || r.Attrs.TimestampType() != 1 {
		t.Fatalf("record timestamp %v type %d: want the broker's append time", r.Timestamp, r.Attrs.TimestampType())
	}
}

// TestDescribeCluster reports this broker as the controller.
func TestDescribeCluster(t *testing.T) {
	n := startNode(t, testConfig(t, t.TempDir()), node.Hooks{})
	ctx := ctxTimeout(t, 10*time.Second)
	resp, err := kmsg.NewPtrDescribeClusterRequest().RequestWith(ctx, newClient(t, n.KafkaAddr()))
	if err != nil || resp.ErrorCode != 0 || len(resp.Brokers) != 1 || resp.ClusterID != "tributary" {
		t.Fatalf("describe cluster: %v %+v", err, resp)
	}
}
