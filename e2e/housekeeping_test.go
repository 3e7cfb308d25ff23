package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tributary-io/tributary/node"
)

// TestHousekeepingRewritesAndExpires runs a node whose housekeeping passes
// come every 20ms with no ages or graces: the many intake objects a
// record-at-a-time producer leaves are rewritten into segments and deleted,
// a consumer from the start still reads every record as produced, and
// records past retention.ms disappear (the log start moves).
func TestHousekeepingRewritesAndExpires(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.Housekeeping.Interval = 20 * time.Millisecond
	cfg.Housekeeping.SegmentMinAge = 0
	cfg.Housekeeping.DeadObjectGrace = 0
	n := startNode(t, cfg, node.Hooks{})
	ctx := ctxTimeout(t, 60*time.Second)
	adm := newAdmin(t, n.KafkaAddr())
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, "kept"); err != nil {
		t.Fatalf("create topic: %v", err)
	}
	retention := "600000" // 10 minutes
	if _, err := adm.CreateTopic(ctx, 1, 1, map[string]*string{"retention.ms": &retention}, "expiring"); err != nil {
		t.Fatalf("create topic: %v", err)
	}
	cl := newClient(t, n.KafkaAddr())
	const total = 40
	for i := range total {
		r := &kgo.Record{Topic: "kept", Value: []byte(fmt.Sprintf("v%d", i))}
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatalf("produce %d: %v", i, err)
		}
	}
	old := time.Now().Add(-time.Hour)
	for i := range 5 {
		r := &kgo.Record{Topic: "expiring", Value: []byte(fmt.Sprintf("old%d", i)), Timestamp: old}
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatalf("produce old %d: %v", i, err)
		}
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "expiring", Value: []byte("new")}).FirstErr(); err != nil {
		t.Fatalf("produce new: %v", err)
	}

	// Wait until no intake object is left: everything is in segments.
	for {
		infos, err := n.Objects.List(ctx, "intake/")
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		if len(infos) == 0 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("%d intake objects never went away", len(infos))
		}
		time.Sleep(20 * time.Millisecond)
	}
	segs, err := n.Objects.List(ctx, "segments/")
	if err != nil || len(segs) == 0 {
		t.Fatalf("segments: %v, %v", segs, err)
	}

	got := consumeAll(t, ctx, n.KafkaAddr(), "kept", total)[0]
	for i, r := range got {
		if r.Offset != int64(i) || string(r.Value) != fmt.Sprintf("v%d", i) {
			t.Fatalf("kept record %d: offset %d value %q", i, r.Offset, r.Value)
		}
	}
	starts, err := adm.ListStartOffsets(ctx, "expiring")
	if err != nil {
		t.Fatalf("list start offsets: %v", err)
	}
	if o, _ := starts.Lookup("expiring", 0); o.Offset != 5 {
		t.Fatalf("expiring log start %d, want 5", o.Offset)
	}
	rest := consumeAll(t, ctx, n.KafkaAddr(), "expiring", 1)[0]
	if rest[0].Offset != 5 || string(rest[0].Value) != "new" {
		t.Fatalf("expiring: first record offset %d value %q", rest[0].Offset, rest[0].Value)
	}
}
