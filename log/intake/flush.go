package intake

import (
	"context"
	"fmt"

	"github.com/tributary-io/tributary/internal/metastore"
)

// flush writes one intake object holding every part of batch, indexes it,
// and completes the Pendings. It is called only by the flusher goroutine.
func (w *Writer) flush(batch []*Pending) {
	ctx, cancel := context.WithTimeout(context.Background(), w.cfg.FlushTimeout)
	defer cancel()
	data, appends := layout(batch)
	key := w.objectKey()
	results, err := w.commit(ctx, key, data, appends)
	defer w.flushed(appends)
	if err != nil {
		w.log.Warn("intake flush failed", "object", key, "bytes", len(data), "err", err)
		for _, p := range batch {
			for i := range p.results {
				p.results[i].Err = err
			}
			close(p.done)
		}
		return
	}
	var committed []Committed
	i := 0
	for _, p := range batch {
		for j := range p.parts {
			r := results[i]
			p.results[j] = r
			if r.Err == nil && !r.Duplicate {
				a := appends[i]
				committed = append(committed, Committed{
					Partition: a.Partition,
					Entry: metastore.IndexEntry{
						BaseOffset: r.BaseOffset, LastOffset: r.BaseOffset + int64(a.NumRecords) - 1,
						ObjectKey: key, Pos: a.Pos, Size: a.Size, MaxTimestamp: a.MaxTimestamp,
					},
					Data: data[a.Pos : a.Pos+a.Size],
				})
			}
			i++
		}
	}
	if w.hooks.OnCommit != nil && len(committed) > 0 {
		w.hooks.OnCommit(committed)
	}
	for _, p := range batch {
		close(p.done)
	}
}

// flushed reports the partitions of a flush to OnFlushed, each once.
func (w *Writer) flushed(appends []metastore.AppendBatch) {
	if w.hooks.OnFlushed == nil {
		return
	}
	seen := make(map[metastore.PartitionKey]bool, len(appends))
	var pks []metastore.PartitionKey
	for _, a := range appends {
		if !seen[a.Partition] {
			seen[a.Partition] = true
			pks = append(pks, a.Partition)
		}
	}
	w.hooks.OnFlushed(pks)
}

// layout concatenates the parts' bytes into one object and describes each
// part's place in it, in submission order.
func layout(batch []*Pending) ([]byte, []metastore.AppendBatch) {
	n, size := 0, 0
	for _, p := range batch {
		n += len(p.parts)
		for _, pt := range p.parts {
			size += len(pt.Data)
		}
	}
	data := make([]byte, 0, size)
	appends := make([]metastore.AppendBatch, 0, n)
	for _, p := range batch {
		for _, pt := range p.parts {
			appends = append(appends, metastore.AppendBatch{
				Partition: pt.Partition, Pos: int64(len(data)), Size: int64(len(pt.Data)),
				NumRecords: pt.NumRecords, MaxTimestamp: pt.MaxTimestamp,
				ProducerID: pt.ProducerID, ProducerEpoch: pt.ProducerEpoch, BaseSequence: pt.BaseSequence,
			})
			data = append(data, pt.Data...)
		}
	}
	return data, appends
}

// commit makes the flush durable: object first, then the index. Only
// after both succeed is anything acknowledged.
func (w *Writer) commit(ctx context.Context, key string, data []byte, appends []metastore.AppendBatch) ([]Result, error) {
	if err := w.obj.Put(ctx, key, data); err != nil {
		return nil, fmt.Errorf("%w: write intake object %s: %v", ErrStorage, key, err)
	}
	results, err := w.meta.Append(ctx, metastore.ObjectRef{Key: key, Size: int64(len(data))}, appends)
	if err != nil {
		return nil, fmt.Errorf("%w: index intake object %s: %v", ErrStorage, key, err)
	}
	return results, nil
}
