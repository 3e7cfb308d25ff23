package read

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
)

// watchers wakes long-polling fetches when their partitions get data.
// mu guards byPart.
type watchers struct {
	mu     sync.Mutex
	byPart map[metastore.PartitionKey]map[*waiter]struct{}
}

type waiter struct{ ch chan struct{} }

// Watch registers interest in pks; the channel receives once any of them
// gets new data after this call. cancel must be called when done.
func (r *Reader) Watch(pks []metastore.PartitionKey) (<-chan struct{}, func()) {
	w := &waiter{ch: make(chan struct{}, 1)}
	ws := &r.watch
	ws.mu.Lock()
	if ws.byPart == nil {
		ws.byPart = map[metastore.PartitionKey]map[*waiter]struct{}{}
	}
	for _, pk := range pks {
		set := ws.byPart[pk]
		if set == nil {
			set = map[*waiter]struct{}{}
			ws.byPart[pk] = set
		}
		set[w] = struct{}{}
	}
	ws.mu.Unlock()
	return w.ch, func() {
		ws.mu.Lock()
		for _, pk := range pks {
			if set := ws.byPart[pk]; set != nil {
				delete(set, w)
				if len(set) == 0 {
					delete(ws.byPart, pk)
				}
			}
		}
		ws.mu.Unlock()
	}
}

// Notify wakes the watchers of pk.
func (r *Reader) Notify(pk metastore.PartitionKey) {
	ws := &r.watch
	ws.mu.Lock()
	for w := range ws.byPart[pk] {
		select {
		case w.ch <- struct{}{}:
		default:
		}
	}
	ws.mu.Unlock()
}

// PollRemote wakes the watchers of partitions whose log grew through another
// broker (cluster mode, where this broker's write path does not see every
// commit): every interval it reads the state of each watched partition and
// notifies those whose high watermark moved. It returns when ctx ends.
func (r *Reader) PollRemote(ctx context.Context, interval time.Duration) {
	seen := map[metastore.PartitionKey]int64{}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		watched := r.watched()
		for pk := range seen {
			if !slices.Contains(watched, pk) {
				delete(seen, pk)
			}
		}
		for _, pk := range watched {
			st, err := r.meta.Partition(ctx, pk)
			if err != nil {
				continue // the next tick tries again; fetches still end at MaxWait
			}
			if last, ok := seen[pk]; ok && st.HighWater > last {
				r.Notify(pk)
			}
			seen[pk] = st.HighWater
		}
	}
}

// watched lists the partitions some fetch is waiting on.
func (r *Reader) watched() []metastore.PartitionKey {
	ws := &r.watch
	ws.mu.Lock()
	defer ws.mu.Unlock()
	out := make([]metastore.PartitionKey, 0, len(ws.byPart))
	for pk := range ws.byPart {
		out = append(out, pk)
	}
	return out
}
