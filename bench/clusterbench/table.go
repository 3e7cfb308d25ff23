package main

import (
	"fmt"
	"io"
	"runtime"
	"text/tabwriter"
	"time"
)

// s3PutPrice is S3 Standard's price of one PUT request in dollars
// ($0.005 per 1,000).
const s3PutPrice = 0.005 / 1000

// printTable writes the rounds as two tables, one per phase, with what
// the columns mean and the caveat about this machine's cores.
// The first write error is returned (the rest are skipped).
func printTable(w io.Writer, o options, rows []row) error {
	var err error
	pf := func(w io.Writer, format string, a ...any) {
		if err == nil {
			_, err = fmt.Fprintf(w, format, a...)
		}
	}
	flush := func(tw *tabwriter.Writer) {
		if ferr := tw.Flush(); err == nil {
			err = ferr
		}
	}
	pf(w, "\nthroughput: %d records back to back\n", o.records)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	pf(tw, "brokers\tMB/s\t÷ local\trecords/s\tp50\tp99\tS3 PUT/MB\tappends/MB\tPG write xacts/MB\tPG xact_commit/MB (round)\t\n")
	var localMBps float64
	for _, r := range rows {
		t := r.thru
		if r.local {
			localMBps = t.mbps()
		}
		pf(tw, "%s\t%.1f\t%s\t%.0f\t%v\t%v\t%.2f\t%.2f\t%.2f\t%.2f\t\n",
			r.label(), t.mbps(), ratio(t.mbps(), localMBps), float64(t.records)/t.elapsed.Seconds(), t.p50, t.p99,
			t.perMB(t.puts), t.perMB(t.appends), t.perMB(float64(t.writeXacts)), float64(r.xactCommit)/r.mb)
	}
	flush(tw)
	if o.pacedRate > 0 {
		pf(w, "\npaced: %d records/s for %v\n", o.pacedRate, o.pacedFor)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		pf(tw, "brokers\tMB/s\trecords/s\tp50\tp99\tS3 PUT/MB\tappends/MB\tPG write xacts/MB\tPUT/s per broker\t$/day per broker\t\n")
		for _, r := range rows {
			p := r.paced
			putsPerSec := p.puts / p.elapsed.Seconds() / float64(r.brokers)
			cost := fmt.Sprintf("%.2f", putsPerSec*86400*s3PutPrice)
			if r.local {
				cost = "-" // local object writes cost no request fee
			}
			pf(tw, "%s\t%.1f\t%.0f\t%v\t%v\t%.2f\t%.2f\t%.2f\t%.1f\t%s\t\n",
				r.label(), p.mbps(), float64(p.records)/p.elapsed.Seconds(), p.p50, p.p99,
				p.perMB(p.puts), p.perMB(p.appends), p.perMB(float64(p.writeXacts)),
				putsPerSec, cost)
		}
		flush(tw)
	}
	for _, r := range rows {
		if r.failover > 0 {
			pf(w, "\nfailover, %d brokers: every partition acknowledged %v after SIGKILL of one broker\n",
				r.brokers, r.failover.Round(time.Millisecond))
		}
	}
	pf(w, `
Latency: from the Produce call to the acknowledgement, per record (back to back, that includes time in the
  client's buffer). %d producers, each pinned to one broker, spread evenly.
÷ local: MB/s over that of one broker on local disk and the embedded store (the "local" row: no Postgres, no S3;
  its PUTs are local object writes).
S3 PUT/MB and appends/MB: the brokers' /metrics; $/day per broker: PUT/s × 86,400 × $0.005/1,000 (S3 Standard PUTs); PG write xacts/MB: transaction IDs consumed in the phase;
  PG xact_commit/MB: pg_stat_database over the whole round (start-up, heartbeats, warm-up, both phases,
  read-only transactions, shut-down) per MB of the round.
`, o.producers)
	pf(w, "Note: this machine has %d cores, shared by every broker, Postgres, versitygw and the clients: "+
		"the rows show the cost per broker, not scale-out.\n", runtime.NumCPU())
	return err
}

// label names a row: its broker count, or "1 local".
func (r row) label() string {
	if r.local {
		return "1 local"
	}
	return fmt.Sprint(r.brokers)
}

// ratio is a/b as "0.42×", or "" without a b.
func ratio(a, b float64) string {
	if b <= 0 {
		return ""
	}
	return fmt.Sprintf("%.2f×", a/b)
}
