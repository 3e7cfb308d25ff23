package s3store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// AppID is put in the User-Agent of every request a Client sends
// ("app/tributary"), so a server's logs tell Tributary's requests apart.
const AppID = "tributary"

// ClientOptions are what the one S3 client of the process is built from:
// the log's object store (Options.Client) and the Iceberg data files
// (package iceberg/s3io, from a table's s3.* properties) both go through
// NewClient, so endpoint, region, addressing and credentials are handled
// the same way. Zero fields take the SDK's chain or the defaults below.
type ClientOptions struct {
	// Region the requests are signed for. Default: AWS_REGION or the
	// shared config, else DefaultRegion.
	Region string
	// Endpoint is the server's base URL, for S3-compatible servers.
	// Default "": AWS's (or AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL).
	Endpoint string
	// ForcePathStyle addresses objects as Endpoint/bucket/key.
	ForcePathStyle bool
	// AccessKeyID, SecretAccessKey and SessionToken are static
	// credentials; empty, the SDK's default chain. The key pair goes
	// together.
	AccessKeyID, SecretAccessKey, SessionToken string
	// MaxAttempts is how often a request is tried on a retriable error.
	// Default DefaultMaxAttempts.
	MaxAttempts int
	// MaxBackoff caps the jittered backoff between attempts. Default 2s.
	MaxBackoff time.Duration
}

// Client is an S3 client built by NewClient.
type Client struct {
	S3 *s3.Client
	// Retryer is the client's retry policy, which also classifies errors
	// the way it retried them.
	Retryer aws.Retryer
	http    *http.Client
}

// CloseIdleConnections drops the client's idle connections.
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }

// NewClient builds an S3 client for o. It loads the SDK's configuration
// (the environment and shared files fill what o leaves empty) but sends
// no request.
func NewClient(ctx context.Context, o ClientOptions) (*Client, error) {
	if (o.AccessKeyID == "") != (o.SecretAccessKey == "") {
		return nil, errors.New("s3 client: access key id and secret access key: give both or neither")
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = maxBackoff
	}
	c := &Client{Retryer: retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = o.MaxAttempts
		so.MaxBackoff = o.MaxBackoff
	})}
	load := []func(*config.LoadOptions) error{
		config.WithDefaultRegion(DefaultRegion),
		config.WithHTTPClient(httpClient()),
		config.WithRetryer(func() aws.Retryer { return c.Retryer }),
		config.WithAppID(AppID),
	}
	if o.Region != "" {
		load = append(load, config.WithRegion(o.Region))
	}
	if o.AccessKeyID != "" {
		load = append(load, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(o.AccessKeyID, o.SecretAccessKey, o.SessionToken)))
	}
	cfg, err := config.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return nil, fmt.Errorf("load aws config: %w", err)
	}
	// The loader may have added a CA bundle (AWS_CA_BUNDLE) to the
	// buildable client; freeze it into the *http.Client it will use, whose
	// idle connections can then be dropped.
	if b, ok := cfg.HTTPClient.(*awshttp.BuildableClient); ok {
		cfg.HTTPClient = b.Freeze()
	}
	c.http, _ = cfg.HTTPClient.(*http.Client)
	if c.http == nil {
		c.http = &http.Client{}
	}
	c.S3 = s3.NewFromConfig(cfg, func(so *s3.Options) {
		if o.Endpoint != "" {
			so.BaseEndpoint = aws.String(o.Endpoint)
		}
		so.UsePathStyle = o.ForcePathStyle
		// Ranged GETs never carry a whole-object checksum; without this
		// the SDK logs that it skipped validation on every one.
		so.DisableLogOutputChecksumValidationSkipped = true
	})
	return c, nil
}

// httpClient is the SDK's HTTP client with a shorter connect timeout and
// more idle connections per host (brokers read many ranges at once).
func httpClient() *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = dialTimeout }).
		WithTransportOptions(func(tr *http.Transport) { tr.MaxIdleConnsPerHost = 64 })
}
