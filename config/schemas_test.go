package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tributary-io/tributary/config"
)

// The data_enforcement block of the schema issue, exactly.
const enforcementBlock = `
data_enforcement:
  schema_registries:
    - name: csr
      confluent:
        url: http://127.0.0.1:8081
  produce:
    - topics: { equal: strict }
      schema_registry: csr
      values:
        on_parse_error: REJECT_BATCH
        on_no_schema: REJECT_BATCH
  fetch:
    - topics: { all: true }
      schema_registry: csr
      values:
        on_parse_error: FILTER_RECORD
`

func TestDataEnforcementBothForms(t *testing.T) {
	for name, body := range map[string]string{
		"v1beta1":     "version: v1beta1\n" + enforcementBlock,
		"unversioned": "cluster: demo\n" + enforcementBlock,
	} {
		cfg, err := config.Parse([]byte(body))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("%s: validate: %v", name, err)
		}
		de := cfg.DataEnforcement
		if len(de.SchemaRegistries) != 1 || de.SchemaRegistries[0].Name != "csr" || de.SchemaRegistries[0].Confluent.URL != "http://127.0.0.1:8081" {
			t.Fatalf("%s: registries %+v", name, de.SchemaRegistries)
		}
		if len(de.Produce) != 1 || de.Produce[0].Topics.Equal != "strict" || de.Produce[0].Values.OnParseError != config.RejectBatch ||
			de.Produce[0].Values.OnNoSchema != config.RejectBatch || de.Produce[0].SchemaRegistry != "csr" {
			t.Fatalf("%s: produce %+v", name, de.Produce)
		}
		if len(de.Fetch) != 1 || !de.Fetch[0].Topics.All || de.Fetch[0].Values.OnParseError != config.FilterRecord {
			t.Fatalf("%s: fetch %+v", name, de.Fetch)
		}
		if !de.Produce[0].Topics.Matches("strict") || de.Produce[0].Topics.Matches("other") || !de.Fetch[0].Topics.Matches("any") {
			t.Fatalf("%s: matchers wrong", name)
		}
	}
}

func TestMatchers(t *testing.T) {
	in := config.StringMatcher{In: config.InValues{Values: []string{"a", "b"}}}
	inv := in
	inv.Invert = true
	for _, c := range []struct {
		m     config.StringMatcher
		topic string
		want  bool
	}{
		{in, "a", true}, {in, "c", false}, {inv, "a", false}, {inv, "c", true},
		{config.StringMatcher{}, "x", true}, {config.StringMatcher{All: true, Invert: true}, "x", false},
	} {
		if got := c.m.Matches(c.topic); got != c.want {
			t.Errorf("%+v.Matches(%q) = %v", c.m, c.topic, got)
		}
	}
}

func TestSchemaAndIcebergBadValuesNamed(t *testing.T) {
	for body, key := range map[string]string{
		"version: v1beta1\ndata_enforcement:\n  schema_registries:\n    - name: csr\n      confluent:\n        url: http://r\n  produce:\n    - schema_registry: nope\n":                                             "data_enforcement.produce[0].schema_registry",
		"version: v1beta1\ndata_enforcement:\n  schema_registries:\n    - name: csr\n      confluent:\n        url: http://r\n  produce:\n    - schema_registry: csr\n      values:\n        on_parse_error: DROP\n": "data_enforcement.produce[0].values.on_parse_error",
		"version: v1beta1\nschema_registry:\n  confluent:\n    url: not-a-url\n":             "schema_registry.confluent.url",
		"version: v1beta1\niceberg:\n  - name: local\n    rest:\n      url: http://c:8181\n": "iceberg[0].name",
		"version: v1beta1\niceberg:\n  - name: ext\n":                                        "iceberg[0].rest",
		"iceberg:\n  catalogs:\n    - name: ext\n      rest:\n        url: ftp://x\n":        "iceberg[0].rest.url",
	} {
		cfg, err := config.Parse([]byte(body))
		if err == nil {
			err = cfg.Validate()
		}
		if !errors.Is(err, config.ErrInvalidValue) || !strings.Contains(err.Error(), `"`+key+`"`) {
			t.Errorf("%q: %v, want ErrInvalidValue naming %q", body, err, key)
		}
	}
}

func TestIcebergCatalogsBothForms(t *testing.T) {
	for name, body := range map[string]string{
		"v1beta1":     "version: v1beta1\niceberg:\n  - name: ext\n    rest:\n      url: http://127.0.0.1:8182\n      warehouse: wh\n      oauth2:\n        client_id:\n          string: id\n        client_secret:\n          string: secret\n",
		"unversioned": "iceberg:\n  catalogs:\n    - name: ext\n      rest:\n        url: http://127.0.0.1:8182\n        warehouse: wh\n        oauth2:\n          client_id:\n            string: id\n          client_secret:\n            string: secret\n",
	} {
		cfg, err := config.Parse([]byte(body))
		if err == nil {
			err = cfg.Validate()
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(cfg.Iceberg) != 1 || cfg.Iceberg[0].Name != "ext" || cfg.Iceberg[0].REST.URL != "http://127.0.0.1:8182" || cfg.Iceberg[0].REST.Warehouse != "wh" {
			t.Fatalf("%s: %+v", name, cfg.Iceberg)
		}
		if sec, err := cfg.Iceberg[0].REST.OAuth2.ClientSecret.Resolve(); err != nil || string(sec) != "secret" {
			t.Fatalf("%s: client secret %q %v", name, sec, err)
		}
	}
}
