package read

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/metastore/boltstore"
)

// countingMeta counts the partition-state reads PollRemote makes.
type countingMeta struct {
	metastore.Store
	one, many atomic.Int64
}

func (c *countingMeta) Partition(ctx context.Context, pk metastore.PartitionKey) (metastore.PartitionState, error) {
	c.one.Add(1)
	return c.Store.Partition(ctx, pk)
}

func (c *countingMeta) PartitionStates(ctx context.Context, pks []metastore.PartitionKey) (map[metastore.PartitionKey]metastore.PartitionState, error) {
	c.many.Add(1)
	return c.Store.PartitionStates(ctx, pks)
}

// TestPollRemoteOneQueryPerTick: in cluster mode the watcher of remote
// commits used to read each watched partition's state with its own query
// every tick (1,000 watched partitions: 20,000 queries a second at 50ms);
// now one query covers them all, and a partition another broker appended
// to still wakes its watchers.
func TestPollRemoteOneQueryPerTick(t *testing.T) {
	dir := t.TempDir()
	bolt, err := boltstore.Open(filepath.Join(dir, "meta.db"), boltstore.Options{})
	if err != nil {
		t.Fatalf("open boltstore: %v", err)
	}
	t.Cleanup(func() { _ = bolt.Close() }) // a test store going away
	meta := &countingMeta{Store: bolt}
	top, err := bolt.CreateTopic(t.Context(), metastore.TopicSpec{Name: "t", Partitions: 50})
	if err != nil {
		t.Fatal(err)
	}
	var pks []metastore.PartitionKey
	for p := range int32(50) {
		pks = append(pks, metastore.PartitionKey{Topic: top.ID, Partition: p})
	}
	r := NewReader(Config{}, meta, nil)
	w := r.WatchChanges(pks)
	defer w.Cancel()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); r.PollRemote(ctx, 5*time.Millisecond) }()
	defer func() { cancel(); <-done }()
	for meta.many.Load() < 3 { // the first tick only learns the high watermarks
		time.Sleep(time.Millisecond)
	}
	// Another broker's commit: straight into the store, not through this reader.
	pk := pks[17]
	if _, err := bolt.Append(t.Context(), metastore.ObjectRef{Key: "intake/x.obj", Size: 10},
		[]metastore.AppendBatch{{Partition: pk, Size: 10, NumRecords: 1, ProducerID: metastore.NoProducerID}}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-w.C():
	case <-time.After(5 * time.Second):
		t.Fatal("a remote commit did not wake the watcher")
	}
	if got := w.Changed(); len(got) != 1 {
		t.Errorf("changed %v, want only %v", got, pk)
	} else if _, ok := got[pk]; !ok {
		t.Errorf("changed %v, want %v", got, pk)
	}
	ticks := meta.many.Load()
	if one := meta.one.Load(); one != 0 {
		t.Errorf("%d single-partition reads in %d ticks for 50 watched partitions; want one query per tick", one, ticks)
	}
}
