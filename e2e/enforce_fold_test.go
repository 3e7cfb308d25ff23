package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tributary-io/tributary/internal/metastore/boltstore"
	"github.com/tributary-io/tributary/registry"
)

// TestEnforceParseOnlyInValidationWalk: a parse-only policy, checked as
// the produce path's validation reads each record, through a franz-go
// producer: FILTER_RECORD drops the bad records of one idempotent batch
// (offset gaps, acks at the producer's offsets), and a batch validation
// refuses (a record without a key on a compacted topic) is refused as
// validation says, INVALID_RECORD with nothing stored, whatever the checks
// made of its values on the way.
func TestEnforceParseOnlyInValidationWalk(t *testing.T) {
	store, err := boltstore.Open(filepath.Join(t.TempDir(), "reg.db"), boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	reg := httptest.NewServer(registry.New(store, registry.Options{}, nil).Handler())
	t.Cleanup(reg.Close)
	n := enforcedNode(t, fmt.Sprintf(`
data_enforcement:
  schema_registries:
    - name: csr
      confluent: { url: %s }
  produce:
    - topics: { in: { values: [parsed, parsed-compacted] } }
      schema_registry: csr
      values: { on_parse_error: FILTER_RECORD, on_no_schema: FILTER_RECORD }
`, reg.URL), "127.0.0.1:0")
	addr := n.KafkaAddr()
	ctx := ctxTimeout(t, 2*time.Minute)
	createTopics(t, newAdmin(t, addr), map[string]map[string]*string{
		"parsed": nil, "parsed-compacted": {"cleanup.policy": ptr("compact")},
	})
	id, serde := shopRegistry(t, reg.URL, "parsed-value", "parsed-compacted-value")
	valid := mustEncode(t, serde, cart("a", 0)) // parses; its rule is not checked

	p := newClient(t, addr, kgo.ProducerLinger(50*time.Millisecond))
	batch := []*kgo.Record{
		{Topic: "parsed", Value: valid},
		{Topic: "parsed", Value: garbage(id)},
		{Topic: "parsed", Value: valid},
		{Topic: "parsed", Value: []byte("text")},
		{Topic: "parsed", Value: valid},
	}
	res := p.ProduceSync(ctx, batch...)
	if err := res.FirstErr(); err != nil {
		t.Fatalf("FILTER_RECORD refused the batch: %v", err)
	}
	for i, r := range res {
		if r.Record.Offset != int64(i) {
			t.Fatalf("record %d acknowledged at %d", i, r.Record.Offset)
		}
	}
	got := readEnforced(t, addr, "parsed")
	if o := offsets(got); fmt.Sprint(o) != "[0 2 4]" {
		t.Fatalf("consumer read offsets %v, want [0 2 4]", o)
	}
	for _, r := range got {
		if !bytes.Equal(r.Value, valid) {
			t.Fatalf("offset %d holds a filtered value", r.Offset)
		}
	}

	c := newClient(t, addr, kgo.ProducerLinger(50*time.Millisecond))
	res = c.ProduceSync(ctx,
		&kgo.Record{Topic: "parsed-compacted", Key: []byte("k"), Value: valid},
		&kgo.Record{Topic: "parsed-compacted", Key: []byte("k"), Value: []byte("text")},
		&kgo.Record{Topic: "parsed-compacted", Value: valid},
	)
	for i, r := range res {
		if !errors.Is(r.Err, kerr.InvalidRecord) {
			t.Fatalf("record %d of a batch with a keyless record on a compacted topic: %v, want INVALID_RECORD", i, r.Err)
		}
	}
	hw, err := newAdmin(t, addr).ListEndOffsets(ctx, "parsed-compacted")
	if err != nil {
		t.Fatal(err)
	}
	if end, _ := hw.Lookup("parsed-compacted", 0); end.Offset != 0 {
		t.Fatalf("the refused batch stored records: end offset %d", end.Offset)
	}
}
