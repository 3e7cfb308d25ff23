// Package iceberg turns Kafka records, already converted to Arrow, into
// Apache Iceberg snapshots: Parquet data files (zstd, column statistics,
// row groups and files sized by the table's write.* properties) committed
// through any Iceberg catalog iceberg-go speaks to (our built-in REST
// catalog, or an external one).
//
// # Table layout
//
// Bufstream's, so queries written for it work (see Columns):
//
//	key      struct<__raw__ binary, __prefix__ binary, __err__ string, <key message fields>…>
//	val      struct<__raw__ binary, __prefix__ binary, __err__ string, <value message fields>…>
//	headers  list<struct<key string, value binary>>
//	kafka    struct<partition int, offset long, event_timestamp timestamptz,
//	                ingest_timestamp timestamptz, batch_start long>
//
// partitioned by day (or hour, or month: Granularity) of
// kafka.event_timestamp. A topic with no schema has only the three
// reserved columns in key and val. key.__raw__ is set whenever the key is
// not null; val.__raw__ only when the value was not decoded: then no
// decoded column is set, and val.__err__ says why unless the value has no
// schema to be decoded with (package ingest says which records those
// are). A null value (a tombstone) leaves every val column null, __raw__
// and __err__ included.
//
// # Field ids and schema evolution
//
// Field ids are the table's: a column keeps its id for life. Prepare maps
// a message's Arrow schema (from arrowconv) onto the current table schema
// by name path: a field whose column exists with the same type uses it; a
// field that is new becomes a new column (one schema-update commit, ids
// assigned by the catalog); a field whose column exists with another type
// (an incompatible change: int → string, message → scalar…) goes to
// name__v2 (then __v3…), the first such column of its type or a new one.
// Nothing is ever dropped, so a field removed from the schema stays a
// column, null in later rows. The mapping is derived from the table's
// schema each time, so it needs no state of its own and is the same on
// every broker and after a restart.
//
// # Exactly once
//
// Every snapshot this package commits carries, in its summary,
// tributary.offsets (JSON: partition → next offset to ingest, for every
// partition ever committed) and tributary.commit-id, a digest of the
// offsets the commit starts from and ends at — the same for every attempt
// at the same commit, across restarts. Offsets reads the newest snapshot of
// the main branch that has them: that is where ingest resumes. Each commit
// also sets the table properties tributary.offsets and
// tributary.commit-id, so the resume point survives another engine's
// maintenance expiring every snapshot of ours; a table with neither falls
// back to the per-partition upper bound of kafka.offset in its data files
// (ReadOffsets). Package maintenance's replace snapshots carry the offsets
// of the snapshot they replace files in. A commit
// whose answer is lost (HTTP 5xx, CommitStateUnknown, a network error, a
// timeout) may have been applied: Commit reloads the table and looks for
// its commit id before it tries again, so a retry never appends the same
// records twice. A 409 is a clean conflict: nothing was applied; Commit
// reloads and retries unless the table's offsets moved under it (another
// writer), which is ErrFenced.
//
// Tables created here merge their small manifests at every commit
// (commit.manifest-merge.enabled, min-count 2, 256 KiB manifests): after
// a commit the current snapshot has one small manifest (beside any that
// grew past 256 KiB, which are left alone) and no entry an earlier
// snapshot deleted (a fast append would carry every manifest forward, a
// compaction's manifest of deleted entries too, and query engines read
// them all at every query).
//
// A retry commits the data files the first attempt wrote, not new ones:
// Commit writes them once, and again only when the table's current schema
// or default partition spec changed in between. Files it drops (fenced,
// given up, re-written) are deleted through the table's FileIO only when
// no snapshot can reference them: every attempt with them was refused
// (409), or the table, reloaded without the commit id, has moved past the
// snapshot each unknown-outcome attempt asserted. Otherwise (the table
// could not be reloaded, or an attempt may still land) they stay, and
// package maintenance's orphan sweep removes them if unreferenced.
//
// # Data files
//
// Parquet, written by iceberg-go's writer with the table's write.parquet.*
// properties; a key the table does not set takes this package's default
// (WriteProperties: zstd level 1, pages of up to 4 MiB checked every
// 20,000 rows, no dictionary on kafka.offset, kafka.batch_start and the
// two timestamps), so tables created before those defaults, or by other
// engines, get them too. Anything else that writes a table's data files
// (compaction) should write them the same way: WriteView for iceberg-go's
// writers, WriterProperties for pqarrow. A commit's files also have no
// dictionary on the columns whose first 4,096 values in the commit are
// at least 90% distinct, unless the table sets that column's key: a
// per-commit choice of encoding, not a property of the table.
//
// Concurrency: a Table is used by one goroutine (the table's one
// committer, which ingest makes sure of with a lease in the metadata store).
package iceberg
