package s3store

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/tributary-io/tributary/internal/objstore"
)

// Defaults for the zero values of Options.
const (
	// DefaultTimeout bounds one operation, every attempt and backoff
	// included. Objects are at most tens of MB, so a PUT or GET that takes
	// longer than this is stuck, not slow.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxAttempts is the SDK's own default: one try and two retries.
	DefaultMaxAttempts = 3
	// DefaultRegion is used when neither Options nor the SDK's chain
	// (AWS_REGION, the shared config profile) names one. S3-compatible
	// servers accept it; it is what they sign with by default.
	DefaultRegion = "us-east-1"
)

// maxBackoff caps the SDK's jittered exponential backoff between attempts
// (its default, 20s, would spend most of a Timeout asleep) for a client
// that sets no MaxBackoff.
const maxBackoff = 2 * time.Second

// DefaultMaxBackoff caps the backoff of the log's store (Options): its
// writer retries a failed flush itself while the server is out, so the
// SDK's sleeps only add to the time from the server answering again to
// the first acknowledgement (a 2s cap let one failed PUT sleep up to 2s
// past the recovery).
const DefaultMaxBackoff = 100 * time.Millisecond

// dialTimeout bounds a TCP connect, so an unreachable endpoint costs one
// attempt a few seconds, not the whole Timeout.
const dialTimeout = 5 * time.Second

// Options configure a Store. The zero value of each field is its default;
// Bucket is required.
type Options struct {
	// Bucket holds the objects. Required.
	Bucket string
	// Prefix is put before every key, so several stores (clusters, tests)
	// can share a bucket without seeing each other's objects. A "/" is
	// added when missing, so prefixes "a" and "ab" never overlap. Must be
	// a valid key prefix (objstore.ValidatePrefix). Default "": the whole
	// bucket.
	Prefix string
	// Region the requests are signed for. Default: the SDK's chain
	// (AWS_REGION, the shared config), else DefaultRegion.
	Region string
	// Endpoint is the server's base URL, e.g. "http://127.0.0.1:7070",
	// for S3-compatible servers. Default "": AWS's endpoint for Region
	// (or AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL when set).
	Endpoint string
	// ForcePathStyle addresses objects as Endpoint/bucket/key instead of
	// bucket.Endpoint/key (virtual-hosted). Most S3-compatible servers
	// need it; AWS works both ways. Default false.
	ForcePathStyle bool
	// AccessKeyID and SecretAccessKey are static credentials. Both empty
	// (the default) uses the SDK's default chain: environment, shared
	// files and profiles, SSO, web identity, ECS and EC2 roles. One
	// without the other is an error. The secret is never logged nor put
	// in an error.
	AccessKeyID     string
	SecretAccessKey string
	// Timeout bounds one operation (one page, for List), every attempt
	// and backoff included. Default DefaultTimeout.
	Timeout time.Duration
	// MaxAttempts is how many times one request is tried when it fails
	// with a retriable error (network, 5xx, throttling). Default
	// DefaultMaxAttempts; 1 disables retries.
	MaxAttempts int
	// MaxBackoff caps the jittered backoff between attempts. Default
	// DefaultMaxBackoff.
	MaxBackoff time.Duration
}

// Client is the part of o that NewClient builds the SDK client from.
func (o Options) Client() ClientOptions {
	return ClientOptions{Region: o.Region, Endpoint: o.Endpoint, ForcePathStyle: o.ForcePathStyle,
		AccessKeyID: o.AccessKeyID, SecretAccessKey: o.SecretAccessKey, MaxAttempts: o.MaxAttempts, MaxBackoff: o.MaxBackoff}
}

// Validate checks o, naming the first bad field.
func (o Options) Validate() error {
	if o.Bucket == "" {
		return errors.New("s3 options: bucket: required")
	}
	if err := objstore.ValidatePrefix(o.Prefix); err != nil {
		return fmt.Errorf("s3 options: prefix: %w", err)
	}
	if o.Endpoint != "" {
		u, err := url.Parse(o.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("s3 options: endpoint %q: want http://host[:port] or https://host[:port]", o.Endpoint)
		}
	}
	if (o.AccessKeyID == "") != (o.SecretAccessKey == "") {
		return errors.New("s3 options: access_key_id and secret_access_key: give both or neither")
	}
	if o.Timeout < 0 {
		return fmt.Errorf("s3 options: timeout %v: negative", o.Timeout)
	}
	if o.MaxAttempts < 0 {
		return fmt.Errorf("s3 options: max attempts %d: negative", o.MaxAttempts)
	}
	if o.MaxBackoff < 0 {
		return fmt.Errorf("s3 options: max backoff %v: negative", o.MaxBackoff)
	}
	return nil
}

// withDefaults fills in zero fields and normalises Prefix.
func (o Options) withDefaults() Options {
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxAttempts == 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	if o.Prefix != "" && !strings.HasSuffix(o.Prefix, "/") {
		o.Prefix += "/"
	}
	return o
}

// String describes o with the secret redacted; fmt's %v and %+v use it.
func (o Options) String() string {
	return fmt.Sprintf("{Bucket:%s Prefix:%s Region:%s Endpoint:%s ForcePathStyle:%t AccessKeyID:%s SecretAccessKey:%s Timeout:%v MaxAttempts:%d}",
		o.Bucket, o.Prefix, o.Region, o.Endpoint, o.ForcePathStyle, o.AccessKeyID, redact(o.SecretAccessKey), o.Timeout, o.MaxAttempts)
}

// GoString is String, so %#v does not print the secret either.
func (o Options) GoString() string { return "s3store.Options" + o.String() }

// LogValue logs o with the secret redacted.
func (o Options) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("bucket", o.Bucket),
		slog.String("prefix", o.Prefix),
		slog.String("region", o.Region),
		slog.String("endpoint", o.Endpoint),
		slog.Bool("force_path_style", o.ForcePathStyle),
		slog.String("access_key_id", o.AccessKeyID),
		slog.String("secret_access_key", redact(o.SecretAccessKey)),
		slog.Duration("timeout", o.Timeout),
		slog.Int("max_attempts", o.MaxAttempts),
	)
}

func redact(secret string) string {
	if secret == "" {
		return ""
	}
	return "[redacted]"
}
