package metastoretest

import (
	"maps"
	"testing"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
)

func testTopics(t *testing.T, h *harness) {
	ctx := t.Context()
	before := time.Now().Add(-time.Second)
	b := h.createTopic(t, "b", 2)
	a := h.createTopic(t, "a", 1)
	if b.ID.IsZero() || a.ID == b.ID || b.Partitions != 2 || b.Name != "b" {
		t.Fatalf("created %+v and %+v", b, a)
	}
	if b.CreatedAt.Before(before) || b.CreatedAt.After(time.Now().Add(time.Second)) {
		t.Fatalf("CreatedAt = %v", b.CreatedAt)
	}

	_, err := h.s.CreateTopic(ctx, metastore.TopicSpec{Name: "b", Partitions: 5})
	mustErr(t, err, metastore.ErrTopicExists)
	for _, n := range []int32{0, -1} {
		_, err = h.s.CreateTopic(ctx, metastore.TopicSpec{Name: "c", Partitions: n})
		mustErr(t, err, metastore.ErrInvalidPartitions)
	}
	_, err = h.s.CreateTopic(ctx, metastore.TopicSpec{Name: "", Partitions: 1})
	mustErr(t, err, metastore.ErrInvalidRequest)

	got, err := h.s.Topic(ctx, "b")
	if err != nil || !sameTopic(got, b) {
		t.Fatalf("Topic(b) = %+v, %v; want %+v", got, err, b)
	}
	got, err = h.s.TopicByID(ctx, a.ID)
	if err != nil || !sameTopic(got, a) {
		t.Fatalf("TopicByID(a) = %+v, %v; want %+v", got, err, a)
	}
	_, err = h.s.Topic(ctx, "nope")
	mustErr(t, err, metastore.ErrUnknownTopic)
	_, err = h.s.TopicByID(ctx, metastore.TopicID{1})
	mustErr(t, err, metastore.ErrUnknownTopic)
	h.checkTopics(t, "a", "b")

	deleted, err := h.s.DeleteTopic(ctx, "b")
	if err != nil || deleted.ID != b.ID {
		t.Fatalf("DeleteTopic(b) = %+v, %v", deleted, err)
	}
	_, err = h.s.DeleteTopic(ctx, "b")
	mustErr(t, err, metastore.ErrUnknownTopic)
	_, err = h.s.Topic(ctx, "b")
	mustErr(t, err, metastore.ErrUnknownTopic)
	_, err = h.s.TopicByID(ctx, b.ID)
	mustErr(t, err, metastore.ErrUnknownTopic)
	_, err = h.s.Partition(ctx, metastore.PartitionKey{Topic: b.ID, Partition: 0})
	mustErr(t, err, metastore.ErrUnknownPartition)
	h.checkTopics(t, "a")

	b2 := h.createTopic(t, "b", 3)
	if b2.ID == b.ID || b2.Partitions != 3 {
		t.Fatalf("recreated topic %+v reuses id of %+v", b2, b)
	}
	h.checkTopics(t, "a", "b")
}

// sameTopic compares topics, treating nil and empty configs alike.
func sameTopic(a, b metastore.Topic) bool {
	return a.Name == b.Name && a.ID == b.ID && a.Partitions == b.Partitions &&
		maps.Equal(a.Configs, b.Configs) && a.CreatedAt.Equal(b.CreatedAt)
}

func (h *harness) checkTopics(t *testing.T, names ...string) {
	t.Helper()
	topics, err := h.s.Topics(t.Context())
	if err != nil {
		t.Fatalf("Topics: %v", err)
	}
	var got []string
	for _, tp := range topics {
		got = append(got, tp.Name)
	}
	if len(got) != len(names) {
		t.Fatalf("Topics = %q, want %q", got, names)
	}
	for i := range got {
		if got[i] != names[i] {
			t.Fatalf("Topics = %q, want %q (sorted by name)", got, names)
		}
	}
}

func ptr(s string) *string { return &s }

func testTopicConfigs(t *testing.T, h *harness) {
	ctx := t.Context()
	cfg := map[string]string{"retention.ms": "1000", "cleanup.policy": "delete"}
	created, err := h.s.CreateTopic(ctx, metastore.TopicSpec{Name: "t", Partitions: 1, Configs: cfg})
	if err != nil || !maps.Equal(created.Configs, cfg) {
		t.Fatalf("CreateTopic = %+v, %v", created, err)
	}
	cfg["retention.ms"] = "changed by caller"
	if got, _ := h.s.Topic(ctx, "t"); got.Configs["retention.ms"] != "1000" {
		t.Fatalf("store kept the caller's map: %v", got.Configs)
	}

	incr := map[string]*string{"retention.ms": nil, "segment.bytes": ptr("100"), "never.set": nil}
	h.checkConfigs(t, incr, false, map[string]string{"cleanup.policy": "delete", "segment.bytes": "100"})
	repl := map[string]*string{"max.message.bytes": ptr("5"), "ignored": nil}
	h.checkConfigs(t, repl, true, map[string]string{"max.message.bytes": "5"})
	h.checkConfigs(t, nil, true, map[string]string{})

	_, err = h.s.AlterTopicConfigs(ctx, "nope", incr, false)
	mustErr(t, err, metastore.ErrUnknownTopic)
}

// checkConfigs alters t's configs and checks the answer and a re-read.
func (h *harness) checkConfigs(t *testing.T, set map[string]*string, replace bool, want map[string]string) {
	t.Helper()
	got, err := h.s.AlterTopicConfigs(t.Context(), "t", set, replace)
	if err != nil || !maps.Equal(got.Configs, want) {
		t.Fatalf("AlterTopicConfigs(replace=%v) = %v, %v; want %v", replace, got.Configs, err, want)
	}
	if reread, _ := h.s.Topic(t.Context(), "t"); !maps.Equal(reread.Configs, want) {
		t.Fatalf("after AlterTopicConfigs(replace=%v) Topic has %v, want %v", replace, reread.Configs, want)
	}
}

func testCreatePartitions(t *testing.T, h *harness) {
	ctx := t.Context()
	topic := h.createTopic(t, "t", 2)
	for _, n := range []int32{2, 1, 0} {
		_, err := h.s.CreatePartitions(ctx, "t", n)
		mustErr(t, err, metastore.ErrInvalidPartitions)
	}
	_, err := h.s.CreatePartitions(ctx, "nope", 4)
	mustErr(t, err, metastore.ErrUnknownTopic)

	got, err := h.s.CreatePartitions(ctx, "t", 5)
	if err != nil || got.Partitions != 5 || got.ID != topic.ID {
		t.Fatalf("CreatePartitions = %+v, %v", got, err)
	}
	if reread, _ := h.s.Topic(ctx, "t"); reread.Partitions != 5 {
		t.Fatalf("Topic after CreatePartitions has %d partitions", reread.Partitions)
	}
	pk := metastore.PartitionKey{Topic: topic.ID, Partition: 4}
	if st := h.partition(t, pk); st != (metastore.PartitionState{}) {
		t.Fatalf("new partition state %+v", st)
	}
	res, _ := h.append(t, batch(pk, 3, 0, 10))
	mustAccept(t, res[0], 0)
	_, err = h.s.Partition(ctx, metastore.PartitionKey{Topic: topic.ID, Partition: 5})
	mustErr(t, err, metastore.ErrUnknownPartition)
}
