package config_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tributary-io/tributary/config"
)

// issue3ClusterFile is the cluster file from issue 3, verbatim.
const issue3ClusterFile = `version: v1beta1
kafka:
  listeners:
    - name: plain
      listen_address: 127.0.0.1:19092
metadata:
  postgres:
    dsn:
      string: postgres://postgres@127.0.0.1:5432/tributary?sslmode=disable
data:
  s3:
    uri: s3://warehouse/prefix/
    region: us-east-1
    endpoint: http://127.0.0.1:7070
    force_path_style: true
    access_key_id:
      string: KEY
    secret_access_key:
      string: SECRET
`

// loadErr parses body and validates it, returning the first failure.
func loadErr(t *testing.T, body string) error {
	t.Helper()
	cfg, err := config.Parse([]byte(body))
	if err != nil {
		return err
	}
	return cfg.Validate()
}

func resolved(t *testing.T, ds config.DataSource) string {
	t.Helper()
	b, err := ds.Resolve()
	if err != nil {
		t.Fatalf("resolve %v: %v", ds, err)
	}
	return string(b)
}

func TestClusterFile(t *testing.T) {
	cfg, err := config.Load("cluster.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	want := config.Default()
	want.Kafka.Listeners = []config.Listener{{Name: "plain", ListenAddress: "127.0.0.1:19092"}}
	want.Metadata.Postgres = &config.Postgres{
		DSN:            config.InlineSource("postgres://postgres@127.0.0.1:5432/tributary?sslmode=disable"),
		MaxConnections: 20,
	}
	want.Data.S3 = &config.S3{
		URI: "s3://warehouse/prefix/", Bucket: "warehouse", Prefix: "prefix/",
		Region: "us-east-1", Endpoint: "http://127.0.0.1:7070", ForcePathStyle: true,
		AccessKeyID: config.InlineSource("KEY"), SecretAccessKey: config.InlineSource("SECRET"),
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("cluster.yaml:\n got %+v\n     %+v %+v\nwant %+v\n     %+v %+v",
			cfg, *cfg.Metadata.Postgres, *cfg.Data.S3, want, *want.Metadata.Postgres, *want.Data.S3)
	}
	if issue := mustParse(t, issue3ClusterFile); !reflect.DeepEqual(issue, cfg) {
		t.Fatalf("the issue's file and cluster.yaml differ:\n %+v\n %+v", issue, cfg)
	}
	if got := resolved(t, cfg.Data.S3.SecretAccessKey); got != "SECRET" {
		t.Errorf("secret_access_key resolves to %q", got)
	}
	// What --kafka-addr does in cmd/tributary.
	l := &cfg.Kafka.Listeners[0]
	l.ListenAddress, l.AdvertiseAddress = "127.0.0.1:19093", "127.0.0.1:19093"
	if err := cfg.Validate(); err != nil {
		t.Fatalf("validate with another listener: %v", err)
	}
}

func TestMetadataPostgresShapes(t *testing.T) {
	const head = "version: v1beta1\nmetadata:\n"
	for body, want := range map[string]*config.Postgres{
		// bufstream-demo iceberg/bufstream.yaml
		"  postgres:\n    dsn:\n      string: postgres://bufstream:password@postgres:5432/bufstream\n": config.NewPostgres(
			config.InlineSource("postgres://bufstream:password@postgres:5432/bufstream")),
		// buf-examples bufstream/docker-compose/bufstream.yaml (0.4.0–0.4.7)
		"  postgres:\n    string: postgresql://root:password@localhost:5432/bufstream\n": config.NewPostgres(
			config.InlineSource("postgresql://root:password@localhost:5432/bufstream")),
		"  postgres: postgres://h/db\n":                       config.NewPostgres(config.InlineSource("postgres://h/db")),
		"  postgres:\n    dsn: postgres://h/db\n":             config.NewPostgres(config.InlineSource("postgres://h/db")),
		"  postgres:\n    env_var: PGDSN\n":                   config.NewPostgres(config.EnvSource("PGDSN")),
		"  postgres:\n    dsn:\n      env_var: PGDSN\n":       config.NewPostgres(config.EnvSource("PGDSN")),
		"  postgres:\n    path: /run/secrets/dsn\n":           config.NewPostgres(config.FileSource("/run/secrets/dsn")),
		"  postgres:\n    dsn:\n      path: dsn.txt\n":        config.NewPostgres(config.FileSource("dsn.txt")),
		"  postgres:\n    env_var: B\n    encoding: base64\n": config.NewPostgres(config.EnvSource("B").Base64()),
		"  postgres:\n    dsn: x\n    pool:\n      max_connections: 5\n      min_connections: 2\n": {
			DSN: config.InlineSource("x"), MaxConnections: 5, MinConnections: 2},
		"  postgres:\n    pool:\n      min_connections: 1\n": {MaxConnections: 20, MinConnections: 1},
		"  postgres:\n": nil,
		"":              nil,
	} {
		cfg := mustParse(t, head+body)
		if !reflect.DeepEqual(cfg.Metadata.Postgres, want) {
			t.Errorf("%q: got %+v, want %+v", body, cfg.Metadata.Postgres, want)
		}
	}
}

func TestPostgresDSNFromEnvAndFile(t *testing.T) {
	t.Setenv("TRIBUTARY_TEST_PG_DSN", "postgres://u:env-pw@h/db")
	file := filepath.Join(t.TempDir(), "dsn")
	if err := os.WriteFile(file, []byte("postgres://u:file-pw@h/db\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for body, want := range map[string]string{
		"  postgres:\n    dsn:\n      env_var: TRIBUTARY_TEST_PG_DSN\n": "postgres://u:env-pw@h/db",
		"  postgres:\n    env_var: TRIBUTARY_TEST_PG_DSN\n":             "postgres://u:env-pw@h/db",
		"  postgres:\n    dsn:\n      path: " + file + "\n":             "postgres://u:file-pw@h/db",
		"  postgres:\n    path: " + file + "\n":                         "postgres://u:file-pw@h/db",
	} {
		cfg := mustParse(t, "version: v1beta1\nmetadata:\n"+body)
		if err := cfg.Validate(); err != nil {
			t.Errorf("%q: validate: %v", body, err)
		}
		if got := resolved(t, cfg.Metadata.Postgres.DSN); got != want {
			t.Errorf("%q: resolved %q, want %q", body, got, want)
		}
	}
	// A source that cannot be read is a Validate error naming the key and
	// the source.
	missing := filepath.Join(t.TempDir(), "missing")
	for body, want := range map[string]string{
		"  postgres:\n    env_var: TRIBUTARY_TEST_SURELY_UNSET\n": "env_var:TRIBUTARY_TEST_SURELY_UNSET",
		"  postgres:\n    dsn:\n      path: " + missing + "\n":    "path:" + missing,
		"  postgres:\n    string: \"\"\n":                         "is empty",
		"  postgres:\n    pool:\n      max_connections: 4\n":      "must be set",
	} {
		err := loadErr(t, "version: v1beta1\nmetadata:\n"+body)
		if !errors.Is(err, config.ErrInvalidValue) || !strings.Contains(err.Error(), `"metadata.postgres.dsn"`) ||
			!strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want ErrInvalidValue naming metadata.postgres.dsn and %q", body, err, want)
		}
		if strings.Contains(body, "SURELY_UNSET") && !errors.Is(err, config.ErrDataSource) {
			t.Errorf("%q: %v, want ErrDataSource too", body, err)
		}
	}
}

func TestPostgresErrorsNameKey(t *testing.T) {
	for body, c := range map[string]struct {
		sentinel error
		key      string
	}{
		"  postgres:\n    string: x\n    dsn: y\n":                          {config.ErrInvalidValue, "metadata.postgres"},
		"  postgres:\n    env_var: X\n    pool: {}\n":                       {config.ErrInvalidValue, "metadata.postgres"},
		"  postgres:\n    dsn: x\n    pol: {}\n":                            {config.ErrUnknownKey, "metadata.postgres.pol"},
		"  postgres:\n    strng: x\n":                                       {config.ErrUnknownKey, "metadata.postgres.strng"},
		"  postgres:\n    string: x\n    strng: y\n":                        {config.ErrUnknownKey, "metadata.postgres.strng"},
		"  postgres:\n    dsn:\n      strng: x\n":                           {config.ErrUnknownKey, "metadata.postgres.dsn.strng"},
		"  postgres: [x]\n":                                                 {config.ErrInvalidValue, "metadata.postgres"},
		"  postgres:\n    dsn: x\n    pool:\n      max_connections: many\n": {config.ErrInvalidValue, "metadata.postgres.pool.max_connections"},
		"  postgres:\n    dsn: x\n    pool:\n      max_connections: 0\n":    {config.ErrInvalidValue, "metadata.postgres.pool.max_connections"},
		"  postgres:\n    dsn: x\n    pool:\n      min_connections: 21\n":   {config.ErrInvalidValue, "metadata.postgres.pool.min_connections"},
		"  postgres:\n    dsn: x\n    pool:\n      min_connections: -1\n":   {config.ErrInvalidValue, "metadata.postgres.pool.min_connections"},
		"  postgre:\n    dsn: x\n":                                          {config.ErrUnknownKey, "metadata.postgre"},
	} {
		err := loadErr(t, "version: v1beta1\nmetadata:\n"+body)
		if !errors.Is(err, c.sentinel) || !strings.Contains(err.Error(), `"`+c.key+`"`) {
			t.Errorf("%q: %v, want %v naming %q", body, err, c.sentinel, c.key)
		}
	}
}

func TestDataS3(t *testing.T) {
	for uri, want := range map[string][2]string{
		"s3://b":              {"b", ""},
		"s3://b/":             {"b", ""},
		"s3://b/p":            {"b", "p/"},
		"s3://b/p/":           {"b", "p/"},
		"s3://b//p/q":         {"b", "p/q/"},
		"S3://my-bucket.x/p/": {"my-bucket.x", "p/"},
	} {
		cfg := mustParse(t, "version: v1beta1\ndata:\n  s3:\n    uri: "+uri+"\n")
		s := cfg.Data.S3
		if s == nil || s.URI != uri || s.Bucket != want[0] || s.Prefix != want[1] {
			t.Errorf("uri %q: %+v, want bucket %q prefix %q", uri, s, want[0], want[1])
			continue
		}
		if err := cfg.Validate(); err != nil {
			t.Errorf("uri %q: validate: %v", uri, err)
		}
	}
	// Plain-string keys, an empty region.
	cfg := mustParse(t, "version: v1beta1\ndata:\n  s3:\n    uri: s3://b/\n    region: \"\"\n    access_key_id: KEY\n    secret_access_key: SECRET\n")
	want := &config.S3{URI: "s3://b/", Bucket: "b", Region: "us-east-1",
		AccessKeyID: config.InlineSource("KEY"), SecretAccessKey: config.InlineSource("SECRET")}
	if !reflect.DeepEqual(cfg.Data.S3, want) {
		t.Fatalf("got %+v, want %+v", cfg.Data.S3, want)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	// No keys: the default credential chain.
	if err := loadErr(t, "version: v1beta1\ndata:\n  s3:\n    uri: s3://b/\n    region: eu-west-1\n"); err != nil {
		t.Fatal(err)
	}
	if cfg := mustParse(t, "version: v1beta1\ndata:\n"); cfg.Data.S3 != nil {
		t.Fatalf("empty data: %+v", cfg.Data.S3)
	}
}

func TestNewS3(t *testing.T) {
	s, err := config.NewS3("s3://b/run-1")
	if err != nil {
		t.Fatal(err)
	}
	if want := (config.S3{URI: "s3://b/run-1", Bucket: "b", Prefix: "run-1/", Region: "us-east-1"}); *s != want {
		t.Fatalf("got %+v, want %+v", *s, want)
	}
	cfg := config.Default()
	cfg.Data.S3 = s
	cfg.Metadata.Postgres = config.NewPostgres(config.InlineSource("postgres://h/db"))
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	s.Prefix = "other/" // not what the URI says
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), `"data.s3.uri"`) {
		t.Fatalf("prefix beside the uri: %v", err)
	}
	if _, err := config.NewS3("s3://id:pw-s3cr3t@b/"); err == nil || strings.Contains(err.Error(), "pw-s3cr3t") {
		t.Fatalf("credentials in the uri: %v", err)
	}
}

func TestS3ErrorsNameKey(t *testing.T) {
	const head = "version: v1beta1\ndata:\n  s3:\n"
	for body, c := range map[string]struct {
		sentinel error
		key      string
	}{
		"    uri: gs://b/p/\n":                                   {config.ErrInvalidValue, "data.s3.uri"},
		"    uri: b/p/\n":                                        {config.ErrInvalidValue, "data.s3.uri"},
		"    uri: s3:///p/\n":                                    {config.ErrInvalidValue, "data.s3.uri"},
		"    uri: s3:b/p\n":                                      {config.ErrInvalidValue, "data.s3.uri"},
		"    uri: s3://b:9000/p/\n":                              {config.ErrInvalidValue, "data.s3.uri"},
		"    uri: s3://b/p?versionId=1\n":                        {config.ErrInvalidValue, "data.s3.uri"},
		"    uri: \"s3://b b/\"\n":                               {config.ErrInvalidValue, "data.s3.uri"},
		"    region: us-east-1\n":                                {config.ErrInvalidValue, "data.s3.uri"},
		"    uri: [s3://b/]\n":                                   {config.ErrInvalidValue, "data.s3.uri"},
		"    uri: s3://b/\n    endpoint: 127.0.0.1:7070\n":       {config.ErrInvalidValue, "data.s3.endpoint"},
		"    uri: s3://b/\n    endpoint: localhost:7070\n":       {config.ErrInvalidValue, "data.s3.endpoint"},
		"    uri: s3://b/\n    endpoint: ftp://h\n":              {config.ErrInvalidValue, "data.s3.endpoint"},
		"    uri: s3://b/\n    endpoint: http://\n":              {config.ErrInvalidValue, "data.s3.endpoint"},
		"    uri: s3://b/\n    endpoint: http://h:7070/?x\n":     {config.ErrInvalidValue, "data.s3.endpoint"},
		"    uri: s3://b/\n    access_key_id: KEY\n":             {config.ErrInvalidValue, "data.s3.secret_access_key"},
		"    uri: s3://b/\n    secret_access_key: SECRET\n":      {config.ErrInvalidValue, "data.s3.access_key_id"},
		"    uri: s3://b/\n    force_path_style: maybe\n":        {config.ErrInvalidValue, "data.s3.force_path_style"},
		"    uri: s3://b/\n    bukket: b\n":                      {config.ErrUnknownKey, "data.s3.bukket"},
		"    uri: s3://b/\n    access_key_id:\n      strng: x\n": {config.ErrUnknownKey, "data.s3.access_key_id.strng"},
		"    uri: s3://b/\n    access_key_id: K\n    secret_access_key:\n      env_var: TRIBUTARY_TEST_SURELY_UNSET\n": {
			config.ErrInvalidValue, "data.s3.secret_access_key"},
	} {
		err := loadErr(t, head+body)
		if !errors.Is(err, c.sentinel) || !strings.Contains(err.Error(), `"`+c.key+`"`) {
			t.Errorf("%q: %v, want %v naming %q", body, err, c.sentinel, c.key)
		}
	}
	_, err := config.Parse([]byte(head + "    uri: s3://b/\n    bukket: b\n"))
	if want := `config: unknown key "data.s3.bukket" (line 5)`; err == nil || err.Error() != want {
		t.Errorf("unknown key: %v, want %s", err, want)
	}
}

func TestValidateReportsEveryStorageProblem(t *testing.T) {
	err := loadErr(t, `version: v1beta1
metadata:
  postgres:
    dsn: ""
    pool: {max_connections: 0}
data:
  s3:
    uri: gs://b/
    endpoint: minio:9000
    access_key_id: KEY
    timeout: -1s
membership:
  heartbeat_interval: 2s
  session_timeout: 5s
`)
	for _, key := range []string{
		"metadata.postgres.dsn", "metadata.postgres.pool.max_connections",
		"data.s3.uri", "data.s3.endpoint", "data.s3.secret_access_key", "data.s3.timeout", "membership.session_timeout",
	} {
		if !strings.Contains(fmt.Sprint(err), `"`+key+`"`) {
			t.Errorf("validate does not name %q:\n%v", key, err)
		}
	}
}

func TestMembership(t *testing.T) {
	for body, want := range map[string]config.Membership{
		"version: v1beta1\nmembership:\n  heartbeat_interval: 500ms\n  session_timeout: 1500ms\n": {
			HeartbeatInterval: 500 * time.Millisecond, SessionTimeout: 1500 * time.Millisecond},
		"version: v1beta1\nmembership:\n  session_timeout: 30s\n": {HeartbeatInterval: 500 * time.Millisecond, SessionTimeout: 30 * time.Second},
		"membership:\n  heartbeat_interval: 2s\n  session_timeout: 1m\n": {
			HeartbeatInterval: 2 * time.Second, SessionTimeout: time.Minute},
	} {
		cfg := mustParse(t, body)
		if cfg.Membership != want {
			t.Errorf("%q: %+v, want %+v", body, cfg.Membership, want)
		}
		if err := cfg.Validate(); err != nil {
			t.Errorf("%q: %v", body, err)
		}
	}
	for body, key := range map[string]string{
		"version: v1beta1\nmembership:\n  heartbeat_interval: 0s\n":                            "membership.heartbeat_interval",
		"version: v1beta1\nmembership:\n  heartbeat_interval: 4s\n":                            "membership.session_timeout",
		"version: v1beta1\nmembership:\n  heartbeat_interval: 1s\n  session_timeout: 2999ms\n": "membership.session_timeout",
		"version: v1beta1\nmembership:\n  session_timeout: 10\n":                               "membership.session_timeout",
		"version: v1beta1\nmembership:\n  timeout: 10s\n":                                      "membership.timeout",
	} {
		if err := loadErr(t, body); err == nil || !strings.Contains(err.Error(), `"`+key+`"`) {
			t.Errorf("%q: %v, want an error naming %q", body, err, key)
		}
	}
}

func TestUnversionedStorageAndPostgres(t *testing.T) {
	// buf-examples iceberg-quickstart config/bufstream.yaml, 0.3.44 era
	// (commit 631a85b), storage block verbatim.
	cfg := mustParse(t, `
storage:
  provider: S3
  region: us-east-1
  bucket: warehouse
  endpoint: http://minio:9000
  access_key_id:
    string: admin
  secret_access_key:
    string: password
postgres:
  dsn:
    env_var: TRIBUTARY_TEST_PG_DSN
  pool:
    max_connections: 8
membership:
  session_timeout: 20s
`)
	wantS3 := &config.S3{
		URI: "s3://warehouse/bufstream/", Bucket: "warehouse", Prefix: "bufstream/", Region: "us-east-1",
		Endpoint: "http://minio:9000", AccessKeyID: config.InlineSource("admin"), SecretAccessKey: config.InlineSource("password"),
	}
	if !reflect.DeepEqual(cfg.Data.S3, wantS3) {
		t.Errorf("storage: %+v, want %+v", cfg.Data.S3, wantS3)
	}
	if want := (&config.Postgres{DSN: config.EnvSource("TRIBUTARY_TEST_PG_DSN"), MaxConnections: 8}); !reflect.DeepEqual(cfg.Metadata.Postgres, want) {
		t.Errorf("postgres: %+v, want %+v", cfg.Metadata.Postgres, want)
	}
	if cfg.Membership.SessionTimeout != 20*time.Second || cfg.Version != "" {
		t.Errorf("membership %+v, version %q", cfg.Membership, cfg.Version)
	}
	t.Setenv("TRIBUTARY_TEST_PG_DSN", "postgres://h/db")
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}

	for body, want := range map[string]*config.S3{
		"storage:\n  bucket: b\n":                                 {URI: "s3://b/bufstream/", Bucket: "b", Prefix: "bufstream/", Region: "us-east-1"},
		"storage:\n  provider: s3\n  bucket: b\n  prefix: /t\n":   {URI: "s3://b/t/", Bucket: "b", Prefix: "t/", Region: "us-east-1"},
		"storage:\n  provider: S3\n  bucket: b\n  prefix: a/b/\n": {URI: "s3://b/a/b/", Bucket: "b", Prefix: "a/b/", Region: "us-east-1"},
		"storage:\n  bucket: b\n  region: eu-west-1\n  force_path_style: true\n": {
			URI: "s3://b/bufstream/", Bucket: "b", Prefix: "bufstream/", Region: "eu-west-1", ForcePathStyle: true},
		"storage:\n  provider: LOCAL_DISK\n": nil,
		"storage:\n  provider: local_disk\n": nil,
		"storage: {}\n":                      nil,
	} {
		cfg := mustParse(t, body)
		if !reflect.DeepEqual(cfg.Data.S3, want) {
			t.Errorf("%q: %+v, want %+v", body, cfg.Data.S3, want)
		}
		if err := cfg.Validate(); err != nil {
			t.Errorf("%q: %v", body, err)
		}
	}
}

func TestUnversionedStorageErrors(t *testing.T) {
	for body, c := range map[string]struct {
		sentinel  error
		key, says string
	}{
		"storage:\n  provider: GCS\n  bucket: b\n":               {config.ErrInvalidValue, "storage.provider", "not supported"},
		"storage:\n  provider: azure\n":                          {config.ErrInvalidValue, "storage.provider", "not supported"},
		"storage:\n  provider: INLINE\n":                         {config.ErrInvalidValue, "storage.provider", "in-memory"},
		"storage:\n  provider: FTP\n":                            {config.ErrInvalidValue, "storage.provider", "not a storage provider"},
		"storage:\n  provider: LOCAL_DISK\n  bucket: b\n":        {config.ErrInvalidValue, "storage.provider", "LOCAL_DISK"},
		"storage:\n  provider: S3\n":                             {config.ErrInvalidValue, "storage.bucket", "must be set"},
		"storage:\n  bucket: a/b\n":                              {config.ErrInvalidValue, "storage.bucket", "not a bucket name"},
		"storage:\n  bucket: \"a:1\"\n":                          {config.ErrInvalidValue, "storage.bucket", "not a bucket name"},
		"storage:\n  region: eu-west-1\n":                        {config.ErrInvalidValue, "storage.bucket", "must be set"},
		"storage:\n  bucket: b\n  bukket: c\n":                   {config.ErrUnknownKey, "storage.bukket", ""},
		"storage:\n  bucket: b\n  access_key_id: K\n":            {config.ErrInvalidValue, "data.s3.secret_access_key", ""},
		"postgres: postgres://h/db\n":                            {config.ErrInvalidValue, "postgres", "want a mapping"},
		"postgres:\n  string: postgres://h/db\n":                 {config.ErrUnknownKey, "postgres.string", ""},
		"postgres:\n  dsn: x\n  pool:\n    max_connections: 0\n": {config.ErrInvalidValue, "metadata.postgres.pool.max_connections", ""},
	} {
		err := loadErr(t, body)
		if !errors.Is(err, c.sentinel) || !strings.Contains(err.Error(), `"`+c.key+`"`) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%q: %v, want %v naming %q and saying %q", body, err, c.sentinel, c.key, c.says)
		}
	}
	if err := loadErr(t, "kafka:\n  address: 127.0.0.1:9092\nstorage:\n  provider: GCS\n"); err == nil || !strings.Contains(err.Error(), "(line 4)") {
		t.Errorf("provider error line: %v", err)
	}
}

// TestSecretsNeverPrinted: neither the DSN's password nor the secret key
// appears in a printed Config or in any error about it.
func TestSecretsNeverPrinted(t *testing.T) {
	const pw, key = "pg-s3cr3t-pw", "aws-s3cr3t-key"
	good := `version: v1beta1
metadata:
  postgres:
    dsn:
      string: postgres://tributary:` + pw + `@db:5432/x
data:
  s3:
    uri: s3://b/p/
    access_key_id: KEY
    secret_access_key:
      string: ` + key + `
`
	cfg := mustParse(t, good)
	outs := []string{
		fmt.Sprintf("%+v", cfg), fmt.Sprintf("%v %#v", cfg, cfg),
		fmt.Sprintf("%+v %#v", *cfg.Metadata.Postgres, *cfg.Metadata.Postgres),
		fmt.Sprintf("%+v %#v", *cfg.Data.S3, *cfg.Data.S3),
		fmt.Sprintf("%+v %+v", cfg.Metadata, cfg.Data),
	}
	bad := []string{
		// Validate problems beside the secrets.
		strings.Replace(good, "uri: s3://b/p/", "uri: gs://b/p/\n    endpoint: nope", 1),
		strings.Replace(good, "access_key_id: KEY", "region: eu-west-1", 1),
		good + "    endpoint: http://id:" + key + "@minio:9000\n",
		strings.Replace(good, "uri: s3://b/p/", "uri: s3://id:"+key+"@b/p/", 1),
		strings.Replace(good, "uri: s3://b/p/", "uri: \"s3://id:"+key+"@b b/\"", 1),
		strings.Replace(good, "@db:5432/x", "@db:5432/x\n      encoding: base64", 1),
		strings.Replace(good, "secret_access_key:\n      string: "+key, "secret_access_key:\n      string: "+key+"\n      encoding: base64", 1),
		good + "    region: [" + key + "]\n",
		// Parse errors beside the secrets.
		strings.Replace(good, "    dsn:\n      string: postgres://tributary:"+pw+"@db:5432/x\n",
			"    string: postgres://tributary:"+pw+"@db:5432/x\n    dsn: y\n", 1),
		strings.Replace(good, "      string: postgres", "      strng: postgres", 1),
		good + "    bukket: x\n",
		// The unversioned form.
		"postgres:\n  dsn: postgres://u:" + pw + "@h/db\n  pool:\n    max_connections: -1\n" +
			"storage:\n  bucket: b\n  endpoint: ftp://x\n  secret_access_key: " + key + "\n",
	}
	for _, body := range bad {
		err := loadErr(t, body)
		if err == nil {
			t.Errorf("no error for:\n%s", body)
		}
		outs = append(outs, fmt.Sprint(err))
	}
	// A printed Config is still useful: it shows what is not secret.
	for _, want := range []string{"Bucket:b ", "Prefix:p/ ", "MaxConnections:20 ", "DSN:string:<redacted> ", "SecretAccessKey:string:<redacted> "} {
		if !strings.Contains(outs[0], want) {
			t.Errorf("%%+v of the config lacks %q: %s", want, outs[0])
		}
	}
	s3 := *cfg.Data.S3
	s3.URI, s3.Endpoint = "s3://id:"+key+"@b/p/", "http://id:"+key+"@minio:9000"
	outs = append(outs, fmt.Sprint(&s3), fmt.Sprintf("%+v", &s3))
	for _, out := range outs {
		if strings.Contains(out, pw) || strings.Contains(out, key) {
			t.Errorf("secret printed: %s", out)
		}
	}
}
