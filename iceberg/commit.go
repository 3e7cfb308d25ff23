package iceberg

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	iceberggo "github.com/apache/iceberg-go"
	icetable "github.com/apache/iceberg-go/table"

	"github.com/tributary-io/tributary/internal/wait"
)

// Commit appends rows (batches from RowBuilder.Finish, under shapes this
// Table prepared) as one snapshot recording that each partition of next
// is ingested up to, not including, next[p]; partitions not in next keep
// their offsets. On error nothing is known to be committed and the caller
// should call Commit again later with the same rows and next: the commit
// id is the same, so a commit that was in fact applied is found, not
// repeated. ErrFenced means another writer moved the table's offsets.
//
// The data files are written once per call: a retry commits the same
// files again unless the table's schema or partition spec changed in
// between (then they are written again). Files no snapshot can reference
// (their attempts were refused, or the table moved past them) are
// deleted when dropped; files whose commit may still land are left to
// package maintenance's orphan sweep.
func (t *Table) Commit(ctx context.Context, rows []arrow.RecordBatch, next map[int32]int64) error {
	base := t.offsets
	merged := maps.Clone(base)
	maps.Copy(merged, next)
	id := commitID(base, merged)
	props := iceberggo.Properties{PropOffsets: encodeOffsets(merged), PropCommitID: id}
	var w *written
	var last error
	for attempt := 0; attempt < t.opts.Attempts; attempt++ {
		if attempt > 0 {
			if err := wait.Sleep(ctx, t.backoff(attempt)); err != nil {
				t.drop(w)
				return errors.Join(last, err)
			}
		}
		if t.stale {
			if err := t.Refresh(ctx); err != nil {
				last = err
				continue
			}
			if hasCommit(t.tbl, id) {
				// Applied by an attempt whose answer was lost, maybe with
				// files written before a rewrite: w's files are the
				// committed ones unless none of its attempts is pending.
				if w != nil && len(w.pending) == 0 {
					t.drop(w)
				}
				return nil
			}
			w.settle(t.tbl)
			if !maps.Equal(t.offsets, base) {
				t.drop(w)
				return fmt.Errorf("commit to %s: %w", t.Name(), ErrFenced)
			}
		}
		if w != nil && !w.fits(t.tbl) {
			t.drop(w)
			w = nil
		}
		if w == nil {
			var err error
			if w, err = t.write(ctx, rows); err != nil {
				last = err
				if errors.Is(err, ErrSchema) || ctx.Err() != nil {
					break
				}
				continue
			}
		}
		gate := CommitGate(t.tbl.Location())
		gate.RLock()
		err := t.tryCommit(ctx, w, props)
		gate.RUnlock()
		if err == nil {
			return nil
		}
		last = err
		// A 409 committed nothing; anything else may have (a 5xx, a lost
		// answer): either way look at the table before trying again.
		t.stale = true
		if ctx.Err() != nil {
			break
		}
	}
	t.drop(w)
	if !errors.Is(last, icetable.ErrCommitFailed) && !errors.Is(last, ErrSchema) {
		last = errors.Join(ErrUnknownState, last)
	}
	return fmt.Errorf("commit to %s: %w", t.Name(), last)
}

// written is the data files one Commit call wrote and the table they
// were written for.
type written struct {
	files    []iceberggo.DataFile
	schemaID int
	specID   int
	// pending holds, for each attempt to commit files whose outcome is
	// unknown (a 5xx, a lost answer, a cancelled request), the snapshot it
	// was based on (noSnapshot for none): such an attempt may have been
	// applied, or may still be, until the main branch is seen elsewhere.
	pending map[int64]bool
}

// noSnapshot stands for "no current snapshot" in written.pending
// (snapshot ids are positive).
const noSnapshot = -1

// fits reports whether w's files can be committed to tbl as they are:
// written under its current schema and default partition spec.
func (w *written) fits(tbl *icetable.Table) bool {
	return tbl.Schema().ID == w.schemaID && tbl.Metadata().DefaultPartitionSpec() == w.specID
}

// settle forgets the pending attempts that tbl, freshly loaded without
// this Commit's id, shows can never apply: each asserted that the main
// branch was at a snapshot it no longer is at, and snapshot ids are not
// reused. Two cases are not covered: a rollback of main to that very
// snapshot while the request is still in flight, and a commit that landed
// but is no longer found (its snapshot expired and the commit-id property
// overwritten within the seconds of the retries).
func (w *written) settle(tbl *icetable.Table) {
	if w == nil {
		return
	}
	head := headID(tbl)
	for id := range w.pending {
		if id != head {
			delete(w.pending, id)
		}
	}
}

// headID is the id of tbl's current snapshot, noSnapshot when it has none.
func headID(tbl *icetable.Table) int64 {
	if s := tbl.CurrentSnapshot(); s != nil {
		return s.SnapshotID
	}
	return noSnapshot
}

// drop deletes w's files when no snapshot references them or can come
// to (no attempt pending). Otherwise they stay: whether the commit landed
// is unknown (the table could not be reloaded, or an attempt may still
// apply), and deleting a file a snapshot references loses acknowledged
// data; package maintenance's orphan sweep removes them if it did not.
func (t *Table) drop(w *written) {
	if w == nil || len(w.pending) > 0 {
		return
	}
	t.remove(w.files)
}

// remove deletes files never committed, through the table's FileIO. Best
// effort: a file left behind is in no snapshot, so the orphan sweep
// deletes it later.
func (t *Table) remove(files []iceberggo.DataFile) {
	fs, err := t.tbl.FS(context.Background())
	if err != nil {
		return // as below
	}
	for _, df := range files {
		_ = fs.Remove(df.FilePath()) // as above
	}
}

// write conforms rows to the table's current schema and writes them as
// data files.
func (t *Table) write(ctx context.Context, rows []arrow.RecordBatch) (*written, error) {
	dst, err := icetable.SchemaToArrowSchema(t.tbl.Schema(), nil, true, false)
	if err != nil {
		return nil, fmt.Errorf("table schema to arrow: %w", err)
	}
	batches := make([]arrow.RecordBatch, 0, len(rows))
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	for _, r := range rows {
		b, err := conformBatch(r, dst, t.opts.Mem)
		if err != nil {
			return nil, err
		}
		batches = append(batches, b)
	}
	rdr, err := array.NewRecordReader(dst, batches) // checks every batch has dst's schema
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSchema, err)
	}
	rdr.Release()
	dfs, err := t.writeFiles(ctx, dst, batches)
	if err != nil {
		return nil, err
	}
	return &written{files: dfs, schemaID: t.tbl.Schema().ID, specID: t.tbl.Metadata().DefaultPartitionSpec(), pending: map[int64]bool{}}, nil
}

// tryCommit commits w's files as one snapshot with props, on the table as
// last loaded. An attempt that may have been applied is recorded in
// w.pending.
func (t *Table) tryCommit(ctx context.Context, w *written, props iceberggo.Properties) error {
	tx := t.tbl.NewTransaction()
	// The offsets also go in a table property, so the resume point
	// survives another engine's maintenance expiring every snapshot of
	// ours (ReadOffsets).
	if err := tx.SetProperties(iceberggo.Properties{PropOffsets: props[PropOffsets], PropCommitID: props[PropCommitID]}); err != nil {
		return fmt.Errorf("set offsets property: %w", err)
	}
	if err := tx.AddDataFiles(ctx, w.files, props, icetable.WithoutDuplicateCheck()); err != nil {
		return fmt.Errorf("add data files: %w", err)
	}
	head := headID(t.tbl)
	tbl, err := tx.Commit(ctx)
	if err != nil {
		if !errors.Is(err, icetable.ErrCommitFailed) {
			w.pending[head] = true
		}
		return err
	}
	t.set(tbl)
	return nil
}

// writeFiles writes batches as Parquet data files of the table (as
// Transaction.Append would) with the table's write properties over this
// package's defaults and no dictionary for columns that start all
// distinct (writeViewFor), with column bounds added (WithBounds).
// WriteRecords releases what it is given: the batches stay the caller's.
func (t *Table) writeFiles(ctx context.Context, dst *arrow.Schema, batches []arrow.RecordBatch) ([]iceberggo.DataFile, error) {
	var first arrow.RecordBatch
	if len(batches) > 0 {
		first = batches[0]
	}
	view, err := writeViewFor(t.tbl, first)
	if err != nil {
		return nil, err
	}
	recs := func(yield func(arrow.RecordBatch, error) bool) {
		for _, b := range batches {
			b.Retain()
			if !yield(b, nil) {
				return
			}
		}
	}
	var dfs []iceberggo.DataFile
	for df, err := range icetable.WriteRecords(ctx, view, dst, recs) {
		if err != nil {
			// The files written so far are in no snapshot (any others in
			// flight are left to the orphan sweep).
			t.remove(dfs)
			return nil, fmt.Errorf("write data files: %w", err)
		}
		dfs = append(dfs, df)
	}
	bound, err := BoundFiles(ctx, t.tbl, dfs)
	if err != nil {
		t.remove(dfs)
		return nil, err
	}
	return bound, nil
}

// commitID names the commit from offsets base to offsets next: the same
// for every attempt at it, from any process.
func commitID(base, next map[int32]int64) string {
	h := sha256.New()
	h.Write([]byte(encodeOffsets(base)))
	h.Write([]byte{0})
	h.Write([]byte(encodeOffsets(next)))
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// hasCommit reports whether a snapshot of tbl, or its properties, carry
// commit id.
func hasCommit(tbl *icetable.Table, id string) bool {
	if tbl.Properties()[PropCommitID] == id {
		return true
	}
	for _, s := range tbl.Metadata().Snapshots() {
		if s.Summary != nil && s.Summary.Properties[PropCommitID] == id {
			return true
		}
	}
	return false
}

func (t *Table) backoff(attempt int) time.Duration {
	d := t.opts.Backoff << (attempt - 1)
	if d > 10*time.Second || d <= 0 {
		d = 10 * time.Second
	}
	return d
}

// waitRefresh waits the backoff for attempt and reloads the table.
func (t *Table) waitRefresh(ctx context.Context, attempt int) error {
	if err := wait.Sleep(ctx, t.backoff(attempt+1)); err != nil {
		return err
	}
	return t.Refresh(ctx)
}
