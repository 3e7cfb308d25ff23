// Package produce is the write path: it gathers the record batches of many
// produce requests, for many partitions, for a short linger or until a size
// is reached, writes them as one intake object to the object store, then
// indexes them in one metadata-store transaction that assigns their offsets.
// A produce is acknowledged only after both are durable.
//
// Ordering: Submit appends to the buffer under the writer's lock, and one
// flusher goroutine takes the whole buffer at a time and commits flushes one
// after another, so batches of one producer reach the metadata store in the
// order their requests arrived (which idempotent sequence checks need).
//
// Failure: if the object write or the metadata commit fails, every batch of
// that flush fails with ErrStorage and nothing of it is visible: an object
// written but never indexed is an orphan that housekeeping deletes later.
// A metadata commit whose outcome is unknown (connection lost after
// sending) is reported as a failure too; the client's retry is
// deduplicated by idempotent-producer state.
package intake
