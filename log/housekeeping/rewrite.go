package housekeeping

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/log/recordbatch"
)

// kind is what the rewrite makes of an index entry.
type kind int

const (
	keep         kind = iota // fresh intake data, a big segment, anything else
	oldIntake                // intake data at least SegmentMinAge old
	smallSegment             // a segment entry below target/2
)

// planner cuts a partition's index, fed in offset order, into the groups
// worth rewriting (see the package doc). It is a pure function of the
// entries, the target size and the age cutoff.
type planner struct {
	target int64
	cutoff time.Time // intake written at or before this is old enough

	cur  []metastore.IndexEntry
	kind kind
	size int64
}

// add feeds the next entry and returns a group to rewrite if e closed one.
func (pl *planner) add(e metastore.IndexEntry) []metastore.IndexEntry {
	k := pl.kindOf(e)
	var out []metastore.IndexEntry
	if n := len(pl.cur); n > 0 && (k != pl.kind || e.BaseOffset != pl.cur[n-1].LastOffset+1 || pl.size+e.Size > pl.target) {
		out = pl.finish()
	}
	if k != keep {
		pl.cur, pl.kind, pl.size = append(pl.cur, e), k, pl.size+e.Size
	}
	return out
}

// finish closes the open group and returns it if it is worth rewriting.
func (pl *planner) finish() []metastore.IndexEntry {
	g, k, size := pl.cur, pl.kind, pl.size
	pl.cur, pl.size = nil, 0
	switch {
	case len(g) == 0:
		return nil
	case k == oldIntake && (len(g) > 1 || size < pl.target/2):
		return g
	case k == smallSegment && len(g) > 1 && size >= pl.target/2:
		return g
	}
	return nil
}

func (pl *planner) kindOf(e metastore.IndexEntry) kind {
	switch {
	case strings.HasPrefix(e.ObjectKey, intakePrefix):
		if written, ok := writeTime(e); ok && !written.After(pl.cutoff) {
			return oldIntake
		}
	case strings.HasPrefix(e.ObjectKey, segmentPrefix) && e.Size < pl.target/2:
		return smallSegment
	}
	return keep
}

// bigSegment reports an entry no rewrite touches again.
func (pl *planner) bigSegment(e metastore.IndexEntry) bool {
	return strings.HasPrefix(e.ObjectKey, segmentPrefix) && e.Size >= pl.target/2
}

// writeTime is when an intake entry was written: the time in its object
// key, else its MaxTimestamp.
func writeTime(e metastore.IndexEntry) (time.Time, bool) {
	if t, ok := intakeTime(e.ObjectKey); ok {
		return t, true
	}
	if e.MaxTimestamp >= 0 {
		return time.UnixMilli(e.MaxTimestamp), true
	}
	return time.Time{}, false
}

// rewrite merges pk's groups worth it into segments, walking the index
// from offset from, before which there are only big segments. A failed
// group is counted and skipped; the walk goes on. It returns the offset
// the next pass can start from: past the leading run of big segments.
func (p *pass) rewrite(ctx context.Context, pk metastore.PartitionKey, from int64) (settled int64, err error) {
	pl := planner{target: int64(p.h.cfg.SegmentTargetBytes), cutoff: p.now.Add(-p.h.cfg.SegmentMinAge)}
	settled, settling := from, true
	do := func(g []metastore.IndexEntry) {
		if len(g) == 0 || ctx.Err() != nil {
			return
		}
		if err := p.writeSegment(ctx, pk, g); err != nil && !gone(err) {
			p.fail(fmt.Errorf("rewrite %v [%d, %d]: %w", pk, g[0].BaseOffset, g[len(g)-1].LastOffset, err))
		}
	}
	err = scan(ctx, p.h.meta, pk, from, func(e metastore.IndexEntry, _ metastore.PartitionState) (bool, error) {
		if settling = settling && pl.bigSegment(e); settling {
			settled = e.LastOffset + 1
		}
		do(pl.add(e))
		return ctx.Err() == nil, nil
	})
	if err != nil {
		return from, err
	}
	do(pl.finish())
	return settled, nil
}

// writeSegment copies group's bytes into one new segment object and swaps
// the group's entries for one entry pointing at it.
func (p *pass) writeSegment(ctx context.Context, pk metastore.PartitionKey, group []metastore.IndexEntry) error {
	data, err := p.readGroup(ctx, group)
	if err != nil {
		return err
	}
	first, last := group[0], group[len(group)-1]
	repl := metastore.IndexEntry{
		BaseOffset: first.BaseOffset, LastOffset: last.LastOffset,
		ObjectKey: segmentKey(pk, first.BaseOffset), Size: int64(len(data)), MaxTimestamp: maxTimestamp(group),
	}
	if err := p.h.obj.Put(ctx, repl.ObjectKey, data); err != nil {
		return fmt.Errorf("write segment %s: %w", repl.ObjectKey, err)
	}
	err = p.h.meta.ReplaceIndex(ctx, pk, group, repl)
	switch {
	case err == nil:
		p.rep.SegmentsWritten++
		p.rep.EntriesMerged += len(group)
		p.rep.BytesRewritten += repl.Size
		return nil
	case errors.Is(err, metastore.ErrConflict), gone(err):
		p.rep.Conflicts++
		return p.dropSegment(ctx, repl.ObjectKey, nil)
	case errors.Is(err, metastore.ErrInvalidRequest):
		return p.dropSegment(ctx, repl.ObjectKey, err)
	}
	// Outcome unknown: the segment may be indexed. Leave it; if it is
	// not, the orphan sweep deletes it after OrphanGrace.
	return err
}

// maxTimestamp is a segment entry's MaxTimestamp: the largest of the
// group's. If no entry has one (records without timestamps), it is the
// newest intake write time instead, so retention can still date the
// segment, as Kafka falls back to a segment file's mtime.
func maxTimestamp(group []metastore.IndexEntry) int64 {
	ts := int64(-1)
	for _, e := range group {
		ts = max(ts, e.MaxTimestamp)
	}
	if ts >= 0 {
		return ts
	}
	for _, e := range group {
		if t, ok := intakeTime(e.ObjectKey); ok {
			ts = max(ts, t.UnixMilli())
		}
	}
	return ts
}

// dropSegment deletes a segment the store certainly does not reference
// (its ReplaceIndex was refused) and returns cause, or the delete's error.
func (p *pass) dropSegment(ctx context.Context, key string, cause error) error {
	if err := p.h.obj.Delete(ctx, key); err != nil {
		return errors.Join(cause, fmt.Errorf("delete unindexed segment %s (the orphan sweep will): %w", key, err))
	}
	return cause
}

// readGroup reads the entries' bytes, one ranged read per run of adjacent
// ranges in one object, and checks each entry frames as whole batches
// taking exactly its offsets, since concatenated batches get their
// offsets from the ones before them when read back.
func (p *pass) readGroup(ctx context.Context, group []metastore.IndexEntry) ([]byte, error) {
	var total int64
	for _, e := range group {
		total += e.Size
	}
	data := make([]byte, 0, total)
	for i := 0; i < len(group); {
		e := group[i]
		j := i + 1
		for j < len(group) && group[j].ObjectKey == e.ObjectKey && group[j].Pos == group[j-1].Pos+group[j-1].Size {
			j++
		}
		end := group[j-1].Pos + group[j-1].Size
		buf, err := p.h.obj.GetRange(ctx, e.ObjectKey, e.Pos, end-e.Pos)
		if err != nil {
			return nil, fmt.Errorf("read %s [%d, %d): %w", e.ObjectKey, e.Pos, end, err)
		}
		data = append(data, buf...)
		i = j
	}
	var off int64
	for _, e := range group {
		if err := checkEntry(e, data[off:off+e.Size]); err != nil {
			return nil, err
		}
		off += e.Size
	}
	return data, nil
}

// checkEntry reports whether raw, an entry's bytes, holds whole batches
// whose offsets add up to the entry's.
func checkEntry(e metastore.IndexEntry, raw []byte) error {
	var n int64
	err := recordbatch.Walk(raw, func(h recordbatch.Header, _ []byte) bool {
		n += int64(h.LastOffsetDelta) + 1
		return true
	})
	if err != nil {
		return fmt.Errorf("%w: entry [%d, %d] in %s at %d: %v", ErrCorrupt, e.BaseOffset, e.LastOffset, e.ObjectKey, e.Pos, err)
	}
	if want := e.LastOffset - e.BaseOffset + 1; n != want {
		return fmt.Errorf("%w: entry [%d, %d] in %s at %d holds %d offsets, want %d", ErrCorrupt, e.BaseOffset, e.LastOffset, e.ObjectKey, e.Pos, n, want)
	}
	return nil
}
