package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tributary-io/tributary/config"
)

// FuzzParse: Parse and Validate never panic, whatever the input; a parsed
// S3 store with a bucket has a normalised Prefix (no leading "/"; empty or
// ending in "/") and a bucket without "/" or ":"; every Validate problem is
// ErrInvalidValue.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		issue3ClusterFile,
		"version: v1beta1\nmetadata:\n  postgres:\n    string: postgresql://root:password@localhost:5432/bufstream\n",
		"version: v1beta1\nmetadata:\n  postgres: &a {dsn: x, pool: {max_connections: 2}}\ndata:\n  s3: {uri: 's3://b//p'}\n",
		"version: v1beta1\ndata:\n  s3:\n    uri: s3://b:1/?x#y\n    endpoint: http://u:p@h\n",
		"storage:\n  provider: S3\n  bucket: b\n  prefix: /x\npostgres:\n  dsn: {env_var: X, encoding: BASE64}\n",
		"storage:\n  provider: GCS\n",
		"storage:\n  bucket: a/b\n  prefix: //\n",
		"membership:\n  heartbeat_interval: 1s\n  session_timeout: 3s\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := config.Parse(data)
		if err != nil {
			return
		}
		if s := cfg.Data.S3; s != nil && s.Bucket != "" {
			if strings.HasPrefix(s.Prefix, "/") || (s.Prefix != "" && !strings.HasSuffix(s.Prefix, "/")) {
				t.Fatalf("prefix %q not normalised (uri %q)", s.Prefix, s.URI)
			}
			if strings.ContainsAny(s.Bucket, "/:") {
				t.Fatalf("bucket %q (uri %q)", s.Bucket, s.URI)
			}
		}
		if err := cfg.Validate(); err != nil && !errors.Is(err, config.ErrInvalidValue) {
			t.Fatalf("validate: %v, not ErrInvalidValue", err)
		}
	})
}
