// Package config is Tributary's typed configuration: its defaults, the
// loading of a bufstream.yaml file, and one Validate.
//
// The native file format is Bufstream's bufstream.yaml, so a file written
// for Bufstream loads here as far as the features it uses exist:
//
//   - `version: v1beta1` (Bufstream ≥ 0.4): keys as in Config's yaml tags
//     (cluster, zone, data_dir, kafka.listeners[], admin.listen_address, …).
//   - no version: the older unversioned (v1alpha1, Bufstream ≤ 0.3) form,
//     whose keys differ (kafka.address, kafka.public_address, admin_address,
//     host:port objects; see v1alpha1.go). It maps onto the same Config.
//
// Keys that Bufstream does not have are Tributary's own and are the same in
// both forms (kafka.auto_create_topics, intake.max_buffered_bytes, fetch,
// housekeeping, membership, …). Where Bufstream has a key for a setting we
// use its name (kafka.num_partitions, intake.delay_max,
// intake.delay_max_bytes).
//
// Storage: without `metadata:` and `data:` one broker keeps its metadata
// (embedded store) and its objects under data_dir. Cluster mode is
// metadata.postgres (Config.Metadata.Postgres) and data.s3
// (Config.Data.S3): any number of brokers share one Postgres database and
// one bucket; the unversioned form says the same with `postgres:` and
// `storage: {provider: S3, bucket, prefix, …}` (see v1alpha1.go).
//
// Contract:
//   - Load and Parse start from Default() and overwrite only the keys the
//     file sets; a list (kafka.listeners) is replaced whole.
//   - Unknown keys are errors naming the key's path (`config: unknown key
//     "kafka.listners" (line 4)`); Bufstream keys for features not built
//     (data.gcs, metadata.etcd, iceberg, …) are ErrUnsupportedKey, never
//     ignored: a setting silently dropped is worse than a refusal to start.
//   - Values of the wrong type are ErrInvalidValue naming the key.
//   - Load does not validate, so that flags can override the file first;
//     callers run Validate once everything is applied. Validate reports every
//     problem found, each naming its key.
//   - Durations use Go syntax ("5ms", "30s", "1h"); a bare number is refused
//     (it would silently mean nanoseconds). Sizes are an integer number of
//     bytes or an integer with a unit: B, KiB, MiB, GiB, TiB (powers of 1024)
//     or KB, MB, GB, TB (powers of 1000), e.g. "4MiB".
//   - Secrets are DataSource values, whose formatting never shows the secret.
//     Validate resolves them to check they can be read, and drops the
//     values; no error message holds one.
//   - Relative paths (data_dir, data-source path) are relative to the
//     working directory, as in Bufstream.
package config

//go:generate go test -run ^TestConfigReference$ -update .
