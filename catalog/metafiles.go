package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/apache/iceberg-go/table"
	"github.com/tributary-io/tributary/internal/objstore"
)

// metaFiles reads and writes table metadata files in the warehouse. A
// metadata file is never rewritten (each commit writes a new one under a
// fresh name), so its JSON is cached by location and never goes stale.
type metaFiles struct {
	wh      warehouse
	objects objstore.Store
	outside areas // none: nothing outside the warehouse (outside.go)
	cache   *metaCache
}

// locate returns the store and key of a location: in the warehouse, or
// under an allowed location outside it; any other is ErrBadRequest.
func (m *metaFiles) locate(loc string) (objstore.Store, string, error) {
	key, err := m.wh.key(loc)
	if err == nil {
		return m.objects, key, nil
	}
	if st, k, ok := m.outside.key(loc); ok {
		return st, k, nil
	}
	return nil, "", err
}

// read returns the JSON of the metadata file at loc. A missing file wraps
// objstore.ErrNotFound.
func (m *metaFiles) read(ctx context.Context, loc string) ([]byte, error) {
	if raw, ok := m.cache.get(loc); ok {
		return raw, nil
	}
	st, key, err := m.locate(loc)
	if err != nil {
		return nil, err
	}
	b, err := st.Get(ctx, key)
	if err != nil {
		return nil, objError("read metadata", loc, err)
	}
	raw, err := decompress(b)
	if err != nil {
		return nil, fmt.Errorf("read metadata %s: %w", loc, err)
	}
	m.cache.put(loc, raw)
	return raw, nil
}

// load reads and parses the metadata file at loc.
func (m *metaFiles) load(ctx context.Context, loc string) (table.Metadata, []byte, error) {
	raw, err := m.read(ctx, loc)
	if err != nil {
		return nil, nil, err
	}
	meta, err := table.ParseMetadataBytes(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("parse metadata %s: %w", loc, err)
	}
	return meta, raw, nil
}

// write stores meta as a new metadata file at loc, compressed with the
// table's codec, and returns its JSON.
func (m *metaFiles) write(ctx context.Context, loc string, meta table.Metadata) ([]byte, error) {
	st, key, err := m.locate(loc)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(meta)
	if err != nil {
		return nil, fmt.Errorf("encode metadata %s: %w", loc, err)
	}
	codec := meta.Properties().Get(table.MetadataCompressionKey, table.MetadataCompressionDefault)
	b, err := compress(raw, codec)
	if err != nil {
		return nil, err
	}
	if err := st.Put(ctx, key, b); err != nil {
		return nil, objError("write metadata", loc, err)
	}
	m.cache.put(loc, raw)
	return raw, nil
}

// writeRaw stores a metadata file's JSON (a view's) at loc, uncompressed.
func (m *metaFiles) writeRaw(ctx context.Context, loc string, raw []byte) error {
	st, key, err := m.locate(loc)
	if err != nil {
		return err
	}
	if err := st.Put(ctx, key, raw); err != nil {
		return objError("write metadata", loc, err)
	}
	m.cache.put(loc, raw)
	return nil
}

// remove deletes a metadata file that was written but never committed.
// Best effort: a leftover is an orphan, not an inconsistency.
func (m *metaFiles) remove(ctx context.Context, loc string) {
	m.cache.drop(loc)
	if st, key, err := m.locate(loc); err == nil {
		_ = st.Delete(ctx, key)
	}
}

// metaCache is a bounded map from location to metadata JSON. When full, it
// forgets an arbitrary entry (Go's map order): metadata files are read
// mostly right after they are written, so no finer policy pays. Safe for
// concurrent use.
type metaCache struct {
	max int
	mu  sync.Mutex
	m   map[string][]byte
}

func newMetaCache(max int) *metaCache { return &metaCache{max: max, m: map[string][]byte{}} }

func (c *metaCache) get(loc string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	raw, ok := c.m[loc]
	return raw, ok
}

func (c *metaCache) put(loc string, raw []byte) {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.m {
		if len(c.m) < c.max {
			break
		}
		delete(c.m, k)
	}
	c.m[loc] = raw
}

func (c *metaCache) drop(loc string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, loc)
}

// isNotFound reports a missing object.
func isNotFound(err error) bool { return errors.Is(err, objstore.ErrNotFound) }
