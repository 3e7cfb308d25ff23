package maintenance

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/apache/iceberg-go"
	icecatalog "github.com/apache/iceberg-go/catalog"
	icetable "github.com/apache/iceberg-go/table"

	ticeberg "github.com/tributary-io/tributary/iceberg"
	"github.com/tributary-io/tributary/internal/wait"
)

// Table properties of history thinning (Tributary's own: Iceberg has
// none). Values are milliseconds, as history.expire.max-snapshot-age-ms.
const (
	// PropThinAfter: snapshots younger than this are all kept.
	PropThinAfter = "tributary.history.thin-after-ms"
	// PropThinInterval: of the older ones, one per interval of this
	// length is kept (the newest of each); 0 turns thinning off.
	PropThinInterval = "tributary.history.thin-interval-ms"
	// TagThinned is the tag every thinning commit sets on the newest
	// snapshot it keeps before the window. Thinning breaks the parent
	// chain; a table with one ref would have Java's core ExpireSnapshots
	// clean files incrementally, which takes a kept snapshot the head
	// no longer reaches for a rolled-back commit and deletes the files
	// it added, though later snapshots still read them. With a second
	// ref Java cleans by reachability, as iceberg-go does.
	TagThinned = "tributary-thinned"
)

// thinning is what thin keeps: every snapshot younger than after, and
// one per interval before that.
type thinning struct {
	after, interval time.Duration
}

// thinningFor resolves the options over tbl's properties and the
// defaults; ok is false when thinning is off.
func thinningFor(props iceberg.Properties, opts Options) (th thinning, ok bool) {
	th.after = opts.ThinAfter
	if th.after == 0 {
		th.after = time.Duration(props.GetInt64(PropThinAfter, DefaultThinAfter.Milliseconds())) * time.Millisecond
	}
	th.interval = opts.ThinInterval
	if th.interval == 0 {
		th.interval = time.Duration(props.GetInt64(PropThinInterval, DefaultThinInterval.Milliseconds())) * time.Millisecond
	}
	return th, th.after >= 0 && th.interval > 0
}

// thinPlan returns the snapshots thinning removes from md at now: those
// older than th.after that are not the newest snapshot of their interval
// (intervals are aligned on the epoch, so the one kept in an interval
// stays the same from run to run). Never removed: the snapshot of every
// branch and tag, the ancestors of a branch other than main, the first
// history.expire.min-snapshots-to-keep ancestors of every branch, and the
// main branch's ancestors down to the newest one carrying
// tributary.offsets (ingest's resume point). Candidates are main's
// ancestors, and the snapshots Tributary wrote (they carry
// tributary.offsets) that no ref reaches any more: a thinned history
// breaks the parent chain, so the kept old snapshots are reached no other
// way. Snapshots nothing reaches that Tributary did not write (a staged
// write-audit-publish snapshot, a rolled-back one) are left to age
// expiry.
func thinPlan(h history, now time.Time, th thinning) []int64 {
	snaps := h.snaps
	byID := make(map[int64]*icetable.Snapshot, len(snaps))
	for i := range snaps {
		byID[snaps[i].SnapshotID] = &snaps[i]
	}
	lookup := func(id int64) *icetable.Snapshot { return byID[id] }
	keep := map[int64]bool{}
	reached := map[int64]bool{}   // from any ref
	otherBr := map[int64]bool{}   // ancestors of branches other than main
	candidate := map[int64]bool{} // main's ancestors
	for name, ref := range h.refs {
		keep[ref.SnapshotID] = true
		reached[ref.SnapshotID] = true
		if ref.SnapshotRefType != icetable.BranchRef {
			continue
		}
		minKeep := h.minKeep
		if ref.MinSnapshotsToKeep != nil {
			minKeep = *ref.MinSnapshotsToKeep
		}
		resumeFound := false
		for i, s := range icetable.AncestorsOf(ref.SnapshotID, lookup) {
			reached[s.SnapshotID] = true
			if i < minKeep {
				keep[s.SnapshotID] = true
			}
			if name != icetable.MainBranch {
				otherBr[s.SnapshotID] = true
				continue
			}
			candidate[s.SnapshotID] = true
			if !resumeFound {
				keep[s.SnapshotID] = true
				resumeFound = hasOffsets(&s)
			}
		}
	}
	for i := range snaps {
		if s := &snaps[i]; !reached[s.SnapshotID] && hasOffsets(s) {
			candidate[s.SnapshotID] = true
		}
	}
	intervalMs := th.interval.Milliseconds()
	newest := map[int64]*icetable.Snapshot{}
	for i := range snaps {
		s := &snaps[i]
		b := s.TimestampMs / intervalMs
		if n := newest[b]; n == nil || s.TimestampMs > n.TimestampMs ||
			(s.TimestampMs == n.TimestampMs && s.SequenceNumber > n.SequenceNumber) {
			newest[b] = s
		}
	}
	cutoff := now.Add(-th.after).UnixMilli()
	var out []int64
	for i := range snaps {
		s := &snaps[i]
		switch {
		case !candidate[s.SnapshotID] || keep[s.SnapshotID] || otherBr[s.SnapshotID]:
		case s.TimestampMs >= cutoff:
		case newest[s.TimestampMs/intervalMs] == s:
		default:
			out = append(out, s.SnapshotID)
		}
	}
	return out
}

// thinTagTarget is the snapshot TagThinned goes to when ids are
// removed: the newest one kept that is older than cutoff (there is none
// when thinning kept no older snapshot, and then no gap either).
func thinTagTarget(snaps []icetable.Snapshot, ids []int64, cutoff time.Time) (int64, bool) {
	gone := make(map[int64]bool, len(ids))
	for _, id := range ids {
		gone[id] = true
	}
	var best *icetable.Snapshot
	for i := range snaps {
		s := &snaps[i]
		if !gone[s.SnapshotID] && s.TimestampMs < cutoff.UnixMilli() && (best == nil || s.TimestampMs > best.TimestampMs) {
			best = s
		}
	}
	if best == nil {
		return 0, false
	}
	return best.SnapshotID, true
}

// history is what thinPlan reads of a table's metadata.
type history struct {
	snaps []icetable.Snapshot
	refs  map[string]icetable.SnapshotRef
	// minKeep is the table's history.expire.min-snapshots-to-keep.
	minKeep int
}

func historyOf(md icetable.Metadata) history {
	h := history{snaps: md.Snapshots(), refs: map[string]icetable.SnapshotRef{},
		minKeep: md.Properties().GetInt(icetable.MinSnapshotsToKeepKey, icetable.MinSnapshotsToKeepDefault)}
	for name, ref := range md.Refs() {
		h.refs[name] = ref
	}
	return h
}

// hasOffsets reports whether s carries tributary.offsets.
func hasOffsets(s *icetable.Snapshot) bool {
	if s.Summary == nil {
		return false
	}
	_, ok := s.Summary.Properties[ticeberg.PropOffsets]
	return ok
}

// thin removes the snapshots thinPlan names, in one commit of a
// remove-snapshots update that asserts every ref where it was, then
// deletes the files only they referenced (the update's post-commit step,
// the one ExpireSnapshots runs). Each attempt (load, plan, commit) holds
// the table's iceberg.CommitGate, as a rewrite's does, so ingest in this
// process cannot move the head under it; a commit that meets another
// writer is redone on the reloaded table.
func thin(ctx context.Context, cat icecatalog.Catalog, tbl *icetable.Table, opts Options, rep *Report) (*icetable.Table, error) {
	var err error
	for attempt := range 5 {
		if attempt > 0 {
			if err := wait.Sleep(ctx, time.Duration(100<<attempt)*time.Millisecond); err != nil {
				return tbl, err
			}
		}
		gate := ticeberg.CommitGate(tbl.Location())
		gate.Lock()
		var pre *icetable.Table
		var upd icetable.Update
		pre, upd, err = thinOnce(ctx, cat, tbl.Identifier(), opts, rep)
		gate.Unlock()
		if err == nil && upd == nil {
			return pre, nil
		}
		if err == nil {
			return postThin(ctx, cat, pre, upd)
		}
		if !errors.Is(err, icetable.ErrCommitFailed) {
			return tbl, err
		}
	}
	return tbl, err
}

// thinOnce loads the table, plans and commits; upd is the committed
// update (nil when nothing was committed) and pre the table it was
// planned on.
func thinOnce(ctx context.Context, cat icecatalog.Catalog, ident icetable.Identifier, opts Options, rep *Report) (pre *icetable.Table, upd icetable.Update, err error) {
	tbl, err := cat.LoadTable(ctx, ident)
	if err != nil {
		return nil, nil, fmt.Errorf("thin snapshots: %w", err)
	}
	md := tbl.Metadata()
	th, ok := thinningFor(md.Properties(), opts)
	if !ok || !md.Properties().GetBool(icetable.GCEnabledKey, true) {
		return tbl, nil, nil
	}
	now := time.Now()
	ids := thinPlan(historyOf(md), now, th)
	if opts.DryRun || len(ids) == 0 || len(ids) < opts.ThinBatch {
		if opts.DryRun {
			rep.SnapshotsThinned = len(ids)
		}
		return tbl, nil, nil
	}
	reqs := []icetable.Requirement{icetable.AssertTableUUID(md.TableUUID())}
	tagged := false
	for name, ref := range md.Refs() {
		reqs = append(reqs, icetable.AssertRefSnapshotID(name, &ref.SnapshotID))
		tagged = tagged || name == TagThinned
	}
	if !tagged {
		reqs = append(reqs, icetable.AssertRefSnapshotID(TagThinned, nil))
	}
	upd = icetable.NewRemoveSnapshotsUpdate(ids, true)
	updates := []icetable.Update{upd}
	if target, ok := thinTagTarget(md.Snapshots(), ids, now.Add(-th.after)); ok {
		updates = append(updates, icetable.NewSetSnapshotRefUpdate(TagThinned, target, icetable.TagRef, 0, 0, 0))
	}
	if testBeforeCommit != nil {
		testBeforeCommit()
	}
	if _, _, err := cat.CommitTable(ctx, ident, reqs, updates); err != nil {
		return tbl, nil, fmt.Errorf("thin snapshots: %w", err)
	}
	rep.SnapshotsThinned = len(ids)
	return tbl, upd, nil
}

// postThin deletes the files only the snapshots upd removed from pre
// referenced, against the table as committed or newer: a file any of its
// snapshots references is kept.
func postThin(ctx context.Context, cat icecatalog.Catalog, pre *icetable.Table, upd icetable.Update) (*icetable.Table, error) {
	post, err := cat.LoadTable(ctx, pre.Identifier())
	if err != nil {
		return pre, fmt.Errorf("thin snapshots: reload: %w", err)
	}
	if err := upd.PostCommit(ctx, pre, post); err != nil {
		return post, fmt.Errorf("thin snapshots: delete their files: %w", err)
	}
	return post, nil
}
