package config

import (
	"fmt"
	"os"

	"gopkg.in/yaml.v3"
)

// Load reads the file at path over Default(); see Parse. It does not
// validate: apply overrides (flags), then call Validate.
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("load config: %w", err)
	}
	cfg, err := Parse(data)
	if err != nil {
		return Config{}, fmt.Errorf("load config %s: %w", path, err)
	}
	return cfg, nil
}

// Parse reads a bufstream.yaml document over Default(): the v1beta1 form
// when it has `version: v1beta1`, the older unversioned form when it has no
// version. An empty document gives Default(). It does not validate.
func Parse(data []byte) (Config, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return Config{}, fmt.Errorf("config: parse yaml: %w", err)
	}
	cfg := Default()
	root := documentRoot(&doc)
	if root == nil {
		return cfg, nil
	}
	if root.Kind != yaml.MappingNode {
		return Config{}, fmt.Errorf("%w: the document is a %s, want a mapping of keys", ErrInvalidValue, kindName(root))
	}
	version, err := findVersion(root)
	if err != nil {
		return Config{}, err
	}
	if version == "" {
		cfg, err = parseV1Alpha1(root, cfg)
	} else {
		err = (decoder{unsupported: unsupportedV1Beta1}).decode(root, reflectValue(&cfg), "")
	}
	if err != nil {
		return Config{}, err
	}
	if has(root, "intake", "delay_max") && !has(root, "intake", "s3_delay_max") {
		cfg.Intake.S3Linger = cfg.Intake.Linger // Bufstream's one key sets both
	}
	return cfg, nil
}

// has reports whether the mapping root holds the key path.
func has(root *yaml.Node, path ...string) bool {
	n := root
	for _, k := range path {
		if n.Kind != yaml.MappingNode {
			return false
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return false
		}
		n = next
	}
	return true
}

// documentRoot returns the document's top node, nil when it is empty.
func documentRoot(doc *yaml.Node) *yaml.Node {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil
	}
	return root
}

// findVersion returns the top-level version: "" when absent, else it must
// be v1beta1.
func findVersion(root *yaml.Node) (string, error) {
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "version" {
			continue
		}
		v := root.Content[i+1]
		if v.Kind != yaml.ScalarNode || v.Value != VersionV1Beta1 {
			return "", fmt.Errorf("%w %q (line %d): want %s, or no version for the older form",
				ErrVersion, v.Value, v.Line, VersionV1Beta1)
		}
		return v.Value, nil
	}
	return "", nil
}

// unsupportedV1Beta1 are v1beta1 keys for features not built yet, or not
// planned.
var unsupportedV1Beta1 = map[string]string{
	"data.gcs":                          "Google Cloud Storage is not supported; use data.s3 (S3 or an S3-compatible server), or leave data out for objects under data_dir",
	"data.azure":                        "Azure Blob Storage is not supported; use data.s3 (S3 or an S3-compatible server), or leave data out for objects under data_dir",
	"metadata.etcd":                     "etcd metadata storage is not supported; use metadata.postgres, or leave metadata out for the embedded store under data_dir",
	"metadata.spanner":                  "Spanner metadata storage is not supported; use metadata.postgres, or leave metadata out for the embedded store under data_dir",
	"metadata.postgres.cloud_sql_proxy": "Cloud SQL proxy dialing is not supported; give a DSN the broker can reach",
	"schema_registry.bsr":               "the BSR registry form is not supported; use schema_registry.confluent.url with BSR's Confluent endpoint https://<bsr>/integrations/confluent/<instance>",
	"iceberg.rest.sigv4":                "SigV4 catalog auth is not implemented; use bearer_token or oauth2",
	"iceberg.rest.jwt":                  "JWT catalog auth is not implemented; use bearer_token or oauth2",
	"iceberg.rest.basic_auth":           "basic auth to catalogs is not implemented; use bearer_token or oauth2",
	"data_enforcement.schema_registries.confluent.tls.root_cas": "custom CA bundles are not implemented yet",
	"data_enforcement.produce.keys.redaction":                   "field redaction is not implemented yet",
	"data_enforcement.produce.values.redaction":                 "field redaction is not implemented yet",
	"data_enforcement.fetch.keys.redaction":                     "field redaction is not implemented yet",
	"data_enforcement.fetch.values.redaction":                   "field redaction is not implemented yet",
	"metrics": "OTLP metrics export is not implemented; Prometheus metrics are served on admin.listen_address/metrics",
	"debug":   "the debug listener is not implemented; metrics are on admin.listen_address",
}
