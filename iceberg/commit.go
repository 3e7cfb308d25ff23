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
func (t *Table) Commit(ctx context.Context, rows []arrow.RecordBatch, next map[int32]int64) error {
	base := t.offsets
	merged := maps.Clone(base)
	maps.Copy(merged, next)
	id := commitID(base, merged)
	props := iceberggo.Properties{PropOffsets: encodeOffsets(merged), PropCommitID: id}
	var last error
	for attempt := 0; attempt < t.opts.Attempts; attempt++ {
		if attempt > 0 {
			if err := wait.Sleep(ctx, t.backoff(attempt)); err != nil {
				return errors.Join(last, err)
			}
		}
		if t.stale {
			if err := t.Refresh(ctx); err != nil {
				last = err
				continue
			}
			if hasCommit(t.tbl, id) {
				return nil
			}
			if !maps.Equal(t.offsets, base) {
				return fmt.Errorf("commit to %s: %w", t.Name(), ErrFenced)
			}
		}
		gate := CommitGate(t.tbl.Location())
		gate.Lock()
		err := t.tryCommit(ctx, rows, props)
		gate.Unlock()
		if err == nil {
			return nil
		}
		last = err
		// A 409 committed nothing; anything else may have (a 5xx, a lost
		// answer): either way look at the table before trying again.
		t.stale = true
		if errors.Is(err, ErrSchema) || ctx.Err() != nil {
			break
		}
	}
	if !errors.Is(last, icetable.ErrCommitFailed) && !errors.Is(last, ErrSchema) {
		last = errors.Join(ErrUnknownState, last)
	}
	return fmt.Errorf("commit to %s: %w", t.Name(), last)
}

func (t *Table) tryCommit(ctx context.Context, rows []arrow.RecordBatch, props iceberggo.Properties) error {
	dst, err := icetable.SchemaToArrowSchema(t.tbl.Schema(), nil, true, false)
	if err != nil {
		return fmt.Errorf("table schema to arrow: %w", err)
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
			return err
		}
		batches = append(batches, b)
	}
	rdr, err := array.NewRecordReader(dst, batches) // checks every batch has dst's schema
	if err != nil {
		return fmt.Errorf("%w: %v", ErrSchema, err)
	}
	rdr.Release()
	dfs, err := t.writeFiles(ctx, dst, batches)
	if err != nil {
		return err
	}
	tx := t.tbl.NewTransaction()
	// The offsets also go in a table property, so the resume point
	// survives another engine's maintenance expiring every snapshot of
	// ours (ReadOffsets).
	if err := tx.SetProperties(iceberggo.Properties{PropOffsets: props[PropOffsets], PropCommitID: props[PropCommitID]}); err != nil {
		return fmt.Errorf("set offsets property: %w", err)
	}
	if err := tx.AddDataFiles(ctx, dfs, props, icetable.WithoutDuplicateCheck()); err != nil {
		return fmt.Errorf("add data files: %w", err)
	}
	tbl, err := tx.Commit(ctx)
	if err != nil {
		return err
	}
	t.set(tbl)
	return nil
}

// writeFiles writes batches as Parquet data files of the table (as
// Transaction.Append would), with column bounds added (WithBounds).
// WriteRecords releases what it is given: the batches stay the caller's.
func (t *Table) writeFiles(ctx context.Context, dst *arrow.Schema, batches []arrow.RecordBatch) ([]iceberggo.DataFile, error) {
	recs := func(yield func(arrow.RecordBatch, error) bool) {
		for _, b := range batches {
			b.Retain()
			if !yield(b, nil) {
				return
			}
		}
	}
	var dfs []iceberggo.DataFile
	for df, err := range icetable.WriteRecords(ctx, t.tbl, dst, recs) {
		if err != nil {
			return nil, fmt.Errorf("write data files: %w", err)
		}
		dfs = append(dfs, df)
	}
	return BoundFiles(ctx, t.tbl, dfs)
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
