package boltstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/tributary-io/tributary/internal/metastore"
)

// Append indexes the accepted batches of obj in one Update transaction:
// per batch, the partition must exist, an idempotent producer's batch
// passes metastore.CheckSequence, and an accepted batch takes the next
// NumRecords offsets from HighWater and gets one index entry. The object is
// recorded with one reference per accepted batch (zero included).
func (s *Store) Append(ctx context.Context, obj metastore.ObjectRef, batches []metastore.AppendBatch) ([]metastore.AppendResult, error) {
	if err := metastore.ValidateAppend(obj, batches); err != nil {
		return nil, fmt.Errorf("append object %s: %w", obj.Key, err)
	}
	var results []metastore.AppendResult
	err := s.update(ctx, func(t *tx) error {
		a := newAppender(t, obj)
		results = make([]metastore.AppendResult, len(batches))
		for i, b := range batches {
			r, err := a.add(b)
			if err != nil {
				return fmt.Errorf("batch %d: %w", i, err)
			}
			results[i] = r
		}
		return a.commit()
	})
	if err != nil {
		return nil, fmt.Errorf("append object %s: %w", obj.Key, err)
	}
	return results, nil
}

// appender carries one Append's partition and producer states between
// batches, so that several batches of one partition or producer see each
// other, and writes each changed state once at commit.
type appender struct {
	t         *tx
	obj       metastore.ObjectRef
	parts     map[metastore.PartitionKey]*cached[metastore.PartitionState]
	producers map[producerRef]*cached[*metastore.ProducerState]
	accepted  int64
}

type producerRef struct {
	pk metastore.PartitionKey
	id int64
}

// cached is a loaded value and whether this transaction changed it.
type cached[T any] struct {
	v     T
	dirty bool
	err   error // a rule outcome remembered for later batches (unknown partition)
}

func newAppender(t *tx, obj metastore.ObjectRef) *appender {
	return &appender{
		t:         t,
		obj:       obj,
		parts:     map[metastore.PartitionKey]*cached[metastore.PartitionState]{},
		producers: map[producerRef]*cached[*metastore.ProducerState]{},
	}
}

// add applies one batch (metastore.ApplyBatch). Rule outcomes go in the
// result; the error is for failures of the store, which abort the
// transaction.
func (a *appender) add(b metastore.AppendBatch) (metastore.AppendResult, error) {
	part, err := a.partition(b.Partition)
	if err != nil || part.err != nil {
		return metastore.AppendResult{Err: part.errOr()}, err
	}
	var prod *cached[*metastore.ProducerState]
	var pst *metastore.ProducerState
	if b.ProducerID >= 0 {
		if prod, err = a.producer(b.Partition, b.ProducerID); err != nil {
			return metastore.AppendResult{}, err
		}
		pst = prod.v
	}
	res, newProd, entry := metastore.ApplyBatch(&part.v, pst, b, a.obj.Key)
	if entry != nil {
		if err := a.index(b.Partition, *entry); err != nil {
			return res, err
		}
		part.dirty = true
	}
	if newProd != nil {
		prod.v, prod.dirty = newProd, true
	}
	return res, nil
}

func (c *cached[T]) errOr() error {
	if c == nil {
		return nil
	}
	return c.err
}

// index writes the entry of an accepted batch.
func (a *appender) index(pk metastore.PartitionKey, e metastore.IndexEntry) error {
	a.accepted++
	return a.t.index.Put(indexKey(pk, e.BaseOffset), encodeEntry(e))
}

func (a *appender) partition(pk metastore.PartitionKey) (*cached[metastore.PartitionState], error) {
	if c, ok := a.parts[pk]; ok {
		return c, nil
	}
	st, err := a.t.partition(pk)
	c := &cached[metastore.PartitionState]{v: st}
	if errors.Is(err, metastore.ErrUnknownPartition) {
		c.err, err = err, nil
	}
	if err != nil {
		return nil, err
	}
	a.parts[pk] = c
	return c, nil
}

func (a *appender) producer(pk metastore.PartitionKey, id int64) (*cached[*metastore.ProducerState], error) {
	ref := producerRef{pk, id}
	if c, ok := a.producers[ref]; ok {
		return c, nil
	}
	st, err := a.t.producer(pk, id)
	if err != nil {
		return nil, err
	}
	c := &cached[*metastore.ProducerState]{v: st}
	a.producers[ref] = c
	return c, nil
}

// commit writes the changed states and the object's references.
func (a *appender) commit() error {
	for pk, c := range a.parts {
		if c.dirty {
			if err := a.t.putPartition(pk, c.v); err != nil {
				return err
			}
		}
	}
	for ref, c := range a.producers {
		if c.dirty {
			if err := a.t.putProducer(ref.pk, ref.id, c.v); err != nil {
				return err
			}
		}
	}
	return a.t.addRefs(a.obj.Key, a.accepted, a.obj.Size)
}
