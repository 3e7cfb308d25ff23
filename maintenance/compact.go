package maintenance

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	iceberggo "github.com/apache/iceberg-go"
	icecatalog "github.com/apache/iceberg-go/catalog"
	icetable "github.com/apache/iceberg-go/table"
	"github.com/apache/iceberg-go/table/compaction"

	"github.com/tributary-io/tributary/iceberg"
	"github.com/tributary-io/tributary/internal/wait"
)

// PropMaintenance marks the snapshots maintenance writes (its summary
// says what ran).
const PropMaintenance = "tributary.maintenance"

// GroupPlan is one compaction group: small files of one table partition
// to be rewritten together.
type GroupPlan struct {
	Partition string `json:"partition"`
	Files     int    `json:"files"`
	Bytes     int64  `json:"bytes"`
	EstOutput int    `json:"est_output_files"`
}

// plan finds the compaction groups of tbl.
func plan(ctx context.Context, tbl *icetable.Table, opts Options) (compaction.Plan, int64, error) {
	target := opts.targetSize(tbl)
	cfg := compaction.DefaultConfig()
	cfg.TargetFileSizeBytes = target
	cfg.MinFileSizeBytes = target * 3 / 4
	cfg.MaxFileSizeBytes = target * 9 / 5
	cfg.MinInputFiles = uint(opts.MinInputFiles)
	p, err := compaction.Analyze(ctx, tbl, cfg)
	if err != nil {
		return p, target, fmt.Errorf("plan compaction: %w", err)
	}
	if !opts.Tiered {
		return p, target, nil
	}
	groups := p.Groups[:0]
	for _, g := range p.Groups {
		if g, ok := tiered(g, opts.MinInputFiles); ok {
			groups = append(groups, g)
		}
	}
	p.Groups = groups
	return p, target, nil
}

// tiered keeps the files of g worth rewriting now, size-tiered by rows
// (a small file's bytes are mostly overhead, so rows measure its data):
// from the smallest up, a file joins while it has at most twice the rows
// of the files already taken together. A file compaction wrote stays out
// until enough new small files add up to half its rows, so each row is
// rewritten about log1.5(partition rows / first merge's rows) times, not
// once per run — which a plain "every file under 75% of the target" rule
// costs on a table ingest commits to every second: today's growing
// compacted file would be rewritten at every run. A group with delete
// files is kept whole.
func tiered(g compaction.Group, minInput int) (compaction.Group, bool) {
	if g.DeleteFileCount > 0 {
		return g, len(g.Tasks) >= minInput
	}
	tasks := slices.Clone(g.Tasks)
	slices.SortStableFunc(tasks, func(a, b icetable.FileScanTask) int {
		return cmp.Compare(a.File.Count(), b.File.Count())
	})
	var rows, bytes int64
	n := 0
	for _, t := range tasks {
		if n > 0 && t.File.Count() > 2*rows {
			break
		}
		rows += t.File.Count()
		bytes += t.File.FileSizeBytes()
		n++
	}
	if n < max(minInput, 2) {
		return g, false
	}
	g.Tasks, g.TotalSizeBytes = tasks[:n], bytes
	return g, true
}

// compact rewrites the small files of the table; rep gets what it did.
func compact(ctx context.Context, cat icecatalog.Catalog, tbl *icetable.Table, opts Options, rep *Report) (*icetable.Table, error) {
	p, target, err := plan(ctx, tbl, opts)
	if err != nil {
		return tbl, err
	}
	for _, g := range p.Groups {
		rep.Plan = append(rep.Plan, GroupPlan{Partition: g.PartitionKey, Files: len(g.Tasks), Bytes: g.TotalSizeBytes,
			EstOutput: max(1, int((g.TotalSizeBytes+target-1)/target))})
	}
	if opts.DryRun || len(p.Groups) == 0 {
		return tbl, nil
	}
	prog := Progress{Table: rep.Table}
	for _, g := range p.Groups {
		prog.FilesTotal += len(g.Tasks)
		prog.BytesTotal += g.TotalSizeBytes
	}
	var results []icetable.CompactionGroupResult
	fail := func(err error) (*icetable.Table, error) {
		removeWritten(ctx, tbl, results)
		return tbl, err
	}
	for _, g := range p.Groups {
		gr, err := rewriteGroup(ctx, tbl, icetable.CompactionTaskGroup{PartitionKey: g.PartitionKey, Tasks: g.Tasks, TotalSizeBytes: g.TotalSizeBytes}, target, opts)
		results = append(results, gr)
		if err != nil {
			return fail(err)
		}
		prog.FilesDone += len(g.Tasks)
		prog.BytesDone += g.TotalSizeBytes
		opts.Logger.Info("maintenance: group rewritten", "table", rep.Table, "partition", g.PartitionKey,
			"files_in", len(g.Tasks), "bytes_in", g.TotalSizeBytes, "files_out", len(gr.NewDataFiles), "bytes_out", gr.BytesAfter)
		if opts.Progress != nil {
			opts.Progress(prog)
		}
	}
	out, err := commitRewrite(ctx, cat, tbl, results, opts)
	if errors.Is(err, errCleanFailure) {
		return fail(err)
	}
	if err != nil {
		// The outcome may be unknown: keep the files (the orphan pass
		// removes them if the commit did not land).
		return tbl, err
	}
	for _, gr := range results {
		rep.FilesRewritten += len(gr.OldDataFiles)
		rep.FilesWritten += len(gr.NewDataFiles)
		rep.BytesRewritten += gr.BytesBefore
		rep.BytesWritten += gr.BytesAfter
	}
	rep.Groups = len(results)
	return out, nil
}

// rewriteGroup reads a group's files, orders their rows and writes them
// as files near target: streamed when the group allows (streamable),
// else in memory, chunk by chunk. It commits nothing; on error the
// result names the files written so far (for removeWritten).
func rewriteGroup(ctx context.Context, tbl *icetable.Table, g icetable.CompactionTaskGroup, target int64, opts Options) (icetable.CompactionGroupResult, error) {
	gr := icetable.CompactionGroupResult{PartitionKey: g.PartitionKey, BytesBefore: g.TotalSizeBytes}
	var err error
	if streamable(tbl, g) {
		gr.NewDataFiles, err = rewriteStreamed(ctx, tbl, g.Tasks, target)
		if errors.Is(err, errOutOfOrder) {
			opts.Logger.Info("maintenance: group rewritten in memory", "partition", g.PartitionKey, "reason", err)
			removeFiles(ctx, tbl, gr.NewDataFiles)
			gr.NewDataFiles, err = rewriteInMemory(ctx, tbl, g.Tasks, min(target, opts.MaxGroupBytes), opts)
		}
	} else {
		gr.NewDataFiles, err = rewriteInMemory(ctx, tbl, g.Tasks, min(target, opts.MaxGroupBytes), opts)
	}
	if err != nil {
		return gr, fmt.Errorf("rewrite group %s: %w", g.PartitionKey, err)
	}
	for _, df := range gr.NewDataFiles {
		gr.BytesAfter += df.FileSizeBytes()
	}
	for _, task := range g.Tasks {
		gr.OldDataFiles = append(gr.OldDataFiles, task.File)
	}
	// Bounds on the kafka and value columns, so filters prune (iceberg-go
	// writes counts only for columns inside structs).
	bounded, err := iceberg.BoundFiles(ctx, tbl, gr.NewDataFiles)
	if err != nil {
		return gr, fmt.Errorf("write group %s: %w", g.PartitionKey, err)
	}
	gr.NewDataFiles = bounded
	return gr, nil
}

// rewriteInMemory rewrites tasks in chunks of at most
// Options.MaxGroupBytes of Parquet, each decoded whole, its rows ordered
// (sorted) and written as files near target. It returns the files
// written, also on error.
func rewriteInMemory(ctx context.Context, tbl *icetable.Table, tasks []icetable.FileScanTask, target int64, opts Options) ([]iceberggo.DataFile, error) {
	wt, err := writerTable(tbl)
	if err != nil {
		return nil, err
	}
	var files []iceberggo.DataFile
	for len(tasks) > 0 {
		n, bytes := 0, int64(0)
		for n < len(tasks) && (n == 0 || bytes+tasks[n].File.FileSizeBytes() <= opts.MaxGroupBytes) {
			bytes += tasks[n].File.FileSizeBytes()
			n++
		}
		written, err := rewriteChunk(ctx, tbl, wt, tasks[:n], target, opts)
		files = append(files, written...)
		if err != nil {
			return files, err
		}
		tasks = tasks[n:]
	}
	return files, nil
}

// rewriteChunk decodes tasks whole, orders their rows and writes them
// with wt's writer settings.
func rewriteChunk(ctx context.Context, tbl, wt *icetable.Table, tasks []icetable.FileScanTask, target int64, opts Options) ([]iceberggo.DataFile, error) {
	sc, recs, err := tbl.Scan().ReadTasks(ctx, tasks)
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	var batches []arrow.RecordBatch
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	for rec, err := range recs {
		if err != nil {
			return nil, fmt.Errorf("read: %w", err)
		}
		batches = append(batches, rec)
	}
	var files []iceberggo.DataFile
	for df, err := range icetable.WriteRecords(ctx, wt, sc, coalesced(sorted(batches, sc, opts.Mem), opts.Mem),
		icetable.WithClusteredWrite(), icetable.WithTargetFileSize(target)) {
		if err != nil {
			return files, fmt.Errorf("write: %w", err)
		}
		files = append(files, df)
	}
	return files, nil
}

// testBeforeCommit, when set by a test, runs between staging a rewrite
// or an expiry and committing it.
var testBeforeCommit func()

// testNoGate, set by a test, makes the rewrite commit ignore the table's
// commit gate, as a writer in another process meets it.
var testNoGate bool

// errCleanFailure: the rewrite was not committed and certainly will not
// be; the files it wrote can go.
var errCleanFailure = errors.New("rewrite not committed")

// commitRewrite commits results (planned on planned's current snapshot)
// as one replace snapshot on the main branch's current head, carrying
// that head's offsets and asserting the head did not move; when it did
// (ingest committed), it reloads and tries again on the new head, up to
// opts.CommitAttempts times. Each attempt holds the table's
// iceberg.CommitGate, so ingest in this process cannot move the head
// under it.
func commitRewrite(ctx context.Context, cat icecatalog.Catalog, planned *icetable.Table, results []icetable.CompactionGroupResult, opts Options) (*icetable.Table, error) {
	ident, loc := planned.Identifier(), planned.Location()
	plannedID := snapshotID(planned)
	var last error
	// ambiguous: an attempt failed in a way that may have applied it
	// (a 5xx, a lost answer, a cancelled request): its files must stay
	// until the orphan pass, which knows.
	ambiguous := false
	giveUp := func(err error) (*icetable.Table, error) {
		if ambiguous {
			return nil, err
		}
		return nil, errors.Join(errCleanFailure, err)
	}
	for attempt := range opts.CommitAttempts {
		if attempt > 0 {
			if err := wait.Sleep(ctx, time.Duration(min(50<<attempt, 2000))*time.Millisecond); err != nil {
				return giveUp(errors.Join(last, err))
			}
		}
		gate := iceberg.CommitGate(loc)
		if testNoGate {
			gate = &sync.RWMutex{}
		}
		gate.Lock()
		head, err := cat.LoadTable(ctx, ident)
		if err != nil {
			gate.Unlock()
			last = fmt.Errorf("load table: %w", err)
			continue
		}
		out, err := tryCommitRewrite(ctx, head, plannedID, results)
		gate.Unlock()
		switch {
		case err == nil:
			return out, nil
		case errors.Is(err, errCleanFailure):
			if ambiguous {
				// An earlier attempt may have landed and removed the
				// files this one found gone.
				if landed(ctx, cat, ident, results) {
					return cat.LoadTable(ctx, ident)
				}
				return nil, err
			}
			return nil, err
		case errors.Is(err, icetable.ErrCommitFailed):
			// A clean conflict (ingest committed first): redo the commit.
		default:
			ambiguous = true
			if landed(ctx, cat, ident, results) {
				return cat.LoadTable(ctx, ident)
			}
		}
		last = err
	}
	return giveUp(fmt.Errorf("commit rewrite after %d attempts: %w", opts.CommitAttempts, last))
}

// tryCommitRewrite is one attempt of commitRewrite on head; plannedID is
// the snapshot the rewritten files were planned on.
func tryCommitRewrite(ctx context.Context, head *icetable.Table, plannedID int64, results []icetable.CompactionGroupResult) (*icetable.Table, error) {
	if err := stillLive(ctx, head, plannedID, results); err != nil {
		return nil, err
	}
	props := iceberggo.Properties{PropMaintenance: "compact"}
	if off, src, err := iceberg.ReadOffsets(ctx, head); err == nil && src != iceberg.FromNothing {
		props[iceberg.PropOffsets] = iceberg.EncodeOffsets(off)
	}
	tx := head.NewTransaction()
	if err := tx.AssertRefSnapshotID(icetable.MainBranch); err != nil {
		return nil, fmt.Errorf("pin main: %w", err)
	}
	rw := tx.NewRewrite(props)
	for _, gr := range results {
		rw.ApplyResult(gr)
	}
	if err := rw.Commit(ctx); err != nil {
		return nil, fmt.Errorf("%w: stage rewrite: %v", errCleanFailure, err)
	}
	if testBeforeCommit != nil {
		testBeforeCommit()
	}
	return tx.Commit(ctx)
}

// testLiveScans counts stillLive's scans of the head's manifests, for
// tests.
var testLiveScans atomic.Int32

// stillLive checks that every file results rewrote is still in head's
// current snapshot (errCleanFailure when one is not: someone else
// rewrote or deleted it, so the rewrite is void). When head is the
// snapshot the rewrite was planned on (plannedID), they are by
// construction, and the head's manifests are not read again (a scan of
// every manifest, as the plan's).
func stillLive(ctx context.Context, head *icetable.Table, plannedID int64, results []icetable.CompactionGroupResult) error {
	if snapshotID(head) == plannedID && plannedID != noSnapshot {
		return nil
	}
	testLiveScans.Add(1)
	live, err := liveFiles(ctx, head)
	if err != nil {
		return err
	}
	for _, gr := range results {
		for _, df := range gr.OldDataFiles {
			if !live[df.FilePath()] {
				return fmt.Errorf("%w: %s is no longer in the table", errCleanFailure, df.FilePath())
			}
		}
	}
	return nil
}

// noSnapshot is snapshotID of a table without one.
const noSnapshot = -1

// snapshotID is the id of tbl's current snapshot, or noSnapshot.
func snapshotID(tbl *icetable.Table) int64 {
	if s := tbl.CurrentSnapshot(); s != nil {
		return s.SnapshotID
	}
	return noSnapshot
}

// landed reports whether the table's current files include every file
// results wrote.
func landed(ctx context.Context, cat icecatalog.Catalog, ident icetable.Identifier, results []icetable.CompactionGroupResult) bool {
	tbl, err := cat.LoadTable(ctx, ident)
	if err != nil {
		return false
	}
	live, err := liveFiles(ctx, tbl)
	if err != nil {
		return false
	}
	for _, gr := range results {
		for _, df := range gr.NewDataFiles {
			if !live[df.FilePath()] {
				return false
			}
		}
	}
	return true
}

// liveFiles is the set of data file paths of tbl's current snapshot.
func liveFiles(ctx context.Context, tbl *icetable.Table) (map[string]bool, error) {
	live := map[string]bool{}
	if tbl.CurrentSnapshot() == nil {
		return live, nil
	}
	tasks, err := tbl.Scan().PlanFiles(ctx)
	if err != nil {
		return nil, fmt.Errorf("list data files: %w", err)
	}
	for _, t := range tasks {
		live[t.File.FilePath()] = true
	}
	return live, nil
}

// removeWritten deletes the files of results that were never committed.
func removeWritten(ctx context.Context, tbl *icetable.Table, results []icetable.CompactionGroupResult) {
	for _, gr := range results {
		removeFiles(ctx, tbl, gr.NewDataFiles)
	}
}

// removeFiles deletes files that were never committed.
func removeFiles(ctx context.Context, tbl *icetable.Table, files []iceberggo.DataFile) {
	fs, err := tbl.FS(ctx)
	if err != nil {
		return // as below: orphan removal deletes what is left
	}
	for _, df := range files {
		// Best effort on a failed run: a file left behind is never in a
		// snapshot, so orphan removal deletes it later.
		_ = fs.Remove(df.FilePath())
	}
}
