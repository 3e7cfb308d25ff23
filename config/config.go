package config

import (
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// VersionV1Beta1 is the one `version:` value accepted; files without a
// version are read as the older unversioned form.
const VersionV1Beta1 = "v1beta1"

// Config is the whole configuration of one broker. The zero value is not
// useful; start from Default. Yaml tags are the v1beta1 keys.
type Config struct {
	// Version is the form the file was written in: "v1beta1", or "" for the
	// unversioned form. Default: "v1beta1".
	Version string `yaml:"version"`
	// Name is the cluster's name (Bufstream's `cluster`): the same on every
	// broker of the cluster; it appears in logs and metrics, so it must not
	// hold secrets. Default: "tributary".
	Name string `yaml:"cluster"`
	// Zone is the broker's location (rack, availability zone). Default: "".
	Zone string `yaml:"zone"`
	// DataDir is the directory for the embedded metadata store (unless
	// Metadata.Postgres is set) and the log's objects (unless Data.S3 is
	// set). Default: "./data".
	DataDir string `yaml:"data_dir"`
	// AvailableMemoryBytes is the memory this broker may use (Bufstream's
	// key): the fetch cache, the bytes of queued Kafka requests and the
	// intake buffer are sized from it when their own keys are 0, and the
	// Go runtime's soft memory limit is 90% of it unless GOMEMLIMIT is
	// set. 0 takes the cgroup memory limit when one is set, else a quarter
	// of the machine's memory, at most 512MiB. Default: 0.
	AvailableMemoryBytes ByteSize `yaml:"available_memory_bytes"`

	Kafka Kafka `yaml:"kafka"`
	Admin Admin `yaml:"admin"`
	// Logging is Bufstream's logging block (observability.log_level and
	// log_format in the unversioned form): the broker's log on stderr.
	Logging      Logging      `yaml:"logging"`
	Intake       Intake       `yaml:"intake"`
	Fetch        Fetch        `yaml:"fetch"`
	Housekeeping Housekeeping `yaml:"housekeeping"`

	// Metadata says where the cluster's metadata lives: the embedded store
	// under DataDir, or Postgres. Default: embedded.
	Metadata Metadata `yaml:"metadata"`
	// Data says where the log's objects live: under DataDir, or in S3.
	// Default: under DataDir (see ObjectDir).
	Data Data `yaml:"data"`
	// Membership is Tributary's own (Bufstream has no such key): how brokers
	// sharing one metadata store see each other.
	Membership Membership `yaml:"membership"`
	// Groups is Tributary's own: the consumer-group coordinator's timeouts
	// and offset retention, with Kafka's defaults.
	Groups Groups `yaml:"groups"`

	// SchemaRegistry, when set, is an external registry used instead of
	// the built-in one (which is then not served).
	SchemaRegistry *SchemaRegistry `yaml:"schema_registry"`
	// Registry is the built-in schema registry (a Tributary key).
	Registry Registry `yaml:"registry"`
	// DataEnforcement is Bufstream's data_enforcement block.
	DataEnforcement DataEnforcement `yaml:"data_enforcement"`
	// Iceberg lists external REST catalogs; "local" is the built-in one.
	Iceberg []IcebergCatalog `yaml:"iceberg"`
	// Catalog is the built-in Iceberg REST catalog (a Tributary key).
	Catalog Catalog `yaml:"catalog"`
	// HTTPAuth is Tributary's own: authentication and roles on the
	// registry, catalog and admin HTTP servers (httpauth.go).
	HTTPAuth HTTPAuth `yaml:"http_auth"`
	// IcebergMaintenance is Tributary's own (Bufstream does not maintain
	// its tables): compaction, snapshot expiry and orphan removal of the
	// Iceberg tables topics are copied into. On by default.
	IcebergMaintenance IcebergMaintenance `yaml:"iceberg_maintenance"`
}

// IcebergMaintenance configures the table maintenance serve runs (package
// maintenance) on every table ingest writes, one broker per table at a
// time. Table properties (write.target-file-size-bytes,
// history.expire.*) are honoured unless overridden here.
type IcebergMaintenance struct {
	// Disabled turns it off. Default: false.
	Disabled bool `yaml:"disabled"`
	// Interval: a table is maintained at least this often when it has
	// anything to do. Positive. Default: 1h.
	Interval time.Duration `yaml:"interval"`
	// CheckInterval is how often each table is checked: its metadata
	// read and, when something committed since the last check, its
	// small files counted. Positive. Default: 2s.
	CheckInterval time.Duration `yaml:"check_interval"`
	// SmallFileThreshold: a table whose compaction plan would rewrite
	// this many data files (small files, size-tiered) is maintained at
	// the next check. At least 2. Default: 4.
	SmallFileThreshold int `yaml:"small_file_threshold"`
	// TargetFileSize overrides the tables' write.target-file-size-bytes.
	// Default: 0 (the table's; 256MiB on tables Tributary creates).
	TargetFileSize ByteSize `yaml:"target_file_size"`
	// ExpireOlderThan overrides the tables'
	// history.expire.max-snapshot-age-ms. Default: 0 (the table's, else
	// 24h).
	ExpireOlderThan time.Duration `yaml:"expire_older_than"`
	// ThinAfter overrides the tables' tributary.history.thin-after-ms:
	// of the history expiry keeps, every snapshot younger than this is
	// kept, and one per ThinInterval before (a day of one-second commits
	// is then ~400 snapshots, not 86,400). Default: 0 (the table's, else
	// 5m).
	ThinAfter time.Duration `yaml:"thin_after"`
	// ThinInterval overrides the tables'
	// tributary.history.thin-interval-ms: one snapshot per interval of
	// this length is kept before ThinAfter. Negative turns thinning off.
	// Default: 0 (the table's, else 15m).
	ThinInterval time.Duration `yaml:"thin_interval"`
	// OrphanOlderThan is the orphan-removal safety window: files no
	// metadata references are deleted once older than this. 0 turns
	// orphan removal off; else at least 1h. Default: 72h.
	OrphanOlderThan time.Duration `yaml:"orphan_older_than"`
}

// Registry configures the built-in schema registry.
type Registry struct {
	// ListenAddress is the host:port it serves on. Empty: 127.0.0.1:8081
	// when that port is free — several brokers on one host share one
	// registry (it lives in the metadata store), so the ones that find the
	// default port taken serve none and say so; an address given here must
	// bind.
	ListenAddress string `yaml:"listen_address"`
	// TLS serves HTTPS only (as admin.tls). Nil: plain HTTP.
	TLS *ListenerTLS `yaml:"tls"`
}

// DefaultRegistryAddr and DefaultCatalogAddr are the built-in servers'
// best-effort default addresses (see Registry and Catalog).
const (
	DefaultRegistryAddr = "127.0.0.1:8081"
	DefaultCatalogAddr  = "127.0.0.1:8181"
)

// Catalog configures the built-in Iceberg REST catalog.
type Catalog struct {
	// ListenAddress is the host:port it serves on. Empty: 127.0.0.1:8181
	// when free, as Registry.ListenAddress.
	ListenAddress string `yaml:"listen_address"`
	// TLS serves HTTPS only (as admin.tls). Nil: plain HTTP.
	TLS *ListenerTLS `yaml:"tls"`
	// Clients, when not empty, turn authentication on: every request needs
	// a bearer token, which /v1/oauth/tokens issues for these OAuth2
	// client credentials (the client-credentials grant engines use with
	// credential=id:secret). The node's own ingest uses the first client.
	// Default: none (no authentication).
	Clients []CatalogClient `yaml:"clients"`
	// VendedCredentialsOnly, on an S3 warehouse, hands the S3 keys to
	// engines only as vended credentials (table answers to requests with
	// X-Iceberg-Access-Delegation: vended-credentials, and GET
	// .../tables/{table}/credentials), not in every table answer's
	// config. Default false (keys in both).
	VendedCredentialsOnly bool `yaml:"vended_credentials_only"`
	// AllowedLocations are the location prefixes (file:///dir on the
	// node's file system, or s3://bucket/prefix in the warehouse's bucket)
	// at which a client may ask a table, or a view's metadata files, to be
	// outside the warehouse; a location elsewhere is overridden (the table
	// goes where the server would put it, and the answer says so). An S3
	// warehouse may list file:///dir prefixes too (in a cluster, only a
	// directory every broker mounts). Default: anywhere on the node's file
	// system (local warehouse) or in the warehouse's bucket.
	AllowedLocations []string `yaml:"allowed_locations"`
	// STS, on an S3 warehouse, makes the vended credentials short-lived
	// ones: the catalog calls STS AssumeRole (with data.s3's keys) for
	// the role, with a session policy allowing only the table's
	// location, and vends the session's keys and s3.session-token (which
	// Trino requires). data.s3's own keys are then never handed out.
	// Nil: the static keys of data.s3 are vended.
	STS *CatalogSTS `yaml:"sts"`
}

// CatalogSTS is where and how the catalog gets short-lived credentials.
type CatalogSTS struct {
	// RoleARN is the role assumed (arn:aws:iam::<account>:role/<name>).
	// Required.
	RoleARN string `yaml:"role_arn"`
	// Endpoint is the STS endpoint URL (an S3 service's own STS, such as
	// SeaweedFS's at its S3 address). Empty: AWS STS in data.s3.region.
	Endpoint string `yaml:"endpoint"`
	// Duration is the credentials' life; a table's are minted again when
	// a quarter of it is left. Default 1h.
	Duration time.Duration `yaml:"duration"`
}

// CatalogClient is one OAuth2 client of the built-in catalog.
type CatalogClient struct {
	ClientID     string     `yaml:"client_id"`
	ClientSecret DataSource `yaml:"client_secret"`
}

// Groups configures the consumer-group coordinator.
type Groups struct {
	// InitialRebalanceDelay holds an empty group's first rebalance open
	// for more members (group.initial.rebalance.delay.ms). Default: 3s.
	InitialRebalanceDelay time.Duration `yaml:"initial_rebalance_delay"`
	// MinSessionTimeout and MaxSessionTimeout bound a classic member's
	// session timeout (group.min/max.session.timeout.ms). Default: 6s, 30m.
	MinSessionTimeout time.Duration `yaml:"min_session_timeout"`
	MaxSessionTimeout time.Duration `yaml:"max_session_timeout"`
	// OffsetsRetention is how long an empty group's committed offsets are
	// kept (offsets.retention.minutes). Default: 168h (7 days).
	OffsetsRetention time.Duration `yaml:"offsets_retention"`
	// ConsumerHeartbeatInterval is the heartbeat interval given to KIP-848
	// members (group.consumer.heartbeat.interval.ms). Default: 5s.
	ConsumerHeartbeatInterval time.Duration `yaml:"consumer_heartbeat_interval"`
}

// Kafka configures the Kafka protocol listeners and broker-wide defaults.
type Kafka struct {
	// Listeners are the addresses Kafka clients connect to; at least one.
	// Default: one listener "local" on 127.0.0.1:9092, advertised as such.
	Listeners []Listener `yaml:"listeners"`
	// AutoCreateTopics creates a topic on first Metadata or Produce for it
	// (Kafka's auto.create.topics.enable). Default: true.
	AutoCreateTopics bool `yaml:"auto_create_topics"`
	// DefaultPartitions is the partition count of topics created without
	// one (Kafka's num.partitions, Bufstream's kafka.num_partitions).
	// Default: 1.
	DefaultPartitions int32 `yaml:"num_partitions"`
	// MaxRequestBytes bounds one request's size; a larger one closes the
	// connection (Kafka's socket.request.max.bytes). Default: 100MiB.
	MaxRequestBytes ByteSize `yaml:"max_request_bytes"`
	// BrokerID is the node ID this broker claims in the metadata store and
	// reports in Metadata; -1 takes the lowest ID no live broker holds, so
	// brokers sharing one config file get distinct IDs. Default: -1.
	BrokerID int32 `yaml:"broker_id"`
	// GroupConsumerSessionTimeout is the session timeout of KIP-848 group
	// members (Bufstream's key; Kafka's group.consumer.session.timeout.ms).
	// Default: 45s.
	GroupConsumerSessionTimeout time.Duration `yaml:"group_consumer_session_timeout"`
	// RequestTimeout caps the time one request may spend on the stores
	// (Bufstream's kafka.request_timeout): a request that carries its own
	// timeout (Produce timeout_ms, CreateTopics timeout_ms) gets the
	// smaller of the two, and a long-polling Fetch gets it on top of its
	// max wait. A request past it is answered with REQUEST_TIMED_OUT or its
	// API's retriable error, so a stalled metadata store cannot hold a
	// connection forever. Default: 30s.
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// IdleTimeout closes a connection that sent nothing for this long
	// (Bufstream's kafka.idle_timeout; Kafka's connections.max.idle.ms). A
	// connection waiting for a reply is not idle. Default: 10m.
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// MaxConnections caps the open Kafka connections of this broker
	// (Kafka's max.connections); connections past it are closed at once.
	// Default: 10000.
	MaxConnections int `yaml:"max_connections"`
	// QueuedMaxRequestBytes bounds the bytes of requests read but not yet
	// answered, across all connections (Kafka's queued.max.request.bytes):
	// a connection whose next request does not fit waits before reading
	// its body. A single request larger than the bound waits until it is
	// the only one. 0 sizes it from available_memory_bytes (a sixteenth,
	// at most 100MiB). Default: 0.
	QueuedMaxRequestBytes ByteSize `yaml:"queued_max_request_bytes"`
	// Authorization, when set, turns on Kafka ACLs (auth.go). Nil: every
	// request is allowed.
	Authorization *Authorization `yaml:"authorization"`
}

// Listener is one Kafka listener, as in Bufstream's kafka.listeners[].
type Listener struct {
	// Name identifies the listener; names are unique. Default: "local".
	Name string `yaml:"name"`
	// ListenAddress is the host:port to bind; port 0 picks a free one.
	ListenAddress string `yaml:"listen_address"`
	// AdvertiseAddress is the host:port clients are told to use (Metadata
	// answers). Empty: see Advertised.
	AdvertiseAddress string `yaml:"advertise_address"`
	// Authentication, when set, requires clients to authenticate with
	// SASL (auth.go). Nil: every client is User:ANONYMOUS.
	Authentication *Authentication `yaml:"authentication"`
	// TLS, when set, serves the listener over TLS only (auth.go).
	TLS *ListenerTLS `yaml:"tls"`
}

// Admin configures the admin HTTP server (/-/status, /metrics).
// Logging says what the broker logs (on stderr) and how.
type Logging struct {
	// Level is the least severe level logged: DEBUG, INFO, WARN or ERROR
	// (any case). Default: INFO.
	Level string `yaml:"level"`
	// Format is TEXT (logfmt-style key=value lines) or JSON (one object a
	// line, for log shippers); any case. Default: TEXT.
	Format string `yaml:"format"`
}

type Admin struct {
	// ListenAddress is the host:port to bind. Default: 127.0.0.1:9089.
	ListenAddress string `yaml:"listen_address"`
	// TLS serves HTTPS only (the shape of kafka.listeners[].tls, TLS 1.2+,
	// certificate reloaded from its files). With client_ca, a client
	// certificate is verified when given and names the principal under
	// http_auth; clients without one use basic or bearer credentials.
	// Nil: plain HTTP.
	TLS *ListenerTLS `yaml:"tls"`
}

// Intake configures the write path: produce requests are gathered and
// written as one intake object per flush.
type Intake struct {
	// Linger is how long a flush waits to gather more produce requests
	// (Bufstream's intake.delay_max) when the log is on local disk. 0 is
	// group commit: with no flush in flight a produce is flushed at once,
	// and produces arriving during a flush go out together in the next
	// one as soon as it ends, so a light load pays one object write and
	// one index commit (three fsyncs) per produce and a heavy load batches
	// by itself. Default: 0.
	Linger time.Duration `yaml:"delay_max"`
	// S3Linger is the linger when the log is in S3 (data.s3), where each
	// flush is one PUT billed per request: 200ms makes a trickle of
	// produces about 5 PUTs a second per broker (instead of 200 at 5ms),
	// for up to 200ms more produce latency, as Bufstream trades. A file
	// that sets intake.delay_max and not this key uses delay_max on S3
	// too (Bufstream has one key). 0 flushes at once. Default: 200ms.
	S3Linger time.Duration `yaml:"s3_delay_max"`
	// MaxBytes flushes early once the gathered data reaches it (Bufstream's
	// intake.delay_max_bytes). It starts a flush; it does not cap one: data
	// gathered while the previous flush was being written goes into the
	// next one whole, so under load intake objects grow past MaxBytes (up to
	// MaxBufferedBytes) and fewer, larger writes keep up. Default: 4MiB.
	MaxBytes ByteSize `yaml:"delay_max_bytes"`
	// MaxBufferedBytes bounds the data gathered or being flushed; produce
	// requests beyond it wait (backpressure). At least MaxBytes, or 0 to
	// size it from available_memory_bytes (a thirty-second, between twice
	// MaxBytes and 64MiB). Default: 0.
	MaxBufferedBytes ByteSize `yaml:"max_buffered_bytes"`
	// FlushTimeout bounds one flush's object write plus metadata commit; a
	// flush past it fails (its produces get a retriable error) and the next
	// one starts (a Tributary key). Default: 30s.
	FlushTimeout time.Duration `yaml:"flush_timeout"`
}

// Fetch configures the read path.
type Fetch struct {
	// CacheBytes bounds the cache of object byte ranges read for fetches
	// and of produced data written through for consumers reading at the
	// tail; 0 sizes it from available_memory_bytes (an eighth). Default: 0.
	CacheBytes ByteSize `yaml:"cache_bytes"`
}

// Housekeeping configures the background work on the log: retention,
// rewriting small intake pieces into segments, deleting dead objects.
type Housekeeping struct {
	// Interval is the time between housekeeping passes. Default: 30s.
	Interval time.Duration `yaml:"interval"`
	// SegmentTargetBytes is the size segment rewrites aim for. Default: 8MiB.
	SegmentTargetBytes ByteSize `yaml:"segment_target_bytes"`
	// SegmentMinAge is how old data must be before it is rewritten into a
	// segment, so that fresh data is read from intake objects still in
	// cache. Default: 60s.
	SegmentMinAge time.Duration `yaml:"segment_min_age"`
	// OrphanGrace is how old an object unknown to the metadata store must be
	// before it is deleted as the leftover of a flush that never committed.
	// It must exceed the longest flush-to-commit time, or a commit in
	// progress loses its object; at least 1m. Default: 1h.
	OrphanGrace time.Duration `yaml:"orphan_grace"`
	// DeadObjectGrace is how long an object no index entry references is
	// kept before deletion, so fetches that read the index just before the
	// reference went away can still read it. Default: 2m.
	DeadObjectGrace time.Duration `yaml:"dead_object_grace"`
}

// Membership configures the brokers' registration in the metadata store.
// These keys are Tributary's own and read the same in both forms. Each
// broker renews its registration every HeartbeatInterval; one whose last
// renewal is older than SessionTimeout is dead: it drops out of Metadata
// answers and its leases may be taken over.
type Membership struct {
	// HeartbeatInterval is the time between a broker's renewals. Positive.
	// Default: 500ms.
	HeartbeatInterval time.Duration `yaml:"heartbeat_interval"`
	// SessionTimeout is how long a broker stays listed without a renewal:
	// the bound on how long clients are sent to a dead broker. At least
	// MinHeartbeatsPerSession × HeartbeatInterval, so that one late
	// heartbeat does not drop a live broker. A broker killed outright
	// leaves the others' Metadata sooner: each broker dials its peers every
	// 250ms and stops advertising one it reached before and cannot reach
	// now. Default: 3s.
	SessionTimeout time.Duration `yaml:"session_timeout"`
}

// Default returns the configuration of a single node on localhost, the one
// `tributary serve` runs with no file.
func Default() Config {
	return Config{
		Version: VersionV1Beta1,
		Name:    "tributary",
		DataDir: "./data",
		Kafka: Kafka{
			Listeners: []Listener{{
				Name:             "local",
				ListenAddress:    "127.0.0.1:9092",
				AdvertiseAddress: "127.0.0.1:9092",
			}},
			AutoCreateTopics:  true,
			DefaultPartitions: 1,
			MaxRequestBytes:   100 * MiB,
			BrokerID:          -1,

			GroupConsumerSessionTimeout: 45 * time.Second,
			RequestTimeout:              30 * time.Second,
			IdleTimeout:                 10 * time.Minute,
			MaxConnections:              10000,
			QueuedMaxRequestBytes:       0,
		},
		Admin:    Admin{ListenAddress: "127.0.0.1:9089"},
		HTTPAuth: HTTPAuth{OpenPaths: slices.Clone(DefaultOpenPaths), Readers: []string{"*"}},
		Logging:  Logging{Level: "INFO", Format: "TEXT"},
		Intake: Intake{
			Linger:           0,
			S3Linger:         200 * time.Millisecond,
			MaxBytes:         4 * MiB,
			MaxBufferedBytes: 0,
			FlushTimeout:     30 * time.Second,
		},
		Fetch: Fetch{CacheBytes: 0},
		Housekeeping: Housekeeping{
			Interval:           30 * time.Second,
			SegmentTargetBytes: 8 * MiB,
			SegmentMinAge:      60 * time.Second,
			OrphanGrace:        time.Hour,
			DeadObjectGrace:    2 * time.Minute,
		},
		Membership: Membership{
			HeartbeatInterval: 500 * time.Millisecond,
			SessionTimeout:    3 * time.Second,
		},
		IcebergMaintenance: IcebergMaintenance{
			Interval:           time.Hour,
			CheckInterval:      2 * time.Second,
			SmallFileThreshold: 4,
			OrphanOlderThan:    72 * time.Hour,
		},
		Groups: Groups{
			InitialRebalanceDelay:     3 * time.Second,
			MinSessionTimeout:         6 * time.Second,
			MaxSessionTimeout:         30 * time.Minute,
			OffsetsRetention:          7 * 24 * time.Hour,
			ConsumerHeartbeatInterval: 5 * time.Second,
		},
	}
}

// LingerFor is the intake linger for the log's backend: S3Linger when
// the log is in S3, else Linger.
func (in Intake) LingerFor(d Data) time.Duration {
	if d.S3 != nil {
		return in.S3Linger
	}
	return in.Linger
}

// ObjectDir is the directory of the log's objects when Data.S3 is nil:
// <DataDir>/objects. It means nothing when Data.S3 is set.
func (c Config) ObjectDir() string {
	return filepath.Join(c.DataDir, "objects")
}

// Advertised is the address clients are told to connect to:
// AdvertiseAddress if set, else ListenAddress with an unspecified host
// ("", 0.0.0.0, ::) replaced by the machine's hostname.
func (l Listener) Advertised() string {
	if l.AdvertiseAddress != "" {
		return l.AdvertiseAddress
	}
	host, port, err := net.SplitHostPort(l.ListenAddress)
	if err != nil {
		return l.ListenAddress
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		if h, err := os.Hostname(); err == nil {
			host = h
		}
	}
	return net.JoinHostPort(host, port)
}
