package metastoretest

import (
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
)

// testCommitFencing races committers, each committing its own partitions
// at the generation it last read, against a coordinator that bumps the
// group's generation with PutGroup. After each bump the coordinator reads
// the offsets: a commit at an older generation that succeeded must be in
// that read (or superseded by a later one of the same committer), since
// it may only have been stored before the bump. Commits fail only with
// ErrIllegalGeneration, and the offsets left are the last successful
// commit of each committer.
func testCommitFencing(t *testing.T, h *harness) {
	const committers, bumps = 6, 15
	ctx, gs := t.Context(), h.s
	h.put(t, group("g", "Stable", 0), 0)

	type success struct {
		gen int32
		seq int64 // the offset committed; rising per committer
	}
	succeeded := make([][]success, committers) // each written by its committer only
	afterBump := make([][]metastore.GroupOffset, bumps+1)
	var done atomic.Bool
	var refused atomic.Int64

	bump := func() error {
		defer done.Store(true)
		prev := int64(1)
		for gen := int32(1); gen <= bumps; gen++ {
			time.Sleep(3 * time.Millisecond) // let commits in
			g, err := gs.PutGroup(ctx, group("g", "Stable", gen), prev)
			if err != nil {
				return fmt.Errorf("bump to generation %d: %w", gen, err)
			}
			prev = g.Version
			if afterBump[gen], err = gs.FetchOffsets(ctx, "g"); err != nil {
				return fmt.Errorf("fetch after bump to %d: %w", gen, err)
			}
		}
		return nil
	}
	commit := func(c int32) error {
		for seq := int64(1); !done.Load(); seq++ {
			g, err := gs.Group(ctx, "g")
			if err != nil {
				return err
			}
			offs := []metastore.GroupOffset{fenced(c, seq, g.Generation), fenced(c+committers, seq, g.Generation)}
			switch err := gs.CommitOffsets(ctx, "g", g.Generation, offs); {
			case err == nil:
				succeeded[c] = append(succeeded[c], success{g.Generation, seq})
			case errors.Is(err, metastore.ErrIllegalGeneration):
				refused.Add(1)
			default:
				return fmt.Errorf("committer %d at generation %d: %w", c, g.Generation, err)
			}
		}
		return nil
	}
	parallel(t, committers+1, func(i int) error {
		if i == committers {
			return bump()
		}
		return commit(int32(i))
	})

	final := h.fetch(t, "g")
	var want []metastore.GroupOffset
	total := 0
	for c, ss := range succeeded {
		total += len(ss)
		for _, s := range ss {
			if s.gen == bumps {
				continue // never bumped past
			}
			for _, p := range []int32{int32(c), int32(c) + committers} {
				if o := find(afterBump[s.gen+1], p); o.Offset < s.seq {
					t.Fatalf("committer %d's commit %d at generation %d was stored after the bump to %d (offsets then: %+v)",
						c, s.seq, s.gen, s.gen+1, afterBump[s.gen+1])
				}
			}
		}
		if len(ss) > 0 {
			last := ss[len(ss)-1]
			want = append(want, fenced(int32(c), last.seq, last.gen), fenced(int32(c)+committers, last.seq, last.gen))
		}
	}
	if total == 0 {
		t.Fatal("no commit succeeded")
	}
	slices.SortFunc(want, metastore.CompareOffsets)
	same := func(a, b metastore.GroupOffset) bool { a.CommittedAt = b.CommittedAt; return a == b }
	if !slices.EqualFunc(final, want, same) {
		t.Fatalf("offsets after the race =\n%+v\nwant the last successful commits\n%+v", final, want)
	}

	// A zombie at an old generation is refused and changes nothing.
	err := gs.CommitOffsets(ctx, "g", bumps-1, []metastore.GroupOffset{fenced(0, 1<<40, bumps-1)})
	mustErr(t, err, metastore.ErrIllegalGeneration)
	if got := h.fetch(t, "g"); !slices.EqualFunc(got, want, same) {
		t.Fatalf("a refused commit changed the offsets to %+v", got)
	}
	t.Logf("%d commits stored, %d refused, across %d generations", total, refused.Load(), bumps+1)
}

// fenced is the offset a fencing committer commits: its sequence number
// as the offset, and the generation as leader epoch and metadata.
func fenced(partition int32, seq int64, gen int32) metastore.GroupOffset {
	return metastore.GroupOffset{Topic: "t", Partition: partition, Offset: seq, LeaderEpoch: gen, Metadata: fmt.Sprint("gen ", gen)}
}

// find returns partition p of topic t in offs (offset -1 if absent).
func find(offs []metastore.GroupOffset, p int32) metastore.GroupOffset {
	for _, o := range offs {
		if o.Topic == "t" && o.Partition == p {
			return o
		}
	}
	return metastore.GroupOffset{Offset: -1}
}
