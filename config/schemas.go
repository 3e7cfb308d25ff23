package config

// Schemas and Iceberg: the schema registry Tributary uses, the data
// enforcement policies (Bufstream's `data_enforcement`, read in both file
// forms), and the Iceberg REST catalogs topics can be archived to.

import (
	"fmt"
	"net/url"
	"strings"
)

// SchemaRegistry is Bufstream's top-level `schema_registry` (v1beta1): an
// external Confluent-compatible registry. When it is set, the built-in
// registry is not served and everything (enforcement, Iceberg decoding)
// uses this one.
type SchemaRegistry struct {
	Confluent *ConfluentRegistry `yaml:"confluent"`
}

// ConfluentRegistry is a Confluent Schema Registry API endpoint: Confluent's
// own, Buf's BSR at https://<bsr>/integrations/confluent/<instance>, or
// Tributary's built-in one.
type ConfluentRegistry struct {
	// URL is the API's root, path prefix included.
	URL string `yaml:"url"`
	// InstanceName is Bufstream's BSR instance name; accepted and unused.
	InstanceName string       `yaml:"instance_name"`
	TLS          *RegistryTLS `yaml:"tls"`
	// BasicAuth authenticates with a username and password.
	BasicAuth *BasicAuth `yaml:"basic_auth"`
	// BearerToken authenticates with a static bearer token (a Tributary key).
	BearerToken DataSource `yaml:"bearer_token"`
}

// RegistryTLS configures HTTPS to a registry.
type RegistryTLS struct {
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
}

// BasicAuth is a username and password, each from a data source.
type BasicAuth struct {
	Username DataSource `yaml:"username"`
	Password DataSource `yaml:"password"`
}

// DataEnforcement is Bufstream's `data_enforcement`: named registries and
// the policies applied to produced and fetched records. The first policy
// whose topic matcher matches is used; none matching means no enforcement.
type DataEnforcement struct {
	SchemaRegistries []NamedRegistry `yaml:"schema_registries"`
	Produce          []Policy        `yaml:"produce"`
	Fetch            []Policy        `yaml:"fetch"`
}

// NamedRegistry is one entry of data_enforcement.schema_registries.
type NamedRegistry struct {
	Name      string             `yaml:"name"`
	Confluent *ConfluentRegistry `yaml:"confluent"`
}

// Policy says how records of the matching topics are checked.
type Policy struct {
	Topics StringMatcher `yaml:"topics"`
	// SchemaRegistry names an entry of schema_registries.
	SchemaRegistry string  `yaml:"schema_registry"`
	Keys           Element `yaml:"keys"`
	Values         Element `yaml:"values"`
}

// StringMatcher matches topic names: all, one (equal), a list (in), and
// invert turns the answer around. An empty matcher matches every topic.
type StringMatcher struct {
	Invert bool     `yaml:"invert"`
	All    bool     `yaml:"all"`
	Equal  string   `yaml:"equal"`
	In     InValues `yaml:"in"`
}

// InValues is the `in: {values: [...]}` of a StringMatcher.
type InValues struct {
	Values []string `yaml:"values"`
}

// Matches reports whether topic matches.
func (m StringMatcher) Matches(topic string) bool {
	var hit bool
	switch {
	case m.All:
		hit = true
	case m.Equal != "":
		hit = topic == m.Equal
	case len(m.In.Values) > 0:
		for _, v := range m.In.Values {
			hit = hit || v == topic
		}
	default:
		hit = true // no condition: every topic
	}
	return hit != m.Invert
}

// Element says what to do with one side (keys or values) of a record.
// Actions are PASS_THROUGH, REJECT_BATCH or FILTER_RECORD; empty takes the
// default (see Actions).
type Element struct {
	// Name is the fully qualified Protobuf message to use instead of the
	// one the subject's schema names (a Tributary reading of Bufstream's
	// older `name` key).
	Name            string `yaml:"name"`
	Coerce          bool   `yaml:"coerce"`
	SkipParse       bool   `yaml:"skip_parse"`
	OnInternalError Action `yaml:"on_internal_error"`
	OnNoSchema      Action `yaml:"on_no_schema"`
	OnParseError    Action `yaml:"on_parse_error"`
	// Validation, when set, runs protovalidate's rules carried by the
	// schema; its on_error says what a failure does.
	Validation *Validation `yaml:"validation"`
}

// Validation is an Element's semantic validation.
type Validation struct {
	OnError Action `yaml:"on_error"`
}

// Action is what enforcement does with a record that fails a check.
type Action string

// The actions.
const (
	PassThrough  Action = "PASS_THROUGH"
	RejectBatch  Action = "REJECT_BATCH"
	FilterRecord Action = "FILTER_RECORD"
)

func (a Action) valid() bool {
	return a == "" || a == PassThrough || a == RejectBatch || a == FilterRecord
}

// Or returns a, or def when a is empty.
func (a Action) Or(def Action) Action {
	if a == "" {
		return def
	}
	return a
}

// IcebergCatalog is one entry of Bufstream's `iceberg` list (v1beta1; the
// older form nests it as iceberg.catalogs). The built-in catalog is named
// "local" and needs no entry.
type IcebergCatalog struct {
	Name string       `yaml:"name"`
	REST *RESTCatalog `yaml:"rest"`
}

// RESTCatalog is an Iceberg REST catalog endpoint.
type RESTCatalog struct {
	URL string `yaml:"url"`
	// URIPrefix appears after /v1/ in request paths.
	URIPrefix string `yaml:"uri_prefix"`
	Warehouse string `yaml:"warehouse"`
	// BearerToken is a static token.
	BearerToken DataSource   `yaml:"bearer_token"`
	OAuth2      *OAuth2      `yaml:"oauth2"`
	TLS         *RegistryTLS `yaml:"tls"`
}

// OAuth2 is the client-credentials flow against a token endpoint.
type OAuth2 struct {
	// TokenEndpointURL defaults to <url>/v1/oauth/tokens.
	TokenEndpointURL string `yaml:"token_endpoint_url"`
	// Scope defaults to "catalog".
	Scope        string     `yaml:"scope"`
	ClientID     DataSource `yaml:"client_id"`
	ClientSecret DataSource `yaml:"client_secret"`
}

// LocalCatalogName is the built-in catalog's name.
const LocalCatalogName = "local"

func (c Config) validateSchemas(v *validator) {
	if r := c.SchemaRegistry; r != nil {
		v.check(r.Confluent != nil, "schema_registry", "needs confluent: {url: ...} (bsr is not supported; use BSR's Confluent endpoint https://<bsr>/integrations/confluent/<instance>)")
		if r.Confluent != nil {
			validateRegistry(v, "schema_registry.confluent", r.Confluent)
		}
	}
	de := c.DataEnforcement
	names := map[string]bool{}
	for i, r := range de.SchemaRegistries {
		key := fmt.Sprintf("data_enforcement.schema_registries[%d]", i)
		v.check(r.Name != "", key+".name", "must not be empty")
		v.check(!names[r.Name], key+".name", "%q is used by another registry", r.Name)
		names[r.Name] = true
		v.check(r.Confluent != nil, key+".confluent", "is required")
		if r.Confluent != nil {
			validateRegistry(v, key+".confluent", r.Confluent)
		}
	}
	for side, ps := range map[string][]Policy{"produce": de.Produce, "fetch": de.Fetch} {
		for i, p := range ps {
			key := fmt.Sprintf("data_enforcement.%s[%d]", side, i)
			v.check(names[p.SchemaRegistry], key+".schema_registry", "%q names no entry of data_enforcement.schema_registries", p.SchemaRegistry)
			m := p.Topics
			set := 0
			for _, b := range []bool{m.All, m.Equal != "", len(m.In.Values) > 0} {
				if b {
					set++
				}
			}
			v.check(set <= 1, key+".topics", "give at most one of all, equal, in")
			for el, e := range map[string]Element{"keys": p.Keys, "values": p.Values} {
				ek := key + "." + el
				for name, a := range map[string]Action{"on_internal_error": e.OnInternalError, "on_no_schema": e.OnNoSchema, "on_parse_error": e.OnParseError} {
					v.check(a.valid(), ek+"."+name, "must be PASS_THROUGH, REJECT_BATCH or FILTER_RECORD, got %q", a)
				}
				if e.Validation != nil {
					v.check(e.Validation.OnError.valid(), ek+".validation.on_error", "must be PASS_THROUGH, REJECT_BATCH or FILTER_RECORD, got %q", e.Validation.OnError)
				}
			}
		}
	}
	cats := map[string]bool{LocalCatalogName: true}
	for i, cat := range c.Iceberg {
		key := fmt.Sprintf("iceberg[%d]", i)
		v.check(cat.Name != "", key+".name", "must not be empty")
		v.check(!cats[cat.Name], key+".name", "%q is used by another catalog (or is the built-in one)", cat.Name)
		cats[cat.Name] = true
		v.check(cat.REST != nil, key+".rest", "is required (only REST catalogs are supported)")
		if cat.REST != nil {
			v.check(isHTTPURL(cat.REST.URL), key+".rest.url", "must be an http(s) URL, got %q", cat.REST.URL)
		}
	}
}

func validateRegistry(v *validator, key string, r *ConfluentRegistry) {
	v.check(isHTTPURL(r.URL), key+".url", "must be an http(s) URL, got %q", r.URL)
	v.check(r.BasicAuth == nil || r.BearerToken.IsZero(), key, "give basic_auth or bearer_token, not both")
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && !strings.ContainsAny(s, " \t")
}
