package metastoretest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tributary-io/tributary/internal/metastore"
)

// Opener opens a new handle on one store's data (fatal on failure).
type Opener func(t *testing.T) metastore.Store

// NewStore prepares one fresh, empty store and returns its Opener.
type NewStore func(t *testing.T) Opener

// Run runs every conformance test as a subtest, each on a fresh store.
func Run(t *testing.T, newStore NewStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, h *harness)
	}{
		{"Topics", testTopics},
		{"TopicConfigs", testTopicConfigs},
		{"CreatePartitions", testCreatePartitions},
		{"AppendDense", testAppendDense},
		{"AppendUnknownPartition", testAppendUnknownPartition},
		{"AppendInvalid", testAppendInvalid},
		{"AppendIdempotent", testAppendIdempotent},
		{"AppendProducerEpochs", testAppendProducerEpochs},
		{"ReadIndex", testReadIndex},
		{"PartitionStates", testPartitionStates},
		{"TrimIndex", testTrimIndex},
		{"DeleteRecords", testDeleteRecords},
		{"ReplaceIndex", testReplaceIndex},
		{"ReplaceIndexConflict", testReplaceIndexConflict},
		{"Objects", testObjects},
		{"DeleteTopicReleasesObjects", testDeleteTopicReleasesObjects},
		{"AllocateProducerID", testAllocateProducerID},
		{"CanceledContext", testCanceledContext},
		{"ConcurrentAppends", testConcurrentAppends},
		{"Reopen", testReopen},
		{"RegisterBroker", testRegisterBroker},
		{"RegisterConcurrently", testRegisterConcurrently},
		{"BrokerExpiry", testBrokerExpiry},
		{"Heartbeat", testHeartbeat},
		{"DeregisterBroker", testDeregisterBroker},
		{"Leases", testLeases},
		{"LeaseExpiry", testLeaseExpiry},
		{"LeaseContention", testLeaseContention},
		{"PutGroup", testPutGroup},
		{"ListGroups", testListGroups},
		{"DeleteGroup", testDeleteGroup},
		{"CommitOffsets", testCommitOffsets},
		{"DeleteOffsets", testDeleteOffsets},
		{"ExpireGroups", testExpireGroups},
		{"DeleteTopicOffsets", testDeleteTopicOffsets},
		{"CommitFencing", testCommitFencing},
		{"GroupsInvalid", testGroupsInvalid},
		{"GroupsReopen", testGroupsReopen},
		{"KV", testKV},
		{"KVConflicts", testKVConflicts},
		{"KVAtomic", testKVAtomic},
		{"KVList", testKVList},
		{"KVConcurrentCAS", testKVConcurrentCAS},
		{"KVConcurrentTransfers", testKVConcurrentTransfers},
		{"KVInvalid", testKVInvalid},
		{"KVReopen", testKVReopen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &harness{open: newStore(t)}
			h.s = h.reopen(t)
			tt.fn(t, h)
		})
	}
}

// harness is one subtest's store: the current handle and how to get a new
// one on the same data.
type harness struct {
	open  Opener
	s     metastore.Store
	close func() error // closes s once
	objs  atomic.Int64
}

// reopen closes the current handle (if any) and opens a new one. Each
// handle is closed exactly once, here or at cleanup.
func (h *harness) reopen(t *testing.T) metastore.Store {
	t.Helper()
	if h.close != nil {
		if err := h.close(); err != nil {
			t.Fatalf("close: %v", err)
		}
	}
	s := h.open(t)
	h.s, h.close = s, sync.OnceValue(s.Close)
	t.Cleanup(func() {
		if err := h.close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

// objKey returns a fresh object key.
func (h *harness) objKey() string {
	return fmt.Sprintf("intake/%06d.obj", h.objs.Add(1))
}

func (h *harness) createTopic(t *testing.T, name string, partitions int32) metastore.Topic {
	t.Helper()
	topic, err := h.s.CreateTopic(t.Context(), metastore.TopicSpec{Name: name, Partitions: partitions})
	if err != nil {
		t.Fatalf("create topic %s: %v", name, err)
	}
	return topic
}

// batch is a batch without an idempotent producer.
func batch(pk metastore.PartitionKey, numRecords int32, pos, size int64) metastore.AppendBatch {
	return metastore.AppendBatch{
		Partition: pk, Pos: pos, Size: size, NumRecords: numRecords,
		MaxTimestamp: 1_700_000_000_000 + pos, ProducerID: metastore.NoProducerID,
	}
}

// idem is a batch of an idempotent producer.
func idem(pk metastore.PartitionKey, numRecords int32, pid int64, epoch int16, seq int32) metastore.AppendBatch {
	b := batch(pk, numRecords, 0, 10)
	b.ProducerID, b.ProducerEpoch, b.BaseSequence = pid, epoch, seq
	return b
}

// objectFor returns an object big enough for batches.
func objectFor(key string, batches []metastore.AppendBatch) metastore.ObjectRef {
	obj := metastore.ObjectRef{Key: key, Size: 1}
	for _, b := range batches {
		obj.Size = max(obj.Size, b.Pos+b.Size)
	}
	return obj
}

// append commits batches in a fresh object and fails on a call error.
func (h *harness) append(t *testing.T, batches ...metastore.AppendBatch) ([]metastore.AppendResult, string) {
	t.Helper()
	key := h.objKey()
	res, err := h.s.Append(t.Context(), objectFor(key, batches), batches)
	if err != nil {
		t.Fatalf("append %s: %v", key, err)
	}
	if len(res) != len(batches) {
		t.Fatalf("append %s: %d results for %d batches", key, len(res), len(batches))
	}
	return res, key
}

// mustAccept checks that a result was accepted at base.
func mustAccept(t *testing.T, r metastore.AppendResult, base int64) {
	t.Helper()
	if r.Err != nil || r.Duplicate || r.BaseOffset != base {
		t.Fatalf("result = %+v, want accepted at %d", r, base)
	}
}

// mustErr checks that err wraps want.
func mustErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("err = %v, want %v", err, want)
	}
}

func (h *harness) partition(t *testing.T, pk metastore.PartitionKey) metastore.PartitionState {
	t.Helper()
	st, err := h.s.Partition(t.Context(), pk)
	if err != nil {
		t.Fatalf("partition %v: %v", pk, err)
	}
	return st
}

func (h *harness) readIndex(t *testing.T, pk metastore.PartitionKey, from int64, limit int) ([]metastore.IndexEntry, metastore.PartitionState) {
	t.Helper()
	entries, st, err := h.s.ReadIndex(t.Context(), pk, from, limit)
	if err != nil {
		t.Fatalf("read index %v from %d: %v", pk, from, err)
	}
	return entries, st
}

// checkDense checks that pk's index covers [LogStart, HighWater) without
// gaps or overlaps (the first entry may start before LogStart, after
// DeleteRecords, but must hold it) and that Bytes is the sum of the entry
// sizes; it returns the entries.
func (h *harness) checkDense(t *testing.T, pk metastore.PartitionKey) []metastore.IndexEntry {
	t.Helper()
	entries, st := h.readIndex(t, pk, 0, 0)
	next, bytes := st.LogStart, int64(0)
	if len(entries) > 0 && entries[0].BaseOffset < next && entries[0].LastOffset >= next {
		next = entries[0].BaseOffset
	}
	for _, e := range entries {
		if e.BaseOffset != next || e.LastOffset < e.BaseOffset {
			t.Fatalf("%v: entry [%d, %d] where %d expected (state %+v)", pk, e.BaseOffset, e.LastOffset, next, st)
		}
		next = e.LastOffset + 1
		bytes += e.Size
	}
	if next != st.HighWater || bytes != st.Bytes {
		t.Fatalf("%v: entries end at %d with %d bytes, state %+v", pk, next, bytes, st)
	}
	return entries
}
