// Package maintenance keeps Iceberg tables fast: it compacts small data
// files, expires old snapshots and removes orphan files, through
// iceberg-go's table API (its compaction planner, RewriteFiles builder,
// ExpireSnapshots and DeleteOrphanFiles) against any REST catalog.
//
// # Compaction
//
// Per table partition, data files smaller than 75% of the target size
// (Options.TargetFileSize, else the table's write.target-file-size-bytes,
// else 512 MiB) are bin-packed into groups near the target
// (iceberg-go's compaction.Config.PlanCompaction); with Options.Tiered
// (what a Runner sets; a one-shot tributary compact does not) each group
// is then cut down size-tiered (tiered): from its smallest file up, a file
// joins while it has at most twice the rows of those already taken, so a
// file compaction wrote is rewritten only once enough new rows have come
// to be worth it (each row is rewritten O(log) times in a partition's
// life, not at every run). Each group is read as
// Arrow from its Parquet files, its rows put in (kafka.partition,
// kafka.offset) order, and written back as Parquet with
// iceberg-go's WriteRecords; the records' Protobuf is never decoded. A
// group of at most 16 Kafka partitions with at least 32 MiB of input
// each is streamed: its files are read in commit order and each Kafka
// partition's rows go to a writer of its own, so each output file holds
// one Kafka partition in offset order and memory is bounded by the open
// writers (16 MiB row groups), not by the group. Any other group — or a
// streamed one whose offsets go back from one file to the next, which
// is then started again — is rewritten in memory, in chunks of at most
// Options.MaxGroupBytes of Parquet, each decoded whole and ordered. All
// groups are committed as one replace snapshot. The one part written
// here rather than taken from iceberg-go is that order:
// ExecuteCompactionGroup writes rows in the order it reads them. The
// order is made from runs (consecutive rows of one Kafka partition, as
// ingest writes them, ~500 rows) cut as zero-copy slices and joined, in
// that order, into batches of about 8k rows before the writer (which
// pays per batch and column); rows are copied one by one only when runs
// overlap or are very short.
//
// Files written here and by ingest carry lower and upper bounds for
// every primitive column reached through structs (package iceberg's
// WithBounds), so a filter on kafka.event_timestamp prunes files.
//
// When the current snapshot has Options.MinManifests small manifests
// (under half commit.manifest.target-size-bytes; one per ingest commit),
// they are merged (iceberg-go's RewriteManifests; larger manifests are
// left alone): a metadata-only replace snapshot, the one snapshot
// maintenance writes without tributary.offsets (ReadOffsets walks to its
// parent, which has the same rows).
//
// A Runner checks every table every CheckInterval: it loads the table's
// metadata and, only when something committed since its last check,
// counts the files a compaction would rewrite (reading the manifests).
//
// # Exactly once beside ingest
//
// The replace snapshot carries the tributary.offsets of the snapshot it
// replaces files in, and its commit asserts that the main branch still
// points at that snapshot; when ingest committed in between, the commit
// fails cleanly and is retried on the new head (the rewritten files are
// kept, only the commit is redone) with the new head's offsets. Each
// attempt (load the head, stage, commit) holds the table's
// iceberg.CommitGate, which ingest's commits in the same process also
// take: ingest committing every second would otherwise win every race
// against a staging that takes longer than that. So every
// snapshot on the main branch carries offsets that match its rows, and
// ingest (package iceberg's ReadOffsets) never resumes from a stale
// point. A rewrite that gives up deletes the files it wrote; one killed
// midway leaves files no metadata references, which the orphan pass
// removes once they are older than its window.
//
// # Retention
//
// Opt-in per topic (topicconfig.ArchiveRetentionMs): the table partitions (hours, days
// or months of kafka.event_timestamp) whose rows are all older than the
// retention are dropped in one delete snapshot (iceberg-go's Delete with
// a filter on a partition boundary: whole files go, none is rewritten),
// carrying the offsets and pinned to the head like a rewrite.
//
// # Expiry and orphans
//
// Expire honours the table's history.expire.max-snapshot-age-ms,
// history.expire.min-snapshots-to-keep and history.expire.max-ref-age-ms
// (iceberg-go reads them); when max-snapshot-age-ms is not set, a day of
// history is kept (iceberg-go's own default would be five). The snapshots
// a branch or a tag points at are always kept, and iceberg-go deletes
// only the files no remaining snapshot references. RemoveOrphans deletes
// files under the table location that no metadata references and that
// are older than the window (3 days by default), Hadoop .crc side files
// included (nothing references them).
//
// # Tables iceberg-go cannot read
//
// A table whose current snapshot's manifest list iceberg-go cannot decode
// (DuckDB 1.4 writes every field as a nullable union: unreadable.go) is
// ErrUnreadableManifests from Run; a Runner marks it skipped, with the
// reason in TableStatus.Skipped, and tries again only when the table's
// current snapshot changes.
//
// Concurrency: Run is safe to call for different tables at once; one
// table should have one runner at a time (Runner makes sure of that with
// a metadata-store lease).
package maintenance
