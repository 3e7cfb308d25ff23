package housekeeping

import (
	"context"
	"fmt"
	"time"
)

const (
	// deadPage bounds the dead objects looked at per pass; the rest wait
	// for the next passes (their grace starts when first seen).
	deadPage = 10000
	// knownChunk is how many keys one KnownObjects call asks about.
	knownChunk = 1000
	// sweepEvery divides OrphanGrace into the minimum time between sweeps.
	sweepEvery = 10
)

// deadObjects deletes the objects seen dead for DeadObjectGrace, then
// forgets them. It expects passMu held (it owns deadSeen).
func (p *pass) deadObjects(ctx context.Context) {
	if ctx.Err() != nil {
		return
	}
	keys, err := p.h.meta.DeadObjects(ctx, deadPage)
	if err != nil {
		p.fail(fmt.Errorf("list dead objects: %w", err))
		return
	}
	seen := make(map[string]time.Time, len(keys))
	var deleted []string
	for _, key := range keys {
		first, ok := p.h.deadSeen[key]
		if !ok {
			first = p.now
		}
		seen[key] = first
		if p.now.Sub(first) < p.h.cfg.DeadObjectGrace || ctx.Err() != nil {
			continue
		}
		if err := p.h.obj.Delete(ctx, key); err != nil {
			p.fail(fmt.Errorf("delete dead object %s: %w", key, err))
			continue
		}
		deleted = append(deleted, key)
	}
	// Keys no longer listed were forgotten (or pushed past deadPage: their
	// grace restarts, which only delays them).
	p.h.deadSeen = seen
	if len(deleted) == 0 {
		return
	}
	if err := p.h.meta.ForgetObjects(ctx, deleted); err != nil {
		// Still dead, already deleted: the next pass deletes again (a
		// no-op) and forgets them.
		p.fail(fmt.Errorf("forget %d deleted objects: %w", len(deleted), err))
		return
	}
	for _, key := range deleted {
		delete(p.h.deadSeen, key)
	}
	p.rep.DeadDeleted += len(deleted)
}

// orphans deletes the objects under the log's prefixes that the metadata
// store does not know and that are older than OrphanGrace. It runs at most
// once per OrphanGrace/sweepEvery and expects passMu held.
func (p *pass) orphans(ctx context.Context) {
	if ctx.Err() != nil || (!p.h.lastSweep.IsZero() && p.now.Sub(p.h.lastSweep) < p.h.cfg.OrphanGrace/sweepEvery) {
		return
	}
	failed := p.rep.Errors
	for _, prefix := range []string{intakePrefix, segmentPrefix} {
		p.sweep(ctx, prefix)
	}
	if p.rep.Errors == failed && ctx.Err() == nil {
		p.h.lastSweep = p.now
	}
}

func (p *pass) sweep(ctx context.Context, prefix string) {
	infos, err := p.h.obj.List(ctx, prefix)
	if err != nil {
		p.fail(fmt.Errorf("list %s: %w", prefix, err))
		return
	}
	var old []string
	for _, o := range infos {
		if p.now.Sub(o.Modified) > p.h.cfg.OrphanGrace {
			old = append(old, o.Key)
		}
	}
	for len(old) > 0 && ctx.Err() == nil {
		chunk := old[:min(len(old), knownChunk)]
		old = old[len(chunk):]
		known, err := p.h.meta.KnownObjects(ctx, chunk)
		if err != nil {
			p.fail(fmt.Errorf("look up %d objects under %s: %w", len(chunk), prefix, err))
			continue
		}
		for _, key := range chunk {
			if k, ok := known[key]; ok && !k {
				p.deleteOrphan(ctx, key)
			}
		}
	}
}

func (p *pass) deleteOrphan(ctx context.Context, key string) {
	if err := p.h.obj.Delete(ctx, key); err != nil {
		p.fail(fmt.Errorf("delete orphan %s: %w", key, err))
		return
	}
	p.rep.OrphansDeleted++
}
