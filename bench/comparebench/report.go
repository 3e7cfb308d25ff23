package main

import (
	"fmt"
	"io"
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
			value: func(m *measured) float64 { return mean(m.ProduceCPU) / gib }},
		{name: "consume", unit: "MB/s", format: "%.1f",
			value: func(m *measured) float64 {
				return meanOf(m.Consume, func(c consumeResult) float64 { return c.MBPerSec })
			},
			goal: "≥1.2× kafka", pass: func(t, k float64) bool { return t >= 1.2*k }},
		{name: "consume broker CPU", unit: "s/GiB", format: "%.1f",
			value: func(m *measured) float64 { return mean(m.ConsumeCPU) / gib }},
	}
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
		printf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.name, r.unit, strings.Join(vals, "\t"),
			ratio(trib, kafka), ratio(trib, r.value(res.By[nameKafkaFsync])), r.goal, verdict)
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
