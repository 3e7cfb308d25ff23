package housekeeping

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// counters are the Prometheus counters of the passes; nil when no
// Registerer was given. Label values are fixed ("dead", "orphan").
type counters struct {
	passes, trimmed, segments, merged, rewritten, conflicts, errors prometheus.Counter
	deleted                                                         *prometheus.CounterVec // reason
}

func newCounters(reg prometheus.Registerer) *counters {
	if reg == nil {
		return nil
	}
	c := func(name, help string) prometheus.Counter {
		return register(reg, prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "tributary", Subsystem: "housekeeping", Name: name, Help: help}))
	}
	return &counters{
		passes:    c("passes_total", "Housekeeping passes run."),
		trimmed:   c("entries_trimmed_total", "Index entries removed by retention."),
		segments:  c("segments_written_total", "Segment objects written and indexed."),
		merged:    c("entries_merged_total", "Index entries replaced by segment entries."),
		rewritten: c("rewritten_bytes_total", "Bytes copied into segments."),
		conflicts: c("rewrite_conflicts_total", "Segment rewrites abandoned because the index changed."),
		errors:    c("errors_total", "Housekeeping operations that failed (retried next pass)."),
		deleted: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "tributary", Subsystem: "housekeeping", Name: "objects_deleted_total",
			Help: "Objects deleted, by reason: dead (no longer referenced) or orphan (never committed)."}, []string{"reason"})),
	}
}

// register registers col on reg, or returns the same collector already
// there (two housekeepers on one registry share their counters).
func register[C prometheus.Collector](reg prometheus.Registerer, col C) C {
	if err := reg.Register(col); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err) // a name clash with a different metric: a bug
	}
	return col
}

func (c *counters) add(r Report) {
	if c == nil {
		return
	}
	c.passes.Inc()
	c.trimmed.Add(float64(r.EntriesTrimmed))
	c.segments.Add(float64(r.SegmentsWritten))
	c.merged.Add(float64(r.EntriesMerged))
	c.rewritten.Add(float64(r.BytesRewritten))
	c.conflicts.Add(float64(r.Conflicts))
	c.errors.Add(float64(r.Errors))
	c.deleted.WithLabelValues("dead").Add(float64(r.DeadDeleted))
	c.deleted.WithLabelValues("orphan").Add(float64(r.OrphansDeleted))
}
