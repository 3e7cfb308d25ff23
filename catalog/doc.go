// Package catalog is Tributary's built-in Iceberg REST catalog: the server
// Spark, Trino, PyIceberg and iceberg-go point at (http://127.0.0.1:8181
// by default) to find the tables ingest writes, and through which ingest
// commits them.
//
// It follows the Iceberg REST catalog spec (apache/iceberg
// open-api/rest-catalog-open-api.yaml): /v1/config with the endpoints
// served; namespaces, nested (levels joined by 0x1F in paths), with
// properties and pagination; tables: create (and stage-create), load,
// HEAD, commit with every requirement and update of the spec, drop (and
// purge), rename, register; /metrics (reports checked, none kept,
// metrics.go); views: create, load, HEAD, replace (with the view version
// log), rename, drop, list (views.go); multi-table /transactions/commit;
// optional bearer auth with an OAuth2 client-credentials token endpoint;
// vended credentials (static keys; GET .../tables/{table}/credentials).
// Server-side scan planning and idempotency keys are not served (and not
// advertised, so clients do not call them). Iceberg's
// REST compatibility kit runs against it in e2e/rck_test.go.
//
// Storage. Namespaces and tables are keys in the metadata store's KV space
// (metastore.KV, embedded or Postgres; keys.go has the layout); a table's
// value is the location of its current metadata file. Metadata files are
// in the warehouse, an object store (local directory or S3) whose keys
// are paths below the warehouse URI (file:///dir or s3://bucket/prefix),
// so every engine reads them at the locations the server hands out. Every
// location the server reads or writes is inside the warehouse, or under
// one of Options.AllowedLocations (default: anywhere on the node's file
// system for a local warehouse, in the warehouse's bucket for S3;
// outside.go): a table location a client asks for elsewhere (create-table's
// location, a commit's set-location, a view's write.metadata.path) is
// overridden, not refused, and the answer's Warning header says so
// (location.go). With X-Iceberg-Access-Delegation: vended-credentials a
// table answer carries the storage credentials (credentials.go): the
// static keys, or with Options.STS an STS session's keys scoped to the
// table's location (sts.go).
//
// Commits (commit.go) write a new metadata file, then compare-and-swap the
// table's key: a conflict is retried on fresh metadata, with jittered
// backoff, while the requirements hold and for up to
// Options.CommitRetryTimeout; a requirement that fails is 409
// CommitFailedException "Requirement failed: …"; a store failure during
// the swap is 500 CommitStateUnknownException. Error messages are the
// reference's wording and never show the store's keys or versions. Every
// change that touches several keys (a rename, a create and its namespace,
// a multi-table transaction) is one KVApply: all of it or none.
//
// Concurrency: a Server holds no mutable state but a cache of immutable
// metadata files (its own lock), one queue per table for its own commits
// (tableLocks: a commit takes its tables' locks in key order, and holds
// no other lock while waiting) and its listener (Server.mu); every request
// runs on its own goroutine, and servers on the same store coordinate
// only through the store's CAS.
package catalog
