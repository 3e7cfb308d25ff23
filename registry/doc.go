// Package registry is Tributary's built-in schema registry: the Confluent
// Schema Registry REST API (v1) over the metadata store's KV space, so
// that every broker sharing a store serves the same registry. Clients
// written for Confluent's registry use it unchanged; franz-go's sr and
// the Protobuf serializers and deserializers of confluent-kafka-python and
// confluent-kafka-go (with their defaults) are checked against it (e2e,
// interop/confluentgo). It listens on
// 127.0.0.1:8081 by default.
//
// # API
//
// Served (answers are application/vnd.schemaregistry.v1+json; bodies are
// read as JSON under that type, application/json, or none):
//
//	POST   /subjects/{s}/versions                 register (?normalize); {"id": n}
//	POST   /subjects/{s}                          look up (?normalize, ?deleted, ?format)
//	GET    /subjects                              (?subjectPrefix, ?deleted, ?deletedOnly, ?offset, ?limit)
//	GET    /subjects/{s}/versions                 (?deleted, ?deletedOnly)
//	GET    /subjects/{s}/versions/{v|latest}      (?deleted, ?format); …/schema: the text alone
//	GET    /subjects/{s}/versions/{v}/referencedby
//	DELETE /subjects/{s}, /subjects/{s}/versions/{v|latest}   soft, or ?permanent=true after a soft one
//	GET    /schemas/ids/{id}                      (?format, ?fetchMaxId); …/schema: the text alone
//	GET    /schemas/ids/{id}/versions, …/subjects (?deleted)
//	GET    /schemas                               (?subjectPrefix, ?deleted, ?latestOnly)
//	GET    /schemas/types, /contexts (["."]), /
//	GET|PUT|DELETE /config, /config/{s}           (?defaultToGlobal on GET)
//	GET|PUT|DELETE /mode, /mode/{s}               READWRITE, READONLY, IMPORT (?force on PUT)
//	POST   /compatibility/subjects/{s}/versions[/{v|latest}]   (?verbose, ?normalize)
//
// Errors are {"error_code": c, "message": m} with Confluent's codes and
// statuses: 40401 subject, 40402 version, 40403 schema not found; 40404
// subject and 40406 version already soft-deleted; 40405 and 40407 a
// permanent delete without the soft one first; 40408 and 40409 no
// subject-level config or mode; 409 incompatible (error_code 409, as
// Confluent before 8.0, which says 40901); 42201 invalid schema; 42202
// invalid version; 42203 invalid level; 42204 invalid mode; 42205 not
// permitted (READONLY, IMPORT rules, a compatibility this registry does
// not check); 42206 a referenced version; 42208 invalid subject; 50001
// the store failed. Optional HTTP basic auth (Options.BasicAuth).
//
// # Schemas
//
// PROTOBUF schemas are .proto text compiled at run time by schema/protobuf,
// or a base64 FileDescriptorProto, the form Confluent's serializers send
// (taken, as Confluent does, when the string is not .proto text but
// decodes to a descriptor that links; it is stored as the .proto text it
// prints as, checked to compile back to the same descriptor, so either
// form of one schema gets one id). References are imports (reference
// name = import path; the well-known
// types and buf/validate/validate.proto resolve without references;
// protovalidate rules that cannot be evaluated are refused with 42201),
// and checked under BACKWARD, FORWARD, FULL, their _TRANSITIVE forms and NONE
// by Confluent's Protobuf rules. AVRO schemas are compiled and checked
// with github.com/twmb/avro (Avro's schema-resolution rules). JSON schemas
// are stored after a JSON syntax check; their compatibility is not
// checked, and registering one where a check is due (a level other than
// NONE and a previous version) is refused with 42205 saying so. The
// default compatibility is BACKWARD (Options.DefaultCompatibility).
//
// A schema's identity (its fingerprint) is its type, its format's
// identity — for Protobuf the compiled descriptor, so comments and layout
// do not count; for Avro and JSON the text without insignificant white
// space — and its references. One fingerprint, one id, across subjects.
// The text stored is the text first registered (Protobuf: as given).
// ?normalize (or the config's normalize) stores Avro's Parsing Canonical
// Form; Protobuf has no normalizer, so it changes nothing there.
// ?format=serialized renders a Protobuf schema as its base64
// FileDescriptorProto; "" and "default" are the stored text; other names
// are refused with 42201.
//
// # Storage
//
// Everything lives under "registry/" in metastore.KV (see keys.go for the
// layout): a counter of ids, one record per schema id, a fingerprint
// index, one record per subject holding all its versions, use keys
// (id → subject versions) and reference keys (subject version → ids that
// reference it), configs and modes. Schema ids are global and never
// reused; a version number is one more than the subject's highest, soft
// deleted or not.
//
// # Concurrency
//
// A Server keeps no state but caches of compiled schemas (by stored id and
// fingerprint, and by request text and dependency texts: never stale), so
// any number of Servers may share a store. Every
// write is one KVApply whose compare-and-swap expectations cover every
// read it depends on; a lost race retries from the reads (at most
// Options.MaxRetries times, then 50001). A registration allocates the id
// (counter), claims the fingerprint, and appends the version (subject
// record) in one transaction, and rewrites unchanged the schema record of
// a reused id and the subject records of its references: so two brokers
// never give one id two schemas, never skip or duplicate a version, and a
// hard delete never removes an id or a referenced version that a
// concurrent registration is reusing.
//
// # Differences from Confluent's registry
//
// No schema contexts (":.ctx:subject" is an ordinary name), no data
// contracts (metadata and ruleSet are refused with 42201), no tags, no
// /schemas/guids, no subject aliases, no READONLY_OVERRIDE or FORWARD
// modes. Protobuf text is stored as given rather than reprinted (a
// descriptor is printed by jhump/protoreflect's protoprint, not by
// Confluent's printer, so its stored text may be laid out differently).
// Re-registering a schema whose
// version was soft-deleted adds a new version without hard-deleting the
// old one.
package registry
