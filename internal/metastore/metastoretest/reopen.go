package metastoretest

import (
	"maps"
	"slices"
	"testing"

	"github.com/tributary-io/tributary/internal/metastore"
)

// snapshot is everything the interface can show of a store.
type snapshot struct {
	topics  []metastore.Topic
	indexes map[metastore.PartitionKey][]metastore.IndexEntry
	states  map[metastore.PartitionKey]metastore.PartitionState
	dead    []string
	known   map[string]bool
}

func (h *harness) snapshot(t *testing.T, keys []string) snapshot {
	t.Helper()
	ctx := t.Context()
	s := snapshot{
		indexes: map[metastore.PartitionKey][]metastore.IndexEntry{},
		states:  map[metastore.PartitionKey]metastore.PartitionState{},
	}
	var err error
	if s.topics, err = h.s.Topics(ctx); err != nil {
		t.Fatalf("Topics: %v", err)
	}
	for _, topic := range s.topics {
		for _, pk := range partitions(topic) {
			s.indexes[pk], s.states[pk] = h.readIndex(t, pk, 0, 0)
		}
	}
	if s.dead, err = h.s.DeadObjects(ctx, 0); err != nil {
		t.Fatalf("DeadObjects: %v", err)
	}
	slices.Sort(s.dead)
	if s.known, err = h.s.KnownObjects(ctx, keys); err != nil {
		t.Fatalf("KnownObjects: %v", err)
	}
	return s
}

func (a snapshot) equal(b snapshot) bool {
	return slices.EqualFunc(a.topics, b.topics, sameTopic) &&
		maps.EqualFunc(a.indexes, b.indexes, equalEntries) &&
		maps.Equal(a.states, b.states) &&
		slices.Equal(a.dead, b.dead) &&
		maps.Equal(a.known, b.known)
}

// testReopen builds a store using every kind of write, closes it, opens it
// again and checks that everything committed, producer state included, is
// still there.
func testReopen(t *testing.T, h *harness) {
	ctx := t.Context()
	a := h.createTopic(t, "a", 2)
	if _, err := h.s.CreateTopic(ctx, metastore.TopicSpec{Name: "b", Partitions: 1, Configs: map[string]string{"x": "1"}}); err != nil {
		t.Fatal(err)
	}
	h.createTopic(t, "gone", 1)
	if _, err := h.s.DeleteTopic(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.s.CreatePartitions(ctx, "a", 3); err != nil {
		t.Fatal(err)
	}
	if _, err := h.s.AlterTopicConfigs(ctx, "a", map[string]*string{"y": ptr("2")}, false); err != nil {
		t.Fatal(err)
	}
	pks := partitions(metastore.Topic{ID: a.ID, Partitions: 3})
	pid, err := h.s.AllocateProducerID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for i := range 5 {
		_, key := h.append(t, idem(pks[0], 2, pid, 1, int32(2*i)), batch(pks[i%3], 1, 10, 10))
		keys = append(keys, key)
	}
	_, refused := h.append(t, batch(metastore.PartitionKey{Topic: a.ID, Partition: 9}, 1, 0, 1))
	keys = append(keys, refused, "never")
	if _, err := h.s.TrimIndex(ctx, pks[1], 1); err != nil {
		t.Fatal(err)
	}
	old, _ := h.readIndex(t, pks[2], 0, 0)
	repl := metastore.IndexEntry{BaseOffset: old[0].BaseOffset, LastOffset: old[len(old)-1].LastOffset, ObjectKey: "segment/1", Size: 7}
	if err := h.s.ReplaceIndex(ctx, pks[2], old, repl); err != nil {
		t.Fatal(err)
	}
	keys = append(keys, "segment/1")

	before := h.snapshot(t, keys)
	for range 2 {
		h.reopen(t)
		if after := h.snapshot(t, keys); !after.equal(before) {
			t.Fatalf("after reopen\n got %+v\nwant %+v", after, before)
		}
	}

	// Producer state and the ID counter survived too.
	res, _ := h.append(t, idem(pks[0], 2, pid, 1, 8), idem(pks[0], 1, pid, 1, 10))
	mustDup(t, res[0], before.indexes[pks[0]][len(before.indexes[pks[0]])-1].BaseOffset)
	mustAccept(t, res[1], before.states[pks[0]].HighWater)
	if next, err := h.s.AllocateProducerID(ctx); err != nil || next <= pid {
		t.Fatalf("AllocateProducerID after reopen = %d, %v; had %d", next, err, pid)
	}
}
