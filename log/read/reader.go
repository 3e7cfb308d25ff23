package read

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/objstore"
	"github.com/tributary-io/tributary/log/intake"
	"github.com/tributary-io/tributary/log/recordbatch"
)

// Config tunes the read path.
type Config struct {
	// CacheBytes bounds the in-memory cache of stored ranges; 0 disables
	// it (node sizes it from config.Fetch.CacheBytes or the memory budget).
	CacheBytes int64
}

// tailWindow: produced data is written through into the cache only for
// partitions some fetch read within this long, so a topic nobody reads
// does not fill the cache (and the heap) with data no one will ask for.
const tailWindow = 30 * time.Second

// indexPage is how many index entries one metadata read returns.
const indexPage = 64

// Reader is the read path. Safe for concurrent use.
type Reader struct {
	meta  metastore.Store
	obj   objstore.Store
	rr    objstore.RangeReader // obj, when it reads into the caller's buffer; else nil
	cache *cache
	watch watchers
	tail  recentReads
}

// NewReader builds a reader over the stores.
func NewReader(cfg Config, meta metastore.Store, obj objstore.Store) *Reader {
	rr, _ := obj.(objstore.RangeReader)
	return &Reader{meta: meta, obj: obj, rr: rr, cache: newCache(cfg.CacheBytes)}
}

// OnCommit is the write path's hook for indexed data: the data of
// partitions read lately goes into the cache, so tailing consumers never
// touch the object store. Each part is copied out of the flush buffer it
// slices, so the cache holds (and counts) only its own bytes, never a
// whole flush for one small entry.
func (r *Reader) OnCommit(cs []intake.Committed) {
	now := time.Now()
	for _, c := range cs {
		if !r.tail.readSince(c.Partition, now.Add(-tailWindow)) {
			continue
		}
		r.cache.put(cacheKey{c.Entry.ObjectKey, c.Entry.Pos, c.Entry.Size}, bytes.Clone(c.Data))
	}
}

// OnFlushed is the write path's hook after every flush: the watchers of
// the partitions it touched wake and read again. It runs after OnCommit,
// so they find the new data in the cache.
func (r *Reader) OnFlushed(pks []metastore.PartitionKey) {
	for _, pk := range pks {
		r.Notify(pk)
	}
}

// Result is what one partition read returns.
type Result struct {
	// Records holds whole record batches, baseOffsets patched; the first
	// batch contains the requested offset (or is the first after it).
	Records []byte
	// NumRecords counts the records in Records (from batch headers).
	NumRecords int
	State      metastore.PartitionState
}

// Read returns batches of pk from offset on, at most maxBytes of them,
// except that the first batch is returned whole even when larger (KIP-74)
// unless strict is set. An offset outside [LogStart, HighWater] gives
// ErrOffsetOutOfRange with the partition's state.
func (r *Reader) Read(ctx context.Context, pk metastore.PartitionKey, offset int64, maxBytes int, strict bool) (Result, error) {
	return r.ReadAppend(ctx, pk, offset, maxBytes, strict, nil)
}

// ReadAppend is Read into buf's spare room: Records starts at buf[:0]
// (no longer buf's array when the read needs more than cap(buf)). A
// caller that reuses its buffers from one fetch to the next saves the
// allocation and zeroing of a fresh one per read, which cost more CPU
// than the read itself (BenchmarkReadAppend).
func (r *Reader) ReadAppend(ctx context.Context, pk metastore.PartitionKey, offset int64, maxBytes int, strict bool, buf []byte) (Result, error) {
	r.tail.note(pk, time.Now())
	var res Result
	for attempt := 0; ; attempt++ {
		var err error
		res, err = r.read(ctx, pk, offset, maxBytes, strict, buf[:0])
		// An object can vanish between the index read and the object read
		// when housekeeping rewrote it into a segment: read the index again.
		if errors.Is(err, objstore.ErrNotFound) && attempt < 3 {
			continue
		}
		return res, err
	}
}

func (r *Reader) read(ctx context.Context, pk metastore.PartitionKey, offset int64, maxBytes int, strict bool, out []byte) (Result, error) {
	next, records := offset, 0
	for {
		entries, st, err := r.meta.ReadIndex(ctx, pk, next, indexPage)
		if err != nil {
			return Result{}, err // the store's error names the partition and offset
		}
		if len(out) == 0 && (offset < st.LogStart || offset > st.HighWater) {
			return Result{State: st}, fmt.Errorf("%w: %d not in [%d, %d]", ErrOffsetOutOfRange, offset, st.LogStart, st.HighWater)
		}
		out = growFor(out, entries, maxBytes)
		var full bool
		var n int
		out, next, n, full, err = r.appendEntries(ctx, out, entries, offset, maxBytes, strict)
		records += n
		if err != nil {
			return Result{State: st}, err
		}
		if full || len(entries) < indexPage || next >= st.HighWater {
			return Result{Records: out, NumRecords: records, State: st}, nil
		}
	}
}

// growFor makes room in out, once, for what the entries can add within
// maxBytes (the first batch of a read is whole, KIP-74, so the first
// entry counts whole): growing by append as batches arrive copied a 1 MiB
// read about five times over (BenchmarkReadCold: 6.2 MB allocated per
// 1 MiB read).
func growFor(out []byte, entries []metastore.IndexEntry, maxBytes int) []byte {
	var need int64
	for _, e := range entries {
		need += e.Size
	}
	room := int64(maxBytes - len(out))
	if len(out) == 0 && len(entries) > 0 {
		room = max(room, entries[0].Size)
	}
	return slices.Grow(out, int(max(min(need, room), 0)))
}

// appendEntries appends the batches of entries at or past offset to out,
// within maxBytes; it returns the next offset to read, the records added,
// and whether the byte budget is spent. Each run of entries is first put
// whole at the end of out (read there straight from a RangeReader, or
// copied from the cache or a ranged read), then its batches are kept in
// place: those before offset or past the budget dropped, base offsets
// patched.
func (r *Reader) appendEntries(ctx context.Context, out []byte, entries []metastore.IndexEntry, offset int64, maxBytes int, strict bool) ([]byte, int64, int, bool, error) {
	next, records := offset, 0
	for i := 0; i < len(entries); {
		w := len(out)
		grown, raws, j, err := r.fill(ctx, out, entries, i, maxBytes-w)
		if err != nil {
			return out, next, records, false, err
		}
		out = grown
		pos := w
		for k := i; k < j; k++ {
			e := entries[k]
			if raws != nil {
				out, pos = append(out[:w], raws[k-i]...), w
			}
			region := out[pos : pos+int(e.Size)]
			pos += int(e.Size)
			var n int
			var full bool
			w, next, n, full, err = keepBatches(out, w, region, e, offset, next, maxBytes, strict)
			records += n
			if err != nil || full {
				return out[:w], next, records, full, err
			}
			next = e.LastOffset + 1
		}
		out, i = out[:w], j
	}
	return out, next, records, false, nil
}

// keepBatches walks raw, one entry's bytes, which lie in out at or after
// w, and moves each batch at or past offset down to out[w:] with its base
// offset patched, while they fit in maxBytes (the first batch of a read
// whole, KIP-74, unless strict). It returns the new end of what is kept,
// the next offset to read, the records kept and whether the budget is
// spent.
func keepBatches(out []byte, w int, raw []byte, e metastore.IndexEntry, offset, next int64, maxBytes int, strict bool) (int, int64, int, bool, error) {
	base, records, full := e.BaseOffset, 0, false
	var perr error
	werr := recordbatch.Walk(raw, func(h recordbatch.Header, b []byte) bool {
		last := base + int64(h.LastOffsetDelta)
		batchBase := base
		base = last + 1
		if last < offset {
			return true
		}
		if w+len(b) > maxBytes && (w > 0 || strict) {
			full = true
			return false
		}
		kept := out[w : w+copy(out[w:], b)] // b lies at or after w: a move down, never over bytes still to walk
		if err := recordbatch.PatchBaseOffset(kept, batchBase); err != nil {
			perr = fmt.Errorf("patching base offset %d: %w", batchBase, err)
			return false
		}
		w += len(kept)
		next = last + 1
		records += int(h.NumRecords)
		return true
	})
	if werr == nil {
		werr = perr // Walk framed the batch, so this is not expected
	}
	if werr != nil {
		return w, next, records, false, fmt.Errorf("%w: object %s at %d: %v", ErrCorrupt, e.ObjectKey, e.Pos, werr)
	}
	return w, next, records, full, nil
}

// fill makes entries[i:j] available for appendEntries, for some j > i:
// a cache hit, or a run of misses side by side in one object, returned as
// raws; or, from a RangeReader, a run of misses of at most room bytes
// (one entry at least) read straight onto the end of out and not cached
// (the page cache holds local files), raws nil.
func (r *Reader) fill(ctx context.Context, out []byte, entries []metastore.IndexEntry, i, room int) ([]byte, [][]byte, int, error) {
	e := entries[i]
	if b, ok := r.cache.get(cacheKey{e.ObjectKey, e.Pos, e.Size}); ok {
		return out, [][]byte{b}, i + 1, nil
	}
	j := r.missRun(entries, i)
	if r.rr == nil {
		raws, err := r.load(ctx, entries[i:j])
		return out, raws, j, err
	}
	end, size := i+1, e.Size
	for end < j && size+entries[end].Size <= int64(room) {
		size += entries[end].Size
		end++
	}
	j = end
	w := len(out)
	out = slices.Grow(out, int(size))[:w+int(size)]
	if err := r.rr.ReadRange(ctx, e.ObjectKey, e.Pos, out[w:]); err != nil {
		return out[:w], nil, i, fmt.Errorf("read %s [%d, %d): %w", e.ObjectKey, e.Pos, e.Pos+size, err)
	}
	return out, nil, j, nil
}

// missRun is the end of the run of cache misses from i that sit side by
// side in one object, which one ranged read covers.
func (r *Reader) missRun(entries []metastore.IndexEntry, i int) int {
	j := i + 1
	for j < len(entries) && entries[j].ObjectKey == entries[i].ObjectKey && entries[j].Pos == entries[j-1].Pos+entries[j-1].Size {
		if _, ok := r.cache.get(cacheKey{entries[j].ObjectKey, entries[j].Pos, entries[j].Size}); ok {
			break
		}
		j++
	}
	return j
}

// load reads a run of missRun with one ranged read, caches each entry's
// bytes and returns them.
func (r *Reader) load(ctx context.Context, run []metastore.IndexEntry) ([][]byte, error) {
	first, last := run[0], run[len(run)-1]
	end := last.Pos + last.Size
	buf, err := r.obj.GetRange(ctx, first.ObjectKey, first.Pos, end-first.Pos)
	if err != nil {
		return nil, fmt.Errorf("read %s [%d, %d): %w", first.ObjectKey, first.Pos, end, err)
	}
	raws := make([][]byte, len(run))
	for k, e := range run {
		b := buf[e.Pos-first.Pos : e.Pos-first.Pos+e.Size]
		r.cache.put(cacheKey{e.ObjectKey, e.Pos, e.Size}, ownBytes(b, len(buf)))
		raws[k] = b
	}
	return raws, nil
}

// ownBytes returns b to be cached, copied out of its read buffer of
// bufLen bytes when it is less than half of it: an uncopied entry then
// pins at most twice what the cache counts for it.
func ownBytes(b []byte, bufLen int) []byte {
	if 2*len(b) < bufLen {
		return bytes.Clone(b)
	}
	return b
}
