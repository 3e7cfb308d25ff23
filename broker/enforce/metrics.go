package enforce

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the enforcement counters:
//
//	tributary_enforce_checks_total{side, element, result}
//	    every key or value checked; result is ok, no_schema, parse_error,
//	    invalid or internal_error.
//	tributary_enforce_records_total{side, action}
//	    records a failed check acted on: passed_through, filtered,
//	    dead_lettered, rejected (every record of a rejected batch that
//	    failed a check).
//	tributary_enforce_topic_records_total{topic, side, outcome}
//	    every record of an enforced topic, by what became of it:
//	    accepted (stored on produce, served on fetch; passed-through
//	    records included), rejected (every record of a refused record
//	    set, the good ones too: none was stored), filtered,
//	    dead_lettered, and passed_through (failed a check, kept anyway;
//	    also counted as accepted).
type metrics struct {
	checks  *prometheus.CounterVec
	actions *prometheus.CounterVec
	topics  *prometheus.CounterVec

	// hot holds the checks counters resolved, by side, element (0 key,
	// 1 value) and result, so a check costs one atomic add.
	hot [2][2][len(results)]prometheus.Counter
}

var results = [...]string{"ok", "no_schema", "parse_error", "invalid", "internal_error"}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "tributary", Subsystem: "enforce", Name: "checks_total",
			Help: "Record keys and values checked against their schema, by side (produce, fetch), element (key, value) and result (ok, no_schema, parse_error, invalid, internal_error).",
		}, []string{"side", "element", "result"}),
		actions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "tributary", Subsystem: "enforce", Name: "records_total",
			Help: "Records a failed check acted on, by side and action (passed_through, filtered, dead_lettered, rejected).",
		}, []string{"side", "action"}),
		topics: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "tributary", Subsystem: "enforce", Name: "topic_records_total",
			Help: "Records of an enforced topic, by topic, side (produce, fetch) and outcome (accepted, rejected, filtered, dead_lettered, passed_through).",
		}, []string{"topic", "side", "outcome"}),
	}
	for s := range m.hot {
		for e, el := range []string{"key", "value"} {
			for r, res := range results {
				m.hot[s][e][r] = m.checks.WithLabelValues(side(s).String(), el, res)
			}
		}
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.checks, m.actions, m.topics} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

// checkCounts is a span's checks by element (0 key, 1 value) and result,
// added to the counters once (flush) rather than one atomic add per record.
type checkCounts [2][len(results)]int

func (c *checkCounts) checked(el *element, err error) {
	e := 1
	if el.isKey {
		e = 0
	}
	c[e][resultOf(err)]++
}

// flush adds c to the checks counters of side s.
func (m *metrics) flush(s side, c *checkCounts) {
	for e := range c {
		for r, n := range c[e] {
			if n > 0 {
				m.hot[s][e][r].Add(float64(n))
			}
		}
	}
}

func (m *metrics) acted(s side, a action, n int) {
	if n > 0 {
		m.actions.WithLabelValues(s.String(), a.String()).Add(float64(n))
	}
}

// resultOf is err's index in results.
func resultOf(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, ErrNoSchema):
		return 1
	case errors.Is(err, ErrParse):
		return 2
	case errors.Is(err, ErrInvalid):
		return 3
	}
	return 4
}

// outcomes records what became of a record set of topic: total records,
// of which counts[a] failed a check and got action a; rejected means the
// whole set was refused.
func (m *metrics) outcomes(topic string, s side, total int, counts [actReject + 1]int, rejected bool) {
	add := func(outcome string, n int) {
		if n > 0 {
			m.topics.WithLabelValues(topic, s.String(), outcome).Add(float64(n))
		}
	}
	if rejected {
		add("rejected", total)
		return
	}
	add("filtered", counts[actFilter])
	add("dead_lettered", counts[actDLQ])
	add("passed_through", counts[actPass])
	add("accepted", total-counts[actFilter]-counts[actDLQ])
}
