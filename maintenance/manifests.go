package maintenance

import (
	"context"
	"errors"
	"fmt"

	icetable "github.com/apache/iceberg-go/table"
)

// manifestCount is the number of manifests of tbl's current snapshot.
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
	return len(ms), nil
}

// rewriteManifests merges the current snapshot's manifests into
// target-sized ones (iceberg-go's RewriteManifests, a metadata-only
// replace snapshot) when there are at least opts.MinManifests of them:
// every ingest commit adds one, and a query plans by reading them all.
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
	res, err := tx.RewriteManifests(ctx)
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
