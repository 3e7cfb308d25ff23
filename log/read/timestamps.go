package read

import (
	"context"
	"fmt"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/log/recordbatch"
)

// scanIndex calls fn for each index entry of pk from the log start, in
// offset order, with the log start (which may lie inside the first entry,
// after DeleteRecords), until fn returns false.
func (r *Reader) scanIndex(ctx context.Context, pk metastore.PartitionKey, fn func(e metastore.IndexEntry, logStart int64) bool) (metastore.PartitionState, error) {
	from := int64(0)
	for {
		entries, st, err := r.meta.ReadIndex(ctx, pk, from, indexPage)
		if err != nil {
			return st, fmt.Errorf("scan index of %v: %w", pk, err)
		}
		for _, e := range entries {
			if !fn(e, st.LogStart) {
				return st, nil
			}
			from = e.LastOffset + 1
		}
		if len(entries) < indexPage {
			return st, nil
		}
	}
}

// entryBatches reads one index entry's batches, baseOffsets patched.
func (r *Reader) entryBatches(ctx context.Context, e metastore.IndexEntry) ([]byte, error) {
	raws, err := r.load(ctx, []metastore.IndexEntry{e})
	if err != nil {
		return nil, err
	}
	out := append([]byte(nil), raws[0]...)
	if _, err := recordbatch.PatchRecordSet(out, e.BaseOffset); err != nil {
		return nil, fmt.Errorf("%w: object %s at %d: %v", ErrCorrupt, e.ObjectKey, e.Pos, err)
	}
	return out, nil
}

// OffsetForTimestamp returns the earliest offset whose record timestamp is
// at least ts, and that timestamp (ListOffsets by time); found is false
// when no record is that recent.
func (r *Reader) OffsetForTimestamp(ctx context.Context, pk metastore.PartitionKey, ts int64) (offset, timestamp int64, found bool, err error) {
	var scanErr error
	_, err = r.scanIndex(ctx, pk, func(e metastore.IndexEntry, logStart int64) bool {
		if e.MaxTimestamp < ts {
			return true
		}
		data, err := r.entryBatches(ctx, e)
		if err != nil {
			scanErr = err
			return false
		}
		werr := recordbatch.Walk(data, func(h recordbatch.Header, raw []byte) bool {
			o, t, ok, ferr := recordbatch.FindOffsetByTimestampFrom(raw, h.BaseOffset, ts, logStart)
			if ferr != nil {
				scanErr = ferr
				return false
			}
			if ok {
				offset, timestamp, found = o, t, true
				return false
			}
			return true
		})
		if werr != nil && scanErr == nil {
			scanErr = werr
		}
		return !found && scanErr == nil
	})
	if err == nil {
		err = scanErr
	}
	return offset, timestamp, found, err
}

// MaxTimestamp returns the offset and timestamp of the record with the
// largest timestamp (the first such on ties), KIP-734; found is false for
// an empty partition.
func (r *Reader) MaxTimestamp(ctx context.Context, pk metastore.PartitionKey) (offset, timestamp int64, found bool, err error) {
	var best *metastore.IndexEntry
	_, err = r.scanIndex(ctx, pk, func(e metastore.IndexEntry, _ int64) bool {
		if best == nil || e.MaxTimestamp > best.MaxTimestamp {
			c := e
			best = &c
		}
		return true
	})
	if err != nil || best == nil {
		return -1, -1, false, err
	}
	data, err := r.entryBatches(ctx, *best)
	if err != nil {
		return -1, -1, false, err
	}
	timestamp = -1
	var ferr error
	werr := recordbatch.Walk(data, func(h recordbatch.Header, raw []byte) bool {
		o, t, err := recordbatch.MaxTimestampRecord(raw, h.BaseOffset)
		if err != nil {
			ferr = err
			return false
		}
		if t > timestamp {
			offset, timestamp, found = o, t, true
		}
		return true
	})
	if ferr == nil {
		ferr = werr
	}
	return offset, timestamp, found, ferr
}
