package protobuf

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// Loader fetches and compiles the schema registered under id, typically: ask
// the registry for the text and references, resolve them, Compile.
type Loader func(ctx context.Context, id int) (protoreflect.FileDescriptor, error)

// CacheConfig tunes a Cache.
type CacheConfig struct {
	// MaxSchemas bounds how many schemas the cache holds; the least
	// recently used goes first. Default 1000.
	MaxSchemas int
	// ErrorTTL is how long a failed load is remembered before the next
	// request for that id loads again, so a stream of records with a bad id
	// does not become a stream of registry requests. Default 5s; negative
	// means failures are not remembered. Cancellations never are.
	ErrorTTL time.Duration
}

const (
	defaultMaxSchemas = 1000
	defaultErrorTTL   = 5 * time.Second
)

// Cache maps schema ids to Schemas, loading each id once however many
// goroutines ask for it at the same time. Schema ids are immutable in a
// Confluent registry, so an entry never goes stale; Forget drops one (after
// a hard delete, say).
//
// Concurrency: one mutex guards the map and the recency list; loads run
// outside it, and waiters block on the loading entry's channel.
type Cache struct {
	load Loader
	cfg  CacheConfig
	now  func() time.Time

	mu      sync.Mutex
	entries map[int]*entry
	lru     entry // sentinel of the recency ring: lru.next is the newest
}

type entry struct {
	id         int
	done       chan struct{} // closed when the load ends
	schema     *Schema
	err        error
	failedAt   time.Time
	prev, next *entry
}

// NewCache returns an empty cache that loads through load.
func NewCache(load Loader, cfg CacheConfig) *Cache {
	if cfg.MaxSchemas <= 0 {
		cfg.MaxSchemas = defaultMaxSchemas
	}
	if cfg.ErrorTTL == 0 {
		cfg.ErrorTTL = defaultErrorTTL
	}
	c := &Cache{load: load, cfg: cfg, now: time.Now, entries: map[int]*entry{}}
	c.lru.prev, c.lru.next = &c.lru, &c.lru
	return c
}

// Codec returns the codec for a record framed with schema id and a
// message-index path: the broker's per-record lookup.
func (c *Cache) Codec(ctx context.Context, id int, indexes []int) (*Codec, error) {
	s, err := c.Schema(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.Codec(indexes)
}

// Schema returns the schema registered under id, loading it on a miss.
func (c *Cache) Schema(ctx context.Context, id int) (*Schema, error) {
	for {
		e, loader := c.lookup(id)
		if loader {
			c.fill(ctx, e)
		}
		select {
		case <-e.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if e.err == nil || !isCancel(e.err) || loader {
			return e.schema, e.err
		}
		// Another caller's load was cancelled: load again with our context.
	}
}

// lookup finds id's entry, creating a loading one on a miss (loader true:
// the caller must fill it). A remembered failure past its TTL counts as a
// miss.
func (c *Cache) lookup(id int) (e *entry, loader bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e = c.entries[id]; e != nil && !c.expired(e) {
		c.unlink(e)
		c.pushFront(e)
		return e, false
	}
	if e != nil {
		c.remove(e)
	}
	e = &entry{id: id, done: make(chan struct{})}
	c.entries[id] = e
	c.pushFront(e)
	c.evict()
	return e, true
}

// expired reports whether e is a finished failure that may be retried.
// The caller holds c.mu.
func (c *Cache) expired(e *entry) bool {
	select {
	case <-e.done:
	default:
		return false
	}
	return e.err != nil && c.now().Sub(e.failedAt) >= c.cfg.ErrorTTL
}

// fill loads e's schema and publishes the result to its waiters. A loader
// that panics fails the load (waiters get an error) before the panic goes
// on.
func (c *Cache) fill(ctx context.Context, e *entry) {
	published := false
	defer func() {
		if !published {
			c.publish(e, nil, fmt.Errorf("load schema %d: loader panicked", e.id))
		}
	}()
	fd, err := c.load(ctx, e.id)
	c.publish(e, fd, err)
	published = true
}

func (c *Cache) publish(e *entry, fd protoreflect.FileDescriptor, err error) {
	if err == nil {
		e.schema = NewSchema(fd)
		e.schema.ID = e.id
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e.err = err
	if err != nil {
		e.failedAt = c.now()
		if isCancel(err) || c.cfg.ErrorTTL < 0 {
			c.remove(e)
		}
	}
	close(e.done)
}

// Forget drops id's schema, if cached; the next request loads it again.
func (c *Cache) Forget(id int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entries[id]; e != nil {
		c.remove(e)
	}
}

// Len returns how many ids the cache holds (loading ones included).
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// evict drops the least recently used entries beyond MaxSchemas. An entry
// still loading may go: its waiters hold it, and its loader fills it all
// the same. The caller holds c.mu.
func (c *Cache) evict() {
	for len(c.entries) > c.cfg.MaxSchemas && c.lru.prev != &c.lru {
		c.remove(c.lru.prev)
	}
}

// remove takes e out of the map and the ring. The caller holds c.mu.
func (c *Cache) remove(e *entry) {
	if c.entries[e.id] == e {
		delete(c.entries, e.id)
	}
	c.unlink(e)
}

func (c *Cache) pushFront(e *entry) {
	e.prev, e.next = &c.lru, c.lru.next
	e.prev.next, e.next.prev = e, e
}

func (c *Cache) unlink(e *entry) {
	if e.prev == nil {
		return
	}
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

func isCancel(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
