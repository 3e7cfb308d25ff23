// Package postgres is the metadata store many brokers share: cluster mode
// is several stateless brokers on one PostgreSQL database (and one
// bucket), with no consensus of our own. It keeps the metastore.Store
// contract exactly as boltstore does (both run metastoretest), with pgx/v5
// and a connection pool.
//
// # Schema
//
// Tables (migrations/, applied by Open): topics, partitions (offsets),
// index_entries (the log index), producers (idempotent producer state),
// objects (reference counts; refs = 0 is dead), counters (producer IDs),
// brokers and leases (metastore.Cluster), groups and group_offsets
// (metastore.Groups; offsets by topic name, without a foreign key, since
// a group needs no record to hold offsets), kv (metastore.KV, keys in the
// "C" collation so that they sort byte-wise). Each SQL statement is a file
// of sql/ or migrations/, embedded. Open applies the migrations a database
// lacks in one transaction holding an advisory lock, recorded in
// schema_migrations, so brokers starting together migrate once; a
// database migrated by a newer build is refused.
//
// # Concurrency model
//
// Every write is one READ COMMITTED transaction; every read is one
// statement (one snapshot). Rows are locked in this order, and nothing
// locks against it, so transactions queue instead of deadlocking:
//
//	topics row → partitions rows (by topic_id, partition) →
//	producers rows → objects rows (by key) → group_offsets rows
//	groups rows (by name) → group_offsets rows
//	kv rows (by key)
//
// A groups row is locked by PutGroup (its UPDATE), DeleteGroup (FOR
// UPDATE), ExpireGroups (FOR UPDATE, the Empty ones in name order) and a
// generation-checked CommitOffsets (FOR SHARE, until its offsets are
// written): a PutGroup that changes the generation and a commit checking
// it therefore run one after the other, never interleaved. Commits write
// their offsets in (topic, partition) order. group_offsets rows are also
// deleted, without a groups lock, by DeleteOffsets and DeleteTopic; two
// such deletes crossing each other's rows are a deadlock Postgres breaks
// and the store retries.
//
// KVApply locks the kv rows of its keys that exist, in key order, with one
// SELECT … ORDER BY key FOR UPDATE, checks every expected version against
// them and only then writes, again in key order: updates and deletes of
// the rows it holds, and INSERTs of the keys that were absent, which wait
// for (and then conflict with) a concurrent transaction creating the same
// key. Two KVApply calls on one key therefore take turns and the second
// sees the first's version: concurrent compare-and-swaps from many
// brokers serialize. (A KVAny write of a key created after the lock read
// locks that row late and may cross another KVApply: a deadlock Postgres
// breaks and the store retries.) A KVApply whose COMMIT reply is lost
// fails with ErrUnavailable though it may have committed; its caller
// reads the keys again before retrying, as the repeated compare-and-swap
// would conflict with its own write.
//
// Append locks all of its partitions first, in key order, with one SELECT
// … ORDER BY … FOR UPDATE: two brokers appending to one partition take
// turns, and each reads the HighWater the other left, which keeps offsets
// dense and unique per partition. DeleteTopic locks its partitions before
// reading its index, so an Append in flight either commits before (and its
// entries are released) or finds the partitions gone. Should Postgres
// still report a deadlock or serialization failure, the transaction is run
// again (it was rolled back), up to maxAttempts times.
//
// Leases, broker expiry, group UpdatedAt and offset CommittedAt (hence
// group expiry) use the database's clock (now()), never a broker's.
//
// # Failures
//
// Errors from the database are classified where they enter (classify):
// lost or refused connections, shutdowns and exhausted resources wrap
// metastore.ErrUnavailable, which brokers treat as retriable; the caller's
// context ending is returned as itself. A COMMIT whose reply is lost has
// an unknown outcome and is reported as an error like any other: the
// Kafka client retries, and the idempotent-producer state, committed with
// the offsets, deduplicates the retry. A transaction is retried inside
// the store only when it certainly did not commit (Postgres rolled it
// back, or nothing reached the server). A lost connection resets the
// pool, so a restarted server costs one failed call, not one per pooled
// connection. A transaction's unavailable failure that certainly did not
// commit (anything but a COMMIT without an answer, or a broken invariant)
// also wraps metastore.ErrNotApplied: the log's writer then runs the
// Append again itself while the server is out.
//
// A broker's heartbeat is one statement (broker_heartbeat.sql: the
// renewal and the live set together).
package postgres
