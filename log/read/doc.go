// Package fetch is the read path: it turns (partition, offset, max bytes)
// into record batches, by reading the metadata-store index, reading the
// byte ranges it names from the object store (coalescing ranges that sit
// side by side in one object, as segments do), through a bounded in-memory
// cache, and patching each batch's baseOffset, which the batch CRC does not
// cover, to the offset the index assigned.
//
// The cache counts exactly the bytes it keeps alive: an entry less than
// half of the buffer it arrived in is copied out of it, and produced data
// is written through (OnCommit, copied) only for partitions some Read
// asked for in the last 30s, so a topic nobody reads does not fill it.
//
// It also runs the long poll: Watch and WatchChanges register interest in
// partitions, and the write path's OnFlushed hook (or, in cluster mode,
// PollRemote, one metadata query for every watched partition per tick)
// wakes the watchers of the partitions that changed; WatchChanges also
// says which ones, so a woken fetch re-reads only those.
package read
