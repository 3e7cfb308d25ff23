package broker

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/metastore/boltstore"
)

func newTestStore(t *testing.T) metastore.Store {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "meta.db"), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// The topic cache hands out a topic's configs parsed once: the same
// Settings for every request, kept across reloads while the configs are
// unchanged, and parsed anew when they change.
func TestTopicCacheParsesConfigsOnce(t *testing.T) {
	ctx := context.Background()
	meta := newTestStore(t)
	if _, err := meta.CreateTopic(ctx, metastore.TopicSpec{Name: "t", Partitions: 1, Configs: map[string]string{"retention.ms": "1000"}}); err != nil {
		t.Fatal(err)
	}
	tc := newTopicCache(meta)
	lookup := func() metastore.Topic {
		t.Helper()
		tp, ok, err := tc.lookup(ctx, "t", metastore.TopicID{})
		if err != nil || !ok {
			t.Fatalf("lookup: %v %v", ok, err)
		}
		return tp
	}
	tp := lookup()
	st := tc.settings(tp)
	if st.RetentionMs != 1000 || !st.Deletes {
		t.Fatalf("settings %+v", st)
	}
	if tc.settings(lookup()) != st {
		t.Fatal("a second request parsed the configs again")
	}
	tc.invalidate()
	if tc.settings(lookup()) != st {
		t.Fatal("a reload with unchanged configs parsed them again")
	}
	ms := "2000"
	if _, err := meta.AlterTopicConfigs(ctx, "t", map[string]*string{"retention.ms": &ms}, false); err != nil {
		t.Fatal(err)
	}
	tc.invalidate()
	if got := tc.settings(lookup()); got == st || got.RetentionMs != 2000 {
		t.Fatalf("after an alter: %+v (same as before: %v)", got, got == st)
	}
	// A topic the cache does not hold (internal, or created since the last
	// load) is parsed on the spot.
	if got := tc.settings(metastore.Topic{Name: "other", Configs: map[string]string{"cleanup.policy": "compact"}}); got.Deletes || !got.Compacts {
		t.Fatalf("uncached topic: %+v", got)
	}
}
