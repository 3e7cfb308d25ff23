package maintenance

import (
	"context"
	"errors"
	"fmt"

	iceberggo "github.com/apache/iceberg-go"
	icetable "github.com/apache/iceberg-go/table"
)

// manifestCount is the number of manifests of tbl's current snapshot
// that are small: under half the manifest target size
// (commit.manifest.target-size-bytes), as one ingest commit's is. A
// merged manifest stays small, and is merged again, until it holds half
// a target of entries; then it is left alone, so a large table's
// manifests are not rewritten run after run.
func manifestCount(ctx context.Context, tbl *icetable.Table) (int, error) {
	n, _, err := manifestCounts(ctx, tbl)
	return n, err
}

// manifestCounts is manifestCount and how many of the small manifests
// are dead: they hold no live file, only entries a snapshot deleted.
func manifestCounts(ctx context.Context, tbl *icetable.Table) (small, dead int, err error) {
	s := tbl.CurrentSnapshot()
	if s == nil {
		return 0, 0, nil
	}
	fs, err := tbl.FS(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("table file system: %w", err)
	}
	ms, err := s.Manifests(fs)
	if err != nil {
		return 0, 0, fmt.Errorf("list manifests: %w", err)
	}
	isSmall := smallManifest(tbl)
	for _, m := range ms {
		if isSmall(m) {
			small++
			if m.AddedDataFiles() == 0 && m.ExistingDataFiles() == 0 {
				dead++
			}
		}
	}
	return small, dead, nil
}

// smallManifest reports whether a manifest of tbl is small (see
// manifestCount).
func smallManifest(tbl *icetable.Table) func(iceberggo.ManifestFile) bool {
	target := tbl.Properties().GetInt64(icetable.ManifestTargetSizeBytesKey, icetable.ManifestTargetSizeBytesDefault)
	return func(m iceberggo.ManifestFile) bool {
		return m.ManifestContent() == iceberggo.ManifestContentData && m.Length() < target/2
	}
}

// rewriteManifests merges the current snapshot's small manifests (see
// manifestCount) into target-sized ones (iceberg-go's RewriteManifests, a
// metadata-only replace snapshot) when there are at least
// opts.MinManifests of them: every ingest commit adds one (on a table
// that does not merge at commit), and every query reads them all to plan.
// A dead manifest (only DELETED entries, as each compaction's replace
// snapshot has) is dropped by the merge; one left by an earlier run is
// reason enough to merge (a table no commit followed keeps it otherwise,
// and DuckDB reads its entries at every query), one this run's
// compaction just left is not: the next ingest commit on a table created
// by package iceberg merges it away without a snapshot of its own.
// It is pinned to the head it read; when ingest commits first the
// rewrite is skipped (nothing lost: the next run does it). The snapshot
// carries no tributary.offsets of its own: ReadOffsets walks to its
// parent, whose rows it has.
func rewriteManifests(ctx context.Context, tbl *icetable.Table, opts Options, rep *Report) (*icetable.Table, error) {
	n, dead, err := manifestCounts(ctx, tbl)
	due := n >= opts.MinManifests || (dead > 0 && rep.Groups == 0)
	if err != nil || !due || opts.DryRun {
		return tbl, err // a dry run stages nothing: staging writes manifests
	}
	tx := tbl.NewTransaction()
	if err := tx.AssertRefSnapshotID(icetable.MainBranch); err != nil {
		return tbl, fmt.Errorf("pin main: %w", err)
	}
	res, err := tx.RewriteManifests(ctx, icetable.WithRewriteManifestPredicate(smallManifest(tbl)))
	if err != nil {
		return tbl, fmt.Errorf("rewrite manifests: %w", err)
	}
	if res.IsNoOp() {
		return tbl, nil
	}
	out, err := tx.Commit(ctx)
	if errors.Is(err, icetable.ErrCommitFailed) {
		opts.Logger.Info("maintenance: manifest rewrite skipped, the table moved", "table", rep.Table)
		return tbl, nil
	}
	if err != nil {
		return tbl, fmt.Errorf("rewrite manifests: %w", err)
	}
	rep.ManifestsRewritten, rep.ManifestsWritten = len(res.RewrittenManifests), len(res.AddedManifests)
	return out, nil
}
