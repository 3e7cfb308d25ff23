// Package boltstore is the embedded, default metadata store: one bbolt file
// (conventionally <data dir>/meta.db) inside the broker process.
//
// # Why bbolt
//
//   - Durable: a transaction returns only after its pages and then its meta
//     page are written and fsync'd, so "Append returned nil" means the
//     offsets survive a crash of the process or the machine (the contract of
//     metastore.Store).
//   - Crash-safe without recovery code: bbolt is a copy-on-write B+tree with
//     two alternating meta pages; a crash mid-commit leaves the previous
//     meta page, i.e. the previous consistent tree. There is no WAL to replay
//     and no torn state to repair.
//   - No server: a single-node broker is one binary and one data directory.
//   - Single writer: bbolt runs one read-write transaction at a time and any
//     number of read-only ones in parallel on MVCC snapshots. Our write path
//     already funnels each flush into one Append transaction, so one writer
//     costs nothing, and it gives us serializable offset assignment for free.
//   - Ordered keys with cursors: the index is keyed so that one cursor Seek
//     finds the entry holding an offset (see ReadIndex).
//
// The price is that the file is owned by one process (flock): a second
// broker on the same data directory fails to Open after Options.OpenTimeout
// with an error wrapping metastore.ErrUnavailable. Many brokers share a
// Postgres backend instead.
//
// # A full disk
//
// bbolt writes every commit, a delete's too, to free pages; at the end of
// the file those are a sparse hole that a full disk cannot fill. The
// store keeps a reserve of allocated blocks past the used pages
// (Options.Reserve, reserve.go): on a full disk, writes that free space
// (DeleteTopic, DeleteRecords, TrimIndex, ForgetObjects, DeleteGroup,
// DeleteOffsets, ExpireGroups) commit on it, and other writes fail with
// an ErrUnavailable wrapping syscall.ENOSPC until space is freed.
//
// # Concurrency model
//
// Reads (Topic, Topics, Partition, ReadIndex, DeadObjects, KnownObjects,
// Group, ListGroups, FetchOffsets, KVGet, KVList) are bbolt View
// transactions and run in parallel with each other and with the writer.
// Every other method is one bbolt Update transaction. Writers queue on
// Store.writer, a one-slot semaphore taken before db.Update, so a
// caller waiting for the writer gives up when its context is done (bbolt's
// own writer lock cannot be interrupted). Once a transaction has started it
// runs to completion; contexts are not checked inside it.
//
// # Layout
//
// Buckets (all keys big-endian so byte order is numeric order):
//
//	meta        "version" → uint32 schema version
//	topics      name → JSON topicRecord (rare, small, readable with bbolt tools)
//	topic_ids   topicID(16) → name
//	partitions  topicID(16)|partition(4) → LogStart(8) HighWater(8) Bytes(8)
//	index       topicID|partition|baseOffset(8) → uvarint(last-base) uvarint(pos)
//	            uvarint(size) varint(maxTimestamp) objectKey
//	producers   topicID|partition|producerID(8) → epoch(2) n(1) n×(first(4) last(4) base(8))
//	objects     objectKey → uvarint(refs) uvarint(size)
//	dead        objectKey → "" (the objects whose refs are 0, so DeadObjects
//	            does not scan every object)
//	counters    "producer_id" → next producer ID (8)
//	groups      group name → version(8) generation(4) updated µs(8)
//	            3×(uvarint len, bytes: protocol type, kind, state name) state
//	group_offsets
//	            group name → nested bucket, present while the group has
//	            offsets: topic|0|partition(4) → offset(8) leader epoch(4)
//	            committed µs(8) metadata
//	kv          key → version(8) value (metastore.KV: bbolt's byte order
//	            of keys is the order KVList promises)
//
// Group offsets are keyed by topic name, not ID, as Kafka commits them;
// DeleteTopic removes the topic's name from every group's bucket.
//
// Deleting a topic removes every row under its topicID prefix, and a topic
// created again draws a new random (122-bit) ID, so nothing of the old
// topic can mix into the new one.
//
// # Cluster membership and leases
//
// The metastore.Cluster methods keep broker registrations and leases in
// memory, not in the file, judged by time.Now. The file lock means one
// process, hence one broker, uses the store: nobody else could see a
// registration, and one that outlived a crash would only make the
// restarted broker wait for its own old node ID or lease to lapse. They
// share Store's lifetime: after Close they fail with
// metastore.ErrUnavailable.
//
// # Object references
//
// An object's refs count the index entries pointing into it. Append records
// the object even when no batch was accepted (refs 0, so it shows up in
// DeadObjects). Once an object is dead it may be being deleted from the
// object store, so Append or ReplaceIndex naming a dead object fail with
// metastore.ErrConflict rather than revive it. Object keys must be fresh
// per flush or per rewrite.
package boltstore
