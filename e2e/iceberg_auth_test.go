package e2e

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	icerest "github.com/apache/iceberg-go/catalog/rest"
	icetable "github.com/apache/iceberg-go/table"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/node"
)

// TestIcebergCatalogAuth: the built-in catalog with authentication on
// (catalog.clients) refuses requests without a token; the node's own
// ingest commits through it to a topic on the built-in catalog ("local")
// and, naming our catalog again as an external one with OAuth2 client
// credentials (the issue's "external catalog, tested by using our own
// server as an external one, with auth on"), to another topic; both tables
// hold every record, read back with iceberg-go's client credentials.
func TestIcebergCatalogAuth(t *testing.T) {
	catAddr := freeAddr(t)
	secret := config.InlineSource("s3cret")
	cfg := testConfig(t, t.TempDir())
	cfg.Catalog.ListenAddress = catAddr
	cfg.Catalog.Clients = []config.CatalogClient{{ClientID: "ingest", ClientSecret: secret}}
	cfg.Iceberg = []config.IcebergCatalog{{Name: "self", REST: &config.RESTCatalog{
		URL: "http://" + catAddr, OAuth2: &config.OAuth2{ClientID: config.InlineSource("ingest"), ClientSecret: secret},
	}}}
	nd := startNode(t, cfg, node.Hooks{})

	resp, err := http.Get("http://" + catAddr + "/v1/namespaces")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET /v1/namespaces without a token: %d, want 401", resp.StatusCode)
	}

	icebergTopic(t, nd.KafkaAddr(), "authlocal", "authns.local_t", 2, 300*time.Millisecond)
	// The second topic names the external entry from its creation, so
	// its pipeline only ever talks to the catalog through "self".
	kind, tbl, freq, self := "ICEBERG", "authns.ext_t", "300", "self"
	cr, err := newAdmin(t, nd.KafkaAddr()).CreateTopic(ctxTimeout(t, 10*time.Second), 2, 1, map[string]*string{
		"bufstream.archive.kind": &kind, "bufstream.archive.iceberg.table": &tbl,
		"bufstream.export.iceberg.commit.freq.ms": &freq, "bufstream.archive.iceberg.catalog": &self,
	}, "authext")
	if err == nil {
		err = cr.Err
	}
	if err != nil {
		t.Fatalf("create topic: %v", err)
	}

	const n = 40
	cl, err := kgo.NewClient(kgo.SeedBrokers(nd.KafkaAddr()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for _, topic := range []string{"authlocal", "authext"} {
		for i := range n {
			r := &kgo.Record{Topic: topic, Value: []byte(fmt.Sprintf("%s-%d", topic, i))}
			if err := cl.ProduceSync(ctxTimeout(t, 10*time.Second), r).FirstErr(); err != nil {
				t.Fatalf("produce: %v", err)
			}
		}
	}
	for _, table := range []string{"local_t", "ext_t"} {
		ident := icetable.Identifier{"authns", table}
		deadline := time.Now().Add(60 * time.Second)
		for {
			if rows := countRowsAuthed(t, catAddr, ident); rows == n {
				break
			} else if time.Now().After(deadline) {
				t.Fatalf("table %v has %d rows after 60s, want %d", ident, rows, n)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}

// countRowsAuthed scans a table through the catalog with client
// credentials; -1 when it cannot be loaded yet.
func countRowsAuthed(t *testing.T, catAddr string, ident icetable.Identifier) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cat, err := icerest.NewCatalog(ctx, "auth", "http://"+catAddr, icerest.WithCredential("ingest:s3cret"))
	if err != nil {
		t.Fatalf("catalog with credentials: %v", err)
	}
	tbl, err := cat.LoadTable(ctx, ident)
	if err != nil {
		return -1
	}
	tb, err := tbl.Scan().ToArrowTable(ctx)
	if err != nil {
		t.Fatalf("scan %v: %v", ident, err)
	}
	defer tb.Release()
	return int(tb.NumRows())
}
