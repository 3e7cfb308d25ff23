package metastore

import (
	"context"
	"time"
)

// Group is a consumer group's durable record. The store keeps the group's
// protocol state as an opaque blob written by the group coordinator
// (broker/group); it reads only the fields below, which it needs for
// fencing (Version, Generation), listing (ProtocolType, StateName) and
// expiry (StateName, UpdatedAt).
type Group struct {
	Name string
	// Version counts the PutGroup calls that wrote this group since it was
	// created (the first put makes it 1). PutGroup is a compare-and-swap on
	// it: a coordinator whose copy is stale (because another broker took
	// the group over) cannot overwrite the newer state.
	Version int64
	// Generation is the group's generation ID; CommitOffsets checks it
	// atomically with the commit (generation fencing across brokers).
	Generation int32
	// ProtocolType is the classic protocol type ("consumer", "connect", …),
	// or "consumer" for a KIP-848 group; Kind tells them apart.
	ProtocolType string
	// Kind is "classic" or "consumer" (KIP-848).
	Kind string
	// StateName is the group state as ListGroups reports it: Empty,
	// PreparingRebalance, CompletingRebalance, Stable, Dead, Assigning,
	// Reconciling.
	StateName string
	// State is the coordinator's encoding of members, assignments and
	// protocol; the store never looks inside.
	State []byte
	// UpdatedAt is when the record was last put, by the store's clock;
	// ignored by PutGroup.
	UpdatedAt time.Time
}

// GroupStateEmpty is the StateName of a group without members; only such
// groups' offsets expire (ExpireGroups).
const GroupStateEmpty = "Empty"

// GroupOffset is one committed offset of a group.
type GroupOffset struct {
	Topic       string
	Partition   int32
	Offset      int64
	LeaderEpoch int32 // -1 when unknown
	Metadata    string
	// CommittedAt is when the commit was stored, by the store's clock;
	// ignored by CommitOffsets.
	CommittedAt time.Time
}

// TopicPartition names a partition by topic name, as committed offsets do.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// Groups is the part of the metadata store that holds consumer groups and
// their committed offsets, shared by every broker so that any broker can
// take over a group whose coordinator died.
//
// Contract (checked by metastoretest):
//   - Group returns the stored record (ErrUnknownGroup when there is none).
//   - PutGroup writes g if the stored Version equals prev (prev 0: the
//     group must not exist) and returns the stored record, whose Version
//     is prev+1; otherwise ErrConflict and nothing changes. Offsets are not
//     touched.
//   - ListGroups lists every group record, sorted by name, State included.
//   - DeleteGroup removes the record and every offset of the group if the
//     stored Version equals prev (ErrConflict otherwise; ErrUnknownGroup
//     when there is neither a record nor any offset). prev 0 deletes a
//     group that has offsets but no record.
//   - CommitOffsets stores offsets (upserting by topic and partition), all
//     or none. With generation >= 0 the stored record must exist with that
//     Generation, else ErrIllegalGeneration and nothing is stored; with
//     generation < 0 there is no check (the coordinator already checked
//     that the group has no members). A group needs no record to hold
//     offsets (simple consumers, admin tools).
//   - FetchOffsets returns the group's offsets sorted by topic, partition
//     (empty, not an error, for a group nobody knows).
//   - DeleteOffsets removes the named offsets; absent ones are ignored.
//   - ExpireGroups deletes, for each group whose record is absent or has
//     StateName Empty, every offset when the newest of its offsets'
//     CommittedAt and the record's UpdatedAt is older than retention by
//     the store's clock, and then the record too; it returns the names of
//     the groups it removed.
//   - DeleteTopic also removes every group's offsets for that topic name.
//   - An empty group name or topic, or a retention that is not positive, is
//     ErrInvalidRequest.
type Groups interface {
	Group(ctx context.Context, name string) (Group, error)
	PutGroup(ctx context.Context, g Group, prev int64) (Group, error)
	ListGroups(ctx context.Context) ([]Group, error)
	DeleteGroup(ctx context.Context, name string, prev int64) error
	CommitOffsets(ctx context.Context, group string, generation int32, offsets []GroupOffset) error
	FetchOffsets(ctx context.Context, group string) ([]GroupOffset, error)
	DeleteOffsets(ctx context.Context, group string, parts []TopicPartition) error
	ExpireGroups(ctx context.Context, retention time.Duration) ([]string, error)
}
