// Package ingest copies topics into Iceberg tables: for every topic whose
// configs ask for it, one pipeline reads the committed log straight from
// the index and object store (log/read, not the Kafka protocol),
// decodes each record with the schema its Confluent envelope names (the
// registry's Protobuf schema, compiled and cached per id), converts it with
// arrowconv, and commits the rows with package iceberg when the commit
// interval has passed since the oldest buffered record or the buffer
// reaches its size, whichever comes first.
//
// The registry is Options.Registry, the registryclient.Client the node
// shares with enforcement (the built-in registry read in process, or an
// external one over HTTP); the built-in catalog is reached in process too
// (Catalogs.LocalHandler), so neither depends on this node's listeners.
//
// # Turning it on
//
// Topic configs (package topicconfig owns and validates them, so a bad
// table, catalog or interval is refused when written), read every
// PollInterval (2s), so CreateTopics and IncrementalAlterConfigs take
// effect without a restart:
//
//	bufstream.archive.kind=ICEBERG                 (any case)
//	bufstream.archive.iceberg.table=namespace.table (namespace created if missing)
//	bufstream.archive.iceberg.catalog=<name>        (the config's iceberg list; default "local", the built-in one)
//	bufstream.export.iceberg.commit.freq.ms=<ms>    (default 60000)
//	bufstream.archive.parquet.granularity=HOURLY|DAILY|MONTHLY (at table creation; default DAILY)
//
// Bufstream's reference gives no default for commit.freq.ms; 60 s is the
// usual streaming-to-Iceberg cadence. Changing any of them restarts the
// topic's pipeline, which resumes from the table.
//
// # Guarantees
//
// Exactly once: the table is the only record of progress (package
// iceberg puts the offsets and a commit id in every snapshot); a pipeline
// starts from the table's offsets, or from each partition's log start for
// a table that has none (a topic that already has data is backfilled).
// Records the log no longer retains when the pipeline gets to them are
// skipped and the gap is reported as the table's last error.
//
// Nothing is dropped, and every row with no decoded fields says why: a
// value (or key) that cannot be decoded is a row with __raw__ and an
// __err__ naming the reason — "no envelope: …" (empty, magic byte
// missing, too short), "bad envelope: …" (malformed message indexes),
// "schema id N not found in registry", "schema id N message indexes
// […]: …" (no such message), a schema that is not Protobuf or does not
// compile, "decode: …" (bytes that do not parse, with the parser's
// detail). Bytes without a Confluent envelope (and without a schema-id
// header) are an error only when the topic's subject (<topic>-value, or
// <topic>-key for keys: Confluent's TopicNameStrategy) has a live schema:
// then they should have been framed. When the subject has none there is
// nothing to decode them with, and they are stored as __raw__ only, as
// Bufstream stores values of topics without a schema. A null value is a
// tombstone: its row has every val column null and no __err__; an empty
// value is not null (__raw__ is empty bytes) and, under a schema, an
// error. A null key is "no key", never an error. Control batches
// (transaction markers) carry no records and produce no rows.
//
// The registry decides what a record is, so its failures are not the
// record's: a 404 (no such id, subject or version) is an answer and goes
// into __err__; any other failure (unreachable, 5xx, timeout) stops the
// pipeline, which resumes from the table after a backoff, rather than
// writing a row whose __err__ would blame the record. Whether a subject
// has a schema is asked only for unframed bytes, and remembered 10s.
//
// One committer per table: a pipeline holds the metadata-store lease
// "iceberg/<catalog>/<table>" while it runs, renewing it every third of
// LeaseTTL; if a renewal fails or finds the lease taken, the pipeline
// stops at once (its buffer is dropped, the next holder resumes from the
// table). Several brokers may run the Manager; each table is written by
// whichever holds its lease.
//
// Memory: each pipeline buffers at most MaxPipelineBytes of records
// (counted as the bytes read from the log) and commits when it reaches
// that; the Manager also bounds the sum over all pipelines
// (MaxTotalBytes): a pipeline that would pass it commits what it has
// first, and one with nothing buffered waits for room. Reads are one
// partition and ReadBytes at a time.
//
// Concurrency: one goroutine per pipeline owns its table, converters and
// buffer; the Manager's goroutine starts and stops pipelines; Status reads
// each pipeline's status under the pipeline's mutex.
package ingest
