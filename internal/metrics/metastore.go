package metrics

import (
	"context"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
)

// MetaStore wraps store so that every call is counted and timed in
// m.MetaStoreOps and m.MetaStoreLatency, labelled with the method's name in
// snake case ("create_topic", "append", "read_index", …) and the result.
// Per-batch errors inside Append's results are outcomes, not store errors,
// and count as "ok", as does a lease held by another. Close is passed
// through unmeasured.
func MetaStore(m *Metrics, store metastore.Store) metastore.Store {
	return &metaStore{m: m, inner: store}
}

type metaStore struct {
	m     *Metrics
	inner metastore.Store
}

var _ metastore.Store = (*metaStore)(nil)

// timed runs f as the call op and records it.
func timed[T any](s *metaStore, op string, f func() (T, error)) (T, error) {
	start := time.Now()
	v, err := f()
	observe(s.m.MetaStoreOps, s.m.MetaStoreLatency, op, start, err)
	return v, err
}

// timedErr is timed for methods that return only an error.
func timedErr(s *metaStore, op string, f func() error) error {
	_, err := timed(s, op, func() (struct{}, error) { return struct{}{}, f() })
	return err
}

func (s *metaStore) CreateTopic(ctx context.Context, spec metastore.TopicSpec) (metastore.Topic, error) {
	return timed(s, "create_topic", func() (metastore.Topic, error) { return s.inner.CreateTopic(ctx, spec) })
}

func (s *metaStore) DeleteTopic(ctx context.Context, name string) (metastore.Topic, error) {
	return timed(s, "delete_topic", func() (metastore.Topic, error) { return s.inner.DeleteTopic(ctx, name) })
}

func (s *metaStore) Topic(ctx context.Context, name string) (metastore.Topic, error) {
	return timed(s, "topic", func() (metastore.Topic, error) { return s.inner.Topic(ctx, name) })
}

func (s *metaStore) TopicByID(ctx context.Context, id metastore.TopicID) (metastore.Topic, error) {
	return timed(s, "topic_by_id", func() (metastore.Topic, error) { return s.inner.TopicByID(ctx, id) })
}

func (s *metaStore) Topics(ctx context.Context) ([]metastore.Topic, error) {
	return timed(s, "topics", func() ([]metastore.Topic, error) { return s.inner.Topics(ctx) })
}

func (s *metaStore) CreatePartitions(ctx context.Context, name string, total int32) (metastore.Topic, error) {
	return timed(s, "create_partitions", func() (metastore.Topic, error) {
		return s.inner.CreatePartitions(ctx, name, total)
	})
}

func (s *metaStore) AlterTopicConfigs(ctx context.Context, name string, set map[string]*string, replace bool) (metastore.Topic, error) {
	return timed(s, "alter_topic_configs", func() (metastore.Topic, error) {
		return s.inner.AlterTopicConfigs(ctx, name, set, replace)
	})
}

func (s *metaStore) Append(ctx context.Context, obj metastore.ObjectRef, batches []metastore.AppendBatch) ([]metastore.AppendResult, error) {
	return timed(s, "append", func() ([]metastore.AppendResult, error) { return s.inner.Append(ctx, obj, batches) })
}

func (s *metaStore) Partition(ctx context.Context, pk metastore.PartitionKey) (metastore.PartitionState, error) {
	return timed(s, "partition", func() (metastore.PartitionState, error) { return s.inner.Partition(ctx, pk) })
}

func (s *metaStore) PartitionStates(ctx context.Context, pks []metastore.PartitionKey) (map[metastore.PartitionKey]metastore.PartitionState, error) {
	return timed(s, "partition_states", func() (map[metastore.PartitionKey]metastore.PartitionState, error) {
		return s.inner.PartitionStates(ctx, pks)
	})
}

func (s *metaStore) ReadIndex(ctx context.Context, pk metastore.PartitionKey, from int64, limit int) ([]metastore.IndexEntry, metastore.PartitionState, error) {
	var st metastore.PartitionState
	entries, err := timed(s, "read_index", func() ([]metastore.IndexEntry, error) {
		var (
			entries []metastore.IndexEntry
			err     error
		)
		entries, st, err = s.inner.ReadIndex(ctx, pk, from, limit)
		return entries, err
	})
	return entries, st, err
}

func (s *metaStore) TrimIndex(ctx context.Context, pk metastore.PartitionKey, before int64) (int, error) {
	return timed(s, "trim_index", func() (int, error) { return s.inner.TrimIndex(ctx, pk, before) })
}

func (s *metaStore) DeleteRecords(ctx context.Context, pk metastore.PartitionKey, offset int64) (metastore.PartitionState, error) {
	return timed(s, "delete_records", func() (metastore.PartitionState, error) { return s.inner.DeleteRecords(ctx, pk, offset) })
}

func (s *metaStore) ReplaceIndex(ctx context.Context, pk metastore.PartitionKey, old []metastore.IndexEntry, repl metastore.IndexEntry) error {
	return timedErr(s, "replace_index", func() error { return s.inner.ReplaceIndex(ctx, pk, old, repl) })
}

func (s *metaStore) AllocateProducerID(ctx context.Context) (int64, error) {
	return timed(s, "allocate_producer_id", func() (int64, error) { return s.inner.AllocateProducerID(ctx) })
}

func (s *metaStore) DeadObjects(ctx context.Context, limit int) ([]string, error) {
	return timed(s, "dead_objects", func() ([]string, error) { return s.inner.DeadObjects(ctx, limit) })
}

func (s *metaStore) ForgetObjects(ctx context.Context, keys []string) error {
	return timedErr(s, "forget_objects", func() error { return s.inner.ForgetObjects(ctx, keys) })
}

func (s *metaStore) KnownObjects(ctx context.Context, keys []string) (map[string]bool, error) {
	return timed(s, "known_objects", func() (map[string]bool, error) { return s.inner.KnownObjects(ctx, keys) })
}

func (s *metaStore) RegisterBroker(ctx context.Context, want int32, b metastore.BrokerInfo, ttl time.Duration) (metastore.BrokerInfo, error) {
	return timed(s, "register_broker", func() (metastore.BrokerInfo, error) {
		return s.inner.RegisterBroker(ctx, want, b, ttl)
	})
}

func (s *metaStore) Heartbeat(ctx context.Context, nodeID int32, instance string, ttl time.Duration) ([]metastore.BrokerInfo, error) {
	return timed(s, "heartbeat", func() ([]metastore.BrokerInfo, error) { return s.inner.Heartbeat(ctx, nodeID, instance, ttl) })
}

func (s *metaStore) DeregisterBroker(ctx context.Context, nodeID int32, instance string) error {
	return timedErr(s, "deregister_broker", func() error { return s.inner.DeregisterBroker(ctx, nodeID, instance) })
}

func (s *metaStore) LiveBrokers(ctx context.Context) ([]metastore.BrokerInfo, error) {
	return timed(s, "live_brokers", func() ([]metastore.BrokerInfo, error) { return s.inner.LiveBrokers(ctx) })
}

// AcquireLease counts a lease held by another as "ok": it is an answer.
func (s *metaStore) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	return timed(s, "acquire_lease", func() (bool, error) { return s.inner.AcquireLease(ctx, name, holder, ttl) })
}

func (s *metaStore) ReleaseLease(ctx context.Context, name, holder string) error {
	return timedErr(s, "release_lease", func() error { return s.inner.ReleaseLease(ctx, name, holder) })
}

func (s *metaStore) Close() error { return s.inner.Close() }

func (s *metaStore) Group(ctx context.Context, name string) (metastore.Group, error) {
	return timed(s, "group", func() (metastore.Group, error) { return s.inner.Group(ctx, name) })
}

func (s *metaStore) PutGroup(ctx context.Context, g metastore.Group, prev int64) (metastore.Group, error) {
	return timed(s, "put_group", func() (metastore.Group, error) { return s.inner.PutGroup(ctx, g, prev) })
}

func (s *metaStore) ListGroups(ctx context.Context) ([]metastore.Group, error) {
	return timed(s, "list_groups", func() ([]metastore.Group, error) { return s.inner.ListGroups(ctx) })
}

func (s *metaStore) DeleteGroup(ctx context.Context, name string, prev int64) error {
	return timedErr(s, "delete_group", func() error { return s.inner.DeleteGroup(ctx, name, prev) })
}

func (s *metaStore) CommitOffsets(ctx context.Context, group string, generation int32, offsets []metastore.GroupOffset) error {
	return timedErr(s, "commit_offsets", func() error { return s.inner.CommitOffsets(ctx, group, generation, offsets) })
}

func (s *metaStore) FetchOffsets(ctx context.Context, group string) ([]metastore.GroupOffset, error) {
	return timed(s, "fetch_offsets", func() ([]metastore.GroupOffset, error) { return s.inner.FetchOffsets(ctx, group) })
}

func (s *metaStore) DeleteOffsets(ctx context.Context, group string, parts []metastore.TopicPartition) error {
	return timedErr(s, "delete_offsets", func() error { return s.inner.DeleteOffsets(ctx, group, parts) })
}

func (s *metaStore) ExpireGroups(ctx context.Context, retention time.Duration) ([]string, error) {
	return timed(s, "expire_groups", func() ([]string, error) { return s.inner.ExpireGroups(ctx, retention) })
}

func (s *metaStore) KVGet(ctx context.Context, key string) (metastore.KVEntry, error) {
	return timed(s, "kv_get", func() (metastore.KVEntry, error) { return s.inner.KVGet(ctx, key) })
}

func (s *metaStore) KVList(ctx context.Context, prefix, after string, limit int) ([]metastore.KVEntry, error) {
	return timed(s, "kv_list", func() ([]metastore.KVEntry, error) { return s.inner.KVList(ctx, prefix, after, limit) })
}

// KVApply counts a conflict as an error: the caller asked for a write
// that did not happen.
func (s *metaStore) KVApply(ctx context.Context, ops []metastore.KVOp) ([]metastore.KVEntry, error) {
	return timed(s, "kv_apply", func() ([]metastore.KVEntry, error) { return s.inner.KVApply(ctx, ops) })
}
