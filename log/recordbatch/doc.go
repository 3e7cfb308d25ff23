// Package recordbatch is everything the broker does to Kafka record
// batches as bytes: validate what a producer sent, stamp offsets and
// timestamps in place, and search stored batches by time. It does no I/O
// and keeps no state but a cache of decompressors; every function is
// safe for concurrent use on distinct byte slices.
//
// Format: only message format v2 (magic 2), the record batch of KIP-98,
// as specified at https://kafka.apache.org/documentation/#recordbatch.
// Magic 0 and 1 are refused as UNSUPPORTED_FOR_MESSAGE_FORMAT.
//
// Decoding is franz-go's: kmsg.RecordBatch for batch headers, kgo's
// decompressor for the codecs (bounded: a batch never inflates past
// ValidateOptions.MaxDecompressedBytes). Two things are hand-written,
// each saying why where it is: in-place header patches (kmsg can only
// re-encode a whole batch), and a record scanner over kbin primitives
// that checks and skips records without materializing them, as Kafka's
// broker does (kmsg.Record allocates per claimed header, 40 bytes per
// input byte, and trusts the framing). kmsg.Record is the scanner's
// reference in the tests and the fuzz target.
//
// Contract, in the order the produce path uses it:
//
//  1. Validate checks one partition's record set as Kafka's
//     UnifiedLog.analyzeAndValidateRecords and LogValidator do for a
//     client append, and returns the batches, or an *Error whose Kind is
//     the Kafka error code to answer with and whose RecordErrors are the
//     response's record_errors. It writes nothing.
//  2. The broker stamps timestamps as LogValidator does: SetLogAppendTime
//     on a LogAppendTime topic, else SetCreateTime with Batch.MaxTimestamp
//     (a no-op when the producer's header was already right). Both
//     recompute the CRC when they change anything.
//  3. PatchRecordSet (or PatchBaseOffset, per batch) writes the assigned
//     offsets and leader epoch 0; both lie outside the CRC.
//
// Stored batches are read back with Walk (headers only),
// FindOffsetByTimestamp and MaxTimestampRecord (ListOffsets).
//
// Schema enforcement (broker/enforce) reads records whole and drops some:
// OpenBatch decompresses one batch and Records.Each yields each record's
// key, value, headers and raw bytes (aliasing the decompressed records, no
// allocation per record); Records.Filter rebuilds the batch with the
// records it keeps, as Kafka's log cleaner does — same baseOffset,
// lastOffsetDelta and producer fields, so dropped offsets become gaps and
// idempotent sequences stay consistent — recompressed with the batch's
// codec and a new CRC. Build encodes records the broker writes itself
// (dead-letter copies) as a plain client batch. On the produce path
// validation opens the batches for it (ValidateOpen), and ValidateVisit
// also hands each record, as Each yields it, to a Visitor during
// validation's own walk, so that a check of every record reads them once.
//
// Where this package departs from Kafka, on purpose:
//   - Record offset deltas must be 0..n-1. Kafka re-compresses a batch
//     whose deltas are off; Tributary stores producer bytes verbatim, so
//     it refuses them (INVALID_RECORD). Every known client writes 0..n-1.
//   - Bytes after the last batch are CORRUPT_MESSAGE; Kafka silently trims
//     a partial trailing batch.
//   - A batch that fails to decompress is INVALID_RECORD (Kafka answers
//     UNKNOWN_SERVER_ERROR); one that would inflate past the bound is
//     MESSAGE_TOO_LARGE (Kafka has no bound).
package recordbatch
