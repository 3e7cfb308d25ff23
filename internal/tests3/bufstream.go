package tests3

import "fmt"

// BufstreamYAML is a cluster bufstream.yaml (the shape of
// config/cluster.yaml, Bufstream's v1beta1 keys) for brokers keeping their
// objects in bucket on this server and their metadata in the Postgres at
// dsn. Kafka listens on 127.0.0.1:19092 unless --kafka-addr says otherwise.
// End-to-end tests and bench/clusterbench both start brokers from it.
func (s Server) BufstreamYAML(dsn, bucket string) string {
	return fmt.Sprintf(`version: v1beta1
kafka:
  listeners:
    - name: plain
      listen_address: 127.0.0.1:19092
metadata:
  postgres:
    dsn:
      string: %s
data:
  s3:
    uri: s3://%s/prefix/
    region: %s
    endpoint: %s
    force_path_style: true
    access_key_id:
      string: %s
    secret_access_key:
      string: %s
`, dsn, bucket, s.Region, s.Endpoint, s.AccessKey, s.SecretKey)
}
