package s3io_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	icebergio "github.com/apache/iceberg-go/io"

	"github.com/tributary-io/tributary/iceberg/s3io"
	"github.com/tributary-io/tributary/internal/objstore/s3store"
	"github.com/tributary-io/tributary/internal/tests3"
)

func TestMain(m *testing.M) { tests3.Main(m) }

// recorder is a reverse proxy in front of versitygw that notes each
// request's method, path and User-Agent.
type recorder struct {
	mu   sync.Mutex
	seen []string
}

func (r *recorder) front(t *testing.T, endpoint string) string {
	t.Helper()
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.seen = append(r.seen, req.Method+" "+req.URL.Path+" "+req.UserAgent())
		r.mu.Unlock()
		proxy.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// take returns and forgets the requests seen.
func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.seen
	r.seen = nil
	return out
}

// Regression: Iceberg data files went through iceberg-go's own gocloud S3
// client (its own config loading, addressing and credential rules), the
// log through s3store's. Now both are built by s3store.NewClient: every
// request of either path carries its app id, and with the properties the
// built-in catalog hands out for data.s3 (s3.endpoint, s3.region,
// client.region, s3.path-style-access, keys) a Parquet file written
// through iceberg-go is the object the log's store reads at that key.
func TestLogAndTableFilesShareOneS3Client(t *testing.T) {
	srv := tests3.Start(t)
	bucket := srv.NewBucket(t)
	var rec recorder
	endpoint := rec.front(t, srv.Endpoint)
	ctx := t.Context()

	log, err := s3store.New(ctx, s3store.Options{Bucket: bucket, Prefix: "warehouse", Region: srv.Region, Endpoint: endpoint,
		ForcePathStyle: true, AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = log.Close() })
	if err := log.Put(ctx, "from-log", []byte("log bytes")); err != nil {
		t.Fatal(err)
	}
	checkAgent(t, "log", rec.take())

	props := map[string]string{"s3.region": srv.Region, "client.region": srv.Region, "s3.endpoint": endpoint,
		"s3.path-style-access": "true", "s3.access-key-id": srv.AccessKey, "s3.secret-access-key": srv.SecretKey}
	loc := "s3://" + bucket + "/warehouse/shop/orders/data/f.parquet"
	fsys, err := icebergio.LoadFS(ctx, props, loc)
	if err != nil {
		t.Fatal(err)
	}
	wfs, ok := fsys.(icebergio.WriteFileIO)
	if !ok {
		t.Fatalf("%T cannot write", fsys)
	}
	if err := wfs.WriteFile(loc, []byte("table bytes")); err != nil {
		t.Fatal(err)
	}
	f, err := fsys.Open("s3://" + bucket + "/warehouse/from-log")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(f)
	_ = f.Close()
	if err != nil || string(got) != "log bytes" {
		t.Fatalf("the log's object through the table's io: %q %v", got, err)
	}
	checkAgent(t, "iceberg", rec.take())
	if got, err := log.Get(ctx, "shop/orders/data/f.parquet"); err != nil || string(got) != "table bytes" {
		t.Fatalf("the table's file through the log's store: %q %v", got, err)
	}
}

// checkAgent fails unless requests were seen and each carries s3store's
// app id in its User-Agent.
func checkAgent(t *testing.T, path string, seen []string) {
	t.Helper()
	if len(seen) == 0 {
		t.Fatalf("%s: no request reached the server", path)
	}
	for _, s := range seen {
		if !strings.Contains(s, "app/"+s3store.AppID) {
			t.Errorf("%s: request %q was not sent by s3store.NewClient's client", path, s)
		}
	}
}

// ClientOptions follows iceberg-go's addressing rule, with Iceberg Java's
// s3.path-style-access on top.
func TestClientOptions(t *testing.T) {
	for _, c := range []struct {
		props map[string]string
		path  bool
	}{
		{map[string]string{}, false},
		{map[string]string{"s3.endpoint": "http://x"}, true},
		{map[string]string{"s3.endpoint": "http://x", "s3.force-virtual-addressing": "true"}, false},
		{map[string]string{"s3.endpoint": "http://x", "s3.path-style-access": "false"}, false},
		{map[string]string{"s3.path-style-access": "true"}, true},
	} {
		o, err := s3io.ClientOptions(c.props)
		if err != nil || o.ForcePathStyle != c.path {
			t.Errorf("%v: path style %v (%v), want %v", c.props, o.ForcePathStyle, err, c.path)
		}
	}
	o, _ := s3io.ClientOptions(map[string]string{"client.region": "eu-west-3"})
	if o.Region != "eu-west-3" {
		t.Errorf("client.region: %q", o.Region)
	}
	if _, err := s3io.ClientOptions(map[string]string{"s3.path-style-access": "maybe"}); err == nil {
		t.Error("a bad boolean was accepted")
	}
}
