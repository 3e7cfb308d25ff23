// Package synthhist gives an Iceberg table a long snapshot history fast,
// for tests and benchmarks: a day of one-second commits through a catalog
// would take a day (or, faster, rewrite a growing metadata.json tens of
// thousands of times).
//
// Grow takes a table with a current snapshot and replaces its history by
// n snapshots one step apart, the newest at end, in one parent chain on
// the main branch, each with the current snapshot's summary (so its
// tributary.offsets) and a manifest list of its own (a copy of the
// current one: every snapshot holds the same rows, and expiring one
// deletes its own manifest list only). The metadata is written as a new
// file beside the table's and the table is registered again on it
// (dropped without purge, then registered), so the catalog serves it
// from then on as any other. The snapshot log has an entry per snapshot,
// as if each had been committed in turn; the metadata log is empty.
package synthhist

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	icecatalog "github.com/apache/iceberg-go/catalog"
	iceio "github.com/apache/iceberg-go/io"
	icetable "github.com/apache/iceberg-go/table"
)

// Registrar is a catalog that can register a table on a metadata file
// (iceberg-go's REST catalog is one).
type Registrar interface {
	icecatalog.Catalog
	RegisterTable(ctx context.Context, ident icetable.Identifier, metadataLoc string) (*icetable.Table, error)
}

// Grow gives the table ident n snapshots, step apart, the newest at end
// (see the package doc), and returns the table as the catalog serves it.
func Grow(ctx context.Context, cat Registrar, ident icetable.Identifier, n int, step time.Duration, end time.Time) (*icetable.Table, error) {
	times := make([]time.Time, n)
	for i := range n {
		times[i] = end.Add(-time.Duration(n-1-i) * step)
	}
	return GrowAt(ctx, cat, ident, times)
}

// GrowAt is Grow with a snapshot at each of times (oldest first).
func GrowAt(ctx context.Context, cat Registrar, ident icetable.Identifier, times []time.Time) (*icetable.Table, error) {
	n := len(times)
	tbl, err := cat.LoadTable(ctx, ident)
	if err != nil {
		return nil, fmt.Errorf("load table: %w", err)
	}
	cur := tbl.CurrentSnapshot()
	if cur == nil || n < 1 {
		return nil, errors.New("grow history: the table needs a current snapshot, and n at least 1")
	}
	fs, err := tbl.FS(ctx)
	if err != nil {
		return nil, fmt.Errorf("grow history: %w", err)
	}
	wfs, ok := fs.(iceio.WriteFileIO)
	if !ok {
		return nil, errors.New("grow history: the table's file IO cannot write")
	}
	list, err := readAll(fs, cur.ManifestList)
	if err != nil {
		return nil, fmt.Errorf("grow history: read manifest list: %w", err)
	}
	raw, err := readAll(fs, tbl.MetadataLocation())
	if err != nil {
		return nil, fmt.Errorf("grow history: read metadata: %w", err)
	}
	var md map[string]any
	if err := json.Unmarshal(raw, &md); err != nil {
		return nil, fmt.Errorf("grow history: decode metadata: %w", err)
	}
	dir := cur.ManifestList[:strings.LastIndex(cur.ManifestList, "/")+1]
	snaps := make([]icetable.Snapshot, 0, n)
	logs := make([]icetable.SnapshotLogEntry, 0, n)
	base := cur.SnapshotID + 1_000_000_000
	for i := range n {
		s := *cur
		s.SnapshotID = base + int64(i)
		s.ParentSnapshotID = nil
		if i > 0 {
			p := base + int64(i-1)
			s.ParentSnapshotID = &p
		}
		s.SequenceNumber = cur.SequenceNumber + int64(i)
		s.TimestampMs = times[i].UnixMilli()
		s.ManifestList = fmt.Sprintf("%ssnap-synth-%d.avro", dir, s.SnapshotID)
		if err := wfs.WriteFile(s.ManifestList, list); err != nil {
			return nil, fmt.Errorf("grow history: write manifest list: %w", err)
		}
		snaps = append(snaps, s)
		logs = append(logs, icetable.SnapshotLogEntry{SnapshotID: s.SnapshotID, TimestampMs: s.TimestampMs})
	}
	last := snaps[n-1]
	md["snapshots"] = snaps
	md["snapshot-log"] = logs
	md["metadata-log"] = []any{}
	md["current-snapshot-id"] = last.SnapshotID
	md["last-sequence-number"] = last.SequenceNumber
	md["last-updated-ms"] = last.TimestampMs
	md["refs"] = map[string]any{icetable.MainBranch: map[string]any{"snapshot-id": last.SnapshotID, "type": "branch"}}
	out, err := json.Marshal(md)
	if err != nil {
		return nil, fmt.Errorf("grow history: encode metadata: %w", err)
	}
	loc := tbl.MetadataLocation()
	loc = loc[:strings.LastIndex(loc, "/")+1] + fmt.Sprintf("99999-synth-%d.metadata.json", n)
	if err := wfs.WriteFile(loc, out); err != nil {
		return nil, fmt.Errorf("grow history: write metadata: %w", err)
	}
	if err := cat.DropTable(ctx, ident); err != nil {
		return nil, fmt.Errorf("grow history: drop to register again: %w", err)
	}
	t, err := cat.RegisterTable(ctx, ident, loc)
	if err != nil {
		return nil, fmt.Errorf("grow history: register: %w", err)
	}
	return t, nil
}

func readAll(fs iceio.IO, path string) ([]byte, error) {
	f, err := fs.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read-only: nothing to flush, the read's error is the one that matters
	return io.ReadAll(f)
}
