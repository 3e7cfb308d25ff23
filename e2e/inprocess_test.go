package e2e

import (
	"errors"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	icetable "github.com/apache/iceberg-go/table"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"

	"github.com/tributary-io/tributary/catalog"
	"github.com/tributary-io/tributary/internal/objstore"
	"github.com/tributary-io/tributary/node"
	"github.com/tributary-io/tributary/registry"
	"github.com/tributary-io/tributary/schema/protobuf"
	"github.com/tributary-io/tributary/schema/wire"
)

// Regression: a broker that served no registry or catalog listener (the
// default ports held by another broker on the host) sent enforcement to
// http://127.0.0.1:8081 and ingest to http://127.0.0.1:8181, guessed, and a
// node on port 0 reached its own services over loopback HTTP. Now both
// reach the built-in registry and catalog in process: here the node binds
// neither, and the test reaches the same shared stores through fronts of
// its own on port 0 (as another broker would serve them).
func TestServicesInProcessWithoutListeners(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, testConfig(t, dir), node.Hooks{NoHTTPListeners: true})
	if n.RegistryAddr() != "" || n.CatalogAddr() != "" {
		t.Fatalf("node serves registry %q, catalog %q; want neither", n.RegistryAddr(), n.CatalogAddr())
	}
	regFront := httptest.NewServer(registry.New(n.Meta, registry.Options{}, nil).Handler())
	t.Cleanup(regFront.Close)
	wh, err := objstore.NewLocal(filepath.Join(dir, "warehouse"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = wh.Close() })
	catFront := httptest.NewServer(catalog.New(n.Meta, wh, catalog.Options{}, nil).Handler())
	t.Cleanup(catFront.Close)
	regAddr, catAddr := regFront.Listener.Addr().String(), catFront.Listener.Addr().String()

	id, md := registerOrder(t, regAddr, "strict-value", icebergOrderProto)
	payload, err := proto.Marshal(richOrder(md, 1))
	if err != nil {
		t.Fatal(err)
	}
	good := append(wire.Append(nil, id, protobuf.IndexesOf(md)), payload...)

	// Enforcement: a topic validation mode uses the default registry,
	// which is the built-in one in process.
	createTopics(t, newAdmin(t, n.KafkaAddr()), map[string]map[string]*string{"strict": {"bufstream.validate.mode": ptr("reject")}})
	p := newClient(t, n.KafkaAddr(), kgo.ProducerLinger(0))
	ctx := ctxTimeout(t, time.Minute)
	if _, err := produceOne(ctx, p, &kgo.Record{Topic: "strict", Value: good}); err != nil {
		t.Fatalf("valid order refused: %v", err)
	}
	if _, err := produceOne(ctx, p, &kgo.Record{Topic: "strict", Value: append(wire.Append(nil, id, protobuf.IndexesOf(md)), 0xff, 0xff)}); !errors.Is(err, kerr.InvalidRecord) {
		t.Fatalf("malformed order: %v, want INVALID_RECORD (checked with the in-process registry)", err)
	}

	// Ingest: rows reach the table through the in-process catalog, decoded
	// with the in-process registry.
	registerOrder(t, regAddr, "orders-value", icebergOrderProto)
	icebergTopic(t, n.KafkaAddr(), "orders", "shop.orders", 1, 200*time.Millisecond)
	for i := range 3 {
		if _, err := produceOne(ctx, p, &kgo.Record{Topic: "orders", Value: good}); err != nil {
			t.Fatalf("produce order %d: %v", i, err)
		}
	}
	rows := waitRows(t, catAddr, icetable.Identifier{"shop", "orders"}, 3, 60*time.Second)
	for key, row := range rows {
		if val := row["val"].(map[string]any); val["id"] != "order-1" || val["__err__"] != nil {
			t.Errorf("row %s: id %v, __err__ %v", key, val["id"], val["__err__"])
		}
	}
}
