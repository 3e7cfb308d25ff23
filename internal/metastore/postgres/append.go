package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/tributary-io/tributary/internal/metastore"
)

// Append indexes the accepted batches of obj in one transaction of three
// round trips after BEGIN:
//
//  1. lock the partitions of the batches (in key order: Appends sharing
//     partitions queue, never deadlock) and their producers' states;
//  2. apply metastore.CheckSequence and assign offsets from HighWater, in
//     Go, exactly as boltstore does;
//  3. write the changed partitions and producer states, the index entries
//     and the object's references, as one pipelined batch of
//     array-parameter statements; then COMMIT.
//
// The partition row locks are what make offsets dense and unique across
// brokers: a second Append on a partition waits until the first commits,
// then reads the HighWater it left.
func (s *Store) Append(ctx context.Context, obj metastore.ObjectRef, batches []metastore.AppendBatch) ([]metastore.AppendResult, error) {
	if err := metastore.ValidateAppend(obj, batches); err != nil {
		return nil, fmt.Errorf("append object %s: %w", obj.Key, err)
	}
	var results []metastore.AppendResult
	err := s.tx(ctx, func(tx pgx.Tx) error {
		a, err := lockAppend(ctx, tx, batches)
		if err != nil {
			return err
		}
		results = a.apply(obj.Key, batches)
		return a.write(ctx, tx, obj)
	})
	if err != nil {
		return nil, fmt.Errorf("append object %s: %w", obj.Key, err)
	}
	return results, nil
}

// appender holds one Append's locked states between batches, so batches
// of one partition or producer see each other, and what it will write.
type appender struct {
	parts     map[metastore.PartitionKey]*cached[metastore.PartitionState]
	producers map[producerRef]*cached[*metastore.ProducerState]
	entries   entryColumns
}

type producerRef struct {
	pk metastore.PartitionKey
	id int64
}

// cached is a locked row's value and whether the Append changed it.
type cached[T any] struct {
	v     T
	dirty bool
}

// entryColumns are index entries of one object as the columns of
// index_insert.sql.
type entryColumns struct {
	topics                            []metastore.TopicID
	parts                             []int32
	bases, lasts, poss, sizes, maxTSs []int64
}

func (c *entryColumns) add(pk metastore.PartitionKey, e metastore.IndexEntry) {
	c.topics = append(c.topics, pk.Topic)
	c.parts = append(c.parts, pk.Partition)
	c.bases = append(c.bases, e.BaseOffset)
	c.lasts = append(c.lasts, e.LastOffset)
	c.poss = append(c.poss, e.Pos)
	c.sizes = append(c.sizes, e.Size)
	c.maxTSs = append(c.maxTSs, e.MaxTimestamp)
}

// lockAppend locks and loads the partitions and producer states batches
// touch, in one round trip. Partitions that do not exist are absent.
func lockAppend(ctx context.Context, tx pgx.Tx, batches []metastore.AppendBatch) (*appender, error) {
	a := &appender{
		parts:     map[metastore.PartitionKey]*cached[metastore.PartitionState]{},
		producers: map[producerRef]*cached[*metastore.ProducerState]{},
	}
	var pTopics, rTopics []metastore.TopicID
	var pParts, rParts []int32
	var rIDs []int64
	seenP, seenR := map[metastore.PartitionKey]bool{}, map[producerRef]bool{}
	for _, b := range batches {
		if !seenP[b.Partition] {
			seenP[b.Partition] = true
			pTopics, pParts = append(pTopics, b.Partition.Topic), append(pParts, b.Partition.Partition)
		}
		if ref := (producerRef{b.Partition, b.ProducerID}); b.ProducerID >= 0 && !seenR[ref] {
			seenR[ref] = true
			rTopics, rParts, rIDs = append(rTopics, ref.pk.Topic), append(rParts, ref.pk.Partition), append(rIDs, ref.id)
		}
	}
	if len(pTopics) == 0 {
		return a, nil
	}
	batch := &pgx.Batch{}
	batch.Queue(sqlAppendLockPartitions, pTopics, pParts)
	if len(rIDs) > 0 {
		batch.Queue(sqlAppendLockProducers, rTopics, rParts, rIDs)
	}
	res := tx.SendBatch(ctx, batch)
	defer func() { _ = res.Close() }() // for the error returns, whose error is the one that matters; success returns Close's own
	if err := a.readPartitions(res); err != nil {
		return nil, err
	}
	if len(rIDs) > 0 {
		if err := a.readProducers(res); err != nil {
			return nil, err
		}
	}
	return a, res.Close()
}

func (a *appender) readPartitions(res pgx.BatchResults) error {
	rows, _ := res.Query()
	var pk metastore.PartitionKey
	var st metastore.PartitionState
	_, err := pgx.ForEachRow(rows, []any{&pk.Topic, &pk.Partition, &st.LogStart, &st.HighWater, &st.Bytes}, func() error {
		a.parts[pk] = &cached[metastore.PartitionState]{v: st}
		return nil
	})
	return err
}

func (a *appender) readProducers(res pgx.BatchResults) error {
	rows, _ := res.Query()
	var ref producerRef
	var epoch int16
	var enc []byte
	_, err := pgx.ForEachRow(rows, []any{&ref.pk.Topic, &ref.pk.Partition, &ref.id, &epoch, &enc}, func() error {
		st, err := decodeProducer(epoch, enc)
		if err != nil {
			return fmt.Errorf("producer %d on %v: %w", ref.id, ref.pk, err)
		}
		a.producers[ref] = &cached[*metastore.ProducerState]{v: st}
		return nil
	})
	return err
}

// apply decides each batch: unknown partition, refused or duplicate by
// the sequence rules, or accepted at the partition's HighWater.
func (a *appender) apply(objKey string, batches []metastore.AppendBatch) []metastore.AppendResult {
	results := make([]metastore.AppendResult, len(batches))
	for i, b := range batches {
		results[i] = a.add(objKey, b)
	}
	return results
}

func (a *appender) add(objKey string, b metastore.AppendBatch) metastore.AppendResult {
	part := a.parts[b.Partition]
	if part == nil {
		return metastore.AppendResult{Err: fmt.Errorf("partition %v: %w", b.Partition, metastore.ErrUnknownPartition)}
	}
	var prod *cached[*metastore.ProducerState]
	if b.ProducerID >= 0 {
		ref := producerRef{b.Partition, b.ProducerID}
		if prod = a.producers[ref]; prod == nil {
			prod = &cached[*metastore.ProducerState]{}
			a.producers[ref] = prod
		}
	}
	var pst *metastore.ProducerState
	if prod != nil {
		pst = prod.v
	}
	res, newProd, entry := metastore.ApplyBatch(&part.v, pst, b, objKey)
	if entry != nil {
		a.entries.add(b.Partition, *entry)
		part.dirty = true
	}
	if newProd != nil {
		prod.v, prod.dirty = newProd, true
	}
	return res
}

// write stores the changed partitions and producer states, the entries
// and the object's references in one round trip.
func (a *appender) write(ctx context.Context, tx pgx.Tx, obj metastore.ObjectRef) error {
	batch := &pgx.Batch{}
	var pTopics []metastore.TopicID
	var pParts []int32
	var hws, bytes []int64
	for pk, c := range a.parts {
		if c.dirty {
			pTopics, pParts = append(pTopics, pk.Topic), append(pParts, pk.Partition)
			hws, bytes = append(hws, c.v.HighWater), append(bytes, c.v.Bytes)
		}
	}
	if len(pTopics) > 0 {
		batch.Queue(sqlAppendUpdatePartitions, pTopics, pParts, hws, bytes)
	}
	var rTopics []metastore.TopicID
	var rParts []int32
	var rIDs []int64
	var epochs []int16
	var encs [][]byte
	for ref, c := range a.producers {
		if c.dirty {
			rTopics, rParts, rIDs = append(rTopics, ref.pk.Topic), append(rParts, ref.pk.Partition), append(rIDs, ref.id)
			epochs, encs = append(epochs, c.v.Epoch), append(encs, encodeBatches(c.v.Batches))
		}
	}
	if len(rIDs) > 0 {
		batch.Queue(sqlAppendUpsertProducers, rTopics, rParts, rIDs, epochs, encs)
	}
	e := &a.entries
	if len(e.bases) > 0 {
		batch.Queue(sqlIndexInsert, e.topics, e.parts, e.bases, e.lasts, obj.Key, e.poss, e.sizes, e.maxTSs)
	}
	batch.Queue(sqlObjectAddRefs, obj.Key, int64(len(e.bases)), obj.Size)
	res := tx.SendBatch(ctx, batch)
	defer func() { _ = res.Close() }() // for the error returns, whose error is the one that matters; success returns Close's own
	for range batch.Len() - 1 {
		if _, err := res.Exec(); err != nil {
			return err
		}
	}
	var refs int64
	err := res.QueryRow().Scan(&refs)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("object %s is dead and may be deleted: %w", obj.Key, metastore.ErrConflict)
	}
	if err != nil {
		return err
	}
	return res.Close()
}

// Producer state batches are stored as metastore.AppendSeqBatches writes
// them; the epoch has a column of its own.

func encodeBatches(bs []metastore.SeqBatch) []byte {
	return metastore.AppendSeqBatches(make([]byte, 0, 16*len(bs)), bs)
}

func decodeProducer(epoch int16, v []byte) (*metastore.ProducerState, error) {
	bs, err := metastore.DecodeSeqBatches(v)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errCorrupt, err)
	}
	return &metastore.ProducerState{Epoch: epoch, Batches: bs}, nil
}
