package main

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"text/tabwriter"
)

// row is one line of the table: a figure per target, the goal for
// Tributary, and whether a higher figure is better.
type row struct {
	name   string
	unit   string
	value  func(*measured) float64
	goal   string
	pass   func(trib, kafka float64) bool // nil: no goal
	format string
	// tribOnly: a figure only Tributary reports (its own /metrics); the
	// Kafka columns and the ratios print "-".
	tribOnly bool
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

func meanOf[T any](xs []T, f func(T) float64) float64 {
	v := make([]float64, len(xs))
	for i, x := range xs {
		v[i] = f(x)
	}
	return mean(v)
}

// rows are the table's lines, for records of size bytes.
func (res *results) rows() []row {
	gib := float64(res.Opts.Records) * float64(res.Opts.Size) / (1 << 30)
	rs := []row{
		{name: "produce", unit: "MB/s", format: "%.1f",
			value: func(m *measured) float64 {
				return meanOf(m.Produce, func(p produceResult) float64 { return p.MBPerSec })
			},
			goal: "≥1.2× kafka", pass: func(t, k float64) bool { return t >= 1.2*k }},
		{name: "produce broker CPU", unit: "s/GiB", format: "%.1f",
			value: func(m *measured) float64 { return meanOf(m.ProduceCost, costBroker) / gib }}}
	rs = append(rs, clientRows("produce", gib, func(m *measured) []cost { return m.ProduceCost })...)
	rs = append(rs, []row{
		{name: "consume", unit: "MB/s", format: "%.1f",
			value: func(m *measured) float64 {
				return meanOf(m.Consume, func(c consumeResult) float64 { return c.MBPerSec })
			},
			goal: "≥1.2× kafka", pass: func(t, k float64) bool { return t >= 1.2*k }},
		{name: "consume broker CPU", unit: "s/GiB", format: "%.1f",
			value: func(m *measured) float64 { return meanOf(m.ConsumeCost, costBroker) / gib }},
	}...)
	rs = append(rs, clientRows("consume", gib, func(m *measured) []cost { return m.ConsumeCost })...)
	rs = append(rs, fetchRows()...)
	if res.Opts.PacedRate > 0 {
		rate := fmt.Sprintf("%dk/s", res.Opts.PacedRate/1000)
		rs = append(rs,
			row{name: "paced rate achieved", unit: "rec/s", format: "%.0f",
				value: func(m *measured) float64 {
					return meanOf(m.Paced, func(p produceResult) float64 { return p.RecordsPerSec })
				}},
			row{name: "produce p50 at " + rate, unit: "ms", format: "%.1f",
				value: func(m *measured) float64 { return meanOf(m.Paced, func(p produceResult) float64 { return p.P50 }) },
				goal:  "≤5 ms", pass: func(t, _ float64) bool { return t <= 5 }},
			row{name: "produce p99 at " + rate, unit: "ms", format: "%.1f",
				value: func(m *measured) float64 { return meanOf(m.Paced, func(p produceResult) float64 { return p.P99 }) },
				goal:  "≤15 ms", pass: func(t, _ float64) bool { return t <= 15 }})
	}
	return append(rs, row{name: "broker peak RSS", unit: "MiB", format: "%.0f",
		value: func(m *measured) float64 { return float64(m.PeakRSS) / (1 << 20) },
		goal:  "≤256 MiB", pass: func(t, _ float64) bool { return t <= 256 }})
}

func costBroker(c cost) float64 { return c.Broker }

// clientRows are the client's side of a run: its CPU per GiB and the
// run's wall-clock (JVM start-up and group join included), then the
// cores broker and client kept busy in the tool's measured window alone,
// and the client's busiest thread: broker+client near 2 on this machine
// means bound by the machine; the busiest thread near 1, by that thread.
// On a shared machine those depend on the neighbours; the window's CPU
// per GiB does not much, so the two ceilings derived from it say which
// limit a quiet machine would meet first: every core spent on client and
// broker, or the client's busiest thread on one core.
func clientRows(what string, gib float64, costs func(*measured) []cost) []row {
	return []row{
		{name: what + " client CPU", unit: "s/GiB", format: "%.1f",
			value: func(m *measured) float64 { return meanOf(costs(m), func(c cost) float64 { return c.Client }) / gib }},
		{name: what + " wall-clock (JVM start incl.)", unit: "s", format: "%.1f",
			value: func(m *measured) float64 { return meanOf(costs(m), func(c cost) float64 { return c.Wall }) }},
		{name: what + " window: broker", unit: "cores", format: "%.2f",
			value: func(m *measured) float64 { return windowMean(costs(m), func(w windowCPU) float64 { return w.Broker }) }},
		{name: what + " window: client", unit: "cores", format: "%.2f",
			value: func(m *measured) float64 { return windowMean(costs(m), func(w windowCPU) float64 { return w.Client }) }},
		{name: what + " window: busiest client thread", unit: "cores", format: "%.2f",
			value: func(m *measured) float64 { return windowMean(costs(m), func(w windowCPU) float64 { return w.Busiest }) }},
		{name: what + " window CPU: client + broker", unit: "s/GiB", format: "%.1f",
			value: func(m *measured) float64 {
				return windowPerGiB(costs(m), gib, func(w windowCPU) float64 { return w.Client + w.Broker })
			}},
		{name: what + " ceiling: all cores on client + broker", unit: "MB/s", format: "%.0f",
			value: func(m *measured) float64 {
				return ceiling(float64(runtime.NumCPU()), windowPerGiB(costs(m), gib, func(w windowCPU) float64 { return w.Client + w.Broker }))
			}},
		{name: what + " ceiling: busiest client thread on a core", unit: "MB/s", format: "%.0f",
			value: func(m *measured) float64 {
				return ceiling(1, windowPerGiB(costs(m), gib, func(w windowCPU) float64 { return w.Busiest }))
			}},
	}
}

// windowPerGiB is the mean, over the runs whose window was placed, of
// f's CPU seconds per GiB the run moved: a cost per byte, which holds on
// a busy machine where cores busy and MB/s do not.
func windowPerGiB(cs []cost, gib float64, f func(windowCPU) float64) float64 {
	var v []float64
	for _, c := range cs {
		if c.WindowOK {
			v = append(v, f(c.Window)/gib)
		}
	}
	return mean(v)
}

// ceiling is the MB/s at which cores would be spent at perGiB CPU
// seconds per GiB: the most the run could do on a quiet machine if that
// CPU were the only limit (0 when nothing was measured).
func ceiling(cores, perGiB float64) float64 {
	if perGiB <= 0 {
		return 0
	}
	return cores / perGiB * (1 << 30) / 1e6
}

// windowMean is the mean, over the runs whose window was placed, of f's
// CPU seconds per second of the window: cores.
func windowMean(cs []cost, f func(windowCPU) float64) float64 {
	var v []float64
	for _, c := range cs {
		if c.WindowOK {
			v = append(v, f(c.Window)/c.Window.Seconds)
		}
	}
	return mean(v)
}

// fetchRows are the consume run's fetch shape: the Java consumer's own
// metrics for every target, and Tributary's count of what it served.
func fetchRows() []row {
	shape := func(f func(consumeResult) float64) func(*measured) float64 {
		return func(m *measured) float64 { return meanOf(m.Consume, f) }
	}
	served := func(f func(servedFetches) float64) func(*measured) float64 {
		return func(m *measured) float64 { return meanOf(m.ConsumeServed, f) }
	}
	return []row{
		{name: "fetches (client)", unit: "req/s", format: "%.0f", value: shape(func(c consumeResult) float64 {
			if c.FetchTimeMs <= 0 {
				return 0
			}
			return c.Fetch.Requests / (c.FetchTimeMs / 1000)
		})},
		{name: "bytes per fetch response (client)", unit: "KiB", format: "%.0f",
			value: shape(func(c consumeResult) float64 { return c.Fetch.SizeAvg / 1024 })},
		{name: "records per fetch response (client)", unit: "rec", format: "%.0f",
			value: shape(func(c consumeResult) float64 { return c.Fetch.RecordsPerRequest })},
		{name: "fetch latency (client)", unit: "ms", format: "%.2f",
			value: shape(func(c consumeResult) float64 { return c.Fetch.LatencyAvg })},
		{name: "bytes per partition per response (broker)", unit: "KiB", format: "%.0f", tribOnly: true,
			value: served(func(s servedFetches) float64 { return s.perPartition() / 1024 })},
		{name: "time to answer a fetch, long polls incl. (broker)", unit: "ms", format: "%.2f", tribOnly: true,
			value: served(func(s servedFetches) float64 {
				if s.Requests == 0 {
					return 0
				}
				return 1000 * s.LatencySum / s.Requests
			})},
	}
}

// print writes the table: a column per target, the ratios of Tributary to
// each Kafka setup, and the goal with met / NOT MET.
func (res *results) print(w io.Writer) {
	o := res.Opts
	printf(w, "Kafka's ProducerPerformance/ConsumerPerformance: %d records of %d B, acks=all, %d partitions, %d of %d interleaved rounds complete (figures: mean of the runs made)\n",
		o.Records, o.Size, o.Partitions, res.Completed, o.Rounds)
	printf(w, "kafka = Apache Kafka 4.4 default flush (page cache); kafka-fsync = flush.messages=1; peak RSS of kafka is one process for both\n\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	printf(tw, "figure\tunit\t%s\ttrib/kafka\ttrib/kafka-fsync\tgoal\t\t\n", strings.Join(res.Targets, "\t"))
	for _, r := range res.rows() {
		vals := make([]string, len(res.Targets))
		for i, name := range res.Targets {
			vals[i] = fmt.Sprintf(r.format, r.value(res.By[name]))
			if r.tribOnly && name != nameTributary {
				vals[i] = "-"
			}
		}
		trib := r.value(res.By[nameTributary])
		kafka := r.value(res.By[nameKafka])
		verdict := ""
		if r.pass != nil {
			verdict = "met"
			if !r.pass(trib, kafka) {
				verdict = "NOT MET"
			}
		}
		toKafka, toFsync := ratio(trib, kafka), ratio(trib, r.value(res.By[nameKafkaFsync]))
		if r.tribOnly {
			toKafka, toFsync = "-", "-"
		}
		printf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.name, r.unit, strings.Join(vals, "\t"),
			toKafka, toFsync, r.goal, verdict)
	}
	_ = tw.Flush() // w is stdout or a test buffer
}

// printf writes progress or the table. A failed write to stdout or stderr
// has nowhere to be reported, so its error is visibly dropped.
func printf(w io.Writer, format string, args ...any) {
	_, _ = fmt.Fprintf(w, format, args...)
}

func ratio(a, b float64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f×", a/b)
}
