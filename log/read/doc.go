// Package fetch is the read path: it turns (partition, offset, max bytes)
// into record batches, by reading the metadata-store index, reading the
// byte ranges it names from the object store (coalescing ranges that sit
// side by side in one object, as segments do), through a bounded in-memory
// cache, and patching each batch's baseOffset, which the batch CRC does not
// cover, to the offset the index assigned.
//
// It also runs the long poll: Watch registers interest in partitions, and
// the write path's OnCommit hook wakes the watchers of the partitions it
// just committed.
package read
