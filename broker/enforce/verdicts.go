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

// run checks every record of rs and returns the records (keys, values
// and headers alias rs; Records.Collect) and a verdict for each. Large
// batches are split among up to GOMAXPROCS goroutines, each with its own
// checker.
func (cs *checks) run(ctx context.Context, rs *recordbatch.Records) ([]recordbatch.Record, []verdict, error) {
	recs, err := rs.Collect(make([]recordbatch.Record, 0, min(max(rs.Header.NumRecords, 0), 1<<16)))
	if err != nil {
		return nil, nil, err
	}
	verdicts := make([]verdict, len(recs))
	workers := min(runtime.GOMAXPROCS(0), len(recs)/parallelMin)
	if workers <= 1 {
		cs.span(ctx, recs, verdicts)
		return recs, verdicts, nil
	}
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
	return recs, verdicts, nil
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
