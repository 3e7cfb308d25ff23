package fetch

import (
	"sync"

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
