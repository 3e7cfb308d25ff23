package node

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	iceberggo "github.com/apache/iceberg-go"
	icerest "github.com/apache/iceberg-go/catalog/rest"
	icetable "github.com/apache/iceberg-go/table"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/iceberg/s3io"
	"github.com/tributary-io/tributary/internal/inproc"
	"github.com/tributary-io/tributary/internal/tests3"
)

func TestMain(m *testing.M) { tests3.Main(m) }

// A node on data.s3 (versitygw) hands out table configs whose s3.* keys
// map, through iceberg/s3io (what ingest writes data files with), to the
// very client options the log's store is opened with: endpoint, region,
// path style and keys are one reading of the config, not two that may
// drift. (versitygw on 127.0.0.1 answers path style only, so the
// virtual-host case, where the table config now says
// s3.path-style-access=false explicitly, is covered by s3io's
// TestClientOptions.)
func TestTableFilesUseTheLogsS3Options(t *testing.T) {
	srv := tests3.Start(t)
	bucket := srv.NewBucket(t)
	c := &config.S3{URI: "s3://" + bucket + "/tributary/", Bucket: bucket, Prefix: "tributary/", Region: srv.Region, Endpoint: srv.Endpoint,
		ForcePathStyle: true, AccessKeyID: config.InlineSource(srv.AccessKey), SecretAccessKey: config.InlineSource(srv.SecretKey)}
	got, err := s3io.ClientOptions(tableConfigOf(t, c))
	if err != nil {
		t.Fatal(err)
	}
	log, err := s3Options(c, warehouseSub)
	if err != nil {
		t.Fatal(err)
	}
	want := log.Client()
	want.MaxAttempts = 0 // the log store's retry budget, not a table property
	if got != want {
		t.Errorf("table files %+v\nlog         %+v", got, want)
	}
}

// tableConfigOf starts a node on c and returns the config its built-in
// catalog answers a table load with, read in process.
func tableConfigOf(t *testing.T, c *config.S3) map[string]string {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Kafka.Listeners[0].ListenAddress, cfg.Kafka.Listeners[0].AdvertiseAddress = "127.0.0.1:0", ""
	cfg.Admin.ListenAddress, cfg.Registry.ListenAddress, cfg.Catalog.ListenAddress = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	cfg.Data.S3 = c
	n, err := Start(cfg, slog.New(slog.DiscardHandler), Hooks{NoHTTPListeners: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Close(context.Background()) })
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cat, err := icerest.NewCatalog(ctx, "local", inproc.BaseURL, icerest.WithCustomTransport(inproc.Transport(n.catSrv.Handler())))
	if err != nil {
		t.Fatal(err)
	}
	if err := cat.CreateNamespace(ctx, icetable.Identifier{"ns"}, nil); err != nil {
		t.Fatal(err)
	}
	schema := iceberggo.NewSchema(0, iceberggo.NestedField{ID: 1, Name: "a", Type: iceberggo.PrimitiveTypes.Int64})
	if _, err := cat.CreateTable(ctx, icetable.Identifier{"ns", "t"}, schema); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, inproc.BaseURL+"/v1/namespaces/ns/tables/t", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: inproc.Transport(n.catSrv.Handler())}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	var out struct {
		Config map[string]string `json:"config"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &out) != nil {
		t.Fatalf("load table: %d %s", resp.StatusCode, b)
	}
	return out.Config
}
