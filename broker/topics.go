package broker

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/topicconfig"
)

// topicTTL bounds how stale the cache may be about topics changed through
// another broker; changes made through this one invalidate it at once.
const topicTTL = 2 * time.Second

// topicCache is a read-through cache of topic descriptions by name and by
// ID, and of their parsed configs, so produce and fetch neither ask the
// metadata store nor parse a config per request. mu guards everything
// below it, and is never held across a metadata-store round trip: one
// caller loads (loading is closed when it is done) while the others wait
// for it only if they have nothing to serve, else they get the stale
// topics, so a stalled store blocks no request that the cache can answer.
type topicCache struct {
	meta metastore.Store

	mu      sync.Mutex
	byName  map[string]metastore.Topic
	byID    map[metastore.TopicID]string
	loaded  time.Time
	loading chan struct{} // non-nil while a load is in flight
	gen     uint64        // bumped by invalidate; a load that saw another gen is not fresh
	// parsed holds each topic's Settings with the configs they were parsed
	// from; it outlives invalidate, so a reload parses only configs that
	// changed.
	parsed map[string]parsedConfigs
}

// parsedConfigs are a topic's Settings and the map they came from.
type parsedConfigs struct {
	cfg map[string]string
	st  *topicconfig.Settings
}

func newTopicCache(meta metastore.Store) *topicCache {
	return &topicCache{meta: meta}
}

// all returns every topic, refreshing the cache when it is stale.
// Topics is group.TopicResolver.
func (tc *topicCache) Topics(ctx context.Context) (map[string]metastore.Topic, error) {
	return tc.all(ctx)
}

func (tc *topicCache) all(ctx context.Context) (map[string]metastore.Topic, error) {
	tc.mu.Lock()
	for {
		if tc.byName != nil && time.Since(tc.loaded) < topicTTL {
			defer tc.mu.Unlock()
			return tc.byName, nil
		}
		if tc.loading == nil {
			break
		}
		if tc.byName != nil && !tc.loaded.IsZero() {
			defer tc.mu.Unlock()
			return tc.byName, nil // stale by at most one load: better than waiting on the store
		}
		ch := tc.loading
		tc.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for the topic list: %w", ctx.Err())
		}
		tc.mu.Lock()
	}
	ch, gen := make(chan struct{}), tc.gen
	tc.loading = ch
	tc.mu.Unlock()
	ts, err := tc.meta.Topics(ctx)
	tc.mu.Lock()
	defer tc.mu.Unlock()
	tc.loading = nil
	close(ch)
	if err != nil {
		return nil, err
	}
	tc.install(ts, gen == tc.gen)
	return tc.byName, nil
}

// install replaces the cached topics with ts; fresh is false when the
// cache was invalidated during the load (it may predate that change), so
// the next call loads again. tc.mu must be held.
func (tc *topicCache) install(ts []metastore.Topic, fresh bool) {
	tc.byName = make(map[string]metastore.Topic, len(ts))
	tc.byID = make(map[metastore.TopicID]string, len(ts))
	parsed := make(map[string]parsedConfigs, len(ts))
	for _, t := range ts {
		tc.byName[t.Name] = t
		tc.byID[t.ID] = t.Name
		parsed[t.Name] = reparse(tc.parsed[t.Name], t.Configs)
	}
	tc.parsed = parsed
	tc.loaded = time.Time{}
	if fresh {
		tc.loaded = time.Now()
	}
}

// reparse returns old when it was parsed from the same configs, else
// parses cfg.
func reparse(old parsedConfigs, cfg map[string]string) parsedConfigs {
	if old.st != nil && maps.Equal(old.cfg, cfg) {
		return parsedConfigs{cfg: cfg, st: old.st}
	}
	st := topicconfig.Parse(cfg)
	return parsedConfigs{cfg: cfg, st: &st}
}

// settings returns t's parsed configs: the cached ones when t is the
// cached topic of its name, else (an internal topic, one created since
// the last load) parsed now. The result is shared: do not modify it.
func (tc *topicCache) settings(t metastore.Topic) *topicconfig.Settings {
	tc.mu.Lock()
	p, ok := tc.parsed[t.Name]
	tc.mu.Unlock()
	if ok && sameMap(p.cfg, t.Configs) {
		return p.st
	}
	st := topicconfig.Parse(t.Configs)
	return &st
}

// sameMap reports whether a and b hold the same configs. The cache hands
// out the maps it parsed, so identity is the common case and costs a
// pointer compare; another map is compared by content.
func sameMap(a, b map[string]string) bool {
	if reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer() {
		return true
	}
	return maps.Equal(a, b)
}

// byNameOrID looks a topic up; ok is false when it does not exist. A miss
// re-reads the store once, in case another broker just created the topic.
func (tc *topicCache) lookup(ctx context.Context, name string, id metastore.TopicID) (metastore.Topic, bool, error) {
	for attempt := 0; attempt < 2; attempt++ {
		all, err := tc.all(ctx)
		if err != nil {
			return metastore.Topic{}, false, err
		}
		if name == "" {
			tc.mu.Lock()
			name = tc.byID[id]
			tc.mu.Unlock()
		}
		if t, ok := all[name]; ok && name != "" {
			return t, true, nil
		}
		if attempt == 0 && !tc.recentlyLoaded() {
			tc.invalidate()
		} else {
			break
		}
	}
	return metastore.Topic{}, false, nil
}

func (tc *topicCache) recentlyLoaded() bool {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	return time.Since(tc.loaded) < 100*time.Millisecond
}

// invalidate drops the cache; the next lookup re-reads the store.
func (tc *topicCache) invalidate() {
	tc.mu.Lock()
	tc.byName = nil
	tc.gen++
	tc.mu.Unlock()
}

// isNotFound reports metastore errors meaning "no such topic/partition".
func isNotFound(err error) bool {
	return errors.Is(err, metastore.ErrUnknownTopic) || errors.Is(err, metastore.ErrUnknownPartition)
}

// resolved is a topic looked up for a request, by name or (byID) by ID.
type resolved struct {
	t    metastore.Topic
	st   *topicconfig.Settings // t's parsed configs, when ok
	ok   bool
	err  error
	byID bool
	// internal marks a virtual internal topic (internal_topics.go): it has
	// no log to read or write.
	internal bool
}

// resolve looks a request's topic up; byID marks versions that name topics
// by ID (KIP-516), whose misses are UNKNOWN_TOPIC_ID.
func (s *Server) resolve(ctx context.Context, name string, id [16]byte, byID bool) resolved {
	t, ok, err := s.lookupTopic(ctx, name, metastore.TopicID(id))
	r := resolved{t: t, ok: ok, err: err, byID: byID, internal: ok && isInternal(t)}
	if ok {
		r.st = s.topics.settings(t)
	}
	return r
}

// partitionCode is the error code for partition p of the topic, 0 when it
// exists.
func (r resolved) partitionCode(p int32) int16 {
	switch {
	case r.err != nil:
		return storeErrCode(r.err)
	case !r.ok && r.byID:
		return kerr.UnknownTopicID.Code
	case !r.ok || p < 0 || p >= r.t.Partitions:
		return kerr.UnknownTopicOrPartition.Code
	}
	return 0
}

// key names partition p of the topic.
func (r resolved) key(p int32) metastore.PartitionKey {
	return metastore.PartitionKey{Topic: r.t.ID, Partition: p}
}
