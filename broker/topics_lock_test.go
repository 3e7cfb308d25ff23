package broker

import (
	"context"
	"testing"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
)

// stalledTopics is a metadata store whose Topics call can be held, as a
// stalled Postgres holds it.
type stalledTopics struct {
	metastore.Store // nil: only Topics is called
	entered         chan struct{}
	release         chan struct{}
}

func (s *stalledTopics) Topics(ctx context.Context) ([]metastore.Topic, error) {
	s.entered <- struct{}{}
	select {
	case <-s.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return []metastore.Topic{{Name: "t", ID: metastore.TopicID{1}, Partitions: 1}}, nil
}

// TestTopicCacheServesWhileTheStoreStalls: the topic cache used to hold
// its lock across the metadata store's Topics call, so once its TTL ran
// out one stalled reload blocked every produce, fetch and metadata request
// of the broker, even those the cached topics could answer.
func TestTopicCacheServesWhileTheStoreStalls(t *testing.T) {
	st := &stalledTopics{entered: make(chan struct{}, 4), release: make(chan struct{}, 4)}
	tc := newTopicCache(st)
	st.release <- struct{}{}
	if _, err := tc.all(t.Context()); err != nil {
		t.Fatal(err)
	}
	<-st.entered
	tc.mu.Lock()
	tc.loaded = time.Now().Add(-2 * topicTTL) // stale: the next call reloads
	tc.mu.Unlock()

	go func() { _, _ = tc.all(context.Background()) }() // the reload, held by the store
	select {
	case <-st.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("no reload started")
	}
	done := make(chan error, 1)
	go func() {
		all, err := tc.all(t.Context())
		if err == nil && all["t"].Partitions != 1 {
			t.Errorf("stale cache answered %v", all)
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("a lookup waited on the stalled store although the cache holds the topic")
	}
	if got := tc.settings(metastore.Topic{Name: "t"}); got == nil {
		t.Error("no settings")
	}
	st.release <- struct{}{}
}

// TestTopicCacheLoadAfterInvalidateIsNotFresh: a topic created through
// this broker during a reload invalidates the cache; that reload, which may
// have read the store before the creation, must not count as fresh.
func TestTopicCacheLoadAfterInvalidateIsNotFresh(t *testing.T) {
	st := &stalledTopics{entered: make(chan struct{}, 4), release: make(chan struct{}, 4)}
	tc := newTopicCache(st)
	go func() { _, _ = tc.all(context.Background()) }()
	<-st.entered
	tc.invalidate()
	st.release <- struct{}{}
	for {
		tc.mu.Lock()
		loading := tc.loading
		tc.mu.Unlock()
		if loading == nil {
			break
		}
		time.Sleep(time.Millisecond)
	}
	st.release <- struct{}{}
	if _, err := tc.all(t.Context()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-st.entered: // the first load's entry was consumed above; this is the reload
	default:
		t.Fatal("the load that raced an invalidate was taken as fresh: no reload")
	}
}
