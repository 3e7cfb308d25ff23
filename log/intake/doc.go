// Package produce is the write path: it gathers the record batches of many
// produce requests, for many partitions, for a short linger or until a size
// is reached, writes them as one intake object to the object store, then
// indexes them in one metadata-store transaction that assigns their offsets.
// A produce is acknowledged only after both are durable.
//
// Ordering: Submit appends to the buffer under the writer's lock, and one
// flusher goroutine takes the whole buffer at a time and writes it as one
// object; one committer goroutine indexes the written objects one after
// another in the order they were taken, so batches of one producer reach
// the metadata store in the order their requests arrived (which idempotent
// sequence checks need).
//
// Group commit: with Linger 0 (the local-disk default) an idle writer
// flushes a part at once, and parts arriving while a flush is in flight
// go out together in a next flush: a light load pays one object write
// and one index commit per produce, not a linger on top, and a heavy load
// batches by itself, a flush gathering what arrived during the previous
// one. With Linger 0 the next flush's object write starts as soon as
// parts wait, while the previous flush is still being indexed (below): a
// part arriving just after a flush started waits for the longer of that
// flush's index commit and its own object write, then its own index
// commit, where it used to wait for that whole flush and then its own
// (measured, BenchmarkIntakePacedLatency: p50 4.5 to 3 ms, p99 halved at
// 20k records/s). With Linger > 0 the first part of an idle writer waits
// that long for company (on S3, where each flush is a billed PUT).
//
// Prepared objects: when the object store can prepare keys
// (objstore.Preparer: the local disk), a preparer goroutine keeps two
// keys prepared ahead (prepare.go), so that a flush's object write is one
// fsync instead of two and the flusher never waits for a Prepare's own
// fsyncs between two flushes (it waits only for a Prepare in progress
// when none is ready, no longer than writing the usual way); keys
// prepared for flushes that never come are deleted when the writer closes
// (a crash leaves them as empty orphans for housekeeping).
//
// Pipelining: the object write of flush N+1 runs while flush N is being
// indexed (on S3 + Postgres each is a network round trip), so throughput
// is not one round trip at a time: with Linger 0 always, with Linger > 0
// once half of MaxBufferedBytes is gathered (producers are about to be
// held back). Below that, with Linger > 0, a flush waits for the previous
// commit and keeps growing meanwhile: fewer, larger objects and
// transactions, fewer PUTs (measured on 2 busy cores with a 5 ms linger,
// overlapping every flush cost a third of the throughput through smaller
// flushes). At most two flushes are in progress: one indexing, one
// written or being written; the flusher waits for the committer before
// starting a third. Nothing is acknowledged before its own object is
// written and its own index commit is done.
//
// Outages: while the object store is out (objstore.ErrUnavailable) or the
// metadata store is and the commit certainly did not apply
// (metastore.ErrNotApplied), the flush tries again, 10ms doubling to a
// 100ms cap, until FlushTimeout or Close (retry.go): acknowledgements
// resume within one backoff of the store answering again instead of
// after each client's own retry backoff. A produce whose timeout ends
// first is answered REQUEST_TIMED_OUT; its flush may still commit, and the
// client's retry is then deduplicated (idempotent producers).
//
// Failure: if the object write or the metadata commit fails, every batch of
// that flush fails with ErrStorage and nothing of it is visible: an object
// written but never indexed is an orphan that housekeeping deletes later.
// A metadata commit whose outcome is unknown (connection lost after
// sending) is reported as a failure too; the client's retry is
// deduplicated by idempotent-producer state.
package intake
