package read

import (
	"sync"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
)

// recentReads remembers when each partition was last read, for the
// write-through decision. mu guards at; entries older than tailWindow are
// dropped as the map is swept.
type recentReads struct {
	mu      sync.Mutex
	at      map[metastore.PartitionKey]time.Time
	sweptAt time.Time
}

func (rr *recentReads) note(pk metastore.PartitionKey, now time.Time) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	if rr.at == nil {
		rr.at = map[metastore.PartitionKey]time.Time{}
	}
	rr.at[pk] = now
	if now.Sub(rr.sweptAt) > tailWindow {
		for k, t := range rr.at {
			if now.Sub(t) > tailWindow {
				delete(rr.at, k)
			}
		}
		rr.sweptAt = now
	}
}

func (rr *recentReads) readSince(pk metastore.PartitionKey, since time.Time) bool {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	t, ok := rr.at[pk]
	return ok && !t.Before(since)
}
