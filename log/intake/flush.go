package intake

import (
	"context"
	"fmt"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
)

// job is one flush between its object write and its index commit.
type job struct {
	ctx     context.Context
	cancel  context.CancelFunc
	batch   []*Pending
	size    int // buffered bytes it releases when done
	key     string
	data    []byte
	appends []metastore.AppendBatch
	err     error // the object write's failure, if any
	// taken and written are when the flusher took the buffer and when
	// the object write ended (Stages).
	taken, written time.Time
}

// write lays out batch as one intake object and writes it. It is called
// only by the flusher goroutine; the commit follows on the committer, so
// the write of the next flush overlaps this one's commit.
func (w *Writer) write(batch []*Pending, size int) *job {
	ctx, cancel := context.WithTimeout(context.Background(), w.cfg.FlushTimeout)
	j := &job{ctx: ctx, cancel: cancel, batch: batch, size: size, key: w.takeKey(), taken: time.Now()}
	j.data, j.appends = layout(batch)
	n, err := untilAnswered(ctx, w.closing, putAgain, func() error { return w.obj.Put(ctx, j.key, j.data) })
	j.written = time.Now()
	w.recovered("object", j.key, n, err, j.taken)
	if err != nil {
		j.err = fmt.Errorf("%w: write intake object %s: %v", ErrStorage, j.key, err)
	}
	return j
}

// commit indexes a written flush and completes its Pendings. The
// committer goroutine calls it for one job at a time, in the order the
// flusher wrote them, so offsets follow submission order.
func (w *Writer) commit(j *job) {
	defer j.cancel()
	defer w.flushed(j.appends)
	var results []Result
	err := j.err
	if err == nil {
		results, err = w.index(j)
	}
	if err != nil {
		w.log.Warn("intake flush failed", "object", j.key, "bytes", len(j.data), "err", err)
		for _, p := range j.batch {
			for i := range p.results {
				p.results[i].Err = err
			}
		}
		j.complete()
		return
	}
	var committed []Committed
	i := 0
	for _, p := range j.batch {
		for k := range p.parts {
			r := results[i]
			p.results[k] = r
			if r.Err == nil && !r.Duplicate {
				a := j.appends[i]
				committed = append(committed, Committed{
					Partition: a.Partition,
					Entry: metastore.IndexEntry{
						BaseOffset: r.BaseOffset, LastOffset: r.BaseOffset + int64(a.NumRecords) - 1,
						ObjectKey: j.key, Pos: a.Pos, Size: a.Size, MaxTimestamp: a.MaxTimestamp,
					},
					Data: j.data[a.Pos : a.Pos+a.Size],
				})
			}
			i++
		}
	}
	if w.hooks.OnCommit != nil && len(committed) > 0 {
		w.hooks.OnCommit(committed)
	}
	j.complete()
}

// complete records each Pending's stages and releases its waiters.
func (j *job) complete() {
	now := time.Now()
	for _, p := range j.batch {
		p.stages = Stages{Queue: j.taken.Sub(p.submitted), Object: j.written.Sub(j.taken), Index: now.Sub(j.written), Done: now}
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

// index commits the flush's index entries (its object is written): only
// then is anything acknowledged.
func (w *Writer) index(j *job) ([]Result, error) {
	var results []Result
	start := time.Now()
	n, err := untilAnswered(j.ctx, w.closing, appendAgain, func() (err error) {
		results, err = w.meta.Append(j.ctx, metastore.ObjectRef{Key: j.key, Size: int64(len(j.data))}, j.appends)
		return err
	})
	w.recovered("metadata", j.key, n, err, start)
	if err != nil {
		return nil, fmt.Errorf("%w: index intake object %s: %v", ErrStorage, j.key, err)
	}
	return results, nil
}
