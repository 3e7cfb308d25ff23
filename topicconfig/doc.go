// Package topicconfig owns topic configs: every key a topic may carry
// (Kafka's, and Bufstream's bufstream.validate.*, bufstream.archive.*,
// bufstream.export.*), its type, default and documentation, whether the
// broker acts on it, its validation, and the typed Settings a topic's
// stored map parses into.
//
// # Contracts
//
// Validation happens where configs are written (CreateTopics,
// AlterConfigs, IncrementalAlterConfigs): Validate checks one key,
// Options.Check the whole set a write would leave (each key, plus what
// keys mean together: the Iceberg catalog must be one the node knows, an
// ICEBERG topic needs a table). Their errors are the message a client sees
// with INVALID_CONFIG, and match ErrInvalid.
//
// Parse turns a stored map into Settings once; callers cache the result
// (the broker's topic cache holds it beside the map) so no request
// re-parses strings. Parse never fails: a value stored before validation
// existed, and no longer valid, falls back to the key's default, and for
// the Iceberg keys is reported in Archive.Err, which the ingest status
// shows.
//
// Stored configs hold only what was set. Kafka's keys are listed by
// DescribeConfigs with their defaults when unset (Key.Listed); a
// bufstream.* key is listed only when set, and a bufstream.* key this
// package does not know is stored and returned as given.
//
// This package sits below the broker, the log and ingest: it imports
// config and kmsg only (layering_test.go at the module root checks that
// the lower layers never import the broker).
package topicconfig
