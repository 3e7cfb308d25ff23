// Package metrics holds the broker's Prometheus metrics on a registry of its
// own (never the global default, so tests and several brokers in one process
// do not collide), with the Go runtime and process collectors added.
//
// Contract: New builds every metric once; the broker reaches them through
// the fields of Metrics and the helpers (KafkaRequest, KafkaError). Label
// values are bounded: Kafka API names from kmsg.NameForKey, error names from
// kerr, store operation names from a fixed list, result "ok" or "error",
// and where a panic was recovered ("kafka_handler", "kafka_reply",
// "ingest_pipeline"), and tributary_build_info's one series (version,
// commit, Go version of the running binary).
// Nothing here labels by topic, partition or client. Elsewhere, series
// computed at scrape time (ingest, groups, maintenance) and the per-topic
// enforcement outcomes carry topic, group and table names: as many as the
// cluster has, which its operators choose; never partitions or clients.
// HTTPAPI labels an HTTP API's requests by route pattern, never by path.
// docs/metrics.md lists every metric.
//
// ObjectStore and MetaStore wrap a store so that every call is counted and
// timed by operation and result; they change no behaviour. A store error of
// any kind, "not found" included, counts as result "error": the count says
// how often the backend said no, not how often it broke.
//
// All names start with "tributary_"; durations are in seconds, sizes in
// bytes, as Prometheus naming asks.
package metrics
