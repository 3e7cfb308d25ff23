package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tributary-io/tributary/config"
)

// writeFile writes a config file into a temp dir and returns its path.
func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "bufstream.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func mustParse(t *testing.T, body string) config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(body))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return cfg
}

func TestDefaultIsValid(t *testing.T) {
	if err := config.Default().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestExampleFileIsTheDefault(t *testing.T) {
	cfg, err := config.Load("bufstream.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg, config.Default()) {
		t.Fatalf("config/bufstream.yaml differs from Default():\n got %+v\nwant %+v", cfg, config.Default())
	}
}

func TestEmptyFileIsTheDefault(t *testing.T) {
	for _, body := range []string{"", "\n", "# only a comment\n", "---\n"} {
		if cfg := mustParse(t, body); !reflect.DeepEqual(cfg, config.Default()) {
			t.Errorf("parse %q: %+v, want Default()", body, cfg)
		}
	}
}

func TestFullFileRoundTrip(t *testing.T) {
	body := `
version: v1beta1
cluster: prod-eu
zone: eu-west-1a
data_dir: /var/lib/tributary
kafka:
  listeners:
    - name: internal
      listen_address: 0.0.0.0:9092
      advertise_address: broker-1.internal:9092
    - name: external
      listen_address: "[::]:19092"
      advertise_address: kafka.example.com:443
  auto_create_topics: false
  num_partitions: 12
  max_request_bytes: 50MB
  broker_id: 7
  group_consumer_session_timeout: 30s
  request_timeout: 5s
  idle_timeout: 2m
  max_connections: 500
  queued_max_request_bytes: 64MiB
admin:
  listen_address: 0.0.0.0:19089
intake:
  delay_max: 20ms
  delay_max_bytes: 8388608
  max_buffered_bytes: 1GiB
  flush_timeout: 45s
fetch:
  cache_bytes: 0
housekeeping:
  interval: 1m30s
  segment_target_bytes: 16 MiB
  segment_min_age: 5m
  orphan_grace: 2h
  dead_object_grace: 10s
groups:
  initial_rebalance_delay: 0s
  min_session_timeout: 1s
  max_session_timeout: 10m
  offsets_retention: 24h
  consumer_heartbeat_interval: 2s
iceberg_maintenance:
  disabled: true
  interval: 30m
  check_interval: 10s
  small_file_threshold: 10
  target_file_size: 64MiB
  expire_older_than: 6h
  orphan_older_than: 0s
logging:
  level: debug
  format: JSON
`
	cfg, err := config.Load(writeFile(t, body))
	if err != nil {
		t.Fatal(err)
	}
	want := config.Config{
		Version: "v1beta1", Name: "prod-eu", Zone: "eu-west-1a", DataDir: "/var/lib/tributary",
		Kafka: config.Kafka{
			Listeners: []config.Listener{
				{Name: "internal", ListenAddress: "0.0.0.0:9092", AdvertiseAddress: "broker-1.internal:9092"},
				{Name: "external", ListenAddress: "[::]:19092", AdvertiseAddress: "kafka.example.com:443"},
			},
			AutoCreateTopics: false, DefaultPartitions: 12, MaxRequestBytes: 50_000_000, BrokerID: 7,
			GroupConsumerSessionTimeout: 30 * time.Second,
			RequestTimeout:              5 * time.Second, IdleTimeout: 2 * time.Minute,
			MaxConnections: 500, QueuedMaxRequestBytes: 64 * config.MiB,
		},
		Admin:   config.Admin{ListenAddress: "0.0.0.0:19089"},
		Logging: config.Logging{Level: "debug", Format: "JSON"},
		Intake:  config.Intake{Linger: 20 * time.Millisecond, S3Linger: 20 * time.Millisecond, MaxBytes: 8 * config.MiB, MaxBufferedBytes: config.GiB, FlushTimeout: 45 * time.Second},
		Fetch:   config.Fetch{CacheBytes: 0},
		Housekeeping: config.Housekeeping{
			Interval: 90 * time.Second, SegmentTargetBytes: 16 * config.MiB, SegmentMinAge: 5 * time.Minute,
			OrphanGrace: 2 * time.Hour, DeadObjectGrace: 10 * time.Second,
		},
		Membership: config.Membership{HeartbeatInterval: 500 * time.Millisecond, SessionTimeout: 3 * time.Second},
		Groups: config.Groups{MinSessionTimeout: time.Second, MaxSessionTimeout: 10 * time.Minute,
			OffsetsRetention: 24 * time.Hour, ConsumerHeartbeatInterval: 2 * time.Second},
		IcebergMaintenance: config.IcebergMaintenance{Disabled: true, Interval: 30 * time.Minute, CheckInterval: 10 * time.Second,
			SmallFileThreshold: 10, TargetFileSize: 64 * config.MiB, ExpireOlderThan: 6 * time.Hour},
		HTTPAuth: config.HTTPAuth{OpenPaths: config.DefaultOpenPaths, Readers: []string{"*"}},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("loaded:\n %+v\nwant\n %+v", cfg, want)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	if got := cfg.ObjectDir(); got != "/var/lib/tributary/objects" {
		t.Errorf("object dir %q", got)
	}
}

func TestPartialFileKeepsDefaults(t *testing.T) {
	cfg := mustParse(t, "version: v1beta1\nintake:\n  delay_max: 50ms\nkafka:\n")
	want := config.Default()
	want.Intake.Linger = 50 * time.Millisecond
	want.Intake.S3Linger = 50 * time.Millisecond // Bufstream's one key sets both
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("got %+v, want defaults with delay_max 50ms", cfg)
	}
}

func TestBufstreamDemoFileLoads(t *testing.T) {
	// bufstream-demo config/bufstream.yaml (Bufstream 0.4.9), verbatim.
	cfg := mustParse(t, `version: v1beta1

kafka:
  # Allow Bufstream in this repository's Docker Compose project to be reached
  # by other services in the project at bufstream:9092.
  listeners:
    - name: bufstream
      listen_address: 0.0.0.0:9092
      advertise_address: bufstream:9092
`)
	l := cfg.Kafka.Listeners
	if len(l) != 1 || l[0].Name != "bufstream" || l[0].Advertised() != "bufstream:9092" {
		t.Fatalf("listeners %+v", l)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestUnknownKeyNamesPath(t *testing.T) {
	for body, key := range map[string]string{
		"version: v1beta1\nkafka:\n  listners: []\n":                            "kafka.listners",
		"version: v1beta1\nkafka:\n  listeners:\n    - nmae: x\n":               "kafka.listeners[0].nmae",
		"version: v1beta1\nkafka:\n  listeners:\n    - name: a\n    - nam: b\n": "kafka.listeners[1].nam",
		"version: v1beta1\nhousekeeping:\n  intervall: 1s\n":                    "housekeeping.intervall",
		"version: v1beta1\nfoo: 1\n":                                            "foo",
		"kafka:\n  listeners: []\n":                                             "kafka.listeners",
	} {
		_, err := config.Parse([]byte(body))
		if !errors.Is(err, config.ErrUnknownKey) {
			t.Errorf("parse %q: %v, want ErrUnknownKey", body, err)
			continue
		}
		if want := `config: unknown key "` + key + `"`; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("parse %q: %q, want it to start with %q", body, err, want)
		}
	}
}

func TestLoadNamesFileAndLine(t *testing.T) {
	p := writeFile(t, "version: v1beta1\nkafka:\n  listners: []\n")
	_, err := config.Load(p)
	if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "(line 3)") {
		t.Fatalf("load: %v; want the file name and line 3", err)
	}
	if _, err := config.Load(filepath.Join(t.TempDir(), "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("load missing file: %v", err)
	}
}

func TestUnsupportedKeysAreRefused(t *testing.T) {
	for body, key := range map[string]string{
		// buf-examples docker-compose bufstream.yaml (0.4.x)
		"version: v1beta1\ndata:\n  gcs: gs://bufstream/\n":                                          "data.gcs",
		"version: v1beta1\ndata:\n  azure: https://a.blob.core.windows.net/c/p\n":                    "data.azure",
		"version: v1beta1\nmetadata:\n  etcd: {}\n":                                                  "metadata.etcd",
		"version: v1beta1\nmetadata:\n  spanner:\n    project_id: p\n":                               "metadata.spanner",
		"version: v1beta1\nmetadata:\n  postgres:\n    cloud_sql_proxy: {}\n":                        "metadata.postgres.cloud_sql_proxy",
		"postgres:\n  dsn: x\n  cloud_sql_proxy:\n    iam: true\n":                                   "postgres.cloud_sql_proxy",
		"storage:\n  provider: S3\n  bucket: b\n  session_token: t\n":                                "storage.session_token",
		"version: v1beta1\niceberg:\n  - name: x\n    rest:\n      url: http://c\n      sigv4: {}\n": "iceberg[0].rest.sigv4",
		"iceberg:\n  catalogs:\n    - name: g\n      aws_glue_data_catalog: {}\n":                    "iceberg.catalogs[0].aws_glue_data_catalog",
		"etcd:\n  addresses: []\n":                                                                   "etcd",
	} {
		_, err := config.Parse([]byte(body))
		if !errors.Is(err, config.ErrUnsupportedKey) || !strings.Contains(err.Error(), `"`+key+`"`) {
			t.Errorf("parse %q: %v, want ErrUnsupportedKey naming %q", body, err, key)
		}
	}
}

func TestBadValuesNamed(t *testing.T) {
	for body, key := range map[string]string{
		"version: v1beta1\nkafka:\n  num_partitions: abc\n":        "kafka.num_partitions",
		"version: v1beta1\nkafka:\n  num_partitions: 3000000000\n": "kafka.num_partitions",
		"version: v1beta1\nkafka:\n  auto_create_topics: maybe\n":  "kafka.auto_create_topics",
		"version: v1beta1\nkafka:\n  listeners: x\n":               "kafka.listeners",
		"version: v1beta1\nkafka: [1]\n":                           "kafka",
		"version: v1beta1\nintake:\n  delay_max: 5\n":              "intake.delay_max",
		"version: v1beta1\nintake:\n  delay_max: soon\n":           "intake.delay_max",
		"version: v1beta1\nintake:\n  delay_max_bytes: 4XB\n":      "intake.delay_max_bytes",
		"version: v1beta1\nintake:\n  delay_max_bytes: 1.5MiB\n":   "intake.delay_max_bytes",
		"version: v1beta1\nfetch:\n  cache_bytes: [1]\n":           "fetch.cache_bytes",
		"version: v1beta1\ncluster: a\ncluster: b\n":               "cluster",
	} {
		_, err := config.Parse([]byte(body))
		if !errors.Is(err, config.ErrInvalidValue) || !strings.Contains(err.Error(), `"`+key+`"`) {
			t.Errorf("parse %q: %v, want ErrInvalidValue naming %q", body, err, key)
		}
	}
}

func TestVersion(t *testing.T) {
	for _, v := range []string{"v1", "v1alpha1", "v2", "[v1beta1]"} {
		if _, err := config.Parse([]byte("version: " + v + "\n")); !errors.Is(err, config.ErrVersion) {
			t.Errorf("version %s: %v, want ErrVersion", v, err)
		}
	}
	if _, err := config.Parse([]byte("- a\n- b\n")); !errors.Is(err, config.ErrInvalidValue) {
		t.Errorf("a list document: %v, want ErrInvalidValue", err)
	}
	if _, err := config.Parse([]byte("kafka: [\n")); err == nil {
		t.Error("broken yaml: no error")
	}
}

func TestValidateNamesEveryKey(t *testing.T) {
	cfg := config.Default()
	cfg.Name = ""
	cfg.DataDir = ""
	cfg.Kafka.Listeners = append(cfg.Kafka.Listeners,
		config.Listener{Name: "local", ListenAddress: "nohost", AdvertiseAddress: "0.0.0.0:0"},
		config.Listener{Name: "b", ListenAddress: "127.0.0.1:70000", AdvertiseAddress: ":9092"})
	cfg.Kafka.DefaultPartitions = 0
	cfg.Kafka.MaxRequestBytes = 3 * config.GiB
	cfg.Kafka.BrokerID = -2
	cfg.Admin.ListenAddress = ""
	cfg.Intake.Linger = -time.Second
	cfg.Intake.MaxBytes = 0
	cfg.Intake.MaxBufferedBytes = -1
	cfg.Intake.FlushTimeout = 0
	cfg.Fetch.CacheBytes = -1
	cfg.Housekeeping = config.Housekeeping{Interval: 0, SegmentTargetBytes: 0, SegmentMinAge: -1, OrphanGrace: time.Second, DeadObjectGrace: -1}
	cfg.Membership = config.Membership{HeartbeatInterval: 0, SessionTimeout: -1}
	cfg.IcebergMaintenance = config.IcebergMaintenance{Interval: 0, CheckInterval: -1, SmallFileThreshold: 1,
		TargetFileSize: -1, ExpireOlderThan: -1, OrphanOlderThan: time.Minute}
	cfg.Catalog.STS = &config.CatalogSTS{RoleARN: "TributaryTables", Duration: time.Minute} // and no data.s3
	err := cfg.Validate()
	if !errors.Is(err, config.ErrInvalidValue) {
		t.Fatalf("validate: %v, want ErrInvalidValue", err)
	}
	for _, key := range []string{
		"cluster", "data_dir",
		"kafka.listeners[1].name", "kafka.listeners[1].listen_address", "kafka.listeners[1].advertise_address",
		"kafka.listeners[2].listen_address", "kafka.listeners[2].advertise_address",
		"kafka.num_partitions", "kafka.max_request_bytes", "kafka.broker_id", "admin.listen_address",
		"intake.delay_max", "intake.delay_max_bytes", "intake.max_buffered_bytes", "intake.flush_timeout", "fetch.cache_bytes",
		"housekeeping.interval", "housekeeping.segment_target_bytes", "housekeeping.segment_min_age",
		"housekeeping.orphan_grace", "housekeeping.dead_object_grace",
		"membership.heartbeat_interval", "membership.session_timeout",
		"iceberg_maintenance.interval", "iceberg_maintenance.check_interval", "iceberg_maintenance.small_file_threshold",
		"iceberg_maintenance.target_file_size", "iceberg_maintenance.expire_older_than", "iceberg_maintenance.orphan_older_than",
		"catalog.sts", "catalog.sts.role_arn", "catalog.sts.duration",
	} {
		if !strings.Contains(err.Error(), `"`+key+`"`) {
			t.Errorf("validate does not name %q:\n%v", key, err)
		}
	}
	cfg = config.Default()
	cfg.Kafka.Listeners = nil
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), `"kafka.listeners"`) {
		t.Errorf("no listeners: %v", err)
	}
}

func TestValidateAcceptsFreePortsAndAllInterfaces(t *testing.T) {
	cfg := config.Default()
	cfg.Kafka.Listeners = []config.Listener{{Name: "a", ListenAddress: "127.0.0.1:0"}, {Name: "b", ListenAddress: ":9093"}}
	cfg.Admin.ListenAddress = "localhost:0"
	cfg.Intake.Linger = 0
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestAdvertised(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Skip(err)
	}
	for l, want := range map[config.Listener]string{
		{ListenAddress: "127.0.0.1:9092", AdvertiseAddress: "kafka:9092"}: "kafka:9092",
		{ListenAddress: "127.0.0.1:9092"}:                                 "127.0.0.1:9092",
		{ListenAddress: "0.0.0.0:9092"}:                                   host + ":9092",
		{ListenAddress: ":9092"}:                                          host + ":9092",
		{ListenAddress: "[::]:9092"}:                                      host + ":9092",
	} {
		if got := l.Advertised(); got != want {
			t.Errorf("%+v advertised %q, want %q", l, got, want)
		}
	}
}

func TestUnversionedForm(t *testing.T) {
	// The testcontainers 0.3.x config, and a Jepsen-style host/port form.
	cfg := mustParse(t, `
cluster: test
zone: rack-01
data_dir: /tmp/ts
kafka:
  address: 0.0.0.0:9092
  public_address: localhost:32768
  num_partitions: 3
admin_address: 0.0.0.0:9089
storage:
  provider: LOCAL_DISK
intake:
  delay_max: 10ms
`)
	want := config.Default()
	want.Version = ""
	want.Name, want.Zone, want.DataDir = "test", "rack-01", "/tmp/ts"
	want.Kafka.Listeners = []config.Listener{{Name: "local", ListenAddress: "0.0.0.0:9092", AdvertiseAddress: "localhost:32768"}}
	want.Kafka.DefaultPartitions = 3
	want.Admin.ListenAddress = "0.0.0.0:9089"
	want.Intake.Linger, want.Intake.S3Linger = 10*time.Millisecond, 10*time.Millisecond
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("got  %+v\nwant %+v", cfg, want)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}

	cfg = mustParse(t, "kafka:\n  address:\n    host: 0.0.0.0\n    port: 9092\n  public_address:\n    host: broker-1\n    port: 9092\n")
	if l := cfg.Kafka.Listeners[0]; l.ListenAddress != "0.0.0.0:9092" || l.AdvertiseAddress != "broker-1:9092" {
		t.Fatalf("host/port form: %+v", l)
	}
	// Without public_address a changed address is advertised as bound.
	cfg = mustParse(t, "kafka:\n  address: 127.0.0.1:19092\n")
	if l := cfg.Kafka.Listeners[0]; l.Advertised() != "127.0.0.1:19092" {
		t.Fatalf("advertised %q", l.Advertised())
	}
	if _, err := config.Parse([]byte("kafka:\n  address:\n    host: x\n    prot: 1\n")); !errors.Is(err, config.ErrUnknownKey) ||
		!strings.Contains(err.Error(), `"kafka.address.prot"`) {
		t.Fatalf("host/port typo: %v", err)
	}
}

func TestParseByteSize(t *testing.T) {
	for s, want := range map[string]config.ByteSize{
		"0": 0, "123": 123, "10B": 10, "4KiB": 4096, "4MiB": 4 << 20, "2 GiB": 2 << 30, "1TiB": 1 << 40,
		"5KB": 5000, "64MB": 64e6, "1GB": 1e9, "2TB": 2e12,
	} {
		got, err := config.ParseByteSize(s)
		if err != nil || got != want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "MiB", "-1", "1.5MiB", "4mib", "4 XB", "9999999TiB", "0x10"} {
		if _, err := config.ParseByteSize(s); err == nil {
			t.Errorf("ParseByteSize(%q): no error", s)
		}
	}
	for b, want := range map[config.ByteSize]string{0: "0B", 100: "100B", 4096: "4KiB", 100 << 20: "100MiB", 1500: "1500B", 3 << 40: "3TiB"} {
		if got := b.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int64(b), got, want)
		}
	}
}

// TestLingerPerBackend: the log on local disk does not linger (group
// commit) and on S3 lingers 200ms by default; s3_delay_max sets the S3 one alone, and delay_max without it
// sets both (a Bufstream file has only delay_max).
func TestLingerPerBackend(t *testing.T) {
	s3 := config.Data{S3: &config.S3{URI: "s3://b/p/"}}
	for _, c := range []struct {
		yaml        string
		local, onS3 time.Duration
	}{
		{"version: v1beta1\n", 0, 200 * time.Millisecond},
		{"version: v1beta1\nintake: {delay_max: 50ms}\n", 50 * time.Millisecond, 50 * time.Millisecond},
		{"version: v1beta1\nintake: {s3_delay_max: 1s}\n", 0, time.Second},
		{"version: v1beta1\nintake: {delay_max: 1ms, s3_delay_max: 0s}\n", time.Millisecond, 0},
	} {
		cfg := mustParse(t, c.yaml)
		if got := cfg.Intake.LingerFor(config.Data{}); got != c.local {
			t.Errorf("%q: local linger %s, want %s", c.yaml, got, c.local)
		}
		if got := cfg.Intake.LingerFor(s3); got != c.onS3 {
			t.Errorf("%q: S3 linger %s, want %s", c.yaml, got, c.onS3)
		}
	}
}

// TestAvailableMemoryBytes: Bufstream's key reads in both forms; 0 means
// detect, a value below the minimum is refused by name.
func TestAvailableMemoryBytes(t *testing.T) {
	if got := mustParse(t, "version: v1beta1\navailable_memory_bytes: 512MiB\n").AvailableMemoryBytes; got != 512*config.MiB {
		t.Errorf("v1beta1: %s", got)
	}
	if got := mustParse(t, "available_memory_bytes: 1073741824\n").AvailableMemoryBytes; got != config.GiB {
		t.Errorf("unversioned: %s", got)
	}
	cfg := config.Default()
	cfg.AvailableMemoryBytes = config.MiB
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "available_memory_bytes") {
		t.Errorf("1MiB accepted: %v", err)
	}
}

// TestLoggingKeys: logging.level and logging.format (v1beta1) and
// observability.log_level and log_format (the unversioned form) set
// Logging; a bad value is refused naming the key; the unversioned form's
// other observability keys are refused with their reason.
func TestLoggingKeys(t *testing.T) {
	for body, want := range map[string]config.Logging{
		"version: v1beta1\nlogging: {level: WARN, format: json}\n": {Level: "WARN", Format: "json"},
		"version: v1beta1\nlogging: {level: error}\n":              {Level: "error", Format: "TEXT"},
		"observability:\n  log_level: DEBUG\n  log_format: JSON\n": {Level: "DEBUG", Format: "JSON"},
		"version: v1beta1\n": {Level: "INFO", Format: "TEXT"},
	} {
		cfg, err := config.Load(writeFile(t, body))
		if err != nil || cfg.Logging != want {
			t.Errorf("%q: %+v, %v; want %+v", body, cfg.Logging, err, want)
		}
	}
	for body, want := range map[string]string{
		"version: v1beta1\nlogging: {level: LOUD}\n":              "logging.level",
		"version: v1beta1\nlogging: {format: xml}\n":              "logging.format",
		"observability:\n  metrics: {exporter_type: OTLP_HTTP}\n": "metrics exporters are not implemented",
	} {
		cfg, err := config.Load(writeFile(t, body))
		if err == nil {
			err = cfg.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v; want an error naming %s", body, err, want)
		}
	}
}
