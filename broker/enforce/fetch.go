package enforce

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/tributary-io/tributary/log/recordbatch"
)

// FetchPolicy is the enforcement of fetches from one topic. Safe for
// concurrent use.
type FetchPolicy struct {
	e            *Enforcer
	topic        string
	reg          *registryClient
	keys, values *element
}

// Filter returns data, whole batches as the read path serves them (base
// offsets patched), without the records the policy filters out. A batch
// that loses records is rebuilt with the same baseOffset and
// lastOffsetDelta (recordbatch.Records.Filter), so a consumer's position
// still advances past every offset it covered, the filtered ones
// included. Unchanged input is returned as it is. Nothing here fails: a
// batch that cannot be read is served as stored, for the consumer to
// report, and logged (a warning naming the topic and partition).
//
// Each checked batch's outcome is cached by (topic id, partition, base
// offset, CRC), unless a check failed for an internal reason (the answer
// may differ once the registry is back), so consumers re-reading a batch
// (several groups, a long poll) do not pay for the checks again.
func (p *FetchPolicy) Filter(ctx context.Context, topicID [16]byte, partition int32, data []byte) []byte {
	var out []byte // nil until a batch changes
	off := 0
	err := recordbatch.Walk(data, func(h recordbatch.Header, raw []byte) bool {
		start := off
		off += len(raw)
		got, changed := raw, false
		if !h.Control() {
			got, changed = p.batch(ctx, fetchKey{topicID, partition, h.BaseOffset, h.CRC}, raw)
		}
		if out == nil && changed {
			out = append(make([]byte, 0, len(data)), data[:start]...)
		}
		if out != nil {
			out = append(out, got...)
		}
		return true
	})
	if err != nil {
		// Served as stored from the first batch that does not frame; the
		// consumer reports it, the log says which partition it was.
		p.e.log.Warn("schema enforcement: fetch data does not frame, rest served unfiltered",
			"topic", p.topic, "partition", partition, "at_byte", off, "err", err)
	}
	if out == nil {
		return data
	}
	return append(out, data[off:]...) // whatever Walk could not frame
}

// batch returns raw without its filtered records, and whether any was
// (raw itself when none is).
func (p *FetchPolicy) batch(ctx context.Context, k fetchKey, raw []byte) ([]byte, bool) {
	if got, ok := p.e.fcache.get(k); ok {
		if got == nil {
			return raw, false
		}
		return got, true
	}
	rs, err := recordbatch.OpenBatch(raw)
	if err != nil {
		return raw, false
	}
	cs := &checks{reg: p.reg, keys: p.keys, values: p.values, m: p.e.m, side: sideFetch,
		skip: func(r *recordbatch.Record) bool { return deadLetter(r.Headers, p.topic) }}
	var drop []bool
	var counts [actReject + 1]int
	var internal error
	n, err := cs.run(ctx, rs, func(r *recordbatch.Record, v verdict) {
		if errors.Is(v.err, ErrInternal) {
			internal = v.err
		}
		counts[v.act]++
		if v.act == actPass {
			return
		}
		if drop == nil {
			drop = make([]bool, max(rs.Header.NumRecords, 0))
		}
		drop[r.Index] = true
	})
	if err != nil {
		return raw, false
	}
	for a, n := range counts {
		p.e.m.acted(sideFetch, action(a), n)
	}
	p.e.m.outcomes(p.topic, sideFetch, n, counts, false)
	out := raw
	if drop != nil {
		if out, err = rs.Filter(func(i int) bool { return !drop[i] }); err != nil {
			return raw, false
		}
	}
	if internal != nil {
		p.e.warnInternal(p.topic, internal)
	} else if drop == nil {
		p.e.fcache.put(k, nil)
	} else {
		p.e.fcache.put(k, out)
	}
	return out, drop != nil
}

// fetchKey names a stored batch: the same bytes whichever object holds
// them (intake or segment) and whoever reads them.
type fetchKey struct {
	topic     [16]byte
	partition int32
	base      int64
	crc       uint32
}

// fetchCacheTTL bounds how long an outcome is trusted: a subject gaining
// a schema, say, can change it.
const fetchCacheTTL = time.Minute

// fetchCache remembers checked batches: nil for "nothing filtered", else
// the filtered copy. Bounded by bytes (each entry counts its copy plus a
// fixed overhead), oldest out first. mu guards everything.
type fetchCache struct {
	mu      sync.Mutex
	max     int
	size    int
	entries map[fetchKey]fetchEntry
	order   []fetchKey // insertion order, for eviction
}

type fetchEntry struct {
	data []byte
	at   time.Time
}

const fetchEntryOverhead = 64

func newFetchCache(max int) *fetchCache {
	return &fetchCache{max: max, entries: map[fetchKey]fetchEntry{}}
}

func (fc *fetchCache) get(k fetchKey) ([]byte, bool) {
	if fc.max < 0 {
		return nil, false
	}
	fc.mu.Lock()
	defer fc.mu.Unlock()
	e, ok := fc.entries[k]
	if !ok || time.Since(e.at) > fetchCacheTTL {
		return nil, false
	}
	return e.data, true
}

func (fc *fetchCache) put(k fetchKey, data []byte) {
	cost := len(data) + fetchEntryOverhead
	if fc.max < 0 || cost > fc.max {
		return
	}
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if old, ok := fc.entries[k]; ok {
		fc.size -= len(old.data) + fetchEntryOverhead
	} else {
		fc.order = append(fc.order, k)
	}
	fc.entries[k] = fetchEntry{data: data, at: time.Now()}
	fc.size += cost
	for fc.size > fc.max && len(fc.order) > 0 {
		old := fc.order[0]
		fc.order = fc.order[1:]
		if e, ok := fc.entries[old]; ok {
			fc.size -= len(e.data) + fetchEntryOverhead
			delete(fc.entries, old)
		}
	}
}
