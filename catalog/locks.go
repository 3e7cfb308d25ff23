package catalog

import (
	"context"
	"slices"
	"sync"
)

// tableLocks queues the commits this server runs on one table, so that
// they take turns instead of racing each other's compare-and-swap and
// retrying: under many writers a race costs a metadata file written and
// deleted, and a writer that keeps losing could wait out the retry
// deadline. Commits through other servers on the same store still race;
// the swap's compare-and-swap and the retry in commit handle those. A
// waiting commit gives up when its request ends. Waiters are served in
// arrival order (a channel's blocked senders are).
//
// Lock order: a commit takes the locks of all its tables in key order
// (a multi-table transaction), so two transactions cannot deadlock.
type tableLocks struct {
	mu sync.Mutex
	m  map[string]*tableLock
}

type tableLock struct {
	turn chan struct{} // holds one token while a commit runs
	refs int           // commits holding or waiting; guarded by tableLocks.mu
}

// lock takes the locks of keys, waiting while other commits hold them,
// and returns their release; an error when ctx ends first.
func (l *tableLocks) lock(ctx context.Context, keys []string) (func(), error) {
	keys = slices.Clone(keys)
	slices.Sort(keys)
	keys = slices.Compact(keys)
	held := make([]*tableLock, 0, len(keys))
	release := func() {
		for i := len(held) - 1; i >= 0; i-- {
			<-held[i].turn
		}
		l.put(keys)
	}
	l.mu.Lock()
	if l.m == nil {
		l.m = map[string]*tableLock{}
	}
	ls := make([]*tableLock, len(keys))
	for i, k := range keys {
		tl := l.m[k]
		if tl == nil {
			tl = &tableLock{turn: make(chan struct{}, 1)}
			l.m[k] = tl
		}
		tl.refs++
		ls[i] = tl
	}
	l.mu.Unlock()
	for _, tl := range ls {
		select {
		case tl.turn <- struct{}{}:
			held = append(held, tl)
		case <-ctx.Done():
			release()
			return nil, ctx.Err()
		}
	}
	return release, nil
}

// put drops one reference to each key's lock, forgetting unused ones.
func (l *tableLocks) put(keys []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		if tl := l.m[k]; tl != nil {
			if tl.refs--; tl.refs == 0 {
				delete(l.m, k)
			}
		}
	}
}
