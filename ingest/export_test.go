package ingest

import (
	"context"
	"testing"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/log/recordbatch"
)

// RecordAllocs opens a pipeline of m for topic tp (not run: no lease, no
// reads), adds r as a row once to warm it up (the converter found, the
// table's columns prepared), then returns the heap allocations of adding
// it again, averaged over runs rows.
func RecordAllocs(t *testing.T, m *Manager, tp metastore.Topic, r *recordbatch.Record, runs int) float64 {
	t.Helper()
	tc, ok, err := archiveOf(tp.Configs, m.opts.DefaultCommitInterval)
	if !ok || err != nil {
		t.Fatalf("topic %s is not an Iceberg topic: %v", tp.Name, err)
	}
	p := newPipeline(m, tp, tc)
	ctx := context.Background()
	if err := p.open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.reset)
	off := int64(0)
	add := func() {
		if err := p.record(ctx, 0, off, 0, r); err != nil {
			t.Fatal(err)
		}
		off++
	}
	add()
	if p.seg.val == nil {
		t.Fatal("the warm-up row was not decoded: no value converter")
	}
	return testing.AllocsPerRun(runs, add)
}
