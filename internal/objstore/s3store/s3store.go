package s3store

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/tributary-io/tributary/internal/objstore"
)

// Store keeps objects in one S3 bucket under an optional key prefix.
// Safe for concurrent use: it holds only the SDK client, which is.
type Store struct {
	client  *s3.Client
	idle    interface{ CloseIdleConnections() } // the HTTP client, for Close
	retryer aws.Retryer                         // classifies errors the way it retried them
	bucket  string
	prefix  string // "" or ending in "/"
	timeout time.Duration
}

var _ objstore.Store = (*Store)(nil)

// New returns a store for opts. It builds its client with NewClient (so
// it reads region, endpoint and credentials from the environment and
// shared files where opts leaves them empty) but sends no request: a bad
// bucket or bad credentials show at the first operation, or at Check.
func New(ctx context.Context, opts Options) (*Store, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	c, err := NewClient(ctx, opts.Client())
	if err != nil {
		return nil, fmt.Errorf("open s3://%s/%s: %w", opts.Bucket, opts.Prefix, err)
	}
	return &Store{client: c.S3, idle: c, retryer: c.Retryer, bucket: opts.Bucket, prefix: opts.Prefix, timeout: opts.Timeout}, nil
}

// url names key's object for errors: s3://bucket/prefix/key.
func (s *Store) url(key string) string {
	return "s3://" + s.bucket + "/" + s.prefix + key
}

// opCtx bounds one SDK call by the store's Timeout.
func (s *Store) opCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

// check validates key and the caller's context before a request.
func (s *Store) check(ctx context.Context, op, key string) error {
	if err := objstore.ValidateKey(key); err != nil {
		return fmt.Errorf("%s %s: %w", op, s.url(key), err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s %s: %w", op, s.url(key), err)
	}
	return nil
}

// Check asks the server whether the bucket exists and the credentials may
// use it (HeadBucket), for a clear error at start-up.
func (s *Store) Check(ctx context.Context) error {
	octx, cancel := s.opCtx(ctx)
	defer cancel()
	_, err := s.client.HeadBucket(octx, &s3.HeadBucketInput{Bucket: &s.bucket})
	switch {
	case err == nil:
		return nil
	case isCode(err, "NotFound", "NoSuchBucket"):
		// Not ErrNotFound, which is about keys.
		return fmt.Errorf("check s3://%s: no such bucket: %w", s.bucket, err)
	default:
		return s.wrap("check bucket", "", ctx, err)
	}
}

// Put stores data under key with one PutObject: atomic (S3 never shows a
// partial object) and durable once acknowledged. One PUT carries up to
// 5 GiB; the log's objects are tens of MB at most, so no multipart upload.
// The SDK may send the body more than once when it retries.
func (s *Store) Put(ctx context.Context, key string, data []byte) error {
	if err := s.check(ctx, "put", key); err != nil {
		return err
	}
	octx, cancel := s.opCtx(ctx)
	defer cancel()
	_, err := s.client.PutObject(octx, &s3.PutObjectInput{
		Bucket:        &s.bucket,
		Key:           aws.String(s.prefix + key),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
	})
	if err != nil {
		return s.wrap("put", key, ctx, err)
	}
	return nil
}

// Get returns the whole object.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := s.check(ctx, "get", key); err != nil {
		return nil, err
	}
	octx, cancel := s.opCtx(ctx)
	defer cancel()
	out, err := s.client.GetObject(octx, &s3.GetObjectInput{Bucket: &s.bucket, Key: aws.String(s.prefix + key)})
	if err != nil {
		return nil, s.wrap("get", key, ctx, err)
	}
	defer func() { _ = out.Body.Close() }() // a response body: its bytes are checked by length below, a close error adds nothing
	size := aws.ToInt64(out.ContentLength)
	buf := bytes.NewBuffer(make([]byte, 0, max(size, 0)))
	if _, err := buf.ReadFrom(out.Body); err != nil {
		return nil, s.wrapBody("get", key, ctx, err)
	}
	if out.ContentLength != nil && int64(buf.Len()) != size {
		return nil, fmt.Errorf("get %s: %w: body of %d bytes, Content-Length %d", s.url(key), ErrUnavailable, buf.Len(), size)
	}
	return buf.Bytes(), nil
}

// wrapBody classifies an error reading a response body: the connection
// broke or the deadline passed mid-body, both transient unless the caller
// gave up.
func (s *Store) wrapBody(op, key string, caller context.Context, err error) error {
	if cerr := caller.Err(); cerr != nil {
		return fmt.Errorf("%s %s: read body: %w: %w", op, s.url(key), cerr, err)
	}
	return fmt.Errorf("%s %s: read body: %w: %w", op, s.url(key), ErrUnavailable, err)
}

// GetRange returns exactly n bytes at off, with one ranged GetObject
// ("Range: bytes=off-(off+n-1)"). S3 answers a range starting past the end
// with 416 and one running past the end with fewer bytes; both are
// ErrRangeInvalid. n == 0 cannot be asked as a range, so it is a
// HeadObject: the object must exist and off must not pass its end.
func (s *Store) GetRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	if err := s.check(ctx, "get range", key); err != nil {
		return nil, err
	}
	if off < 0 || n < 0 || n > math.MaxInt64-off {
		return nil, fmt.Errorf("get range %s [%d, +%d): %w", s.url(key), off, n, objstore.ErrRangeInvalid)
	}
	if n == 0 {
		return s.emptyRange(ctx, key, off)
	}
	octx, cancel := s.opCtx(ctx)
	defer cancel()
	last := off + n - 1
	out, err := s.client.GetObject(octx, &s3.GetObjectInput{
		Bucket: &s.bucket,
		Key:    aws.String(s.prefix + key),
		Range:  aws.String(fmt.Sprintf("bytes=%d-%d", off, last)),
	})
	if err != nil {
		return nil, s.wrap("get range", key, ctx, err)
	}
	defer func() { _ = out.Body.Close() }() // a response body: its bytes are checked by length below, a close error adds nothing
	if err := checkContentRange(out, off, last); err != nil {
		return nil, fmt.Errorf("get range %s [%d, +%d): %w: %v", s.url(key), off, n, objstore.ErrRangeInvalid, err)
	}
	data := make([]byte, n)
	if _, err := io.ReadFull(out.Body, data); err != nil {
		return nil, s.wrapBody("get range", key, ctx, err)
	}
	return data, nil
}

// checkContentRange checks that a ranged response holds exactly the bytes
// [off, last]: S3 shortens a range that runs past the object's end, and a
// server that ignores Range sends the whole object.
func checkContentRange(out *s3.GetObjectOutput, off, last int64) error {
	n := last - off + 1
	if out.ContentLength != nil && *out.ContentLength != n {
		return fmt.Errorf("server sent %d bytes (Content-Range %q)", *out.ContentLength, aws.ToString(out.ContentRange))
	}
	want := fmt.Sprintf("bytes %d-%d/", off, last)
	if cr := aws.ToString(out.ContentRange); !strings.HasPrefix(cr, want) {
		return fmt.Errorf("Content-Range %q, want %s*", cr, want)
	}
	return nil
}

// emptyRange serves GetRange(key, off, 0) with a HeadObject.
func (s *Store) emptyRange(ctx context.Context, key string, off int64) ([]byte, error) {
	octx, cancel := s.opCtx(ctx)
	defer cancel()
	out, err := s.client.HeadObject(octx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: aws.String(s.prefix + key)})
	if err != nil {
		return nil, s.wrap("get range", key, ctx, err)
	}
	if size := aws.ToInt64(out.ContentLength); off > size {
		return nil, fmt.Errorf("get range %s [%d, +0) of %d bytes: %w", s.url(key), off, size, objstore.ErrRangeInvalid)
	}
	return []byte{}, nil
}

// Delete removes the object; a missing one is not an error (S3 answers
// 204 either way; some servers say NoSuchKey).
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.check(ctx, "delete", key); err != nil {
		return err
	}
	octx, cancel := s.opCtx(ctx)
	defer cancel()
	_, err := s.client.DeleteObject(octx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: aws.String(s.prefix + key)})
	if err != nil && !isCode(err, "NoSuchKey", "NotFound") {
		return s.wrap("delete", key, ctx, err)
	}
	return nil
}

// List returns the objects whose keys start with prefix, sorted by key,
// with ListObjectsV2 one page (up to 1000 keys) at a time; Timeout bounds
// each page. Keys come back without the store's Prefix. Names under the
// prefix that are not valid keys (a "dir/" marker another tool made) are
// not this store's objects and are left out.
func (s *Store) List(ctx context.Context, prefix string) ([]objstore.ObjectInfo, error) {
	if err := objstore.ValidatePrefix(prefix); err != nil {
		return nil, fmt.Errorf("list %s: %w", s.url(prefix), err)
	}
	pages := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{
		Bucket: &s.bucket,
		Prefix: aws.String(s.prefix + prefix),
	})
	var out []objstore.ObjectInfo
	for pages.HasMorePages() {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("list %s: %w", s.url(prefix), err)
		}
		octx, cancel := s.opCtx(ctx)
		page, err := pages.NextPage(octx)
		cancel()
		if err != nil {
			return nil, s.wrap("list", prefix, ctx, err)
		}
		for _, obj := range page.Contents {
			key, ok := strings.CutPrefix(aws.ToString(obj.Key), s.prefix)
			if !ok || objstore.ValidateKey(key) != nil {
				continue
			}
			out = append(out, objstore.ObjectInfo{Key: key, Size: aws.ToInt64(obj.Size), Modified: aws.ToTime(obj.LastModified)})
		}
	}
	// S3 lists in UTF-8 byte order, which is Go's string order; a server
	// that lists a directory tree may not.
	if !slices.IsSortedFunc(out, cmpKey) {
		slices.SortFunc(out, cmpKey)
	}
	return out, nil
}

func cmpKey(a, b objstore.ObjectInfo) int { return strings.Compare(a.Key, b.Key) }

// Close drops idle connections. The store must not be used after.
func (s *Store) Close() error {
	if s.idle != nil {
		s.idle.CloseIdleConnections()
	}
	return nil
}
