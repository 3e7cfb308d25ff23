package config

import (
	"errors"
	"fmt"
	"net"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// The older, unversioned bufstream.yaml (Bufstream ≤ 0.3, "v1alpha1"),
// mapped onto Config:
//
//	cluster, zone, data_dir       as in v1beta1
//	kafka.address                 kafka.listeners[0].listen_address
//	kafka.public_address          kafka.listeners[0].advertise_address
//	kafka.num_partitions          kafka.num_partitions
//	admin_address                 admin.listen_address
//	postgres.{dsn, pool}          metadata.postgres.{dsn, pool}
//	storage.provider: LOCAL_DISK  objects under data_dir (no data.s3)
//	storage.provider: S3          data.s3; bucket and prefix make the uri
//	  (bucket, prefix, region, endpoint, force_path_style,
//	  access_key_id, secret_access_key)
//	intake.delay_max[_bytes]      as in v1beta1
//	observability.log_level       logging.level
//	observability.log_format      logging.format
//
// storage.provider is case-insensitive; without one, S3 settings (a bucket)
// mean S3 and none mean LOCAL_DISK; GCS, AZURE and INLINE are refused.
// storage.prefix defaults to "bufstream/", as in Bufstream.
//
// Addresses are "host:port" strings or {host, port} mappings. Tributary's
// own keys (kafka.auto_create_topics, kafka.max_request_bytes,
// kafka.broker_id, intake.max_buffered_bytes, fetch, housekeeping,
// membership, iceberg_maintenance, http_auth) are accepted here too.
// kafka.tls, kafka.authentication and admin_tls: see v1alpha1_auth.go.
type v1alpha1 struct {
	Cluster      string          `yaml:"cluster"`
	Zone         string          `yaml:"zone"`
	DataDir      string          `yaml:"data_dir"`
	AvailableMem ByteSize        `yaml:"available_memory_bytes"`
	AdminAddress hostPort        `yaml:"admin_address"`
	AdminTLS     *alphaTLS       `yaml:"admin_tls"`
	Kafka        alphaKafka      `yaml:"kafka"`
	Postgres     *postgresObject `yaml:"postgres"`
	Storage      alphaStorage    `yaml:"storage"`
	Intake       Intake          `yaml:"intake"`
	Fetch        Fetch           `yaml:"fetch"`
	Housekeeping Housekeeping    `yaml:"housekeeping"`
	Membership   Membership      `yaml:"membership"`
	Groups       Groups          `yaml:"groups"`

	DataEnforcement DataEnforcement `yaml:"data_enforcement"`
	Iceberg         alphaIceberg    `yaml:"iceberg"`
	Registry        Registry        `yaml:"registry"`
	Catalog         Catalog         `yaml:"catalog"`

	IcebergMaintenance IcebergMaintenance `yaml:"iceberg_maintenance"`
	HTTPAuth           HTTPAuth           `yaml:"http_auth"`

	Observability alphaObservability `yaml:"observability"`
}

// alphaObservability is the older observability block; only its log keys
// are served (as logging.level and logging.format).
type alphaObservability struct {
	LogLevel  string `yaml:"log_level"`
	LogFormat string `yaml:"log_format"`
}

// alphaIceberg is the older `iceberg: {catalogs: [...]}`.
type alphaIceberg struct {
	Catalogs []IcebergCatalog `yaml:"catalogs"`
}

type alphaKafka struct {
	Address          hostPort `yaml:"address"`
	PublicAddress    hostPort `yaml:"public_address"`
	NumPartitions    int32    `yaml:"num_partitions"`
	AutoCreateTopics bool     `yaml:"auto_create_topics"`
	MaxRequestBytes  ByteSize `yaml:"max_request_bytes"`
	BrokerID         int32    `yaml:"broker_id"`

	GroupConsumerSessionTimeout time.Duration `yaml:"group_consumer_session_timeout"`
	RequestTimeout              time.Duration `yaml:"request_timeout"`
	IdleTimeout                 time.Duration `yaml:"idle_timeout"`
	MaxConnections              int           `yaml:"max_connections"`
	QueuedMaxRequestBytes       ByteSize      `yaml:"queued_max_request_bytes"`

	TLS            *alphaTLS            `yaml:"tls"`
	Authentication *alphaAuthentication `yaml:"authentication"`
}

type alphaStorage struct {
	Provider        string     `yaml:"provider"`
	Bucket          string     `yaml:"bucket"`
	Prefix          string     `yaml:"prefix"`
	Region          string     `yaml:"region"`
	Endpoint        string     `yaml:"endpoint"`
	ForcePathStyle  bool       `yaml:"force_path_style"`
	AccessKeyID     DataSource `yaml:"access_key_id"`
	SecretAccessKey DataSource `yaml:"secret_access_key"`
}

// unsupportedV1Alpha1 are unversioned-form keys for features not built yet.
var unsupportedV1Alpha1 = map[string]string{
	"name":                           "per-broker names are not implemented; use kafka.broker_id",
	"etcd":                           "etcd metadata storage is not supported; the embedded store under data_dir is used",
	"spanner":                        "Spanner metadata storage is not supported",
	"in_memory":                      "in-memory mode is not supported; the broker stores under data_dir",
	"observability.metrics":          "metrics exporters are not implemented; Prometheus metrics are on admin_address/metrics",
	"observability.metrics_exporter": "metrics exporters are not implemented; Prometheus metrics are on admin_address/metrics",
	"observability.traces":           "tracing is not implemented",
	"observability.trace_exporter":   "tracing is not implemented",
	"observability.exporter":         "OTLP export is not implemented; Prometheus metrics are on admin_address/metrics",
	"observability.debug_address":    "the debug listener is not implemented; metrics are on admin_address/metrics",
	"observability.log_git_version":  "the version and commit are in every build: tributary version, and tributary_build_info on /metrics",
	"observability.sensitive_information_redaction": "log redaction is not implemented; logs hold topic and group names, never record data or secrets",
	"iceberg.catalogs.bigquery_metastore":           "BigQuery metastore catalogs are not supported; use a REST catalog",
	"iceberg.catalogs.aws_glue_data_catalog":        "AWS Glue catalogs are not supported; use a REST catalog",
	"iceberg.catalogs.biglake_metastore":            "BigLake metastore catalogs are not supported; use a REST catalog",
	"iceberg.catalogs.rest.sigv4":                   "SigV4 catalog auth is not implemented; use bearer_token or oauth2",
	"iceberg.catalogs.rest.jwt":                     "JWT catalog auth is not implemented; use bearer_token or oauth2",
	"iceberg.catalogs.rest.basic_auth":              "basic auth to catalogs is not implemented; use bearer_token or oauth2",
	"data_enforcement.produce.keys.redaction":       "field redaction is not implemented yet",
	"data_enforcement.produce.values.redaction":     "field redaction is not implemented yet",
	"data_enforcement.fetch.keys.redaction":         "field redaction is not implemented yet",
	"data_enforcement.fetch.values.redaction":       "field redaction is not implemented yet",
	"archive":                  "archive settings are not implemented yet",
	"cache":                    "cache settings are not implemented; see fetch.cache_bytes",
	"connect_address":          "inter-broker RPCs do not exist in Tributary",
	"connect_public_address":   "inter-broker RPCs do not exist in Tributary",
	"postgres.cloud_sql_proxy": "Cloud SQL proxy dialing is not supported; give a DSN the broker can reach",
	"storage.directory_bucket": "S3 Express directory buckets are not supported",
	"storage.session_token":    "static session tokens are not supported; leave the keys out and use the default credential chain (AWS_SESSION_TOKEN)",
	"storage.get_hedge_delay":  "request hedging is not implemented",
	"storage.put_hedge_delay":  "request hedging is not implemented",
	"storage.debug_logging":    "storage debug logging is not implemented",
	"storage.write_isolation":  "write isolation is not implemented",
}

// parseV1Alpha1 decodes the unversioned form over cfg.
func parseV1Alpha1(root *yaml.Node, cfg Config) (Config, error) {
	l0 := cfg.Kafka.Listeners[0]
	a := v1alpha1{
		Cluster: cfg.Name, Zone: cfg.Zone, DataDir: cfg.DataDir, AvailableMem: cfg.AvailableMemoryBytes,
		AdminAddress: hostPort(cfg.Admin.ListenAddress),
		Kafka: alphaKafka{
			Address:          hostPort(l0.ListenAddress),
			NumPartitions:    cfg.Kafka.DefaultPartitions,
			AutoCreateTopics: cfg.Kafka.AutoCreateTopics,
			MaxRequestBytes:  cfg.Kafka.MaxRequestBytes,
			BrokerID:         cfg.Kafka.BrokerID,

			GroupConsumerSessionTimeout: cfg.Kafka.GroupConsumerSessionTimeout,
			RequestTimeout:              cfg.Kafka.RequestTimeout,
			IdleTimeout:                 cfg.Kafka.IdleTimeout,
			MaxConnections:              cfg.Kafka.MaxConnections,
			QueuedMaxRequestBytes:       cfg.Kafka.QueuedMaxRequestBytes,
		},
		Intake: cfg.Intake, Fetch: cfg.Fetch, Housekeeping: cfg.Housekeeping, Membership: cfg.Membership,
		Groups: cfg.Groups, DataEnforcement: cfg.DataEnforcement, Iceberg: alphaIceberg{Catalogs: cfg.Iceberg},
		Registry: cfg.Registry, Catalog: cfg.Catalog, IcebergMaintenance: cfg.IcebergMaintenance,
		HTTPAuth:      cfg.HTTPAuth,
		Observability: alphaObservability{LogLevel: cfg.Logging.Level, LogFormat: cfg.Logging.Format},
	}
	if err := (decoder{unsupported: unsupportedV1Alpha1}).decode(root, reflectValue(&a), ""); err != nil {
		if errors.Is(err, ErrUnknownKey) {
			err = fmt.Errorf("%w (the file has no version, so it is read as the older unversioned form; v1beta1 files start with \"version: v1beta1\")", err)
		}
		return Config{}, err
	}
	data, err := a.Storage.toData(root)
	if err != nil {
		return Config{}, err
	}
	cfg.Data = data
	cfg.Metadata.Postgres = (*Postgres)(a.Postgres)
	cfg.Version = ""
	cfg.Name, cfg.Zone, cfg.DataDir, cfg.AvailableMemoryBytes = a.Cluster, a.Zone, a.DataDir, a.AvailableMem
	cfg.Admin.ListenAddress = string(a.AdminAddress)
	if cfg.Admin.TLS, err = a.AdminTLS.toListener(root, "admin_tls"); err != nil {
		return Config{}, err
	}
	listenerTLS, err := a.Kafka.TLS.toListener(root, "kafka.tls")
	if err != nil {
		return Config{}, err
	}
	authn, err := a.Kafka.Authentication.toAuthentication(root)
	if err != nil {
		return Config{}, err
	}
	// Without public_address, advertise what is bound (see Advertised).
	advertise := string(a.Kafka.PublicAddress)
	if advertise == "" && string(a.Kafka.Address) == l0.ListenAddress {
		advertise = l0.AdvertiseAddress
	}
	cfg.Kafka = Kafka{
		Listeners: []Listener{{Name: l0.Name, ListenAddress: string(a.Kafka.Address), AdvertiseAddress: advertise,
			TLS: listenerTLS, Authentication: authn}},
		AutoCreateTopics:  a.Kafka.AutoCreateTopics,
		DefaultPartitions: a.Kafka.NumPartitions,
		MaxRequestBytes:   a.Kafka.MaxRequestBytes,
		BrokerID:          a.Kafka.BrokerID,

		GroupConsumerSessionTimeout: a.Kafka.GroupConsumerSessionTimeout,
		RequestTimeout:              a.Kafka.RequestTimeout,
		IdleTimeout:                 a.Kafka.IdleTimeout,
		MaxConnections:              a.Kafka.MaxConnections,
		QueuedMaxRequestBytes:       a.Kafka.QueuedMaxRequestBytes,
	}
	cfg.Intake, cfg.Fetch, cfg.Housekeeping, cfg.Membership, cfg.Groups = a.Intake, a.Fetch, a.Housekeeping, a.Membership, a.Groups
	cfg.DataEnforcement, cfg.Iceberg, cfg.Registry, cfg.Catalog = a.DataEnforcement, a.Iceberg.Catalogs, a.Registry, a.Catalog
	cfg.IcebergMaintenance, cfg.HTTPAuth = a.IcebergMaintenance, a.HTTPAuth
	cfg.Logging = Logging{Level: a.Observability.LogLevel, Format: a.Observability.LogFormat}
	return cfg, nil
}

// toData maps the unversioned storage block onto Data: nil S3 for
// LOCAL_DISK, else an S3 store whose URI is made from bucket and prefix.
func (s alphaStorage) toData(root *yaml.Node) (Data, error) {
	provider := strings.ToUpper(s.Provider)
	if provider == "" && s.hasS3Settings() {
		provider = "S3"
	}
	switch provider {
	case "", "LOCAL_DISK":
		if s.hasS3Settings() {
			return Data{}, alphaStorageErr(root, "provider", "LOCAL_DISK keeps objects under data_dir, yet S3 settings are given; set provider: S3 or remove them")
		}
		return Data{}, nil
	case "S3":
		return s.toS3(root)
	case "GCS", "AZURE":
		return Data{}, alphaStorageErr(root, "provider", fmt.Sprintf("%q is not supported; use S3 (S3 or an S3-compatible server) or LOCAL_DISK", s.Provider))
	case "INLINE":
		return Data{}, alphaStorageErr(root, "provider", "INLINE (in-memory) storage is not supported; use LOCAL_DISK")
	default:
		return Data{}, alphaStorageErr(root, "provider", fmt.Sprintf("%q is not a storage provider; want S3 or LOCAL_DISK", s.Provider))
	}
}

func (s alphaStorage) toS3(root *yaml.Node) (Data, error) {
	if s.Bucket == "" {
		return Data{}, alphaStorageErr(root, "bucket", "must be set for provider S3 (given, or implied by other S3 settings)")
	}
	prefix := s.Prefix
	if prefix == "" {
		prefix = defaultAlphaPrefix
	}
	prefix = normalizePrefix(prefix)
	region := s.Region
	if region == "" {
		region = DefaultS3Region
	}
	uri := "s3://" + s.Bucket + "/" + prefix
	if bucket, _, err := parseS3URI(uri); err != nil || bucket != s.Bucket {
		return Data{}, alphaStorageErr(root, "bucket", fmt.Sprintf("%q is not a bucket name", s.Bucket))
	}
	return Data{S3: &S3{
		URI: uri, Bucket: s.Bucket, Prefix: prefix,
		Region: region, Endpoint: s.Endpoint, ForcePathStyle: s.ForcePathStyle,
		AccessKeyID: s.AccessKeyID, SecretAccessKey: s.SecretAccessKey,
	}}, nil
}

func (s alphaStorage) hasS3Settings() bool {
	return s.Bucket != "" || s.Prefix != "" || s.Region != "" || s.Endpoint != "" || s.ForcePathStyle ||
		!s.AccessKeyID.IsZero() || !s.SecretAccessKey.IsZero()
}

// alphaStorageErr is an ErrInvalidValue for storage.<key>, at its line (or
// the storage block's when the key is absent).
func alphaStorageErr(root *yaml.Node, key, msg string) error {
	line := root.Line
	if n := lookup(root, "storage"); n != nil {
		line = n.Line
	}
	if n := lookup(root, "storage", key); n != nil {
		line = n.Line
	}
	return fmt.Errorf("%w \"storage.%s\" (line %d): %s", ErrInvalidValue, key, line, msg)
}

// lookup follows mapping keys from n; nil if a key is missing.
func lookup(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		var next *yaml.Node
		for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	return n
}

// hostPort is an address in the unversioned form: a "host:port" string or
// a {host, port} mapping.
type hostPort string

func (h *hostPort) unmarshalAt(d decoder, n *yaml.Node, path string) error {
	if n.Kind == yaml.ScalarNode {
		*h = hostPort(n.Value)
		return nil
	}
	var m struct {
		Host string `yaml:"host"`
		Port uint16 `yaml:"port"`
	}
	if err := d.decode(n, reflectValue(&m), path); err != nil {
		return err
	}
	*h = hostPort(net.JoinHostPort(m.Host, strconv.Itoa(int(m.Port))))
	return nil
}

func reflectValue[T any](p *T) reflect.Value { return reflect.ValueOf(p).Elem() }
