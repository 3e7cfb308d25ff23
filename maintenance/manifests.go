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
	s := tbl.CurrentSnapshot()
	if s == nil {
		return 0, nil
	}
	fs, err := tbl.FS(ctx)
	if err != nil {
		return 0, fmt.Errorf("table file system: %w", err)
	}
	ms, err := s.Manifests(fs)
	if err != nil {
		return 0, fmt.Errorf("list manifests: %w", err)
	}
	small := smallManifest(tbl)
	n := 0
	for _, m := range ms {
		if small(m) {
			n++
		}
	}
	return n, nil
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
// opts.MinManifests of them: every ingest commit adds one, and every
// query reads them all to plan.
// It is pinned to the head it read; when ingest commits first the
// rewrite is skipped (nothing lost: the next run does it). The snapshot
// carries no tributary.offsets of its own: ReadOffsets walks to its
// parent, whose rows it has.
func rewriteManifests(ctx context.Context, tbl *icetable.Table, opts Options, rep *Report) (*icetable.Table, error) {
	n, err := manifestCount(ctx, tbl)
	if err != nil || n < opts.MinManifests || opts.DryRun {
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
