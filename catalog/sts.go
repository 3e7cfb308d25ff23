package catalog

// Short-lived vended credentials from STS. With Options.STS set, the
// credentials vended with a table (storage-credentials, and the config of
// an answer that asked for them) are not the static keys of
// Options.Credentials but the result of an STS AssumeRole of
// STSOptions.RoleARN, called with those keys, with a session policy that
// allows the objects under the table's location only; they carry
// s3.session-token (which Trino requires of vended keys) and
// s3.session-token-expires-at-ms. Each table's credentials are cached
// until a quarter of their life is left.

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// STSOptions configure credentials minted by STS AssumeRole.
type STSOptions struct {
	// RoleARN is the role assumed (arn:aws:iam::<account>:role/<name>).
	RoleARN string
	// Endpoint is the STS endpoint URL; empty: AWS's for Region.
	Endpoint string
	// Region signs the STS requests.
	Region string
	// AccessKeyID and SecretAccessKey are the caller's keys (the
	// warehouse's); empty: the AWS SDK's default chain.
	AccessKeyID, SecretAccessKey string
	// Duration is the life of the credentials. Default DefaultSTSDuration.
	Duration time.Duration
}

// DefaultSTSDuration is the life of STS credentials (AWS's default).
const DefaultSTSDuration = time.Hour

// stsVendor mints and caches per-location credentials.
type stsVendor struct {
	client   *sts.Client
	role     string
	duration time.Duration

	mu    sync.Mutex
	cache map[string]stsEntry
}

type stsEntry struct {
	creds   map[string]string
	expires time.Time
}

func newSTSVendor(o *STSOptions) *stsVendor {
	if o == nil || o.RoleARN == "" {
		return nil
	}
	cfg := aws.Config{Region: o.Region}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if o.AccessKeyID != "" {
		cfg.Credentials = credentials.NewStaticCredentialsProvider(o.AccessKeyID, o.SecretAccessKey, "")
	}
	client := sts.NewFromConfig(cfg, func(so *sts.Options) {
		if o.Endpoint != "" {
			so.BaseEndpoint = aws.String(o.Endpoint)
		}
	})
	d := o.Duration
	if d <= 0 {
		d = DefaultSTSDuration
	}
	return &stsVendor{client: client, role: o.RoleARN, duration: d, cache: map[string]stsEntry{}}
}

// vend returns credentials for the objects under the S3 location loc
// (s3://bucket/key): cached ones with more than a quarter of their life
// left, else new ones.
func (v *stsVendor) vend(ctx context.Context, loc string) (map[string]string, error) {
	now := time.Now()
	v.mu.Lock()
	e, ok := v.cache[loc]
	for k, old := range v.cache {
		if now.After(old.expires) {
			delete(v.cache, k)
		}
	}
	v.mu.Unlock()
	if ok && e.expires.Sub(now) > v.duration/4 {
		return e.creds, nil
	}
	policy, err := stsPolicy(loc)
	if err != nil {
		return nil, err
	}
	out, err := v.client.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:         aws.String(v.role),
		RoleSessionName: aws.String("tributary-catalog"),
		Policy:          aws.String(policy),
		DurationSeconds: aws.Int32(int32(v.duration / time.Second)),
	})
	if err != nil {
		return nil, fmt.Errorf("sts assume role %s for %s: %w", v.role, loc, err)
	}
	c := out.Credentials
	if c == nil || c.AccessKeyId == nil || c.SecretAccessKey == nil || c.SessionToken == nil {
		return nil, fmt.Errorf("sts assume role %s for %s: no credentials in the answer", v.role, loc)
	}
	expires := now.Add(v.duration)
	if c.Expiration != nil {
		expires = *c.Expiration
	}
	creds := map[string]string{
		"s3.access-key-id":               *c.AccessKeyId,
		"s3.secret-access-key":           *c.SecretAccessKey,
		"s3.session-token":               *c.SessionToken,
		"s3.session-token-expires-at-ms": strconv.FormatInt(expires.UnixMilli(), 10),
	}
	v.mu.Lock()
	v.cache[loc] = stsEntry{creds: creds, expires: expires}
	v.mu.Unlock()
	return creds, nil
}

// stsPolicy is the session policy for the objects under the S3 location
// loc: read, write and delete them, and list the bucket below loc.
func stsPolicy(loc string) (string, error) {
	scheme, rest, ok := strings.Cut(loc, "://")
	bucket, key, _ := strings.Cut(rest, "/")
	if !ok || normScheme(scheme) != "s3" || bucket == "" {
		return "", fmt.Errorf("sts credentials for %q: not an s3:// location", loc)
	}
	key = strings.TrimSuffix(key, "/")
	objects := "arn:aws:s3:::" + bucket + "/*"
	prefixes := []string{"*"}
	if key != "" {
		objects = "arn:aws:s3:::" + bucket + "/" + key + "/*"
		prefixes = []string{key, key + "/*"}
	}
	doc := map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{
			map[string]any{"Effect": "Allow", "Resource": []string{objects},
				"Action": []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"}},
			map[string]any{"Effect": "Allow", "Resource": []string{"arn:aws:s3:::" + bucket},
				"Action": []string{"s3:ListBucket", "s3:GetBucketLocation"}, "Condition": map[string]any{"StringLike": map[string]any{"s3:prefix": prefixes}}},
		},
	}
	b, err := json.Marshal(doc)
	return string(b), err
}
