// Package housekeeping is the background maintenance of the log: it keeps
// the index and the object store small and cheap to read. A pass runs
// retention then segment rewrite on each partition in turn (so data about
// to expire is trimmed rather than copied), then deletes dead objects,
// then orphans.
//
// # Retention
//
// Only topics whose cleanup.policy includes "delete" are trimmed, by the
// effective settings topicconfig.Parse resolves; an index entry plays the part
// of Kafka's segment. Trimming goes through Store.TrimIndex, so it never
// passes HighWater and never removes a concurrent append.
//
// By time, the leading entries whose MaxTimestamp is older than
// now - retention.ms go, stopping at the first entry recent enough, as
// Kafka deletes whole segments whose largest timestamp is past retention.
// An entry with no timestamp (MaxTimestamp < 0) is dated by its intake
// object's write time, as Kafka falls back to a segment file's mtime; a
// segment made of such entries carries that write time as its
// MaxTimestamp; an entry that cannot be dated is kept. Like Kafka, which
// rolls and deletes an expired active segment, a partition whose entries
// all expired is emptied: LogStart becomes HighWater.
//
// By size, the oldest entry goes while what remains without it is still at
// least retention.bytes: Kafka's rule
// (UnifiedLog.deleteRetentionSizeBreachedSegments). A partition thus keeps
// at least retention.bytes, rounded up to a whole entry; retention.bytes 0
// empties it.
//
// Kafka's DeleteRecords moves LogStart too, to an exact offset, in one
// store transaction (Store.DeleteRecords, broker/21_delete_records.go)
// that drops the entries wholly below it; retention never moves LogStart
// back, and the objects those entries held die and go as below.
//
// # Segment rewrite
//
// Reading old data must not cost one object read per tiny intake piece
// forever. The index is walked in offset order and cut into groups of
// adjacent entries of one kind, each at most SegmentTargetBytes, and each
// group worth it is copied into one new object
//
//	segments/<topic id hex>/<partition>/<base offset, 20 digits>-<rand>.seg
//
// indexed by one entry that replaces the group's (Store.ReplaceIndex).
// The kinds:
//
//   - Intake entries (key prefix "intake/") whose object was written at
//     least SegmentMinAge ago. The write time is the one in the key,
//     intake/<16 hex digits of Unix nanoseconds>-<node>-<rand>.obj (the
//     writer's clock), or the entry's MaxTimestamp when the key does not
//     parse: producer timestamps say nothing about when bytes were
//     written. Any group of them is rewritten except one entry already
//     SegmentTargetBytes/2 or more, which is not worth a copy.
//   - Small segment entries (prefix "segments/", below
//     SegmentTargetBytes/2), which earlier passes made of the few seconds
//     of intake data they found. A group of two or more is rewritten once
//     it totals SegmentTargetBytes/2.
//
// The kinds never share a group, so a byte is copied at most twice (intake
// to small segment, small segments to a big one) and a trickling partition
// does not recopy its growing tail every pass; the small segments of a
// partition too slow to ever gather SegmentTargetBytes/2 stay small. Big
// segments are never touched again, so each pass starts its walk after the
// leading run of them it found the pass before.
//
// The group's bytes are read with one ranged read per run of adjacent
// ranges in one object and checked to frame as whole batches taking
// exactly the entries' offsets, then written as they are (baseOffsets are
// patched on read, so batches are copied unchanged). When ReplaceIndex
// refuses the swap (ErrConflict: retention or another rewriter changed the
// index; the topic is gone) the new segment is deleted. When its outcome
// is unknown (a store failure) the segment is left: either it is indexed,
// or the store does not know it and the orphan sweep deletes it.
//
// # Dead objects
//
// Objects no index entry points into (Store.DeadObjects) are deleted once
// they have been seen dead for DeadObjectGrace, because a fetch that read
// the index just before an object died may still be reading it; then
// Store.ForgetObjects drops them. When an object was first seen dead is
// kept in memory only: a restarted housekeeper, or in cluster mode a new
// lease holder, starts the grace again, which only delays deletion.
//
// # Orphans
//
// Objects under "intake/" and "segments/" that the metadata store does not
// know (Store.KnownObjects) and that were last modified more than
// OrphanGrace ago are leftovers of flushes or rewrites that never
// committed, and are deleted. An object the store knows is never deleted
// by this sweep. Listing a bucket is not free, so the sweep runs at most
// once per OrphanGrace/10 (and on every pass until one succeeds).
//
// # Failures
//
// An error in one partition or object does not stop a pass: it is counted
// in the Report, the first few are returned joined, and the next pass tries
// again. No failure loses data: the index is the truth and changes only in
// single metadata-store transactions, and an object is deleted only when
// the store no longer references it (past DeadObjectGrace) or has never
// known it (past OrphanGrace).
//
// # Cluster mode
//
// RunOnce is a function of the two stores, the clock and a little memory
// (the dead-object first-seen times, the last sweep, where each walk may
// start). Brokers running it at once would stay correct (the loser of two
// rewrites gets ErrConflict and deletes its segment; deletes are
// idempotent) but would waste work, so a later change runs it under a
// lease held by one broker.
//
// # Concurrency model
//
// One goroutine (started by Start, or the caller of Run) runs passes one
// after another. RunOnce may also be called directly: passMu serializes
// passes and guards the state carried between them (deadSeen, lastSweep,
// settled). A pass's own state lives in a pass value only its goroutine
// touches.
package housekeeping
