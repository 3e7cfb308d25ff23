package enforce

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sr"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/internal/metastore/boltstore"
	"github.com/tributary-io/tributary/log/recordbatch"
	"github.com/tributary-io/tributary/registry"
	"github.com/tributary-io/tributary/schema/protobuf"
	"github.com/tributary-io/tributary/schema/wire"
)

// env is the built-in registry (registry.New over a real boltstore,
// served by httptest on 127.0.0.1) holding the test schemas: product.proto
// as subject shop-product, cart.proto (which imports it) as orders-value
// and orders-key, and again as other-value for a topic the tests do not
// produce to.
type env struct {
	t        testing.TB
	url      string
	srv      *httptest.Server
	cl       *sr.Client
	requests atomic.Int64 // HTTP requests the registry served

	cartID    int // cart.proto: orders-value, orders-key
	productID int // product.proto: shop-product only
	cart      protoreflect.FileDescriptor
}

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvWith(t, registry.Options{}, nil)
}

// newEnvWith serves the registry with opts, its handler wrapped by wrap
// (nil: as is).
func newEnvWith(t testing.TB, opts registry.Options, wrap func(http.Handler) http.Handler) *env {
	t.Helper()
	store, err := boltstore.Open(filepath.Join(t.TempDir(), "meta.db"), boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	e := &env{t: t}
	var h http.Handler = registry.New(store, opts, nil).Handler()
	if wrap != nil {
		h = wrap(h)
	}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.requests.Add(1)
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(e.srv.Close)
	e.url = e.srv.URL
	clOpts := []sr.ClientOpt{sr.URLs(e.url)}
	for u, p := range opts.BasicAuth {
		clOpts = append(clOpts, sr.BasicAuth(u, p))
	}
	if e.cl, err = sr.NewClient(clOpts...); err != nil {
		t.Fatal(err)
	}
	return e
}

// register registers the test schemas; with a wrapped handler the caller
// does it once its client can get through.
func (e *env) register() *env {
	e.t.Helper()
	ctx := context.Background()
	product, cart := readFile(e.t, "product.proto"), readFile(e.t, "cart.proto")
	ps, err := e.cl.CreateSchema(ctx, "shop-product", sr.Schema{Schema: product, Type: sr.TypeProtobuf})
	if err != nil {
		e.t.Fatalf("register product: %v", err)
	}
	e.productID = ps.ID
	refs := []sr.SchemaReference{{Name: "shop/product.proto", Subject: "shop-product", Version: ps.Version}}
	for _, subject := range []string{"orders-value", "orders-key", "other-value"} {
		cs, err := e.cl.CreateSchema(ctx, subject, sr.Schema{Schema: cart, Type: sr.TypeProtobuf, References: refs})
		if err != nil {
			e.t.Fatalf("register %s: %v", subject, err)
		}
		e.cartID = cs.ID
	}
	e.cart, err = protobuf.Compile(ctx, "", cart, protobuf.MapImports(map[string]string{"shop/product.proto": product}))
	if err != nil {
		e.t.Fatal(err)
	}
	return e
}

func readFile(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// msg encodes a message of cart.proto given as protojson.
func (e *env) msg(name, js string) []byte {
	e.t.Helper()
	md, err := protobuf.MessageByName(e.cart, name)
	if err != nil {
		e.t.Fatal(err)
	}
	m := dynamicpb.NewMessage(md)
	if err := protojson.Unmarshal([]byte(js), m); err != nil {
		e.t.Fatalf("%s %s: %v", name, js, err)
	}
	b, err := proto.Marshal(m)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

// Payloads of cart.proto messages.
const (
	goodCart     = `{"cartId":"3f1e0a4c-5b6d-4e7f-8a9b-0c1d2e3f4a5b","lineItems":[{"lineItemId":"li-1","product":{"sku":"mug"},"quantity":"2"}]}`
	zeroQuantity = `{"cartId":"3f1e0a4c-5b6d-4e7f-8a9b-0c1d2e3f4a5b","lineItems":[{"lineItemId":"li-1","product":{"sku":"mug"},"quantity":"0"}]}`
	goodKey      = `{"customerId":"c-42"}`
)

// framed is payload in the Confluent wire format: id, then message indexes.
func framed(id int, indexes []int, payload []byte) []byte {
	return append(wire.Append(nil, id, indexes), payload...)
}

func (e *env) cartValue(js string) []byte { return framed(e.cartID, nil, e.msg("Cart", js)) }

// rec is one record of a test batch.
type rec struct {
	key, value []byte
	headers    []kmsg.Header
}

// produced encodes recs as one batch as a producer sends it, with codec
// and producer fields (pid < 0: none), and returns it with the batches
// recordbatch.Validate reports for it.
func produced(t testing.TB, codec kgo.CompressionCodec, pid int64, seq int32, recs ...rec) ([]byte, []recordbatch.Batch) {
	t.Helper()
	var body []byte
	for i, r := range recs {
		kr := kmsg.Record{TimestampDelta64: int64(i), OffsetDelta: int32(i), Key: r.key, Value: r.value, Headers: r.headers}
		kr.Length = int32(len(kr.AppendTo(nil)) - 1)
		body = kr.AppendTo(body)
	}
	attrs := int16(0)
	if c, err := kgo.DefaultCompressor(codec); err != nil {
		t.Fatal(err)
	} else if c != nil {
		out, used := c.Compress(new(bytes.Buffer), body)
		body, attrs = bytes.Clone(out), int16(used)
	}
	epoch := int16(-1)
	if pid >= 0 {
		epoch = 0
	} else {
		seq = -1
	}
	rb := kmsg.RecordBatch{
		Length: int32(49 + len(body)), PartitionLeaderEpoch: -1, Magic: 2, Attributes: attrs,
		LastOffsetDelta: int32(len(recs) - 1), FirstTimestamp: 1_700_000_000_000, MaxTimestamp: 1_700_000_000_000 + int64(len(recs)-1),
		ProducerID: pid, ProducerEpoch: epoch, FirstSequence: seq, NumRecords: int32(len(recs)), Records: body,
	}
	data := rb.AppendTo(nil)
	binary.BigEndian.PutUint32(data[17:], crc32.Checksum(data[21:], crc32.MakeTable(crc32.Castagnoli)))
	batches, err := recordbatch.Validate(data, recordbatch.ValidateOptions{Now: 1_700_000_000_000})
	if err != nil {
		t.Fatalf("test batch invalid: %v", err)
	}
	return data, batches
}

// values reads back the values of a record set, by offset delta, as
// franz-go's consumer does (CRC checked).
func values(t testing.TB, data []byte) map[int64][]byte {
	t.Helper()
	rp := kmsg.FetchResponseTopicPartition{RecordBatches: data, HighWatermark: 1 << 40}
	fp, _ := kgo.ProcessFetchPartition(kgo.ProcessFetchPartitionOpts{Topic: "t"}, &rp, kgo.DefaultDecompressor(), nil)
	if fp.Err != nil {
		t.Fatalf("consumer decode: %v", fp.Err)
	}
	out := map[int64][]byte{}
	for _, r := range fp.Records {
		out[r.Offset] = r.Value
	}
	return out
}

// newEnforcer builds an enforcer over the env's registry, named "csr".
func (e *env) enforcer(produce, fetch []config.Policy, mod func(*Config)) *Enforcer {
	e.t.Helper()
	cfg := Config{
		Registries: []config.NamedRegistry{{Name: "csr", Confluent: &config.ConfluentRegistry{URL: e.url}}},
		Produce:    produce, Fetch: fetch,
		Default: &config.ConfluentRegistry{URL: e.url},
	}
	if mod != nil {
		mod(&cfg)
	}
	enf, err := New(cfg, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return enf
}

// policy is a policy on topics matching m, registry csr, checking values
// as v says.
func policy(m config.StringMatcher, v config.Element) config.Policy {
	return config.Policy{Topics: m, SchemaRegistry: "csr", Values: v}
}

var all = config.StringMatcher{All: true}

// newSRClient is a franz-go registry client with basic auth (user set) or
// a bearer token (tok set).
func newSRClient(t testing.TB, url, user, pass, tok string) *sr.Client {
	t.Helper()
	opts := []sr.ClientOpt{sr.URLs(url)}
	if user != "" {
		opts = append(opts, sr.BasicAuth(user, pass))
	}
	if tok != "" {
		opts = append(opts, sr.BearerToken(tok))
	}
	cl, err := sr.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return cl
}
