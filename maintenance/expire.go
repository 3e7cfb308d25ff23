package maintenance

import (
	"context"
	"errors"
	"fmt"
	"time"

	icecatalog "github.com/apache/iceberg-go/catalog"
	icetable "github.com/apache/iceberg-go/table"

	"github.com/tributary-io/tributary/internal/wait"
)

// expire removes snapshots the table's retention no longer keeps, and
// the files only they referenced (iceberg-go's ExpireSnapshots). A commit
// that meets another (ingest's) is redone on the reloaded table.
func expire(ctx context.Context, cat icecatalog.Catalog, tbl *icetable.Table, opts Options, rep *Report) (*icetable.Table, error) {
	var err error
	for attempt := range 5 {
		if attempt > 0 {
			if err := wait.Sleep(ctx, time.Duration(100<<attempt)*time.Millisecond); err != nil {
				return tbl, err
			}
			fresh, lerr := cat.LoadTable(ctx, tbl.Identifier())
			if lerr != nil {
				return tbl, fmt.Errorf("expire snapshots: %w", lerr)
			}
			tbl = fresh
		}
		var out *icetable.Table
		out, err = expireOnce(ctx, tbl, opts, rep)
		if err == nil || !errors.Is(err, icetable.ErrCommitFailed) {
			return out, err
		}
	}
	return tbl, err
}

func expireOnce(ctx context.Context, tbl *icetable.Table, opts Options, rep *Report) (*icetable.Table, error) {
	var eo []icetable.ExpireSnapshotsOpt
	switch _, set := tbl.Properties()[icetable.MaxSnapshotAgeMsKey]; {
	case opts.ExpireOlderThan > 0:
		eo = append(eo, icetable.WithOlderThan(opts.ExpireOlderThan))
	case !set:
		eo = append(eo, icetable.WithOlderThan(DefaultExpireAge))
	}
	before := len(tbl.Metadata().Snapshots())
	tx := tbl.NewTransaction()
	if opts.DryRun {
		// Stage it to count, commit nothing.
		eo = append(eo, icetable.WithPostCommit(false))
	}
	if err := tx.ExpireSnapshots(eo...); err != nil {
		return tbl, fmt.Errorf("expire snapshots: %w", err)
	}
	staged, err := tx.StagedTable()
	if err != nil {
		return tbl, fmt.Errorf("expire snapshots: %w", err)
	}
	n := before - len(staged.Metadata().Snapshots())
	if opts.DryRun || n == 0 {
		rep.SnapshotsExpired = n
		return tbl, nil
	}
	if testBeforeCommit != nil {
		testBeforeCommit()
	}
	out, err := tx.Commit(ctx)
	if err != nil {
		return tbl, fmt.Errorf("expire snapshots: %w", err)
	}
	rep.SnapshotsExpired = n
	return out, nil
}

// removeOrphans deletes files under the table location no metadata
// references, older than the window (iceberg-go's DeleteOrphanFiles).
func removeOrphans(ctx context.Context, tbl *icetable.Table, opts Options, rep *Report) error {
	res, err := tbl.DeleteOrphanFiles(ctx, icetable.WithFilesOlderThan(opts.OrphanOlderThan), icetable.WithDryRun(opts.DryRun))
	if err != nil {
		return fmt.Errorf("remove orphan files: %w", err)
	}
	rep.OrphansFound = len(res.OrphanFileLocations)
	rep.OrphanBytes = res.TotalSizeBytes
	rep.OrphansRemoved = len(res.DeletedFiles)
	return nil
}
