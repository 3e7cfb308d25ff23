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
// Cold reads from a store that reads into the caller's buffer
// (objstore.RangeReader: the local disk) go straight into the result,
// which is sized once from the index entries, and are not cached: the
// operating system's page cache already holds the file, and copying each
// range out of a buffer of its own cost as much CPU as the read (a fetch
// of 1 MiB allocated 6.2 MB; now 1.1). The result's batches are then kept
// in place, those before the offset or past the budget dropped. Cold
// reads from other stores (S3) are cached as before. ReadAppend reads
// into a caller's buffer (the fetch handler reuses them from one
// response to the next); Records is then that buffer's array unless the
// read outgrew it, and the caller must not reuse it while Records is in
// use.
//
// It also runs the long poll: Watch and WatchChanges register interest in
// partitions, and the write path's OnFlushed hook (or, in cluster mode,
// PollRemote, one metadata query for every watched partition per tick)
// wakes the watchers of the partitions that changed; WatchChanges also
// says which ones, so a woken fetch re-reads only those.
package read
