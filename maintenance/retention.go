package maintenance

import (
	"context"
	"errors"
	"fmt"
	"time"

	iceberggo "github.com/apache/iceberg-go"
	icecatalog "github.com/apache/iceberg-go/catalog"
	icetable "github.com/apache/iceberg-go/table"

	"github.com/tributary-io/tributary/iceberg"
	"github.com/tributary-io/tributary/internal/wait"
)

// retentionCutoff finds the table partition field over
// kafka.event_timestamp and the start of the partition holding
// now-keep: every partition before it is older than keep in all its
// rows. ordinal is that partition's value (hours, days or months since
// the epoch, as Iceberg's transforms number them).
func retentionCutoff(tbl *icetable.Table, now time.Time, keep time.Duration) (cutoff time.Time, fieldID int, ordinal int64, err error) {
	ts, ok := tbl.Schema().FindFieldByName(iceberg.ColKafka + "." + iceberg.ColEventTimestamp)
	if !ok {
		return cutoff, 0, 0, fmt.Errorf("%w: no column kafka.event_timestamp", iceberg.ErrLayout)
	}
	c := now.Add(-keep).UTC()
	spec := tbl.Spec()
	for _, f := range spec.Fields() {
		if f.SourceID() != ts.ID {
			continue
		}
		switch f.Transform.(type) {
		case iceberggo.HourTransform:
			cutoff = c.Truncate(time.Hour)
			return cutoff, f.FieldID, cutoff.Unix() / 3600, nil
		case iceberggo.DayTransform:
			cutoff = time.Date(c.Year(), c.Month(), c.Day(), 0, 0, 0, 0, time.UTC)
			return cutoff, f.FieldID, cutoff.Unix() / 86400, nil
		case iceberggo.MonthTransform:
			cutoff = time.Date(c.Year(), c.Month(), 1, 0, 0, 0, 0, time.UTC)
			return cutoff, f.FieldID, int64(c.Year()-1970)*12 + int64(c.Month()-1), nil
		}
	}
	return cutoff, 0, 0, errors.New("retention: the table is not partitioned by hour, day or month of kafka.event_timestamp")
}

// dropExpired deletes the table partitions older than opts.Retention as
// one delete snapshot (iceberg-go's Delete with a filter on partition
// boundaries: whole files go, none is rewritten), carrying the head's
// offsets and pinned to it like a rewrite; redone on the new head when
// ingest commits first.
func dropExpired(ctx context.Context, cat icecatalog.Catalog, tbl *icetable.Table, opts Options, rep *Report) (*icetable.Table, error) {
	cutoff, fieldID, ordinal, err := retentionCutoff(tbl, time.Now(), opts.Retention)
	if err != nil {
		return tbl, err
	}
	filter := iceberggo.LessThan(iceberggo.Reference(iceberg.ColKafka+"."+iceberg.ColEventTimestamp), cutoff.UnixMicro())
	var last error
	for attempt := range opts.CommitAttempts {
		if attempt > 0 {
			if err := wait.Sleep(ctx, time.Duration(min(50<<attempt, 2000))*time.Millisecond); err != nil {
				return tbl, errors.Join(last, err)
			}
			fresh, err := cat.LoadTable(ctx, tbl.Identifier())
			if err != nil {
				return tbl, fmt.Errorf("load table: %w", err)
			}
			tbl = fresh
		}
		old, err := filesBefore(ctx, tbl, fieldID, ordinal)
		if err != nil || old == 0 {
			return tbl, err
		}
		if opts.DryRun {
			rep.FilesDropped = old
			return tbl, nil
		}
		props := iceberggo.Properties{PropMaintenance: "retention"}
		if off, src, err := iceberg.ReadOffsets(ctx, tbl); err == nil && src != iceberg.FromNothing {
			props[iceberg.PropOffsets] = iceberg.EncodeOffsets(off)
		}
		tx := tbl.NewTransaction()
		if err := tx.AssertRefSnapshotID(icetable.MainBranch); err != nil {
			return tbl, fmt.Errorf("pin main: %w", err)
		}
		if err := tx.Delete(ctx, filter, props); err != nil {
			return tbl, fmt.Errorf("retention: stage delete: %w", err)
		}
		out, err := tx.Commit(ctx)
		if err == nil {
			rep.FilesDropped = old
			return out, nil
		}
		last = err
		if !errors.Is(err, icetable.ErrCommitFailed) {
			return tbl, fmt.Errorf("retention: %w", err)
		}
	}
	return tbl, fmt.Errorf("retention after %d attempts: %w", opts.CommitAttempts, last)
}

// filesBefore counts the data files in table partitions before ordinal
// (partition field fieldID). Files do not carry column bounds today, so
// this goes by partition values.
func filesBefore(ctx context.Context, tbl *icetable.Table, fieldID int, ordinal int64) (int, error) {
	if tbl.CurrentSnapshot() == nil {
		return 0, nil
	}
	tasks, err := tbl.Scan().PlanFiles(ctx)
	if err != nil {
		return 0, fmt.Errorf("list data files: %w", err)
	}
	n := 0
	for _, t := range tasks {
		if v, ok := partitionOrdinal(t.File.Partition()[fieldID]); ok && v < ordinal {
			n++
		}
	}
	return n, nil
}

// partitionOrdinal reads a time transform's partition value.
func partitionOrdinal(v any) (int64, bool) {
	switch v := v.(type) {
	case int32:
		return int64(v), true
	case int64:
		return v, true
	case int:
		return int64(v), true
	case iceberggo.Date:
		return int64(v), true
	}
	return 0, false
}
