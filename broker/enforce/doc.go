// Package enforce checks records against their Protobuf schemas on the
// broker, as Bufstream's data enforcement does: on produce (reject the
// batch, drop the bad records, or send them to a dead-letter topic) and on
// fetch (hide bad records from consumers). The broker calls it from
// Produce, after recordbatch.Validate, and from Fetch, after the read
// path; a topic no policy covers costs one map lookup.
//
// # What is configured
//
// Bufstream's data_enforcement block (config.DataEnforcement): named
// Confluent-compatible registries, and produce and fetch policies, the
// first whose topic matcher (all, equal, in, invert) matches a topic
// applying to it. A policy checks record keys, values or both (an element
// the policy leaves out is not checked), each with four actions:
//
//	on_no_schema       the element carries no schema id      default PASS_THROUGH
//	on_parse_error     it does not parse with its schema      default PASS_THROUGH
//	validation.on_error it breaks the schema's protovalidate   (only with validation:)
//	on_internal_error  the check could not be made           produce REJECT_BATCH, fetch PASS_THROUGH
//
// PASS_THROUGH counts the failure and keeps the record; REJECT_BATCH
// refuses the produce's batch with INVALID_RECORD (record_errors name each
// failing record's index in its batch and what failed, e.g. "value:
// validation error: line_items[0].quantity: must be greater than 0
// [uint64.gt]"; error_message repeats the first); FILTER_RECORD drops the
// record. On fetch REJECT_BATCH acts as FILTER_RECORD: Bufstream advises
// against it, and a fetch that failed would stall its consumer for good.
// When a record's key and value both fail, the stronger action wins
// (reject, then dead-letter, then filter, then pass). Null keys and values
// are never checked. coerce is not supported (logged at start); skip_parse
// checks the envelope and the schema id only.
//
// Topic configs, per topic (Bufstream's names; the broker stores any
// bufstream.* key):
//
//	bufstream.validate.mode      reject | dlq
//	bufstream.validate.dlq.topic the dead-letter topic (default <topic>.dlq)
//
// A mode turns semantic validation on for the topic's values and decides,
// in place of the policy, what every data failure of a value does (no
// schema id, a parse error, a broken rule): reject is REJECT_BATCH, dlq
// writes the failing records to the dead-letter topic and stores the
// rest. The topic config wins over the policy because it is the narrower
// setting, chosen by the topic's owner, as a Kafka topic config overrides
// the broker's default; Bufstream's topic-level validation likewise parses
// every value against the topic's schema. Keys and on_internal_error keep
// the policy's actions. A mode on a topic no produce policy matches uses
// the default registry (the top-level schema_registry, else the built-in
// one, read in process: the node hands the registryclient.Client it
// shares with ingest to SetDefaultRegistry), on_internal_error
// REJECT_BATCH. Unknown mode values are ignored
// (and logged).
//
// # What a check is
//
// An element's schema reference is the last non-null __key_schema_id /
// __value_schema_id header (Confluent's header-carried ids, magic 0 and a
// 4-byte id then the message-index path), else the Confluent wire format
// of the bytes themselves (magic byte 0, 4-byte schema id, message-index
// path). Neither is ErrNoSchema. Then, in order, each failure being
// ErrParse unless said otherwise:
//
//  1. the envelope parses (schema GUIDs in headers are refused);
//  2. the registry knows the id and it is a PROTOBUF schema (a registry
//     that cannot be reached, is slow or errs is ErrInternal; so is a
//     schema that does not compile here);
//  3. the id is a version of the subject <topic>-value (<topic>-key), the
//     topic name strategy; a policy element that names a message (name:
//     pkg.Msg) checks instead that the index path designates that message,
//     whatever the subject;
//  4. the message-index path designates a message of the schema;
//  5. the payload decodes as that message (not with skip_parse);
//  6. with validation (the policy's validation:, or a topic mode), the
//     message passes the buf.validate rules its schema carries, CEL
//     included: ErrInvalid naming each field, rule and message.
//
// # Registries
//
// Each registry is a franz-go sr.Client (basic auth or a bearer token, TLS
// settings, any path prefix: Buf's BSR serves the API under
// /integrations/confluent/<instance>) with a per-schema-id cache of
// compiled schemas from schema/protobuf (descriptors, message types and
// protovalidate validators, each id loaded once however many produces ask)
// and a cache of the subjects each id belongs to. Every registry call is
// bounded by Config.Timeout (2s) and runs detached from the request, and
// every failure (an unknown id, a registry that is down) is remembered for
// Config.ErrorTTL (5s): a registry that is down costs a produce at most
// one timeout, then on_internal_error applies at once to every record
// until the TTL passes.
//
// # Dropping records
//
// FILTER_RECORD and dlq mode rebuild the batch without the dropped records
// (recordbatch.Records.Filter, as Kafka's log cleaner rewrites a compacted
// batch): the same baseOffset, lastOffsetDelta, producer id, epoch and
// base sequence, so the dropped offsets become gaps every Kafka consumer
// steps over (KAFKA-5443) and an idempotent producer's next sequence is
// still the one the broker expects; the kept records verbatim, recompressed
// with the batch's codec, a new CRC. A batch that keeps nothing is stored
// as an empty batch and still takes its offsets. On fetch the same rebuild
// keeps consumers' positions advancing past filtered records.
//
// Dead-letter copies go to the dead-letter topic (auto-created by the
// broker with the source topic's partition count) through the same intake
// flush as the rest of the produce: the record's key, value (as produced,
// envelope included), headers and timestamp, plus the headers
// tributary.dlq.topic, tributary.dlq.partition and tributary.dlq.error.
// Bufstream instead writes a serialized buf.bufstream.dlq.v1beta1.Record.
// Fetch policies leave dead letters alone (a record whose
// tributary.dlq.topic names another topic): they are bad on purpose, and
// whoever reads a dead-letter topic wants to see them. Dead letters are
// written at least once: a producer's retry of a produce that did commit
// is deduplicated by its sequence numbers, its dead letters are not.
//
// # Cost
//
// With no policy for a topic, nothing: one map lookup per produced
// partition. With one, each batch is decompressed once, by the produce
// path's validation, which hands the records on (recordbatch.ValidateOpen,
// ProducePolicy.CheckOpen; Check opens the batches itself). Without
// validation the records are not even read again: the produce path folds
// the checks into validation's own walk (ProducePolicy.Begin, its
// Visitor handed to recordbatch.ValidateVisit, then ProduceCheck.Finish
// once validation accepted the record set; a record set validation
// refuses leaves no verdict, metric or log behind), nothing is collected,
// only failures are remembered (CheckOpen, for a caller that validated
// already, reads them in one pass with Records.Each); each element's envelope
// parsed without allocating, its codec found in two map lookups (the
// last codec is reused while ids repeat), and the payload scanned against
// its descriptor without being built (schema/protobuf's Codec.Verify,
// allocation-free, a table per message type for one-byte tags). With
// validation the records are collected (headers in shared arrays, no copy
// per record) and checked by up to GOMAXPROCS goroutines (it would
// otherwise all fall on the connection's reader), each counting its checks
// and adding them to the metrics once; each is decoded into a flat
// message (strings alias the record, lists and maps reused from the last
// record) and checked by protovalidate (Codec.Check), fields whose only
// rule is string.email or string.uuid checked without its regular
// expressions when valid. Compiled schemas are rebuilt as runtime
// descriptors, which messages read faster. A batch that loses records is
// rebuilt once (recordbatch.Records.Filter). Fetch outcomes are cached per
// stored batch (Config.FetchCacheBytes).
//
// What that comes to (bench/enforcebench, a ~20-field order event of
// ~360 bytes, 2 cores, CPU time of the whole run per record, December
// 2026; BENCHMARKS.md): a produce path that spends about 2.1µs per record
// end to end spends 2.3-2.6µs with a parse check (CPU ratio 0.82-0.90;
// the enforcer's part about 0.3µs, the scan of the order 0.22) and
// 6.3-6.7µs with validation (0.30-0.35), of which Codec.Check is about
// 3.5µs (protovalidate's rules most of it, the flat decode about 1).
// The cost is per record: larger records lose less per byte.
//
// # Metrics
//
// tributary_enforce_checks_total{side,element,result} and
// tributary_enforce_records_total{side,action} (see metrics.go).
package enforce
