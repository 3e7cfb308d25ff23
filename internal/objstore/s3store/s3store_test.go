package s3store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-io/tributary/internal/objstore"
	"github.com/tributary-io/tributary/internal/objstore/objstoretest"
	"github.com/tributary-io/tributary/internal/objstore/s3store"
	"github.com/tributary-io/tributary/internal/tests3"
)

func TestMain(m *testing.M) { tests3.Main(m) }

// options returns Options for bucket on srv with the server's keys.
func options(srv tests3.Server, bucket, prefix string) s3store.Options {
	return s3store.Options{
		Bucket:          bucket,
		Prefix:          prefix,
		Region:          srv.Region,
		Endpoint:        srv.Endpoint,
		ForcePathStyle:  true,
		AccessKeyID:     srv.AccessKey,
		SecretAccessKey: srv.SecretKey,
	}
}

func newStore(t *testing.T, opts s3store.Options) *s3store.Store {
	t.Helper()
	s, err := s3store.New(t.Context(), opts)
	if err != nil {
		t.Fatalf("new s3 store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestConformance runs the suite on a fresh bucket per subtest.
func TestConformance(t *testing.T) {
	srv := tests3.Start(t)
	objstoretest.Run(t, func(t *testing.T) objstore.Store {
		return newStore(t, options(srv, srv.NewBucket(t), ""))
	})
}

// TestConformancePrefixed runs the suite with every subtest under its own
// prefix of one shared bucket, so each subtest also checks that the
// others' objects stay out of its sight.
func TestConformancePrefixed(t *testing.T) {
	srv := tests3.Start(t)
	bucket := srv.NewBucket(t)
	var n atomic.Int64
	objstoretest.Run(t, func(t *testing.T) objstore.Store {
		return newStore(t, options(srv, bucket, fmt.Sprintf("cluster/%d", n.Add(1))))
	})
}

// TestPrefixIsolation: stores on one bucket with prefixes "a" and "ab" see
// only their own keys ("a" is not a prefix of "ab/…": a slash is added),
// while a store on the whole bucket sees both under their prefixes.
func TestPrefixIsolation(t *testing.T) {
	srv := tests3.Start(t)
	bucket := srv.NewBucket(t)
	a := newStore(t, options(srv, bucket, "a"))
	ab := newStore(t, options(srv, bucket, "ab/"))
	whole := newStore(t, options(srv, bucket, ""))
	ctx := t.Context()
	for _, put := range []struct {
		s   *s3store.Store
		key string
	}{{a, "intake/1"}, {a, "shared"}, {ab, "intake/2"}, {ab, "shared"}} {
		if err := put.s.Put(ctx, put.key, []byte(put.key)); err != nil {
			t.Fatal(err)
		}
	}
	wantKeys(t, a, "", "intake/1", "shared")
	wantKeys(t, ab, "", "intake/2", "shared")
	wantKeys(t, whole, "", "a/intake/1", "a/shared", "ab/intake/2", "ab/shared")
	if _, err := a.Get(ctx, "intake/2"); !errors.Is(err, objstore.ErrNotFound) {
		t.Fatalf("a get of ab's key: %v, want ErrNotFound", err)
	}
	if err := a.Delete(ctx, "shared"); err != nil {
		t.Fatal(err)
	}
	if got, err := ab.Get(ctx, "shared"); err != nil || string(got) != "shared" {
		t.Fatalf("ab's shared after a deleted its own: %q, %v", got, err)
	}
}

func wantKeys(t *testing.T, s *s3store.Store, prefix string, want ...string) {
	t.Helper()
	infos, err := s.List(t.Context(), prefix)
	if err != nil {
		t.Fatalf("list %q: %v", prefix, err)
	}
	var got []string
	for _, info := range infos {
		got = append(got, info.Key)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("list %q: %v, want %v", prefix, got, want)
	}
}

// TestServerStopped: with the server down every call fails within the
// timeout with ErrUnavailable, not a hang; the same store works again once
// the server is back, and finds what was written before.
func TestServerStopped(t *testing.T) {
	srv := tests3.NewServer(t)
	opts := options(srv, srv.NewBucket(t), "p")
	opts.Timeout = 2 * time.Second
	s := newStore(t, opts)
	ctx := t.Context()
	if err := s.Put(ctx, "before", []byte("kept")); err != nil {
		t.Fatal(err)
	}

	srv.Stop(t)
	for name, call := range map[string]func() error{
		"put":  func() error { return s.Put(ctx, "during", []byte("x")) },
		"get":  func() error { _, err := s.Get(ctx, "before"); return err },
		"list": func() error { _, err := s.List(ctx, ""); return err },
	} {
		start := time.Now()
		err := call()
		took := time.Since(start)
		if !s3store.IsUnavailable(err) {
			t.Errorf("%s with the server stopped: %v, want ErrUnavailable", name, err)
		}
		if took > opts.Timeout+time.Second {
			t.Errorf("%s with the server stopped took %v, timeout %v", name, took, opts.Timeout)
		}
		t.Logf("%s with the server stopped: %v after %v", name, err, took.Round(time.Millisecond))
	}

	srv.Start(t)
	if err := s.Put(ctx, "after", []byte("new")); err != nil {
		t.Fatalf("put after restart: %v", err)
	}
	mustGet(t, s, "before", "kept")
	mustGet(t, s, "after", "new")
}

// TestServerHung: a server that accepts connections and never answers
// costs an operation its Timeout and no more, as ErrUnavailable wrapping
// the deadline; the caller's own cancellation is reported as such, not as
// an outage.
func TestServerHung(t *testing.T) {
	srv := tests3.NewServer(t)
	opts := options(srv, srv.NewBucket(t), "")
	opts.Timeout = time.Second
	s := newStore(t, opts)
	ctx := t.Context()
	if err := s.Put(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}

	srv.Pause(t)
	start := time.Now()
	// Another key: this request sits in the server's socket buffer and may
	// still be carried out after Resume, later than the Put below.
	err := s.Put(ctx, "timed-out", []byte("hung"))
	if took := time.Since(start); took > opts.Timeout+time.Second {
		t.Errorf("put to a hung server took %v, timeout %v", took, opts.Timeout)
	}
	if !s3store.IsUnavailable(err) {
		t.Errorf("put to a hung server: %v, want ErrUnavailable", err)
	}

	cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_, err = s.Get(cctx, "k")
	if s3store.IsUnavailable(err) || cctx.Err() == nil {
		t.Errorf("get canceled by its caller: %v, want the caller's cancellation only", err)
	}

	srv.Resume(t)
	if err := s.Put(ctx, "k", []byte("after")); err != nil {
		t.Fatalf("put after resume: %v", err)
	}
	mustGet(t, s, "k", "after")
}

func mustGet(t *testing.T, s objstore.Store, key, want string) {
	t.Helper()
	got, err := s.Get(t.Context(), key)
	if err != nil || !bytes.Equal(got, []byte(want)) {
		t.Fatalf("get %s: %q, %v; want %q", key, got, err, want)
	}
}

// TestRejectedRequests: answers that will not change by retrying (bad
// secret, no such bucket) are neither ErrUnavailable nor ErrNotFound, and
// the secret appears nowhere in the error.
func TestRejectedRequests(t *testing.T) {
	srv := tests3.Start(t)
	bucket := srv.NewBucket(t)
	ctx := t.Context()

	badSecret := options(srv, bucket, "")
	badSecret.SecretAccessKey = "not-the-secret-" + srv.SecretKey
	s := newStore(t, badSecret)
	err := s.Put(ctx, "k", []byte("v"))
	if err == nil || s3store.IsUnavailable(err) || errors.Is(err, objstore.ErrNotFound) {
		t.Errorf("put with a bad secret: %v, want a plain error", err)
	}
	if err != nil && strings.Contains(err.Error(), badSecret.SecretAccessKey) {
		t.Errorf("put with a bad secret: the error shows the secret: %v", err)
	}
	if err := s.Check(ctx); err == nil {
		t.Error("check with a bad secret: nil error")
	}

	s = newStore(t, options(srv, bucket+"-missing", ""))
	for op, err := range map[string]error{
		"get":   second(s.Get(ctx, "k")),
		"list":  second(s.List(ctx, "")),
		"check": s.Check(ctx),
	} {
		if err == nil || s3store.IsUnavailable(err) || errors.Is(err, objstore.ErrNotFound) {
			t.Errorf("%s on a missing bucket: %v, want a plain error", op, err)
		}
	}
	if err := newStore(t, options(srv, bucket, "")).Check(ctx); err != nil {
		t.Errorf("check of a good bucket: %v", err)
	}
}

func second[T any](_ T, err error) error { return err }

// TestDefaultCredentialChain: with no keys in Options the SDK's chain
// supplies them, here from the environment. Shared files are pointed away
// and the EC2 metadata service is disabled, so nothing but the test server
// is asked.
func TestDefaultCredentialChain(t *testing.T) {
	srv := tests3.Start(t)
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", dir+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", dir+"/none")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
	t.Setenv("AWS_REGION", srv.Region)
	opts := options(srv, srv.NewBucket(t), "")
	opts.AccessKeyID, opts.SecretAccessKey, opts.Region = "", "", ""
	s := newStore(t, opts)
	if err := s.Put(t.Context(), "k", []byte("v")); err != nil {
		t.Fatalf("put with credentials from the environment: %v", err)
	}
	mustGet(t, s, "k", "v")
}
