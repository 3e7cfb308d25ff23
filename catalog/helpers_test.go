package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/iceberg-go/catalog/rest"
	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/metastore/boltstore"
	"github.com/tributary-io/tributary/internal/objstore"
)

// newBolt opens an embedded metadata store in a temporary directory.
func newBolt(t testing.TB) metastore.Store {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "meta.db"), boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// fixture is a catalog server on 127.0.0.1 over a store and a local
// warehouse directory.
type fixture struct {
	srv     *Server
	url     string
	dir     string // the warehouse directory
	kv      metastore.KV
	objects objstore.Store
}

// newFixture serves a catalog on kv (a fresh embedded store when nil) with
// a warehouse in a temporary directory.
func newFixture(t testing.TB, kv metastore.KV, opts Options) *fixture {
	t.Helper()
	if kv == nil {
		kv = newBolt(t)
	}
	objects, err := objstore.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f := newFixtureOn(t, kv, objects, opts)
	f.dir = objects.Root()
	return f
}

// newFixtureOn serves a catalog on kv with its warehouse in objects.
func newFixtureOn(t testing.TB, kv metastore.KV, objects objstore.Store, opts Options) *fixture {
	t.Helper()
	srv := New(kv, objects, opts, testLogger(t))
	if err := srv.opts.Validate(); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &fixture{srv: srv, url: ts.URL, kv: kv, objects: objects}
}

// client is iceberg-go's REST catalog client on the fixture.
func (f *fixture) client(t testing.TB, opts ...rest.Option) *rest.Catalog {
	t.Helper()
	cat, err := rest.NewCatalog(context.Background(), "tributary", f.url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cat.Close() })
	return cat
}

// do sends a raw request and returns the status and the decoded JSON body
// (nil when empty).
func (f *fixture) do(t testing.TB, method, path string, body any, hdr ...string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, f.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rsp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer rsp.Body.Close()
	b, err := io.ReadAll(rsp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) == 0 {
		return rsp.StatusCode, nil
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s %s: %d, body not JSON: %s", method, path, rsp.StatusCode, b)
	}
	return rsp.StatusCode, out
}

// form posts a form to /v1/oauth/tokens, with Basic auth when given a
// user and password, and returns the status and decoded body.
func (f *fixture) form(t testing.TB, form url.Values, basic ...string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest("POST", f.url+"/v1/oauth/tokens", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if len(basic) == 2 {
		req.SetBasicAuth(basic[0], basic[1])
	}
	rsp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer rsp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(rsp.Body).Decode(&out); err != nil {
		t.Fatalf("token answer %d not JSON: %v", rsp.StatusCode, err)
	}
	return rsp.StatusCode, out
}

// errType returns the spec error type of an error body.
func errType(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	s, _ := e["type"].(string)
	return s
}

// testLogger logs warnings and errors to the test log.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
