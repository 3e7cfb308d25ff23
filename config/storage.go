package config

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Where the cluster's state lives. Without `metadata:` and `data:` one
// broker keeps both under data_dir; with metadata.postgres and data.s3 any
// number of brokers share one Postgres database and one bucket, and the
// brokers themselves hold nothing that must survive them.

// DefaultS3Region is the region used when data.s3.region (or the
// unversioned storage.region) is empty.
const DefaultS3Region = "us-east-1"

// defaultPostgresMaxConnections is Bufstream's pool.max_connections default
// (since 0.3.25).
const defaultPostgresMaxConnections = 20

// defaultAlphaPrefix is the unversioned form's storage.prefix default.
const defaultAlphaPrefix = "bufstream/"

// Metadata says where the cluster's metadata lives (v1beta1 `metadata:`).
type Metadata struct {
	// Postgres keeps the metadata in a Postgres database shared by every
	// broker of the cluster. Default: nil, the embedded store in
	// <DataDir>/meta.db, for a single broker.
	Postgres *Postgres `yaml:"postgres"`
}

// Postgres is a Postgres metadata store: v1beta1 `metadata.postgres`, the
// unversioned form's `postgres`. In v1beta1 it is written in either of the
// shapes found in Bufstream's own files:
//
//	metadata: {postgres: {dsn: <data-source>, pool: {max_connections, min_connections}}}
//	metadata: {postgres: <data-source>}   # e.g. postgres: {string: postgres://…}
//
// The unversioned form has the first shape only.
type Postgres struct {
	// DSN is the connection string (a postgres:// URL or libpq key=value
	// pairs); it usually holds a password, so it is a DataSource. Required.
	DSN DataSource
	// MaxConnections bounds the connection pool (pool.max_connections).
	// At least 1. Default: 20, as Bufstream.
	MaxConnections int32
	// MinConnections is how many connections the pool keeps open when idle
	// (pool.min_connections). From 0 to MaxConnections. Default: 0.
	MinConnections int32
}

// NewPostgres returns a Postgres store on dsn with the default pool.
func NewPostgres(dsn DataSource) *Postgres {
	return &Postgres{DSN: dsn, MaxConnections: defaultPostgresMaxConnections}
}

// postgresYAML is the {dsn, pool} shape.
type postgresYAML struct {
	DSN  DataSource `yaml:"dsn"`
	Pool struct {
		MaxConnections int32 `yaml:"max_connections"`
		MinConnections int32 `yaml:"min_connections"`
	} `yaml:"pool"`
}

// dataSourceKeys are the keys of a data source's mapping form.
var dataSourceKeys = []string{"string", "env_var", "path", "encoding"}

// unmarshalAt reads either shape: a scalar or a mapping with a data
// source's keys is the DSN itself; any other mapping is {dsn, pool}.
func (p *Postgres) unmarshalAt(d decoder, n *yaml.Node, path string) error {
	p.setDefaults()
	switch {
	case n.Kind == yaml.ScalarNode:
		return p.DSN.unmarshalAt(d, n, path)
	case n.Kind != yaml.MappingNode || findKey(n, dataSourceKeys...) == "":
		return p.decodeObject(d, n, path)
	}
	if k := findKey(n, "dsn", "pool", "cloud_sql_proxy"); k != "" {
		return invalidAt(path, n, fmt.Errorf("%q beside a data source's keys (%s): write either {dsn: <data-source>, pool: …} or the data source alone",
			k, strings.Join(dataSourceKeys, ", ")))
	}
	return p.DSN.unmarshalAt(d, n, path)
}

// decodeObject reads the {dsn, pool} shape over p.
func (p *Postgres) decodeObject(d decoder, n *yaml.Node, path string) error {
	p.setDefaults()
	var y postgresYAML
	y.DSN, y.Pool.MaxConnections, y.Pool.MinConnections = p.DSN, p.MaxConnections, p.MinConnections
	if err := d.decode(n, reflectValue(&y), path); err != nil {
		return err
	}
	p.DSN, p.MaxConnections, p.MinConnections = y.DSN, y.Pool.MaxConnections, y.Pool.MinConnections
	return nil
}

// setDefaults gives a Postgres just allocated by the decoder the defaults
// of NewPostgres, so the file's values land over them.
func (p *Postgres) setDefaults() {
	if *p == (Postgres{}) {
		*p = *NewPostgres(DataSource{})
	}
}

// postgresObject is Postgres in the {dsn, pool} shape only: the
// unversioned form's `postgres:`.
type postgresObject Postgres

func (p *postgresObject) unmarshalAt(d decoder, n *yaml.Node, path string) error {
	return (*Postgres)(p).decodeObject(d, n, path)
}

// Data says where the log's objects live (v1beta1 `data:`).
type Data struct {
	// S3 keeps the objects in an S3 bucket, or on an S3-compatible server,
	// shared by every broker of the cluster. Default: nil, objects under
	// <DataDir>/objects (Config.ObjectDir), for a single broker.
	S3 *S3 `yaml:"s3"`
}

// S3 is an S3 object store: v1beta1 `data.s3`, the unversioned form's
// `storage` with provider S3 (bucket and prefix given apart; URI is then
// made from them).
type S3 struct {
	// URI is the bucket and key prefix, "s3://bucket/prefix/"
	// (data.s3.uri). Bucket and Prefix are read from it. Required.
	URI string `yaml:"uri"`
	// Bucket is the URI's bucket. Required.
	Bucket string `yaml:"-"`
	// Prefix starts every object key: the URI's path without its leading
	// "/", ending in "/" unless empty. Default: "" (the bucket's root;
	// the unversioned form's default is "bufstream/").
	Prefix string `yaml:"-"`
	// Region is the bucket's region, used to sign requests.
	// Default: "us-east-1" (DefaultS3Region).
	Region string `yaml:"region"`
	// Endpoint is the http(s) URL of an S3-compatible server (MinIO,
	// versitygw, …) used instead of AWS's. Default: "", AWS's endpoint for
	// Region.
	Endpoint string `yaml:"endpoint"`
	// ForcePathStyle puts the bucket in the URL's path (endpoint/bucket/key)
	// instead of its host name (bucket.endpoint/key), as most S3-compatible
	// servers need. Default: false.
	ForcePathStyle bool `yaml:"force_path_style"`
	// AccessKeyID is the static access key's ID; set with SecretAccessKey
	// or not at all. Default: unset, meaning the AWS SDK's default
	// credential chain (environment, shared files, instance or task role).
	AccessKeyID DataSource `yaml:"access_key_id"`
	// SecretAccessKey is the static access key's secret; set with
	// AccessKeyID or not at all. Default: unset (see AccessKeyID).
	SecretAccessKey DataSource `yaml:"secret_access_key"`
	// Timeout bounds one S3 operation, retries included (a Tributary key;
	// Bufstream has none). Default: 0, meaning 30s.
	Timeout time.Duration `yaml:"timeout"`
}

// NewS3 returns an S3 store on uri ("s3://bucket/prefix/") with Bucket and
// Prefix read from it, region DefaultS3Region and the default credential
// chain.
func NewS3(uri string) (*S3, error) {
	bucket, prefix, err := parseS3URI(uri)
	if err != nil {
		return nil, fmt.Errorf("s3 uri %s: %w", showURL(uri), err)
	}
	return &S3{URI: uri, Bucket: bucket, Prefix: prefix, Region: DefaultS3Region}, nil
}

// unmarshalAt reads data.s3 and derives Bucket and Prefix from the URI. A
// URI that does not parse leaves them empty: Validate reports it, beside
// every other problem.
func (s *S3) unmarshalAt(d decoder, n *yaml.Node, path string) error {
	if err := d.decodeStruct(n, reflectValue(s), path); err != nil {
		return err
	}
	s.Bucket, s.Prefix, _ = parseS3URI(s.URI)
	if s.Region == "" {
		s.Region = DefaultS3Region
	}
	return nil
}

// parseS3URI splits "s3://bucket/prefix" into its bucket and its
// normalised prefix (see S3.Prefix). Its errors never quote the URI.
func parseS3URI(uri string) (bucket, prefix string, err error) {
	const want = "want s3://bucket/prefix/"
	u, err := url.Parse(uri)
	switch {
	case err != nil:
		return "", "", errors.New("not a URL; " + want)
	case u.Scheme != "s3":
		return "", "", fmt.Errorf("scheme %q; %s", u.Scheme, want)
	case u.User != nil:
		return "", "", errors.New("holds credentials; set access_key_id and secret_access_key instead")
	case u.Host == "":
		return "", "", errors.New("no bucket; " + want)
	case strings.Contains(u.Host, ":"):
		return "", "", errors.New("the bucket has a port; a server's address goes in endpoint")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return "", "", errors.New("has a query or fragment; " + want)
	}
	return u.Host, normalizePrefix(u.Path), nil
}

// checkEndpoint checks an S3 endpoint: an http(s) URL with a host and no
// credentials. Its errors never quote the URL.
func checkEndpoint(raw string) error {
	const want = "want http(s)://host[:port]"
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return errors.New("not a URL; " + want)
	case !strings.Contains(raw, "://"):
		return errors.New("no scheme; " + want)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("scheme %q; %s", u.Scheme, want)
	case u.User != nil:
		return errors.New("holds credentials; set access_key_id and secret_access_key instead")
	case u.Host == "":
		return errors.New("no host; " + want)
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return errors.New("has a query or fragment; " + want)
	}
	return nil
}

// normalizePrefix drops leading slashes and ends a non-empty prefix in "/".
func normalizePrefix(p string) string {
	p = strings.TrimLeft(p, "/")
	if p != "" && !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p
}

// showURL quotes a URL for an error message, redacted (see redactURL).
func showURL(raw string) string {
	if r := redactURL(raw); r != urlNotShown {
		return fmt.Sprintf("%q", r)
	}
	return urlNotShown
}

const urlNotShown = "(not shown: it may hold credentials)"

// redactURL replaces a URL's user information by "xxxxx". A URL that does
// not parse but may hold credentials is not shown at all.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err == nil && u.User != nil:
		u.User = url.User("xxxxx")
		return u.String()
	case err != nil && strings.Contains(raw, "@"):
		return urlNotShown
	}
	return raw
}

// String prints p's fields; the DSN shows its source only (see DataSource).
// Without it, a Config printed with %+v shows a pointer.
func (p *Postgres) String() string {
	if p == nil {
		return "<nil>"
	}
	type fields Postgres
	return fmt.Sprintf("%+v", fields(*p))
}

// String prints s's fields; the keys show their sources only (see
// DataSource), and user information in a URL is redacted.
func (s *S3) String() string {
	if s == nil {
		return "<nil>"
	}
	type fields S3
	f := fields(*s)
	f.URI, f.Endpoint = redactURL(f.URI), redactURL(f.Endpoint)
	return fmt.Sprintf("%+v", f)
}

// findKey returns the first of mapping n's keys that is one of keys, or "".
func findKey(n *yaml.Node, keys ...string) string {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i].Value; slices.Contains(keys, k) {
			return k
		}
	}
	return ""
}
