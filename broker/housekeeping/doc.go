// Package housekeeping is the background maintenance of the log: it keeps
// the index and the object store small and cheap to read. One pass runs,
// in this order:
//
//  1. Retention, per partition of every topic whose cleanup.policy
//     includes "delete" (broker.RetentionOf):
//     - time: the leading index entries whose MaxTimestamp is older than
//     now - retention.ms are trimmed, stopping at the first entry recent
//     enough (an entry is Kafka's segment here: Kafka deletes whole
//     segments whose largest timestamp is past retention). An entry with
//     no timestamp (MaxTimestamp < 0) is dated by its intake object's
//     write time, as Kafka falls back to a segment's mtime; one that
//     cannot be dated is kept. Like Kafka, which rolls and deletes an
//     expired active segment, a partition whose every entry expired is
//     emptied: LogStart becomes HighWater, which never moves back.
//     - size: while removing the oldest entry would still leave at least
//     retention.bytes, it is removed. This is Kafka's rule
//     (UnifiedLog.deleteRetentionSizeBreachedSegments): a partition keeps
//     at least retention.bytes, rounded up to a whole entry, so it holds
//     between retention.bytes and retention.bytes plus one entry.
//     Trimming goes through Store.TrimIndex, so it never passes HighWater
//     and a concurrent append is never removed.
//  2. Segment rewrite, so that reading old data does not cost one object
//     read per tiny intake piece forever. The index is walked in offset
//     order and cut into groups of adjacent entries of one kind, each at
//     most SegmentTargetBytes, each rewritten into one segment object
//     segments/<topic id hex>/<partition>/<base offset, 20 digits>-<rand>.seg
//     indexed by one entry (Store.ReplaceIndex):
//     - intake entries (key prefix "intake/") whose intake object was
//     written at least SegmentMinAge ago, by the write time in its key
//     (intake/<16 hex nanos>-<node>-<rand>.obj, the writer's clock; the
//     entry's MaxTimestamp when the key does not parse). Producer
//     timestamps say nothing about when bytes were written, so the key's
//     time decides. A group is rewritten unless it is one entry already at
//     least SegmentTargetBytes/2: not worth a copy.
//     - small segment entries (key prefix "segments/", Size below
//     SegmentTargetBytes/2), written by earlier passes from the few
//     seconds of intake data they found: a group of at least two is
//     rewritten once it totals SegmentTargetBytes/2. The two kinds never
//     share a group, so a byte is copied at most twice (intake to small
//     segment, small segments to a big one) and a trickling partition does
//     not recopy its growing tail every pass. Small segments of a
//     partition too slow to ever gather SegmentTargetBytes/2 stay small.
//     The bytes are read with one ranged read per run of adjacent ranges
//     in one object, checked to frame as whole batches that take exactly
//     the entries' offsets (batches are copied unchanged: their baseOffset
//     is patched on read), and written as is. If ReplaceIndex says the
//     index changed (retention, a deleted topic, another rewriter), the
//     new segment is deleted and the pass moves on. If its outcome is
//     unknown (a store failure) the segment is left alone: either it is
//     live, or it is unknown to the store and step 4 deletes it later.
//  3. Dead objects (Store.DeadObjects: no index entry points into them)
//     are deleted once they have been seen dead for DeadObjectGrace,
//     because a fetch that read the index just before an object died may
//     still be reading it; then Store.ForgetObjects drops them. The first
//     time an object was seen dead is kept in memory only: a restarted
//     housekeeper (or, in cluster mode, a new lease holder) starts the
//     grace again, which only delays deletion.
//  4. Orphans: objects under "intake/" and "segments/" the metadata store
//     does not know (Store.KnownObjects) and last modified more than
//     OrphanGrace ago are leftovers of flushes or rewrites that never
//     committed, and are deleted. An object the store knows is never
//     deleted here. Listing a whole bucket is not free, so this step runs
//     at most once per OrphanGrace/10 (every pass until it first ran).
//
// Errors in one partition or object do not stop a pass: they are counted
// in the Report, the first few are returned joined, and the next pass tries
// again. No step loses data on a failure: the index is the truth and
// changes only in single metadata-store transactions; an object is deleted
// only when the store no longer references it (dead, past its grace) or
// does not know it (orphan, past its grace).
//
// # Cluster mode
//
// RunOnce is a function of the two stores, the clock and the dead-object
// first-seen times. Several brokers running it at once would be correct
// (conflicting rewrites lose with ErrConflict and clean up; deletes of
// dead objects are idempotent) but wasteful, so a later change runs it
// under a lease held by one broker.
//
// # Concurrency model
//
// One goroutine (Start, or the caller of Run) runs passes one after
// another. RunOnce may also be called directly; passMu serializes passes
// and guards the state carried between them (deadSeen, lastSweep).
package housekeeping
