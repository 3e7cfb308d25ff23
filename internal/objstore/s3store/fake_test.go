package s3store_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/tributary-io/tributary/internal/objstore"
	"github.com/tributary-io/tributary/internal/objstore/s3store"
)

// Tests here run against an httptest server that misbehaves in ways a real
// server will not on demand: error statuses, ignored ranges, cut bodies.

// fake records requests and answers each with its handler.
type fake struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []string // "METHOD path range"
}

func newFake(t *testing.T, h http.HandlerFunc) *fake {
	t.Helper()
	f := &fake{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.reqs = append(f.reqs, strings.TrimSpace(r.Method+" "+r.URL.Path+" "+r.Header.Get("Range")))
		f.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fake) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.reqs...)
}

func (f *fake) store(t *testing.T, prefix string, maxAttempts int) *s3store.Store {
	t.Helper()
	return newStore(t, s3store.Options{
		Bucket: "bkt", Prefix: prefix, Endpoint: f.URL, ForcePathStyle: true,
		AccessKeyID: "AK", SecretAccessKey: "SK", MaxAttempts: maxAttempts,
	})
}

func s3Error(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>fake</Message><RequestId>r1</RequestId></Error>`, code)
}

// TestErrorClasses: 5xx and throttling are retried MaxAttempts times and
// then ErrUnavailable; a 4xx refusal is tried once and is not.
func TestErrorClasses(t *testing.T) {
	for _, c := range []struct {
		status      int
		code        string
		attempts    int
		unavailable bool
	}{
		{503, "SlowDown", 2, true},
		{500, "InternalError", 2, true},
		{403, "AccessDenied", 1, false},
		{400, "InvalidArgument", 1, false},
	} {
		t.Run(c.code, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, r *http.Request) { s3Error(w, c.status, c.code) })
			err := f.store(t, "", 2).Put(t.Context(), "k", []byte("v"))
			if got := s3store.IsUnavailable(err); got != c.unavailable || err == nil {
				t.Errorf("put answered %d %s: %v; unavailable %t, want %t", c.status, c.code, err, got, c.unavailable)
			}
			if n := len(f.requests()); n != c.attempts {
				t.Errorf("put answered %d %s: %d requests, want %d", c.status, c.code, n, c.attempts)
			}
		})
	}
}

// TestRequestShape: keys go under the prefix (a slash added), path-style;
// a range is asked as bytes=first-last; invalid keys and ranges, and a
// canceled context, send nothing.
func TestRequestShape(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/no/such") {
			s3Error(w, http.StatusNotFound, "NoSuchKey")
			return
		}
		w.Header().Set("Content-Range", "bytes 2-4/10")
		w.Header().Set("Content-Length", "3")
		w.WriteHeader(http.StatusPartialContent)
		w.Write([]byte("cde"))
	})
	s := f.store(t, "tenant", 1)
	ctx := t.Context()
	got, err := s.GetRange(ctx, "intake/1", 2, 3)
	if err != nil || string(got) != "cde" {
		t.Fatalf("get range: %q, %v", got, err)
	}
	s.Put(ctx, "../x", nil)
	s.GetRange(ctx, "k", -1, 3)
	s.GetRange(ctx, "k", 5, -1)
	want := []string{"GET /bkt/tenant/intake/1 bytes=2-4"}
	if reqs := f.requests(); !equal(reqs, want) {
		t.Fatalf("requests %q, want %q", reqs, want)
	}
	_, err = s.Get(ctx, "no/such")
	if !errors.Is(err, objstore.ErrNotFound) || !strings.Contains(err.Error(), "get s3://bkt/tenant/no/such") {
		t.Errorf("get missing: %v, want ErrNotFound naming get s3://bkt/tenant/no/such", err)
	}
}

// TestRangeIgnored: a server that answers a ranged GET with the whole
// object gives ErrRangeInvalid, never the wrong bytes.
func TestRangeIgnored(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("0123456789")) })
	s := f.store(t, "", 1)
	for _, c := range []struct{ off, n int64 }{{2, 3}, {0, 10}, {0, 5}} {
		if _, err := s.GetRange(t.Context(), "k", c.off, c.n); !errors.Is(err, objstore.ErrRangeInvalid) {
			t.Errorf("get range [%d, +%d) answered with the whole object: %v, want ErrRangeInvalid", c.off, c.n, err)
		}
	}
}

// TestBodyCut: a response whose body ends before its Content-Length is
// ErrUnavailable (the connection broke), for Get and GetRange.
func TestBodyCut(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "10")
		if r.Header.Get("Range") != "" {
			w.Header().Set("Content-Range", "bytes 0-9/20")
			w.WriteHeader(http.StatusPartialContent)
		}
		w.Write([]byte("01234"))
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	})
	s := f.store(t, "", 1)
	if _, err := s.Get(t.Context(), "k"); !s3store.IsUnavailable(err) {
		t.Errorf("get with a cut body: %v, want ErrUnavailable", err)
	}
	if _, err := s.GetRange(t.Context(), "k", 0, 10); !s3store.IsUnavailable(err) {
		t.Errorf("get range with a cut body: %v, want ErrUnavailable", err)
	}
}

func TestOptionsValidate(t *testing.T) {
	good := s3store.Options{Bucket: "b"}
	if err := good.Validate(); err != nil {
		t.Fatalf("minimal options: %v", err)
	}
	for name, bad := range map[string]s3store.Options{
		"bucket":     {},
		"prefix":     {Bucket: "b", Prefix: "../x"},
		"endpoint":   {Bucket: "b", Endpoint: "127.0.0.1:7070"},
		"key only":   {Bucket: "b", AccessKeyID: "AK"},
		"secret":     {Bucket: "b", SecretAccessKey: "SK"},
		"timeout":    {Bucket: "b", Timeout: -1},
		"maxattempt": {Bucket: "b", MaxAttempts: -1},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%s: %+v validated", name, bad)
		}
		if _, err := s3store.New(t.Context(), bad); err == nil {
			t.Errorf("%s: New accepted %+v", name, bad)
		}
	}
}

// TestOptionsRedactSecret: however Options is printed or logged, the
// secret does not show.
func TestOptionsRedactSecret(t *testing.T) {
	const secret = "very-secret-key-123"
	o := s3store.Options{Bucket: "b", AccessKeyID: "AK", SecretAccessKey: secret}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("open", "s3", o)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("open", "s3", o)
	//lint:ignore S1025 the test checks what each verb prints, %s included
	for _, out := range []string{fmt.Sprint(o), fmt.Sprintf("%+v", o), fmt.Sprintf("%#v", o), fmt.Sprintf("%s", o), logged.String()} {
		if strings.Contains(out, secret) {
			t.Errorf("secret printed: %s", out)
		}
		if !strings.Contains(out, "AK") {
			t.Errorf("access key id missing (it is not secret): %s", out)
		}
	}
}

func equal(a, b []string) bool { return strings.Join(a, "\n") == strings.Join(b, "\n") }
