package tests3_test

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/tributary-io/tributary/internal/tests3"
)

func TestMain(m *testing.M) { tests3.Main(m) }

func put(t *testing.T, c *s3.Client, bucket, key string, data []byte) {
	t.Helper()
	_, err := c.PutObject(t.Context(), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data),
	})
	if err != nil {
		t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
}

func get(ctx context.Context, c *s3.Client, bucket, key string) ([]byte, error) {
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

func TestSharedServerFreshBuckets(t *testing.T) {
	srv := tests3.Start(t)
	if again := tests3.Start(t); again.Endpoint != srv.Endpoint {
		t.Fatalf("second Start: endpoint %s, want the shared %s", again.Endpoint, srv.Endpoint)
	}
	a, b := tests3.NewBucket(t), tests3.NewBucket(t)
	if a == b {
		t.Fatalf("NewBucket twice gave %s both times", a)
	}
	c := srv.Client()
	put(t, c, a, "k", []byte("in a"))
	out, err := c.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String(b)})
	if err != nil || len(out.Contents) != 0 {
		t.Fatalf("list fresh bucket %s: %d objects, %v; want none", b, len(out.Contents), err)
	}
	if got, err := get(t.Context(), c, a, "k"); err != nil || string(got) != "in a" {
		t.Fatalf("get %s/k: %q, %v", a, got, err)
	}
}

// TestStopStartKeepsData: a stopped server refuses connections; started
// again it serves on the same endpoint the objects written before.
func TestStopStartKeepsData(t *testing.T) {
	srv := tests3.NewServer(t)
	bucket := srv.NewBucket(t)
	c := srv.Client()
	put(t, c, bucket, "before", []byte("kept"))

	srv.Stop(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := get(ctx, c, bucket, "before"); err == nil {
		t.Fatal("get from a stopped server succeeded")
	}

	srv.Start(t)
	if got, err := get(t.Context(), c, bucket, "before"); err != nil || string(got) != "kept" {
		t.Fatalf("get after restart: %q, %v", got, err)
	}
}

// TestPauseResume: a paused server accepts connections and answers nothing
// until resumed; the request waiting on it then completes.
func TestPauseResume(t *testing.T) {
	srv := tests3.NewServer(t)
	bucket := srv.NewBucket(t)
	c := srv.Client()
	put(t, c, bucket, "k", []byte("v"))

	srv.Pause(t)
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	if _, err := get(ctx, c, bucket, "k"); err == nil {
		t.Fatal("get from a paused server succeeded")
	}
	srv.Resume(t)
	if got, err := get(t.Context(), c, bucket, "k"); err != nil || string(got) != "v" {
		t.Fatalf("get after resume: %q, %v", got, err)
	}
}

func TestStopSharedRefused(t *testing.T) {
	srv := tests3.Start(t)
	ft := &fatalRecorder{TB: t}
	func() {
		defer func() { recover() }()
		srv.Stop(ft)
	}()
	if !ft.failed {
		t.Fatal("Stop on the shared server did not fail the test")
	}
	// The shared server still answers.
	put(t, srv.Client(), tests3.NewBucket(t), "k", []byte("v"))
}

// fatalRecorder records a Fatalf instead of ending the test, and panics to
// unwind the call the way runtime.Goexit would.
type fatalRecorder struct {
	testing.TB
	failed bool
}

func (f *fatalRecorder) Fatalf(string, ...any) { f.failed = true; panic("fatal") }
