package read

import (
	"container/list"
	"sync"
)

// cache is a byte-bounded LRU of index entries' raw bytes, keyed by object
// and range. Values are never mutated (readers copy before patching).
// mu guards everything.
type cache struct {
	mu    sync.Mutex
	max   int64
	size  int64
	ll    *list.List // front = most recent
	items map[cacheKey]*list.Element
}

type cacheKey struct {
	object   string
	pos, len int64
}

type cacheItem struct {
	key  cacheKey
	data []byte
}

func newCache(max int64) *cache {
	return &cache{max: max, ll: list.New(), items: map[cacheKey]*list.Element{}}
}

func (c *cache) get(k cacheKey) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[k]; ok {
		c.ll.MoveToFront(e)
		return e.Value.(*cacheItem).data, true
	}
	return nil, false
}

func (c *cache) put(k cacheKey, data []byte) {
	if int64(len(data)) > c.max/4 {
		return // one huge range must not flush everything else
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[k]; ok {
		c.ll.MoveToFront(e)
		return
	}
	c.items[k] = c.ll.PushFront(&cacheItem{key: k, data: data})
	c.size += int64(len(data))
	for c.size > c.max {
		e := c.ll.Back()
		it := e.Value.(*cacheItem)
		c.ll.Remove(e)
		delete(c.items, it.key)
		c.size -= int64(len(it.data))
	}
}
