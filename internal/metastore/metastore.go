// Package metastore is the boundary to the metadata store: the one place
// where offsets are assigned and the index from offsets to object byte
// ranges is kept. Topics, partition offsets, the log index, idempotent
// producer state and object reference counts live here, and so do consumer
// groups (Groups) and a small transactional key-value space for the schema
// registry and the Iceberg catalog (KV).
//
// Contract every backend keeps (checked by metastoretest.Run):
//   - Every method is one atomic, durable transaction: when it returns nil
//     its effect survives a crash; when it returns an error it had no
//     effect, except that an error wrapping ErrUnavailable may hide a
//     commit whose answer was lost (a networked backend cannot know):
//     callers treat such errors as "state unknown" and retry, which the
//     idempotent-producer state makes safe for Append. The Cluster
//     methods' registrations and leases may live in memory instead where
//     no other process can share the store (see Cluster).
//   - Append assigns offsets densely per partition, in the order of the
//     batches given, after the idempotent-producer checks of CheckSequence.
//     A batch refused by those checks (or aimed at a partition that does not
//     exist) gets a per-batch error and the rest still commit.
//   - Object reference counts equal the number of live index entries that
//     point into the object; an object whose count drops to zero (or that
//     was appended with no accepted batch) is reported by DeadObjects until
//     ForgetObjects is called for it. A dead object may be being deleted,
//     so an Append or ReplaceIndex that would reference it again fails
//     with ErrConflict instead of reviving it; object keys are fresh per
//     flush or rewrite.
//   - Limits: limit < 1 means no limit (ReadIndex, DeadObjects).
//   - Calls no correct caller makes (empty names or keys, a batch of zero
//     records or outside its object, a ReplaceIndex whose replacement does
//     not cover the old entries exactly) fail with ErrInvalidRequest.
//
// The idempotent-producer rules (CheckSequence, RecordBatch) and config
// alteration (AlterConfigs) are plain functions here so that every
// backend applies the same ones.
//
// Faulty wraps any Store to inject failures and hangs in tests of its
// callers; metastoretest.Run is the conformance suite.
//
// Backends: boltstore (embedded, the default) and postgres (shared by
// many brokers; see Cluster). Errors are the sentinels of errors.go,
// wrapped.
package metastore

import (
	"context"
	"fmt"
	"time"
)

// TopicID is a topic's UUID (KIP-516). A topic deleted and created again
// gets a new ID, so the index of the old one never mixes with the new.
type TopicID [16]byte

// IsZero reports whether id is the zero UUID (which Kafka treats as "none").
func (id TopicID) IsZero() bool { return id == TopicID{} }

// Topic is a topic's durable description.
type Topic struct {
	Name       string
	ID         TopicID
	Partitions int32
	// Configs holds only the configs set on the topic (not defaults).
	Configs   map[string]string
	CreatedAt time.Time
}

// TopicSpec asks for a new topic.
type TopicSpec struct {
	Name       string
	Partitions int32
	Configs    map[string]string
}

// PartitionKey names one partition of one topic.
type PartitionKey struct {
	Topic     TopicID
	Partition int32
}

// PartitionState is the offset bookkeeping of one partition.
type PartitionState struct {
	// LogStart is the earliest offset still retained (Kafka's log start offset).
	LogStart int64
	// HighWater is the offset the next appended record gets (the log end
	// offset; with the object store as the replica set it is also the high
	// watermark and the last stable offset).
	HighWater int64
	// Bytes is the total size of the live index entries.
	Bytes int64
}

// IndexEntry says where the batches with offsets [BaseOffset, LastOffset]
// of one partition live: Size bytes at Pos in object ObjectKey, holding one
// or more whole record batches whose baseOffset fields are patched on read.
type IndexEntry struct {
	BaseOffset   int64
	LastOffset   int64 // inclusive
	ObjectKey    string
	Pos          int64
	Size         int64
	MaxTimestamp int64 // milliseconds; the largest batch MaxTimestamp in the entry
}

// DeleteToHighWater asks DeleteRecords to delete every record: the log
// start moves to the high watermark (Kafka's -1).
const DeleteToHighWater int64 = -1

// DeleteTarget resolves DeleteRecords' offset against st: the new log
// start, or ErrOffsetOutOfRange. Every backend applies this one rule.
func DeleteTarget(st PartitionState, offset int64) (int64, error) {
	switch {
	case offset == DeleteToHighWater:
		return max(st.LogStart, st.HighWater), nil
	case offset < 0 || offset > st.HighWater:
		return 0, fmt.Errorf("delete records before %d of [%d, %d]: %w", offset, st.LogStart, st.HighWater, ErrOffsetOutOfRange)
	default:
		return max(st.LogStart, offset), nil
	}
}

// NoProducerID marks a batch written without an idempotent producer.
const NoProducerID int64 = -1

// AppendBatch is one produced record batch (or a run of batches from one
// produce request for one partition) to be indexed.
type AppendBatch struct {
	Partition    PartitionKey
	Pos, Size    int64 // byte range inside the object being committed
	NumRecords   int32 // offsets the batch takes: LastOffsetDelta+1
	MaxTimestamp int64

	// Idempotent producer fields, as in the batch header. ProducerID ==
	// NoProducerID means no sequence checks.
	ProducerID    int64
	ProducerEpoch int16
	BaseSequence  int32
}

// AppendResult is the outcome of one AppendBatch.
type AppendResult struct {
	// Err is nil, or wraps ErrUnknownPartition, ErrOutOfOrderSequence,
	// ErrInvalidProducerEpoch. Batches with an error took no offsets.
	Err error
	// BaseOffset is the first offset assigned (or, for a duplicate, the one
	// the original batch got).
	BaseOffset int64
	// Duplicate marks a retried batch already in the log: it was not written
	// again and BaseOffset is the original's.
	Duplicate bool
	// LogStart is the partition's log start offset after the append.
	LogStart int64
}

// ObjectRef names the object an Append indexes.
type ObjectRef struct {
	Key  string
	Size int64
}

// Store is a metadata store backend. Safe for concurrent use.
type Store interface {
	Cluster
	Groups
	KV

	// CreateTopic creates a topic with a fresh TopicID (ErrTopicExists if
	// the name is taken).
	CreateTopic(ctx context.Context, spec TopicSpec) (Topic, error)
	// DeleteTopic removes the topic, its partitions, producer state and
	// index entries, releasing their object references (ErrUnknownTopic).
	DeleteTopic(ctx context.Context, name string) (Topic, error)
	// Topic returns one topic by name (ErrUnknownTopic).
	Topic(ctx context.Context, name string) (Topic, error)
	// TopicByID returns one topic by ID (ErrUnknownTopic).
	TopicByID(ctx context.Context, id TopicID) (Topic, error)
	// Topics lists every topic, sorted by name.
	Topics(ctx context.Context) ([]Topic, error)
	// CreatePartitions raises the partition count to total
	// (ErrInvalidPartitions if total is not above the current count).
	CreatePartitions(ctx context.Context, name string, total int32) (Topic, error)
	// AlterTopicConfigs changes a topic's configs: with replace the stored
	// set becomes exactly set (nil values ignored); otherwise each key of set
	// is set, or removed when its value is nil.
	AlterTopicConfigs(ctx context.Context, name string, set map[string]*string, replace bool) (Topic, error)

	// Append indexes the accepted batches of one freshly written object,
	// assigning offsets; see AppendResult. The returned slice is parallel to
	// batches. An error means nothing was committed.
	Append(ctx context.Context, obj ObjectRef, batches []AppendBatch) ([]AppendResult, error)
	// Partition returns a partition's offsets (ErrUnknownPartition).
	Partition(ctx context.Context, pk PartitionKey) (PartitionState, error)
	// PartitionStates returns the offsets of every partition of pks that
	// exists, in one read (one round trip); unknown partitions are left
	// out, not errors.
	PartitionStates(ctx context.Context, pks []PartitionKey) (map[PartitionKey]PartitionState, error)
	// ReadIndex returns up to limit entries, in offset order, starting with
	// the one holding offset from (or the first after it), and the
	// partition's state read in the same transaction. from at or past
	// HighWater gives no entries; from before LogStart gives the first.
	ReadIndex(ctx context.Context, pk PartitionKey, from int64, limit int) ([]IndexEntry, PartitionState, error)
	// TrimIndex removes the entries whose LastOffset is below before and
	// raises LogStart to the first remaining entry's BaseOffset (or to
	// HighWater when none remain). It returns how many entries it removed.
	TrimIndex(ctx context.Context, pk PartitionKey, before int64) (int, error)
	// DeleteRecords moves pk's log start to offset, or to HighWater when
	// offset is DeleteToHighWater (Kafka's DeleteRecords), and removes the
	// entries wholly below it, releasing their object references; an entry
	// holding offset stays, and readers skip its records below LogStart.
	// An offset at or below LogStart changes nothing. An offset above
	// HighWater, or negative other than DeleteToHighWater, is
	// ErrOffsetOutOfRange. It returns the partition's state after.
	DeleteRecords(ctx context.Context, pk PartitionKey, offset int64) (PartitionState, error)
	// ReplaceIndex swaps the consecutive entries old (which must still be in
	// the index exactly as given, else ErrConflict) for one entry repl
	// covering the same offsets, in a new object (segment rewrite).
	ReplaceIndex(ctx context.Context, pk PartitionKey, old []IndexEntry, repl IndexEntry) error

	// AllocateProducerID returns a producer ID never handed out before.
	AllocateProducerID(ctx context.Context) (int64, error)

	// DeadObjects lists up to limit objects no index entry references.
	DeadObjects(ctx context.Context, limit int) ([]string, error)
	// ForgetObjects drops dead objects from the store's bookkeeping once
	// they are deleted from the object store. Live keys are left alone.
	ForgetObjects(ctx context.Context, keys []string) error
	// KnownObjects reports which of keys the store knows (live or dead),
	// with an entry for every key given;
	// an object in the object store the metadata store does not know is an
	// orphan of a flush that never committed.
	KnownObjects(ctx context.Context, keys []string) (map[string]bool, error)

	Close() error
}
