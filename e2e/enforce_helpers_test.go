package e2e

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"
	"google.golang.org/protobuf/proto"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/examples/gen/demov1"
	demoproto "github.com/tributary-io/tributary/examples/proto"
	"github.com/tributary-io/tributary/node"
)

// issueEnforcementBlock is the data_enforcement block of the schema
// enforcement issue, verbatim: it must work against the built-in registry
// on its default address.
const issueEnforcementBlock = `
data_enforcement:
  schema_registries:
    - name: csr
      confluent:
        url: http://127.0.0.1:8081
  produce:
    - topics: { equal: strict }
      schema_registry: csr
      values:
        on_parse_error: REJECT_BATCH
        on_no_schema: REJECT_BATCH
  fetch:
    - topics: { all: true }
      schema_registry: csr
      values:
        on_parse_error: FILTER_RECORD
`

// enforcedNode starts a node from a config file made of yaml (a
// data_enforcement block, say) with the test's data dir and ports; the
// built-in registry listens on registryAddr.
func enforcedNode(t *testing.T, yaml, registryAddr string) *node.Node {
	t.Helper()
	cfg, err := config.Parse([]byte("version: v1beta1\n" + yaml))
	if err != nil {
		t.Fatalf("parse config: %v", err)
	}
	base := testConfig(t, t.TempDir())
	cfg.DataDir, cfg.Kafka.Listeners = base.DataDir, base.Kafka.Listeners
	cfg.Admin, cfg.Catalog = base.Admin, base.Catalog
	cfg.Registry.ListenAddress = registryAddr
	return startNode(t, cfg, node.Hooks{})
}

// waitPortFree waits until addr can be bound (a broker of an earlier test
// may still be letting go of it).
func waitPortFree(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			ln.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s stays taken: %v (the issue's config names the registry there)", addr, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// closedAddr is a 127.0.0.1 address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// shopRegistry registers the examples' shop schema under each subject
// and returns its id (one schema, one id) and a serde for it.
func shopRegistry(t *testing.T, url string, subjects ...string) (int, *sr.Serde) {
	t.Helper()
	cl, err := sr.NewClient(sr.URLs(url))
	if err != nil {
		t.Fatal(err)
	}
	id := 0
	for _, s := range subjects {
		ss, err := cl.CreateSchema(context.Background(), s, sr.Schema{Schema: demoproto.Shop, Type: sr.TypeProtobuf})
		if err != nil {
			t.Fatalf("register %s: %v", s, err)
		}
		if id != 0 && ss.ID != id {
			t.Fatalf("%s got id %d, the others %d", s, ss.ID, id)
		}
		id = ss.ID
	}
	var serde sr.Serde
	enc := sr.EncodeFn(func(v any) ([]byte, error) { return proto.Marshal(v.(proto.Message)) })
	serde.Register(id, &demov1.Cart{}, enc, sr.Index(demoproto.CartIndex...))
	serde.Register(id, &demov1.CustomerKey{}, enc, sr.Index(demoproto.CustomerKeyIndex...))
	return id, &serde
}

// cart is a cart of customer with one line item; quantity 0 makes it
// break the schema's uint64.gt rule.
func cart(customer string, quantity uint64) *demov1.Cart {
	return &demov1.Cart{
		CartId: "6a1f0c1e-0b7e-4f43-9a55-0d9d3c3d7a10", CustomerId: customer,
		LineItems: []*demov1.LineItem{{
			LineItemId: "5b2e1d2f-1c8f-4a54-8b66-1e0e4d4e8b2c",
			Product:    &demov1.Product{Sku: "MUG-1", Name: "mug", UnitPriceCents: 1250},
			Quantity:   quantity,
		}},
	}
}

func mustEncode(t *testing.T, s *sr.Serde, m proto.Message) []byte {
	t.Helper()
	b, err := s.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// garbage is framed with the right schema id and message index, but is
// no Cart: a field claims more bytes than follow.
func garbage(id int) []byte {
	b, _ := (&sr.ConfluentHeader{}).AppendEncode(nil, id, demoproto.CartIndex)
	return append(b, 0x1a, 0x7f, 'x')
}

// createTopics creates 1-partition topics with the given configs.
func createTopics(t *testing.T, adm *kadm.Client, configs map[string]map[string]*string) {
	t.Helper()
	for name, cfg := range configs {
		res, err := adm.CreateTopic(context.Background(), 1, -1, cfg, name)
		if err == nil {
			err = res.Err
		}
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
	}
}

// produceOne produces r alone and returns its error (nil: acknowledged).
func produceOne(ctx context.Context, cl *kgo.Client, r *kgo.Record) (*kgo.Record, error) {
	return cl.ProduceSync(ctx, r).First()
}

// readEnforced consumes topic's partition 0 from the start until its high
// watermark, and returns the records seen. Filtered records leave gaps;
// a tail of filtered records ends the wait once a short poll finds nothing.
func readEnforced(t *testing.T, addr, topic string) []*kgo.Record {
	t.Helper()
	ctx := ctxTimeout(t, 30*time.Second)
	hw, err := newAdmin(t, addr).ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	end, _ := hw.Lookup(topic, 0)
	cl := newClient(t, addr, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}))
	var out []*kgo.Record
	for next := int64(0); next < end.Offset; {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		fs := cl.PollFetches(pctx)
		cancel()
		if err := fs.Err0(); errors.Is(err, context.DeadlineExceeded) {
			break
		} else if err != nil {
			t.Fatalf("consume %s: %v", topic, err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			out = append(out, r)
			next = r.Offset + 1
		})
	}
	return out
}

func recHeader(r *kgo.Record, key string) (string, bool) {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value), true
		}
	}
	return "", false
}

func cartKey(customer string) *demov1.CustomerKey { return &demov1.CustomerKey{CustomerId: customer} }
