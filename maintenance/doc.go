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
// (under half commit.manifest.target-size-bytes; one per ingest commit on
// a table that does not merge at commit), or a dead one (only DELETED
// entries) that this run's compaction did not just leave,
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
// only the files no remaining snapshot references.
//
// # History thinning
//
// Ingest commits about once a second: a day of history is ~86,000
// snapshots, a metadata.json of tens of MB (0.8 KB a snapshot) that the
// catalog reads and rewrites at every commit and every engine reads
// before every query (go run ./bench/historybench, on the built-in
// catalog: at 86,400 snapshots 67 MiB, 50-60 s per commit and 18-27 s
// per load; at 400, what thinning keeps, 0.3 MiB, 0.1-0.2 s and
// 0.04-0.13 s; at 13, 30-50 ms per commit).
// After expiry, thin (thin.go) keeps every snapshot younger than the
// table's tributary.history.thin-after-ms (Options.ThinAfter, default 5
// minutes) and, of the older ones, the newest of each interval of
// tributary.history.thin-interval-ms (Options.ThinInterval, default 15
// minutes; intervals aligned on the epoch, so the kept one stays the
// same from run to run; 0 turns thinning off): ~400 snapshots for a day.
// Never thinned: the snapshot of every branch and tag, the history of
// branches other than main, the first min-snapshots-to-keep of each
// branch, and main's snapshots down to the newest carrying
// tributary.offsets (ingest's resume point). Candidates are main's
// ancestors and the Tributary-written snapshots (with tributary.offsets)
// that no ref reaches any more — thinning breaks the parent chain, so an
// old kept snapshot is reached no other way; another engine's snapshot
// nothing reaches (a staged write-audit-publish one) is left to age
// expiry. iceberg-go's ExpireSnapshots takes no snapshot ids, so the
// thinned ones are removed by one remove-snapshots update committed
// through the catalog, asserting every ref where it was (what
// ExpireSnapshots asserts; the attempt holds the table's
// iceberg.CommitGate, as a rewrite's does), and the files only they referenced are
// deleted by that update's post-commit step, the one ExpireSnapshots
// runs: a file any kept snapshot references is never deleted. The same
// commit sets the tag tributary-thinned on the newest snapshot kept
// before the window: with a second ref, Java's core ExpireSnapshots
// cleans files by reachability; before Iceberg 1.10 it cleans a table
// with one ref incrementally, which takes a kept snapshot the head no
// longer reaches through parents for a rolled-back commit and deletes
// the files it added, though the head still reads them
// (apache/iceberg#13568; TestJavaExpiryOfAThinnedTableKeepsLiveFiles
// shows it with 1.9.2). Iceberg 1.10 falls back to reachability itself;
// Spark's expire_snapshots action, Trino and iceberg-go always do. A Runner
// thins once 60 snapshots can go (Options.ThinBatch), not at every run;
// thinning runs before expiry, whose file cleanup reads the manifest list
// of every snapshot it keeps.
//
// The catalog prunes the snapshot log as Java's TableMetadata and the
// spec do: entries before the newest removed snapshot go. So time travel
// by timestamp (Spark's TIMESTAMP AS OF, which reads the log) reaches
// back over the full-resolution window, and time travel by snapshot id
// (VERSION AS OF, PyIceberg's snapshot_id, iceberg-go's WithSnapshotID)
// to every kept snapshot; an incremental reader (which walks parents)
// must keep up within the window.
//
// RemoveOrphans deletes
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
