package enforce

import (
	"context"
	"runtime"
	"sync"

	"github.com/tributary-io/tributary/log/recordbatch"
)

// parallelMin is how many records each goroutine checking a batch gets at
// least: a batch of fewer than twice this is checked by one goroutine.
// Decoding and validating a record costs microseconds, starting a
// goroutine a fraction of one, and a produce's batch is checked on its
// connection's reader goroutine, which would otherwise do it all alone.
// Parse-only checks (a fraction of a microsecond) are never split: the
// records would have to be collected first, which costs about as much.
const parallelMin = 64

// checks is what checking a batch needs: the registry and elements of a
// policy, and the side it is on.
type checks struct {
	reg          *registryClient
	keys, values *element
	m            *metrics
	side         side
	// skip, when set, exempts records from every check.
	skip func(r *recordbatch.Record) bool
}

// run checks every record of rs and calls failed, in record order, with
// each record that failed a check and its verdict; it returns the number
// of records read. The record passed to failed is valid during the call
// only (its key, value and header fields alias rs; the Record itself and
// its Headers slice may be reused). Batches of records that are validated
// (decoded and checked against rules, microseconds each) are split among
// up to GOMAXPROCS goroutines, each with its own checker; the others are
// read in one pass without collecting the records.
func (cs *checks) run(ctx context.Context, rs *recordbatch.Records, failed func(r *recordbatch.Record, v verdict)) (int, error) {
	n := int(max(rs.Header.NumRecords, 0))
	workers := min(runtime.GOMAXPROCS(0), n/parallelMin)
	if workers <= 1 || !cs.validates() {
		return cs.stream(ctx, rs, failed)
	}
	recs, err := rs.Collect(make([]recordbatch.Record, 0, min(n, 1<<16)))
	if err != nil {
		return 0, err
	}
	verdicts := make([]verdict, len(recs))
	var wg sync.WaitGroup
	chunk := (len(recs) + workers - 1) / workers
	for lo := 0; lo < len(recs); lo += chunk {
		hi := min(lo+chunk, len(recs))
		wg.Add(1)
		go func() {
			defer wg.Done()
			cs.span(ctx, recs[lo:hi], verdicts[lo:hi])
		}()
	}
	wg.Wait()
	for i, v := range verdicts {
		if v.err != nil {
			failed(&recs[i], v)
		}
	}
	return len(recs), nil
}

// validates reports whether a record's check decodes and validates (the
// expensive kind), for the key or the value.
func (cs *checks) validates() bool {
	return (cs.keys != nil && cs.keys.validate) || (cs.values != nil && cs.values.validate)
}

// stream checks the records of rs in one pass with one checker.
func (cs *checks) stream(ctx context.Context, rs *recordbatch.Records, failed func(r *recordbatch.Record, v verdict)) (int, error) {
	c := &checker{reg: cs.reg}
	n := 0
	err := rs.Each(func(r *recordbatch.Record) bool {
		n++
		if cs.skip != nil && cs.skip(r) {
			return true
		}
		if v := c.record(ctx, r, cs.keys, cs.values); v.err != nil {
			failed(r, v)
		}
		return true
	})
	cs.m.flush(cs.side, &c.counts)
	return n, err
}

// span checks recs into verdicts with one checker.
func (cs *checks) span(ctx context.Context, recs []recordbatch.Record, verdicts []verdict) {
	c := &checker{reg: cs.reg}
	for i := range recs {
		if cs.skip != nil && cs.skip(&recs[i]) {
			continue
		}
		verdicts[i] = c.record(ctx, &recs[i], cs.keys, cs.values)
	}
	cs.m.flush(cs.side, &c.counts)
}
