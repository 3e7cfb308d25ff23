package catalog

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/iceberg-go/catalog/rest"
	"github.com/apache/iceberg-go/table"
	"github.com/tributary-io/tributary/internal/objstore"
)

func TestConfig(t *testing.T) {
	f := newFixture(t, nil, Options{Defaults: map[string]string{"clients": "4"}, Overrides: map[string]string{"x": "y"}})
	status, body := f.do(t, "GET", "/v1/config", nil)
	if status != 200 {
		t.Fatal(status, body)
	}
	var eps []string
	for _, e := range body["endpoints"].([]any) {
		eps = append(eps, e.(string))
	}
	for _, want := range []string{
		"GET /v1/{prefix}/namespaces", "POST /v1/{prefix}/namespaces",
		"GET /v1/{prefix}/namespaces/{namespace}", "HEAD /v1/{prefix}/namespaces/{namespace}",
		"DELETE /v1/{prefix}/namespaces/{namespace}", "POST /v1/{prefix}/namespaces/{namespace}/properties",
		"GET /v1/{prefix}/namespaces/{namespace}/tables", "POST /v1/{prefix}/namespaces/{namespace}/tables",
		"GET /v1/{prefix}/namespaces/{namespace}/tables/{table}", "HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}",
		"POST /v1/{prefix}/namespaces/{namespace}/tables/{table}", "DELETE /v1/{prefix}/namespaces/{namespace}/tables/{table}",
		"POST /v1/{prefix}/namespaces/{namespace}/register", "POST /v1/{prefix}/namespaces/{namespace}/tables/{table}/metrics",
		"POST /v1/{prefix}/tables/rename", "POST /v1/{prefix}/transactions/commit",
		"GET /v1/{prefix}/namespaces/{namespace}/views", "POST /v1/{prefix}/namespaces/{namespace}/views",
		"GET /v1/{prefix}/namespaces/{namespace}/views/{view}", "HEAD /v1/{prefix}/namespaces/{namespace}/views/{view}",
		"POST /v1/{prefix}/namespaces/{namespace}/views/{view}", "DELETE /v1/{prefix}/namespaces/{namespace}/views/{view}",
		"POST /v1/{prefix}/views/rename", "GET /v1/{prefix}/namespaces/{namespace}/tables/{table}/credentials",
	} {
		if !slices.Contains(eps, want) {
			t.Errorf("endpoints lack %q: %v", want, eps)
		}
	}
	if len(eps) != 24 {
		t.Errorf("%d endpoints: %v", len(eps), eps)
	}
	if fmt.Sprint(body["defaults"], body["overrides"]) != "map[clients:4] map[x:y]" {
		t.Errorf("defaults, overrides = %v %v", body["defaults"], body["overrides"])
	}
	_, body = f.do(t, "GET", "/v1/config?warehouse=tributary", nil)
	if body["overrides"].(map[string]any)["prefix"] != "tributary" {
		t.Errorf("warehouse=tributary: %v", body)
	}
	_, body = f.do(t, "GET", "/v1/config?warehouse=s3://elsewhere", nil)
	if _, ok := body["overrides"].(map[string]any)["prefix"]; ok {
		t.Errorf("another warehouse got a prefix: %v", body)
	}
}

// A client asking for the warehouse by name uses /v1/tributary/...; both
// path forms serve the same catalog.
func TestPrefix(t *testing.T) {
	f := newFixture(t, nil, Options{})
	ctx := context.Background()
	cat := f.client(t, rest.WithWarehouseLocation("tributary"))
	createEvents(t, cat, table.Identifier{"p", "t"})
	if status, body := f.do(t, "GET", "/v1/tributary/namespaces/p/tables/t", nil); status != 200 {
		t.Errorf("prefixed load: %d %v", status, body)
	}
	if status, body := f.do(t, "GET", "/v1/namespaces/p/tables/t", nil); status != 200 {
		t.Errorf("unprefixed load: %d %v", status, body)
	}
	if _, err := cat.LoadTable(ctx, table.Identifier{"p", "t"}); err != nil {
		t.Error(err)
	}
}

func TestRoutesAndErrors(t *testing.T) {
	f := newFixture(t, nil, Options{MaxBodyBytes: 16 << 10})
	cat := f.client(t)
	tbl := createEvents(t, cat, table.Identifier{"ns", "t"})
	var err error
	for _, tc := range []struct {
		method, path string
		status       int
		typ          string
	}{
		{"GET", "/v1/nothing", 404, "NotFoundException"},
		{"GET", "/v2/config", 404, "NotFoundException"},
		{"PUT", "/v1/namespaces", 405, "MethodNotAllowedException"},
		{"GET", "/v1/namespaces/none", 404, "NoSuchNamespaceException"},
		{"GET", "/v1/namespaces/none/tables", 404, "NoSuchNamespaceException"},
		{"GET", "/v1/namespaces/ns/tables/none", 404, "NoSuchTableException"},
		{"DELETE", "/v1/namespaces/ns/tables/none", 404, "NoSuchTableException"},
		{"GET", "/v1/namespaces/ns/tables/t?snapshots=some", 400, "BadRequestException"},
		{"GET", "/v1/namespaces/ns%00/tables/t", 400, "BadRequestException"},
	} {
		status, body := f.do(t, tc.method, tc.path, nil)
		if status != tc.status || errType(body) != tc.typ {
			t.Errorf("%s %s: %d %v, want %d %s", tc.method, tc.path, status, body, tc.status, tc.typ)
		} else if body["error"].(map[string]any)["code"].(float64) != float64(tc.status) {
			t.Errorf("%s %s: code %v", tc.method, tc.path, body)
		}
	}
	if status, body := f.do(t, "HEAD", "/v1/namespaces/ns/tables/t", nil); status != 204 || body != nil {
		t.Errorf("HEAD table: %d %v", status, body)
	}
	if status, body := f.do(t, "HEAD", "/v1/namespaces/ns/tables/none", nil); status != 404 || body != nil {
		t.Errorf("HEAD missing table: %d %v", status, body)
	}
	if status, _ := f.do(t, "POST", "/v1/namespaces/ns/tables/t/metrics", map[string]any{"report-type": "scan-report"}); status != 400 { // metrics_test.go has the rest
		t.Errorf("metrics report without its fields: %d, want 400", status)
	}
	big := map[string]any{"namespace": []string{strings.Repeat("x", 20000)}}
	if status, _ := f.do(t, "POST", "/v1/namespaces", big); status != 413 {
		t.Errorf("body past MaxBodyBytes: %d", status)
	}

	// ETag and If-None-Match; snapshots=refs drops unreferenced snapshots.
	for i := range 2 {
		if tbl, err = appendRows(t, tbl, eventRows(i, 1)); err != nil {
			t.Fatal(err)
		}
	}
	rsp, err := http.Get(f.url + "/v1/namespaces/ns/tables/t")
	if err != nil {
		t.Fatal(err)
	}
	rsp.Body.Close()
	tag := rsp.Header.Get("ETag")
	if status, _ := f.do(t, "GET", "/v1/namespaces/ns/tables/t", nil, "If-None-Match", tag); tag == "" || status != 304 {
		t.Errorf("If-None-Match %q: %d", tag, status)
	}
	_, body := f.do(t, "GET", "/v1/namespaces/ns/tables/t?snapshots=all", nil)
	all := body["metadata"].(map[string]any)["snapshots"].([]any)
	_, body = f.do(t, "GET", "/v1/namespaces/ns/tables/t?snapshots=refs", nil)
	refs := body["metadata"].(map[string]any)["snapshots"].([]any)
	if len(all) != 2 || len(refs) != 1 {
		t.Errorf("snapshots all %d, refs %d", len(all), len(refs))
	}
}

// A server with invalid options refuses every request and Listen.
func TestInvalidOptions(t *testing.T) {
	objects, err := objstore.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, opts := range []Options{
		{Warehouse: "relative/dir"},
		{Warehouse: "file:///"},
		{Warehouse: "s3://"},
		{Name: "namespaces"},
		{Auth: AuthOptions{Clients: map[string]string{"a": ""}}},
		{Auth: AuthOptions{Tokens: []string{""}}},
	} {
		srv := New(newBolt(t), objects, opts, nil)
		if err := srv.Listen("127.0.0.1:0"); err == nil {
			t.Errorf("%+v: Listen succeeded", opts)
		}
		req, _ := http.NewRequest("GET", "/v1/config", nil)
		w := &recorder{header: http.Header{}}
		srv.Handler().ServeHTTP(w, req)
		if w.status != 500 {
			t.Errorf("%+v: %d %s", opts, w.status, w.body.String())
		}
	}
	if err := (Options{Warehouse: "s3://bucket/wh/"}).withDefaults(nil).Validate(); err != nil {
		t.Errorf("s3 warehouse: %v", err)
	}
	if err := (Options{}).withDefaults(nil).Validate(); err == nil {
		t.Error("no warehouse and no local store: valid")
	}
}

type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(s int)           { r.status = s }

func TestListenServeShutdown(t *testing.T) {
	objects, err := objstore.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv := New(newBolt(t), objects, Options{}, testLogger(t))
	if srv.Addr() != nil {
		t.Fatal("address before Listen")
	}
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	rsp, err := http.Get("http://" + srv.Addr().String() + "/v1/config")
	if err != nil {
		t.Fatal(err)
	}
	rsp.Body.Close()
	if rsp.StatusCode != 200 {
		t.Fatalf("config: %d", rsp.StatusCode)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve after Shutdown: %v", err)
	}
}
