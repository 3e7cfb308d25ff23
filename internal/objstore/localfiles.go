package objstore

import (
	"container/list"
	"os"
	"sync"
)

// openFiles is how many object files ReadRange keeps open between calls.
// A Java consumer catching up reads 1 MiB a partition from a run of small
// intake objects (one per flush), each object for every partition of the
// fetch: opening, fstat-ing and closing the file per read cost more than
// the pread itself (BenchmarkFetchCatchUp's profile: 0.26 s against
// 0.19 s).
const openFiles = 256

// fileCache keeps read-only files of objects open for ReadRange, LRU,
// at most max of them. mu guards everything. A file is closed when it is
// evicted or forgotten and no read holds it.
//
// Contract with the writers: Put, Prepare and Delete call forget(key)
// after their change to the file system is done. forget drops the key's
// file and bumps writes; a read inserts the file it opened only if writes
// did not move since before its open, so a file opened before a change
// is never cached after it.
type fileCache struct {
	mu     sync.Mutex
	max    int
	writes uint64
	ll     *list.List // of *cachedFile, front = most recent
	items  map[string]*list.Element
	closed bool
}

// cachedFile is one open object file and the reads that hold it.
type cachedFile struct {
	key     string
	f       *os.File
	size    int64
	refs    int
	dropped bool // out of the cache: closed by the last release
}

func newFileCache(max int) *fileCache {
	return &fileCache{max: max, ll: list.New(), items: map[string]*list.Element{}}
}

// get returns key's open file, held until release; ok false on a miss,
// with the write count to hand to put after opening it.
func (c *fileCache) get(key string) (cf *cachedFile, seq uint64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, hit := c.items[key]; hit {
		c.ll.MoveToFront(e)
		cf = e.Value.(*cachedFile)
		cf.refs++
		return cf, 0, true
	}
	return nil, c.writes, false
}

// put offers a file just opened for key (seq from the get that missed)
// and returns the file to read from, held until release: the cached one
// when another read cached key first (f is then closed), f itself
// otherwise, cached only when no write happened since seq.
func (c *fileCache) put(key string, f *os.File, size int64, seq uint64) *cachedFile {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, hit := c.items[key]; hit {
		_ = f.Close() // read-only duplicate of the cached file
		cf := e.Value.(*cachedFile)
		c.ll.MoveToFront(e)
		cf.refs++
		return cf
	}
	cf := &cachedFile{key: key, f: f, size: size, refs: 1}
	if seq != c.writes || c.closed || c.max <= 0 {
		cf.dropped = true // read once, closed by release
		return cf
	}
	c.items[key] = c.ll.PushFront(cf)
	for c.ll.Len() > c.max {
		c.drop(c.ll.Back())
	}
	return cf
}

// release lets go of a file from get or put.
func (c *fileCache) release(cf *cachedFile) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cf.refs--
	if cf.refs == 0 && cf.dropped {
		_ = cf.f.Close() // read-only file: nothing to flush
	}
}

// forget drops key's file, after a write changed key.
func (c *fileCache) forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes++
	if e, ok := c.items[key]; ok {
		c.drop(e)
	}
}

// close drops every file; later puts are not cached.
func (c *fileCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for c.ll.Len() > 0 {
		c.drop(c.ll.Back())
	}
}

// drop takes e out of the cache and closes its file unless a read holds
// it (the last release closes it then). mu is held.
func (c *fileCache) drop(e *list.Element) {
	cf := e.Value.(*cachedFile)
	c.ll.Remove(e)
	delete(c.items, cf.key)
	cf.dropped = true
	if cf.refs == 0 {
		_ = cf.f.Close() // read-only file: nothing to flush
	}
}
