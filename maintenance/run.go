package maintenance

import (
	"context"
	"fmt"
	"strings"
	"time"

	icecatalog "github.com/apache/iceberg-go/catalog"
	icetable "github.com/apache/iceberg-go/table"
)

// Stats describe a table's current snapshot.
type Stats struct {
	DataFiles int   `json:"data_files"`
	DataBytes int64 `json:"data_bytes"`
	Snapshots int   `json:"snapshots"`
}

// MeanFileSize is DataBytes / DataFiles (0 for no files).
func (s Stats) MeanFileSize() int64 {
	if s.DataFiles == 0 {
		return 0
	}
	return s.DataBytes / int64(s.DataFiles)
}

// TableStats reads tbl's stats from its manifests.
func TableStats(ctx context.Context, tbl *icetable.Table) (Stats, error) {
	st := Stats{Snapshots: len(tbl.Metadata().Snapshots())}
	if tbl.CurrentSnapshot() == nil {
		return st, nil
	}
	tasks, err := tbl.Scan().PlanFiles(ctx)
	if err != nil {
		return st, fmt.Errorf("list data files: %w", unreadable(tbl, err))
	}
	for _, t := range tasks {
		st.DataFiles++
		st.DataBytes += t.File.FileSizeBytes()
	}
	return st, nil
}

// Report is what one Run did (or, with DryRun, would do).
type Report struct {
	Table  string `json:"table"`
	DryRun bool   `json:"dry_run,omitempty"`
	Before Stats  `json:"before"`
	After  Stats  `json:"after"`
	// Plan lists the compaction groups found.
	Plan           []GroupPlan `json:"plan,omitempty"`
	Groups         int         `json:"groups_rewritten"`
	FilesRewritten int         `json:"files_rewritten"`
	FilesWritten   int         `json:"files_written"`
	BytesRewritten int64       `json:"bytes_rewritten"`
	BytesWritten   int64       `json:"bytes_written"`
	// ManifestsRewritten manifests were merged into ManifestsWritten.
	ManifestsRewritten int `json:"manifests_rewritten,omitempty"`
	ManifestsWritten   int `json:"manifests_written,omitempty"`
	// FilesDropped counts the data files retention deleted (or would).
	FilesDropped int `json:"files_dropped,omitempty"`
	// SnapshotsExpired counts snapshots removed (or that would be).
	SnapshotsExpired int `json:"snapshots_expired"`
	// SnapshotsThinned counts snapshots thinning removed (or would).
	SnapshotsThinned int           `json:"snapshots_thinned,omitempty"`
	OrphansFound     int           `json:"orphans_found"`
	OrphansRemoved   int           `json:"orphans_removed"`
	OrphanBytes      int64         `json:"orphan_bytes"`
	Started          time.Time     `json:"started"`
	Duration         time.Duration `json:"duration_ns"`
}

// String is the report in one line.
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: files %d→%d, bytes %d→%d, mean file %d→%d B", r.Table, r.Before.DataFiles, r.After.DataFiles,
		r.Before.DataBytes, r.After.DataBytes, r.Before.MeanFileSize(), r.After.MeanFileSize())
	if r.DryRun {
		fmt.Fprintf(&b, " (dry run: %d groups planned)", len(r.Plan))
	} else {
		fmt.Fprintf(&b, ", %d files rewritten into %d", r.FilesRewritten, r.FilesWritten)
	}
	if r.ManifestsRewritten > 0 {
		fmt.Fprintf(&b, ", %d manifests merged into %d", r.ManifestsRewritten, r.ManifestsWritten)
	}
	if r.FilesDropped > 0 {
		fmt.Fprintf(&b, ", %d files dropped by retention", r.FilesDropped)
	}
	if r.SnapshotsThinned > 0 {
		fmt.Fprintf(&b, ", snapshots thinned %d", r.SnapshotsThinned)
	}
	fmt.Fprintf(&b, ", snapshots expired %d (%d→%d), orphans removed %d of %d (%d B), took %s",
		r.SnapshotsExpired, r.Before.Snapshots, r.After.Snapshots, r.OrphansRemoved, r.OrphansFound, r.OrphanBytes, r.Duration.Round(time.Millisecond))
	return b.String()
}

// Run maintains one table: retention (when set), compaction, manifest
// merging, then history thinning and snapshot expiry, then (when asked) orphan removal. A failed step stops the run; what was done
// before it stays done, and a second Run picks up where it stopped.
func Run(ctx context.Context, cat icecatalog.Catalog, ident icetable.Identifier, opts Options) (Report, error) {
	opts = opts.withDefaults()
	rep := Report{Table: strings.Join(ident, "."), DryRun: opts.DryRun, Started: time.Now()}
	defer func() { rep.Duration = time.Since(rep.Started) }()
	tbl, err := cat.LoadTable(ctx, ident)
	if err != nil {
		return rep, fmt.Errorf("load table %s: %w", rep.Table, err)
	}
	if rep.Before, err = TableStats(ctx, tbl); err != nil {
		return rep, err
	}
	rep.After = rep.Before
	wrap := func(err error) (Report, error) {
		rep.Duration = time.Since(rep.Started)
		return rep, fmt.Errorf("maintain %s: %w", rep.Table, err)
	}
	if opts.Retention > 0 {
		if tbl, err = dropExpired(ctx, cat, tbl, opts, &rep); err != nil {
			return wrap(err)
		}
	}
	if !opts.NoCompact {
		if tbl, err = compact(ctx, cat, tbl, opts, &rep); err != nil {
			return wrap(err)
		}
	}
	if !opts.NoCompact {
		if tbl, err = rewriteManifests(ctx, tbl, opts, &rep); err != nil {
			return wrap(err)
		}
	}
	if !opts.NoExpire {
		// Thinning first: expiry's file cleanup reads every snapshot
		// it keeps.
		if tbl, err = thin(ctx, cat, tbl, opts, &rep); err != nil {
			return wrap(err)
		}
		if tbl, err = expire(ctx, cat, tbl, opts, &rep); err != nil {
			return wrap(err)
		}
	}
	if opts.RemoveOrphans {
		if err := removeOrphans(ctx, tbl, opts, &rep); err != nil {
			return wrap(err)
		}
	}
	if !opts.DryRun {
		if rep.After, err = TableStats(ctx, tbl); err != nil {
			return wrap(err)
		}
	}
	rep.Duration = time.Since(rep.Started)
	opts.Logger.Info("maintenance: done", "report", rep.String())
	return rep, nil
}
