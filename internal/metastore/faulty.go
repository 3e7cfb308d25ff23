package metastore

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Method names a Store method for fault injection.
type Method string

// The methods of Store (Cluster's, Groups' and KV's included).
const (
	MethodCreateTopic        Method = "CreateTopic"
	MethodDeleteTopic        Method = "DeleteTopic"
	MethodTopic              Method = "Topic"
	MethodTopicByID          Method = "TopicByID"
	MethodTopics             Method = "Topics"
	MethodCreatePartitions   Method = "CreatePartitions"
	MethodAlterTopicConfigs  Method = "AlterTopicConfigs"
	MethodAppend             Method = "Append"
	MethodPartition          Method = "Partition"
	MethodPartitionStates    Method = "PartitionStates"
	MethodReadIndex          Method = "ReadIndex"
	MethodTrimIndex          Method = "TrimIndex"
	MethodDeleteRecords      Method = "DeleteRecords"
	MethodReplaceIndex       Method = "ReplaceIndex"
	MethodAllocateProducerID Method = "AllocateProducerID"
	MethodDeadObjects        Method = "DeadObjects"
	MethodForgetObjects      Method = "ForgetObjects"
	MethodKnownObjects       Method = "KnownObjects"
	MethodClose              Method = "Close"

	MethodRegisterBroker   Method = "RegisterBroker"
	MethodHeartbeat        Method = "Heartbeat"
	MethodDeregisterBroker Method = "DeregisterBroker"
	MethodLiveBrokers      Method = "LiveBrokers"
	MethodAcquireLease     Method = "AcquireLease"
	MethodReleaseLease     Method = "ReleaseLease"

	MethodGroup         Method = "Group"
	MethodPutGroup      Method = "PutGroup"
	MethodListGroups    Method = "ListGroups"
	MethodDeleteGroup   Method = "DeleteGroup"
	MethodCommitOffsets Method = "CommitOffsets"
	MethodFetchOffsets  Method = "FetchOffsets"
	MethodDeleteOffsets Method = "DeleteOffsets"
	MethodExpireGroups  Method = "ExpireGroups"

	MethodKVGet   Method = "KVGet"
	MethodKVList  Method = "KVList"
	MethodKVApply Method = "KVApply"
)

var methods = map[Method]bool{
	MethodCreateTopic: true, MethodDeleteTopic: true, MethodTopic: true, MethodTopicByID: true,
	MethodTopics: true, MethodCreatePartitions: true, MethodAlterTopicConfigs: true,
	MethodAppend: true, MethodPartition: true, MethodPartitionStates: true, MethodReadIndex: true, MethodTrimIndex: true, MethodDeleteRecords: true,
	MethodReplaceIndex: true, MethodAllocateProducerID: true, MethodDeadObjects: true,
	MethodForgetObjects: true, MethodKnownObjects: true, MethodClose: true,
	MethodRegisterBroker: true, MethodHeartbeat: true, MethodDeregisterBroker: true,
	MethodLiveBrokers: true, MethodAcquireLease: true, MethodReleaseLease: true,
	MethodGroup: true, MethodPutGroup: true, MethodListGroups: true, MethodDeleteGroup: true,
	MethodCommitOffsets: true, MethodFetchOffsets: true, MethodDeleteOffsets: true,
	MethodExpireGroups: true, MethodKVGet: true, MethodKVList: true, MethodKVApply: true,
}

// Faulty wraps a Store and injects failures into chosen methods, so that
// fault and crash tests of the broker need no broken disk or database:
//
//   - FailNext: the next n calls fail without reaching the store (a
//     refused transaction: nothing happened).
//   - FailAfterNext: the next n calls reach the store, commit, and then
//     report failure (a lost reply: the caller cannot know it committed;
//     the broker must treat such errors as "state unknown").
//   - HangNext: the next n calls block until their context is done (a
//     stalled store), or until Reset lets them through.
//
// One fault is armed per method; arming another replaces it. Injected
// errors are wrapped, so errors.Is sees the error given. Safe for
// concurrent use; Faulty's mutex is never held while calling the store.
type Faulty struct {
	inner Store

	mu      sync.Mutex
	faults  map[Method]*fault
	calls   map[Method]int
	release chan struct{} // closed by Reset to let hung calls through
}

type faultKind int

const (
	failBefore faultKind = iota + 1
	failAfter
	hang
)

type fault struct {
	kind faultKind
	n    int // calls left; < 0 for every call until Reset
	err  error
}

var _ Store = (*Faulty)(nil)

// NewFaulty wraps inner with no faults armed.
func NewFaulty(inner Store) *Faulty {
	return &Faulty{
		inner:   inner,
		faults:  map[Method]*fault{},
		calls:   map[Method]int{},
		release: make(chan struct{}),
	}
}

// FailNext makes the next n calls of m (every call if n < 0; none, which
// disarms, if n == 0) return err
// without calling the store.
func (f *Faulty) FailNext(m Method, n int, err error) { f.arm(m, &fault{failBefore, n, err}) }

// FailAfterNext makes the next n calls of m (every call if n < 0) call the
// store and then return err instead of its answer (when it succeeded).
func (f *Faulty) FailAfterNext(m Method, n int, err error) { f.arm(m, &fault{failAfter, n, err}) }

// HangNext makes the next n calls of m (every call if n < 0) block until
// their context is done, returning its error, or until Reset, after which
// they proceed to the store. Close has no context and cannot hang.
func (f *Faulty) HangNext(m Method, n int) {
	if m == MethodClose {
		panic("metastore.Faulty: Close cannot hang")
	}
	f.arm(m, &fault{kind: hang, n: n})
}

// Reset disarms every fault and releases hung calls to the store.
func (f *Faulty) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.faults)
	close(f.release)
	f.release = make(chan struct{})
}

// Calls returns how many times m was called, faults included.
func (f *Faulty) Calls(m Method) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[m]
}

func (f *Faulty) arm(m Method, ft *fault) {
	if !methods[m] {
		panic(fmt.Sprintf("metastore.Faulty: no method %q", m))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if ft.n == 0 {
		delete(f.faults, m)
		return
	}
	f.faults[m] = ft
}

// take counts a call of m and consumes one use of its fault, if armed.
func (f *Faulty) take(m Method) (fault, <-chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[m]++
	ft := f.faults[m]
	if ft == nil {
		return fault{}, nil
	}
	if ft.n > 0 {
		ft.n--
		if ft.n == 0 {
			delete(f.faults, m)
		}
	}
	return *ft, f.release
}

// call runs one call of m through the armed fault.
func call[T any](f *Faulty, ctx context.Context, m Method, fn func() (T, error)) (T, error) {
	var zero T
	ft, release := f.take(m)
	switch ft.kind {
	case failBefore:
		return zero, fmt.Errorf("injected %s failure: %w", m, ft.err)
	case hang:
		select {
		case <-ctx.Done():
			return zero, fmt.Errorf("injected %s hang: %w", m, ctx.Err())
		case <-release:
		}
	}
	v, err := fn()
	if ft.kind == failAfter && err == nil {
		return zero, fmt.Errorf("injected %s failure after commit: %w", m, ft.err)
	}
	return v, err
}

// none adapts a method that returns only an error to call.
func none(err error) (struct{}, error) { return struct{}{}, err }

// The Store methods: each passes through call with its Method.

func (f *Faulty) CreateTopic(ctx context.Context, spec TopicSpec) (Topic, error) {
	return call(f, ctx, MethodCreateTopic, func() (Topic, error) { return f.inner.CreateTopic(ctx, spec) })
}

func (f *Faulty) DeleteTopic(ctx context.Context, name string) (Topic, error) {
	return call(f, ctx, MethodDeleteTopic, func() (Topic, error) { return f.inner.DeleteTopic(ctx, name) })
}

func (f *Faulty) Topic(ctx context.Context, name string) (Topic, error) {
	return call(f, ctx, MethodTopic, func() (Topic, error) { return f.inner.Topic(ctx, name) })
}

func (f *Faulty) TopicByID(ctx context.Context, id TopicID) (Topic, error) {
	return call(f, ctx, MethodTopicByID, func() (Topic, error) { return f.inner.TopicByID(ctx, id) })
}

func (f *Faulty) Topics(ctx context.Context) ([]Topic, error) {
	return call(f, ctx, MethodTopics, func() ([]Topic, error) { return f.inner.Topics(ctx) })
}

func (f *Faulty) CreatePartitions(ctx context.Context, name string, total int32) (Topic, error) {
	return call(f, ctx, MethodCreatePartitions, func() (Topic, error) { return f.inner.CreatePartitions(ctx, name, total) })
}

func (f *Faulty) AlterTopicConfigs(ctx context.Context, name string, set map[string]*string, replace bool) (Topic, error) {
	return call(f, ctx, MethodAlterTopicConfigs, func() (Topic, error) {
		return f.inner.AlterTopicConfigs(ctx, name, set, replace)
	})
}

func (f *Faulty) Append(ctx context.Context, obj ObjectRef, batches []AppendBatch) ([]AppendResult, error) {
	return call(f, ctx, MethodAppend, func() ([]AppendResult, error) { return f.inner.Append(ctx, obj, batches) })
}

func (f *Faulty) Partition(ctx context.Context, pk PartitionKey) (PartitionState, error) {
	return call(f, ctx, MethodPartition, func() (PartitionState, error) { return f.inner.Partition(ctx, pk) })
}

func (f *Faulty) PartitionStates(ctx context.Context, pks []PartitionKey) (map[PartitionKey]PartitionState, error) {
	return call(f, ctx, MethodPartitionStates, func() (map[PartitionKey]PartitionState, error) { return f.inner.PartitionStates(ctx, pks) })
}

func (f *Faulty) ReadIndex(ctx context.Context, pk PartitionKey, from int64, limit int) ([]IndexEntry, PartitionState, error) {
	type answer struct {
		entries []IndexEntry
		st      PartitionState
	}
	a, err := call(f, ctx, MethodReadIndex, func() (answer, error) {
		entries, st, err := f.inner.ReadIndex(ctx, pk, from, limit)
		return answer{entries, st}, err
	})
	return a.entries, a.st, err
}

func (f *Faulty) TrimIndex(ctx context.Context, pk PartitionKey, before int64) (int, error) {
	return call(f, ctx, MethodTrimIndex, func() (int, error) { return f.inner.TrimIndex(ctx, pk, before) })
}

func (f *Faulty) DeleteRecords(ctx context.Context, pk PartitionKey, offset int64) (PartitionState, error) {
	return call(f, ctx, MethodDeleteRecords, func() (PartitionState, error) { return f.inner.DeleteRecords(ctx, pk, offset) })
}

func (f *Faulty) ReplaceIndex(ctx context.Context, pk PartitionKey, old []IndexEntry, repl IndexEntry) error {
	_, err := call(f, ctx, MethodReplaceIndex, func() (struct{}, error) {
		return none(f.inner.ReplaceIndex(ctx, pk, old, repl))
	})
	return err
}

func (f *Faulty) AllocateProducerID(ctx context.Context) (int64, error) {
	return call(f, ctx, MethodAllocateProducerID, func() (int64, error) { return f.inner.AllocateProducerID(ctx) })
}

func (f *Faulty) DeadObjects(ctx context.Context, limit int) ([]string, error) {
	return call(f, ctx, MethodDeadObjects, func() ([]string, error) { return f.inner.DeadObjects(ctx, limit) })
}

func (f *Faulty) ForgetObjects(ctx context.Context, keys []string) error {
	_, err := call(f, ctx, MethodForgetObjects, func() (struct{}, error) {
		return none(f.inner.ForgetObjects(ctx, keys))
	})
	return err
}

func (f *Faulty) KnownObjects(ctx context.Context, keys []string) (map[string]bool, error) {
	return call(f, ctx, MethodKnownObjects, func() (map[string]bool, error) { return f.inner.KnownObjects(ctx, keys) })
}

func (f *Faulty) RegisterBroker(ctx context.Context, want int32, b BrokerInfo, ttl time.Duration) (BrokerInfo, error) {
	return call(f, ctx, MethodRegisterBroker, func() (BrokerInfo, error) { return f.inner.RegisterBroker(ctx, want, b, ttl) })
}

func (f *Faulty) Heartbeat(ctx context.Context, nodeID int32, instance string, ttl time.Duration) ([]BrokerInfo, error) {
	return call(f, ctx, MethodHeartbeat, func() ([]BrokerInfo, error) { return f.inner.Heartbeat(ctx, nodeID, instance, ttl) })
}

func (f *Faulty) DeregisterBroker(ctx context.Context, nodeID int32, instance string) error {
	_, err := call(f, ctx, MethodDeregisterBroker, func() (struct{}, error) {
		return none(f.inner.DeregisterBroker(ctx, nodeID, instance))
	})
	return err
}

func (f *Faulty) LiveBrokers(ctx context.Context) ([]BrokerInfo, error) {
	return call(f, ctx, MethodLiveBrokers, func() ([]BrokerInfo, error) { return f.inner.LiveBrokers(ctx) })
}

func (f *Faulty) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	return call(f, ctx, MethodAcquireLease, func() (bool, error) { return f.inner.AcquireLease(ctx, name, holder, ttl) })
}

func (f *Faulty) ReleaseLease(ctx context.Context, name, holder string) error {
	_, err := call(f, ctx, MethodReleaseLease, func() (struct{}, error) {
		return none(f.inner.ReleaseLease(ctx, name, holder))
	})
	return err
}

func (f *Faulty) Group(ctx context.Context, name string) (Group, error) {
	return call(f, ctx, MethodGroup, func() (Group, error) { return f.inner.Group(ctx, name) })
}

func (f *Faulty) PutGroup(ctx context.Context, g Group, prev int64) (Group, error) {
	return call(f, ctx, MethodPutGroup, func() (Group, error) { return f.inner.PutGroup(ctx, g, prev) })
}

func (f *Faulty) ListGroups(ctx context.Context) ([]Group, error) {
	return call(f, ctx, MethodListGroups, func() ([]Group, error) { return f.inner.ListGroups(ctx) })
}

func (f *Faulty) DeleteGroup(ctx context.Context, name string, prev int64) error {
	_, err := call(f, ctx, MethodDeleteGroup, func() (struct{}, error) {
		return none(f.inner.DeleteGroup(ctx, name, prev))
	})
	return err
}

func (f *Faulty) CommitOffsets(ctx context.Context, group string, generation int32, offsets []GroupOffset) error {
	_, err := call(f, ctx, MethodCommitOffsets, func() (struct{}, error) {
		return none(f.inner.CommitOffsets(ctx, group, generation, offsets))
	})
	return err
}

func (f *Faulty) FetchOffsets(ctx context.Context, group string) ([]GroupOffset, error) {
	return call(f, ctx, MethodFetchOffsets, func() ([]GroupOffset, error) { return f.inner.FetchOffsets(ctx, group) })
}

func (f *Faulty) DeleteOffsets(ctx context.Context, group string, parts []TopicPartition) error {
	_, err := call(f, ctx, MethodDeleteOffsets, func() (struct{}, error) {
		return none(f.inner.DeleteOffsets(ctx, group, parts))
	})
	return err
}

func (f *Faulty) ExpireGroups(ctx context.Context, retention time.Duration) ([]string, error) {
	return call(f, ctx, MethodExpireGroups, func() ([]string, error) { return f.inner.ExpireGroups(ctx, retention) })
}

func (f *Faulty) KVGet(ctx context.Context, key string) (KVEntry, error) {
	return call(f, ctx, MethodKVGet, func() (KVEntry, error) { return f.inner.KVGet(ctx, key) })
}

func (f *Faulty) KVList(ctx context.Context, prefix, after string, limit int) ([]KVEntry, error) {
	return call(f, ctx, MethodKVList, func() ([]KVEntry, error) { return f.inner.KVList(ctx, prefix, after, limit) })
}

func (f *Faulty) KVApply(ctx context.Context, ops []KVOp) ([]KVEntry, error) {
	return call(f, ctx, MethodKVApply, func() ([]KVEntry, error) { return f.inner.KVApply(ctx, ops) })
}

// Close closes the wrapped store (an armed Close fault fails it first, or
// after).
func (f *Faulty) Close() error {
	_, err := call(f, context.Background(), MethodClose, func() (struct{}, error) { return none(f.inner.Close()) })
	return err
}
