package e2e

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	iceberggo "github.com/apache/iceberg-go"
	icetable "github.com/apache/iceberg-go/table"
	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/internal/metastore/boltstore"
	"github.com/tributary-io/tributary/node"
	"github.com/tributary-io/tributary/registry"
	"github.com/tributary-io/tributary/schema/protobuf"
	"github.com/tributary-io/tributary/schema/wire"
)

// undecoded is one record of TestIcebergUndecodedRowsSayWhy and what its
// row must hold in one part (key or val): the decoded id ("" none), and
// __err__ (nil: null; otherwise a text the error must contain).
type undecoded struct {
	name       string
	key, value []byte
	part       string // "key" or "val": the part under test
	id         string
	err        any
}

// Regression for rows that had neither decoded fields nor __err__: on a
// topic whose subject has a schema, a value without a Confluent envelope
// (or an empty one) landed as __raw__ only, so `WHERE val.__err__ IS NOT
// NULL` missed it. Every row with no decoded fields that is not a null
// (a tombstone's value, an absent key) says why, and keeps __raw__; where
// the subject has no schema, unframed bytes stay raw without error (as
// Bufstream's). Keys follow the same rule with the <topic>-key subject.
// Read back with iceberg-go through the built-in catalog.
func TestIcebergUndecodedRowsSayWhy(t *testing.T) {
	n := startNode(t, testConfig(t, t.TempDir()), node.Hooks{})
	reg := n.RegistryAddr()
	id, md := registerOrder(t, reg, "errs-value", icebergOrderProto)
	keyID, _ := registerOrder(t, reg, "keyed-key", icebergOrderProto)
	icebergTopic(t, n.KafkaAddr(), "errs", "shop.errs", 1, 300*time.Millisecond)
	icebergTopic(t, n.KafkaAddr(), "keyed", "shop.keyed", 1, 300*time.Millisecond)

	payload, err := proto.Marshal(richOrder(md, 7))
	if err != nil {
		t.Fatal(err)
	}
	framed := func(id int, indexes []int, body []byte) []byte {
		return append(wire.Append(nil, id, indexes), body...)
	}
	good := framed(id, protobuf.IndexesOf(md), payload)
	goodKey := framed(keyID, protobuf.IndexesOf(md), payload)
	// Topic errs: the value subject has a schema, the key subject none.
	errs := []undecoded{
		{name: "valid envelope", key: []byte("k0"), value: good, part: "val", id: "order-7"},
		{name: "no envelope", key: []byte("k1"), value: []byte("plain text"), part: "val",
			err: "no envelope: magic byte missing (first byte 0x70, want 0x00)"},
		{name: "unknown schema id", key: []byte("k2"), value: framed(99999, []int{0}, payload), part: "val",
			err: "schema id 99999 not found in registry"},
		{name: "garbage after a valid envelope", key: []byte("k3"), value: framed(id, protobuf.IndexesOf(md), []byte{0xff, 0xff, 0xff}), part: "val",
			err: "decode: "},
		{name: "message index out of range", key: []byte("k4"), value: framed(id, []int{5}, payload), part: "val",
			err: fmt.Sprintf("schema id %d message indexes [5]", id)},
		{name: "short", key: []byte("k5"), value: []byte{0, 0, 0}, part: "val",
			err: "no envelope: 3 bytes, shorter than a magic byte and a 4-byte schema id"},
		{name: "empty value", key: []byte("k6"), value: []byte{}, part: "val",
			err: "no envelope: empty, want a magic byte 0x00 and a 4-byte schema id"},
		{name: "null value (tombstone)", key: []byte("k7"), value: nil, part: "val"},
		{name: "plain key, no key schema", key: []byte("k8"), value: good, part: "key"},
		{name: "null key", key: nil, value: good, part: "key"},
	}
	// Topic keyed: the key subject has a schema, the value subject none.
	keyed := []undecoded{
		{name: "valid key envelope", key: goodKey, value: []byte("v"), part: "key", id: "order-7"},
		{name: "key without envelope", key: []byte("k1"), value: []byte("v"), part: "key",
			err: "no envelope: magic byte missing (first byte 0x6b, want 0x00)"},
		{name: "empty key", key: []byte{}, value: []byte("v"), part: "key",
			err: "no envelope: empty, want a magic byte 0x00 and a 4-byte schema id"},
		{name: "null key", key: nil, value: []byte("v"), part: "key"},
		{name: "value without envelope, no value schema", key: goodKey, value: []byte("plain"), part: "val"},
		{name: "empty value, no value schema", key: goodKey, value: []byte{}, part: "val"},
	}
	cl := newClient(t, n.KafkaAddr())
	for _, tc := range []struct {
		topic string
		ident icetable.Identifier
		cases []undecoded
	}{{"errs", icetable.Identifier{"shop", "errs"}, errs}, {"keyed", icetable.Identifier{"shop", "keyed"}, keyed}} {
		for i, c := range tc.cases {
			r := &kgo.Record{Topic: tc.topic, Key: c.key, Value: c.value}
			if err := cl.ProduceSync(ctxTimeout(t, 10*time.Second), r).FirstErr(); err != nil {
				t.Fatalf("%s: produce %s: %v", tc.topic, c.name, err)
			}
			if r.Offset != int64(i) {
				t.Fatalf("%s: %s at offset %d, want %d", tc.topic, c.name, r.Offset, i)
			}
		}
		rows := waitRows(t, n.CatalogAddr(), tc.ident, len(tc.cases), 60*time.Second)
		for i, c := range tc.cases {
			checkUndecoded(t, tc.topic, c, rows[fmt.Sprint("0/", i)])
		}
	}

	// The table declares map values optional (what iceberg-go reads back),
	// as arrowconv's doc says; arrowconv never writes a null one.
	tbl := loadTable(t, n.CatalogAddr(), icetable.Identifier{"shop", "errs"})
	f, ok := tbl.Schema().FindFieldByName("val.counters")
	if !ok {
		t.Fatalf("no val.counters in %s", tbl.Schema())
	}
	if mt, ok := f.Type.(*iceberggo.MapType); !ok || mt.ValueRequired {
		t.Errorf("val.counters is %s, want a map with optional values", f.Type)
	}
}

// checkUndecoded checks the part of row that c is about: decoded id or
// __err__, __raw__ as produced (null for a null), and for the value the
// tombstone rule: a null value leaves every val column null.
func checkUndecoded(t *testing.T, topic string, c undecoded, row map[string]any) {
	t.Helper()
	if row == nil {
		t.Errorf("%s: %s: no row", topic, c.name)
		return
	}
	part := row[c.part].(map[string]any)
	raw := c.value
	if c.part == "key" {
		raw = c.key
	}
	gotErr, gotRaw, gotID := part["__err__"], part["__raw__"], part["id"]
	if c.id != "" {
		if gotID != c.id || gotErr != nil {
			t.Errorf("%s: %s: %s.id %v __err__ %v, want decoded id %s and no error", topic, c.name, c.part, gotID, gotErr, c.id)
		}
		if c.part == "val" && gotRaw != nil {
			t.Errorf("%s: %s: val.__raw__ %v on a decoded value", topic, c.name, gotRaw)
		}
		return
	}
	if gotID != nil {
		t.Errorf("%s: %s: %s.id %v, want null", topic, c.name, c.part, gotID)
	}
	var wantRaw any
	if raw != nil {
		wantRaw = base64.StdEncoding.EncodeToString(raw)
	}
	if gotRaw != wantRaw {
		t.Errorf("%s: %s: %s.__raw__ %v, want %v", topic, c.name, c.part, gotRaw, wantRaw)
	}
	switch want := c.err.(type) {
	case nil:
		if gotErr != nil {
			t.Errorf("%s: %s: %s.__err__ %q, want null", topic, c.name, c.part, gotErr)
		}
	case string:
		s, _ := gotErr.(string)
		if !strings.Contains(s, want) || (strings.HasSuffix(want, ": ") && len(s) <= len(want)) {
			t.Errorf("%s: %s: %s.__err__ %v, want one saying %q", topic, c.name, c.part, gotErr, want)
		}
	}
	if c.part == "val" && c.value == nil {
		for name, v := range part {
			if v != nil {
				t.Errorf("%s: %s: tombstone row has val.%s = %v, want every val column null", topic, c.name, name, v)
			}
		}
	}
}

// flakyRegistry is a schema registry (the registry package's, on its own
// store) behind a switch: while down, every request is 503, as a registry
// that is restarting answers. hits counts the requests refused.
type flakyRegistry struct {
	URL  string
	down atomic.Bool
	hits atomic.Int64
}

func startFlakyRegistry(t *testing.T) *flakyRegistry {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "registry.db"), boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h := registry.New(st, registry.Options{}, nil).Handler()
	f := &flakyRegistry{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.down.Load() {
			f.hits.Add(1)
			w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"error_code":50301,"message":"registry restarting"}`))
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// Regression for rows blamed on a registry outage: a schema id the
// registry could not be asked about landed as an error row for good
// ("schema id N: …"), and bytes without an envelope as raw rows without
// error, though the registry had the schema and the subject. A registry
// that fails (not a 404) now stops the pipeline, which retries from the
// table: once the registry is back, the records decode.
func TestIcebergRegistryOutageDoesNotBlameRecords(t *testing.T) {
	reg := startFlakyRegistry(t)
	id, md := registerOrder(t, strings.TrimPrefix(reg.URL, "http://"), "flaky-value", icebergOrderProto)
	reg.down.Store(true)
	cfg := testConfig(t, t.TempDir())
	cfg.SchemaRegistry = &config.SchemaRegistry{Confluent: &config.ConfluentRegistry{URL: reg.URL}}
	n := startNode(t, cfg, node.Hooks{})
	icebergTopic(t, n.KafkaAddr(), "flaky", "shop.flaky", 1, 300*time.Millisecond)
	cl := newClient(t, n.KafkaAddr())
	var recs []*kgo.Record
	for i := range 3 {
		recs = append(recs, orderRecord("flaky", id, md, i))
	}
	recs = append(recs, &kgo.Record{Topic: "flaky", Key: []byte(numbered(3)), Value: []byte("plain text")})
	for _, r := range recs {
		if err := cl.ProduceSync(ctxTimeout(t, 10*time.Second), r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	// Let ingest meet the outage, and pass several commit intervals.
	deadline := time.Now().Add(30 * time.Second)
	for reg.hits.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if reg.hits.Load() == 0 {
		t.Fatal("ingest never asked the registry")
	}
	time.Sleep(2 * time.Second)
	if rows := scanTable(t, n.CatalogAddr(), icetable.Identifier{"shop", "flaky"}); len(rows) != 0 {
		t.Errorf("%d rows committed while the registry was down, want none: %v", len(rows), rows)
	}
	st := tablesStatus(t, n.AdminAddr())
	if len(st) != 1 || !strings.Contains(st[0].LastError, "schema registry") {
		t.Errorf("/-/tables during the outage: %+v, want the registry's failure as the last error", st)
	}

	reg.down.Store(false)
	rows := waitRows(t, n.CatalogAddr(), icetable.Identifier{"shop", "flaky"}, len(recs), 90*time.Second)
	for i, r := range recs {
		val := rows[fmt.Sprint(r.Partition, "/", r.Offset)]["val"].(map[string]any)
		if i < 3 {
			if val["id"] != fmt.Sprint("order-", i) || val["__err__"] != nil {
				t.Errorf("record %d: id %v __err__ %v, want it decoded", i, val["id"], val["__err__"])
			}
			continue
		}
		if e, _ := val["__err__"].(string); !strings.HasPrefix(e, "no envelope: ") {
			t.Errorf("record %d without envelope: __err__ %v", i, val["__err__"])
		}
	}
}
