package read

import (
	"context"
	"sync"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
)

// watchers wakes long-polling fetches when their partitions get data.
// mu guards byPart and every waiter's changed set.
type watchers struct {
	mu     sync.Mutex
	byPart map[metastore.PartitionKey]map[*waiter]struct{}
}

type waiter struct {
	ch      chan struct{}
	changed map[metastore.PartitionKey]struct{}
}

// Watch registers interest in pks; the channel receives once any of them
// gets new data after this call. cancel must be called when done.
func (r *Reader) Watch(pks []metastore.PartitionKey) (<-chan struct{}, func()) {
	w := r.WatchChanges(pks)
	return w.C(), w.Cancel
}

// Watcher is a registration made by WatchChanges.
type Watcher struct {
	ws  *watchers
	w   *waiter
	pks []metastore.PartitionKey
}

// WatchChanges registers interest in pks, like Watch, and also remembers
// which of them changed, so a woken fetch re-reads only those.
func (r *Reader) WatchChanges(pks []metastore.PartitionKey) *Watcher {
	w := &waiter{ch: make(chan struct{}, 1), changed: map[metastore.PartitionKey]struct{}{}}
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
	return &Watcher{ws: ws, w: w, pks: pks}
}

// C receives once any watched partition changed since the last receive.
func (w *Watcher) C() <-chan struct{} { return w.w.ch }

// Changed returns the partitions that changed since the last call (or
// since WatchChanges) and forgets them.
func (w *Watcher) Changed() map[metastore.PartitionKey]struct{} {
	w.ws.mu.Lock()
	defer w.ws.mu.Unlock()
	out := w.w.changed
	w.w.changed = map[metastore.PartitionKey]struct{}{}
	return out
}

// Cancel ends the registration.
func (w *Watcher) Cancel() {
	ws := w.ws
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for _, pk := range w.pks {
		if set := ws.byPart[pk]; set != nil {
			delete(set, w.w)
			if len(set) == 0 {
				delete(ws.byPart, pk)
			}
		}
	}
}

// Notify wakes the watchers of pk.
func (r *Reader) Notify(pk metastore.PartitionKey) {
	ws := &r.watch
	ws.mu.Lock()
	for w := range ws.byPart[pk] {
		w.changed[pk] = struct{}{}
		select {
		case w.ch <- struct{}{}:
		default:
		}
	}
	ws.mu.Unlock()
}

// PollRemote wakes the watchers of partitions whose log grew through another
// broker (cluster mode, where this broker's write path does not see every
// commit): every interval it reads the state of all watched partitions in
// one metadata query and notifies those whose high watermark moved. It
// returns when ctx ends.
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
		if len(watched) == 0 {
			clear(seen)
			continue
		}
		states, err := r.meta.PartitionStates(ctx, watched)
		if err != nil {
			continue // the next tick tries again; fetches still end at MaxWait
		}
		next := make(map[metastore.PartitionKey]int64, len(states))
		for pk, st := range states {
			if last, ok := seen[pk]; ok && st.HighWater > last {
				r.Notify(pk)
			}
			next[pk] = st.HighWater
		}
		seen = next
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
