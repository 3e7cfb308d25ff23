package iceberg

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	icetable "github.com/apache/iceberg-go/table"
)

// OffsetsSource says where a table's resume point was read from.
type OffsetsSource string

const (
	// FromSnapshot: the newest snapshot of the main branch that carries
	// tributary.offsets (every snapshot Tributary writes does, ingest's
	// and maintenance's).
	FromSnapshot OffsetsSource = "snapshot"
	// FromProperty: no snapshot left in the main branch's ancestry has
	// them (another engine rewrote the table and expired our snapshots);
	// the table property tributary.offsets, set by every ingest commit.
	FromProperty OffsetsSource = "property"
	// FromColumnStats: neither; the per-partition upper bound of
	// kafka.offset over the current snapshot's data files, plus one.
	FromColumnStats OffsetsSource = "column-stats"
	// FromNothing: the table has no rows and no offsets.
	FromNothing OffsetsSource = "none"
)

// snapshotOffsets walks the main branch back from its head to the newest
// snapshot with our offsets (a snapshot another engine wrote carries
// none).
func snapshotOffsets(tbl *icetable.Table) (map[int32]int64, bool) {
	for s := tbl.CurrentSnapshot(); s != nil; {
		if s.Summary != nil {
			if v, ok := s.Summary.Properties[PropOffsets]; ok {
				if m, err := decodeOffsets(v); err == nil {
					return m, true
				}
			}
		}
		if s.ParentSnapshotID == nil {
			break
		}
		s = tbl.SnapshotByID(*s.ParentSnapshotID)
	}
	return nil, false
}

// propertyOffsets reads the table property tributary.offsets.
func propertyOffsets(tbl *icetable.Table) (map[int32]int64, bool) {
	v, ok := tbl.Properties()[PropOffsets]
	if !ok {
		return nil, false
	}
	m, err := decodeOffsets(v)
	return m, err == nil
}

// ReadOffsets returns the table's resume point — per partition, the next
// offset to ingest — and where it came from: the newest snapshot of the
// main branch with tributary.offsets, else the table property, else the
// upper bounds of kafka.offset in the current snapshot's data files (read
// from the manifests' column statistics for a file holding one Kafka
// partition, from the file's kafka columns otherwise: files this package
// and package maintenance write carry those bounds (WithBounds), others'
// may not).
// Every source is a point the table has every row before, so resuming
// there neither loses nor duplicates a row.
func ReadOffsets(ctx context.Context, tbl *icetable.Table) (map[int32]int64, OffsetsSource, error) {
	if m, ok := snapshotOffsets(tbl); ok {
		return m, FromSnapshot, nil
	}
	if m, ok := propertyOffsets(tbl); ok {
		return m, FromProperty, nil
	}
	if tbl.CurrentSnapshot() == nil {
		return map[int32]int64{}, FromNothing, nil
	}
	m, err := statsOffsets(ctx, tbl)
	if err != nil {
		return nil, FromNothing, fmt.Errorf("offsets from column statistics: %w", err)
	}
	if len(m) == 0 {
		return m, FromNothing, nil
	}
	return m, FromColumnStats, nil
}

// statsOffsets computes max(kafka.offset)+1 per kafka.partition over the
// current snapshot's data files.
func statsOffsets(ctx context.Context, tbl *icetable.Table) (map[int32]int64, error) {
	sc := tbl.Schema()
	pf, ok := sc.FindFieldByName(ColKafka + "." + ColPartition)
	if !ok {
		return nil, fmt.Errorf("%w: no column kafka.partition", ErrLayout)
	}
	of, ok := sc.FindFieldByName(ColKafka + "." + ColOffset)
	if !ok {
		return nil, fmt.Errorf("%w: no column kafka.offset", ErrLayout)
	}
	tasks, err := tbl.Scan().PlanFiles(ctx)
	if err != nil {
		return nil, err
	}
	out := map[int32]int64{}
	note := func(p int32, off int64) {
		if off+1 > out[p] {
			out[p] = off + 1
		}
	}
	var mixed []icetable.FileScanTask
	for _, task := range tasks {
		lo, hi := task.File.LowerBoundValues()[pf.ID], task.File.UpperBoundValues()[pf.ID]
		up := task.File.UpperBoundValues()[of.ID]
		if len(lo) == 4 && len(hi) == 4 && len(up) == 8 && string(lo) == string(hi) {
			note(int32(binary.LittleEndian.Uint32(lo)), int64(binary.LittleEndian.Uint64(up)))
			continue
		}
		mixed = append(mixed, task)
	}
	if len(mixed) == 0 {
		return out, nil
	}
	_, recs, err := tbl.Scan(icetable.WithSelectedFields(ColKafka+"."+ColPartition, ColKafka+"."+ColOffset)).ReadTasks(ctx, mixed)
	if err != nil {
		return nil, err
	}
	for rec, err := range recs {
		if err != nil {
			return nil, err
		}
		notePairs(rec, note)
		rec.Release()
	}
	return out, nil
}

// notePairs calls note for every (kafka.partition, kafka.offset) of rec.
func notePairs(rec arrow.RecordBatch, note func(int32, int64)) {
	idx := rec.Schema().FieldIndices(ColKafka)
	if len(idx) == 0 {
		return
	}
	st := rec.Column(idx[0]).(*array.Struct)
	typ := st.DataType().(*arrow.StructType)
	pi, ok1 := typ.FieldIdx(ColPartition)
	oi, ok2 := typ.FieldIdx(ColOffset)
	if !ok1 || !ok2 {
		return
	}
	parts, ok1 := st.Field(pi).(*array.Int32)
	offs, ok2 := st.Field(oi).(*array.Int64)
	if !ok1 || !ok2 {
		return
	}
	for i := 0; i < st.Len(); i++ {
		if st.IsValid(i) && parts.IsValid(i) && offs.IsValid(i) {
			note(parts.Value(i), offs.Value(i))
		}
	}
}

// EncodeOffsets is the JSON form of offsets in tributary.offsets.
func EncodeOffsets(m map[int32]int64) string { return encodeOffsets(m) }
