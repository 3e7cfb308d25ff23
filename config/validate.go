package config

import (
	"errors"
	"fmt"
	"math"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"
)

// minOrphanGrace is the least housekeeping.orphan_grace accepted: an
// object younger than this may belong to a flush still committing.
const minOrphanGrace = time.Minute

// MinAvailableMemory is the least available_memory_bytes accepted.
const MinAvailableMemory = 64 * MiB

// MinHeartbeatsPerSession is the least membership.session_timeout accepted,
// in membership.heartbeat_interval units.
const MinHeartbeatsPerSession = 3

// Validate checks the whole configuration and returns every problem found
// (joined), each wrapping ErrInvalidValue and naming its key as in the
// v1beta1 file.
//
// Secrets (the Postgres DSN, S3 keys) are resolved to check that they can
// be (the variable is set, the file is readable, base64 decodes) and are not
// empty; the values are dropped at once and no message shows them.
func (c Config) Validate() error {
	var v validator
	v.check(c.Version == "" || c.Version == VersionV1Beta1, "version", "%q: want %s", c.Version, VersionV1Beta1)
	v.check(c.Name != "", "cluster", "must not be empty")
	v.check(c.DataDir != "", "data_dir", "must not be empty")
	c.Kafka.validate(&v)
	v.listenAddr("admin.listen_address", c.Admin.ListenAddress)
	c.Logging.validate(&v)
	c.Intake.validate(&v)
	v.check(c.AvailableMemoryBytes == 0 || c.AvailableMemoryBytes >= MinAvailableMemory, "available_memory_bytes",
		"must be 0 (detect) or at least %s, got %s", MinAvailableMemory, c.AvailableMemoryBytes)
	v.check(c.Fetch.CacheBytes >= 0, "fetch.cache_bytes", "must not be negative, got %d", c.Fetch.CacheBytes)
	c.Housekeeping.validate(&v)
	c.IcebergMaintenance.validate(&v)
	c.Metadata.validate(&v)
	c.Data.validate(&v)
	c.Membership.validate(&v)
	c.Groups.validate(&v)
	if c.Registry.ListenAddress != "" {
		v.listenAddr("registry.listen_address", c.Registry.ListenAddress)
	}
	if c.Catalog.ListenAddress != "" {
		v.listenAddr("catalog.listen_address", c.Catalog.ListenAddress)
	}
	ids := map[string]bool{}
	for i, cl := range c.Catalog.Clients {
		key := fmt.Sprintf("catalog.clients[%d]", i)
		v.check(cl.ClientID != "" && !strings.Contains(cl.ClientID, ":"), key+".client_id", "must be non-empty and hold no colon")
		v.check(!ids[cl.ClientID], key+".client_id", "%q is listed twice", cl.ClientID)
		ids[cl.ClientID] = true
		v.check(!cl.ClientSecret.IsZero(), key+".client_secret", "is required")
	}
	if st := c.Catalog.STS; st != nil {
		v.check(strings.HasPrefix(st.RoleARN, "arn:"), "catalog.sts.role_arn", "must be a role ARN (arn:aws:iam::<account>:role/<name>), got %q", st.RoleARN)
		v.check(c.Data.S3 != nil, "catalog.sts", "needs an S3 warehouse (data.s3)")
		v.check(st.Duration == 0 || st.Duration >= 15*time.Minute && st.Duration <= 12*time.Hour, "catalog.sts.duration",
			"must be between 15m and 12h (STS's bounds), got %s", st.Duration)
	}
	c.validateSchemas(&v)
	c.HTTPAuth.validate(&v)
	c.Admin.TLS.validate(&v, "admin")
	c.Registry.TLS.validate(&v, "registry")
	c.Catalog.TLS.validate(&v, "catalog")
	return errors.Join(v.errs...)
}

func (k Kafka) validate(v *validator) {
	v.check(len(k.Listeners) > 0, "kafka.listeners", "at least one listener is needed")
	names := map[string]bool{}
	for i, l := range k.Listeners {
		key := fmt.Sprintf("kafka.listeners[%d]", i)
		v.check(!names[l.Name], key+".name", "%q is used by another listener", l.Name)
		names[l.Name] = true
		v.listenAddr(key+".listen_address", l.ListenAddress)
		if l.AdvertiseAddress != "" {
			v.advertiseAddr(key+".advertise_address", l.AdvertiseAddress)
		}
		l.Authentication.validate(v, key)
		l.TLS.validate(v, key)
		if l.Authentication != nil && l.Authentication.MTLS != nil {
			v.check(l.TLS != nil && !l.TLS.ClientCA.IsZero(), key+".authentication.mtls", "needs tls.client_ca")
		}
	}
	k.Authorization.validate(v)
	v.check(k.DefaultPartitions >= 1, "kafka.num_partitions", "must be at least 1, got %d", k.DefaultPartitions)
	v.check(k.MaxRequestBytes > 0 && k.MaxRequestBytes <= math.MaxInt32, "kafka.max_request_bytes",
		"must be between 1 byte and 2GiB-1, got %d", k.MaxRequestBytes)
	v.check(k.GroupConsumerSessionTimeout > 0, "kafka.group_consumer_session_timeout", "must be positive, got %s", k.GroupConsumerSessionTimeout)
	v.check(k.RequestTimeout > 0, "kafka.request_timeout", "must be positive, got %s", k.RequestTimeout)
	v.check(k.IdleTimeout > 0, "kafka.idle_timeout", "must be positive, got %s", k.IdleTimeout)
	v.check(k.MaxConnections >= 1, "kafka.max_connections", "must be at least 1, got %d", k.MaxConnections)
	v.check(k.QueuedMaxRequestBytes >= 0, "kafka.queued_max_request_bytes", "must not be negative, got %d", k.QueuedMaxRequestBytes)
	v.check(k.BrokerID >= -1, "kafka.broker_id", "must be -1 (take a free ID) or a node ID, got %d", k.BrokerID)
}

func (in Intake) validate(v *validator) {
	v.check(in.Linger >= 0, "intake.delay_max", "must not be negative, got %s", in.Linger)
	v.check(in.S3Linger >= 0, "intake.s3_delay_max", "must not be negative, got %s", in.S3Linger)
	v.check(in.MaxBytes > 0, "intake.delay_max_bytes", "must be positive, got %d", in.MaxBytes)
	v.check(in.FlushTimeout > 0, "intake.flush_timeout", "must be positive, got %s", in.FlushTimeout)
	v.check(in.MaxBufferedBytes == 0 || in.MaxBufferedBytes >= in.MaxBytes, "intake.max_buffered_bytes",
		"must be 0 (from available_memory_bytes) or at least intake.delay_max_bytes (%s), got %s", in.MaxBytes, in.MaxBufferedBytes)
}

func (h Housekeeping) validate(v *validator) {
	v.check(h.Interval > 0, "housekeeping.interval", "must be positive, got %s", h.Interval)
	v.check(h.SegmentTargetBytes > 0, "housekeeping.segment_target_bytes", "must be positive, got %d", h.SegmentTargetBytes)
	v.check(h.SegmentMinAge >= 0, "housekeeping.segment_min_age", "must not be negative, got %s", h.SegmentMinAge)
	v.check(h.OrphanGrace >= minOrphanGrace, "housekeeping.orphan_grace",
		"must be at least %s so a flush still committing is never taken for an orphan, got %s", minOrphanGrace, h.OrphanGrace)
	v.check(h.DeadObjectGrace >= 0, "housekeeping.dead_object_grace", "must not be negative, got %s", h.DeadObjectGrace)
}

func (m IcebergMaintenance) validate(v *validator) {
	if m.Disabled {
		return
	}
	v.check(m.Interval > 0, "iceberg_maintenance.interval", "must be positive, got %s", m.Interval)
	v.check(m.CheckInterval > 0, "iceberg_maintenance.check_interval", "must be positive, got %s", m.CheckInterval)
	v.check(m.SmallFileThreshold >= 2, "iceberg_maintenance.small_file_threshold", "must be at least 2, got %d", m.SmallFileThreshold)
	v.check(m.TargetFileSize >= 0, "iceberg_maintenance.target_file_size", "must not be negative, got %d", m.TargetFileSize)
	v.check(m.ExpireOlderThan >= 0, "iceberg_maintenance.expire_older_than", "must not be negative, got %s", m.ExpireOlderThan)
	v.check(m.ThinAfter >= 0, "iceberg_maintenance.thin_after", "must not be negative, got %s", m.ThinAfter)
	v.check(m.OrphanOlderThan == 0 || m.OrphanOlderThan >= time.Hour, "iceberg_maintenance.orphan_older_than",
		"must be 0 (off) or at least 1h so a commit in flight never loses its files, got %s", m.OrphanOlderThan)
}

func (m Metadata) validate(v *validator) {
	p := m.Postgres
	if p == nil {
		return // the embedded store
	}
	v.secret("metadata.postgres.dsn", p.DSN)
	v.check(p.MaxConnections >= 1, "metadata.postgres.pool.max_connections", "must be at least 1, got %d", p.MaxConnections)
	v.check(p.MinConnections >= 0 && p.MinConnections <= max(p.MaxConnections, 0), "metadata.postgres.pool.min_connections",
		"must be from 0 to pool.max_connections (%d), got %d", p.MaxConnections, p.MinConnections)
}

func (d Data) validate(v *validator) {
	s := d.S3
	if s == nil {
		return // objects under data_dir
	}
	s.validateURI(v)
	v.check(s.Region != "", "data.s3.region", "must not be empty")
	v.check(s.Timeout >= 0, "data.s3.timeout", "must not be negative, got %s", s.Timeout)
	if s.Endpoint != "" {
		err := checkEndpoint(s.Endpoint)
		v.check(err == nil, "data.s3.endpoint", "%s: %v", showURL(s.Endpoint), err)
	}
	const both = "access_key_id and secret_access_key go together; set both, or neither for the default credential chain"
	id, secret := !s.AccessKeyID.IsZero(), !s.SecretAccessKey.IsZero()
	v.check(id || !secret, "data.s3.access_key_id", "missing: %s", both)
	v.check(secret || !id, "data.s3.secret_access_key", "missing: %s", both)
	if id && secret {
		v.secret("data.s3.access_key_id", s.AccessKeyID)
		v.secret("data.s3.secret_access_key", s.SecretAccessKey)
	}
}

// validateURI checks the URI and that Bucket and Prefix were read from it.
func (s *S3) validateURI(v *validator) {
	const key = "data.s3.uri"
	if s.URI == "" {
		v.check(false, key, "must be set: s3://bucket/prefix/")
		return
	}
	bucket, prefix, err := parseS3URI(s.URI)
	if err != nil {
		v.check(false, key, "%s: %v", showURL(s.URI), err)
		return
	}
	v.check(s.Bucket == bucket && s.Prefix == prefix, key, "%s is bucket %q prefix %q, but S3.Bucket is %q and S3.Prefix %q (NewS3 sets all three)",
		showURL(s.URI), bucket, prefix, s.Bucket, s.Prefix)
}

func (m Membership) validate(v *validator) {
	v.check(m.HeartbeatInterval > 0, "membership.heartbeat_interval", "must be positive, got %s", m.HeartbeatInterval)
	v.check(m.SessionTimeout > 0 && m.SessionTimeout >= MinHeartbeatsPerSession*m.HeartbeatInterval, "membership.session_timeout",
		"must be at least %d × membership.heartbeat_interval (%s), so that one late heartbeat does not drop a live broker; got %s",
		MinHeartbeatsPerSession, m.HeartbeatInterval, m.SessionTimeout)
}

func (g Groups) validate(v *validator) {
	v.check(g.InitialRebalanceDelay >= 0, "groups.initial_rebalance_delay", "must not be negative, got %s", g.InitialRebalanceDelay)
	v.check(g.MinSessionTimeout > 0, "groups.min_session_timeout", "must be positive, got %s", g.MinSessionTimeout)
	v.check(g.MaxSessionTimeout >= g.MinSessionTimeout, "groups.max_session_timeout", "must be at least groups.min_session_timeout (%s), got %s", g.MinSessionTimeout, g.MaxSessionTimeout)
	v.check(g.OffsetsRetention > 0, "groups.offsets_retention", "must be positive, got %s", g.OffsetsRetention)
	v.check(g.ConsumerHeartbeatInterval > 0, "groups.consumer_heartbeat_interval", "must be positive, got %s", g.ConsumerHeartbeatInterval)
}

// validator gathers problems.
type validator struct{ errs []error }

// check records a problem with key unless ok.
func (v *validator) check(ok bool, key, format string, args ...any) {
	if !ok {
		v.errs = append(v.errs, fmt.Errorf("%w %q: %s", ErrInvalidValue, key, fmt.Sprintf(format, args...)))
	}
}

// secret checks that a data source is set and resolves to a non-empty
// value. The value is dropped at once; Resolve's errors name the source
// (env_var:NAME, path:FILE, string:<redacted>), never the value.
func (v *validator) secret(key string, ds DataSource) {
	if ds.IsZero() {
		v.check(false, key, "must be set")
		return
	}
	b, err := ds.Resolve()
	if err != nil {
		v.errs = append(v.errs, fmt.Errorf("%w %q: %w", ErrInvalidValue, key, err)) // also ErrDataSource
		return
	}
	v.check(len(b) > 0, key, "%s is empty", ds)
}

// listenAddr checks a bind address: host:port, host may be empty (all
// interfaces), port 0 picks a free one.
func (v *validator) listenAddr(key, addr string) {
	_, _, err := splitHostPort(addr)
	v.check(err == nil, key, "%q: %v", addr, err)
}

// advertiseAddr checks an address clients dial: a host and a non-zero port.
func (v *validator) advertiseAddr(key, addr string) {
	host, port, err := splitHostPort(addr)
	if err == nil && host == "" {
		err = errors.New("needs a host")
	}
	if err == nil && port == 0 {
		err = errors.New("needs a non-zero port")
	}
	v.check(err == nil, key, "%q: %v", addr, err)
}

func splitHostPort(addr string) (string, int, error) {
	if addr == "" {
		return "", 0, errors.New("want host:port, got nothing")
	}
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, errors.New("want host:port")
	}
	port, err := strconv.ParseUint(p, 10, 16)
	if err != nil {
		return "", 0, fmt.Errorf("port %q is not a number from 0 to 65535", p)
	}
	return host, int(port), nil
}

// LogLevels and LogFormats are logging.level's and logging.format's values.
var (
	LogLevels  = []string{"DEBUG", "INFO", "WARN", "ERROR"}
	LogFormats = []string{"TEXT", "JSON"}
)

func (l Logging) validate(v *validator) {
	v.check(slices.Contains(LogLevels, strings.ToUpper(l.Level)), "logging.level", "%q: want one of %s", l.Level, strings.Join(LogLevels, ", "))
	v.check(slices.Contains(LogFormats, strings.ToUpper(l.Format)), "logging.format", "%q: want one of %s", l.Format, strings.Join(LogFormats, ", "))
}
