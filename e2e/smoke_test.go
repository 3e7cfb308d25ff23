package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tributary-io/tributary/node"
)

// TestProduceConsumeSmall is the shortest round trip: create, produce,
// consume, same bytes at offsets 0..n-1.
func TestProduceConsumeSmall(t *testing.T) {
	n := startNode(t, testConfig(t, t.TempDir()), node.Hooks{})
	ctx := ctxTimeout(t, 30*time.Second)
	adm := newAdmin(t, n.KafkaAddr())
	if _, err := adm.CreateTopic(ctx, 2, 1, nil, "smoke"); err != nil {
		t.Fatalf("create topic: %v", err)
	}
	cl := newClient(t, n.KafkaAddr(), kgo.DefaultProduceTopic("smoke"))
	for i := 0; i < 10; i++ {
		r := &kgo.Record{Key: []byte("k"), Value: []byte(fmt.Sprintf("v%d", i))}
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatalf("produce %d: %v", i, err)
		}
	}
	cons := newClient(t, n.KafkaAddr(), kgo.ConsumeTopics("smoke"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	var got []*kgo.Record
	for len(got) < 10 {
		fs := cons.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatalf("poll: %v", err)
		}
		got = append(got, fs.Records()...)
	}
	for i, r := range got {
		if r.Offset != int64(i) || string(r.Value) != fmt.Sprintf("v%d", i) {
			t.Fatalf("record %d: offset %d value %q", i, r.Offset, r.Value)
		}
	}
}
