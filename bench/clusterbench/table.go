package main

import (
	"fmt"
	"io"
	"runtime"
	"text/tabwriter"
	"time"
)

// printTable writes the rounds as one table, with what the columns mean
// and the caveat about this machine's cores.
func printTable(w io.Writer, o options, rows []row) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "brokers\tMB/s\trecords/s\tp50\tp99\tpaced p50\tpaced p99\tS3 PUT/MB\tappends/MB\tPG write xacts/MB\tPG xact_commit/MB\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%d\t%.1f\t%.0f\t%v\t%v\t%v\t%v\t%.2f\t%.2f\t%.2f\t%.2f\t\n",
			r.brokers, r.thru.mbps(), float64(r.thru.records)/r.thru.elapsed.Seconds(),
			r.thru.p50, r.thru.p99, dur(r.paced.p50), dur(r.paced.p99),
			r.puts/r.mb, r.appends/r.mb, float64(r.writeXacts)/r.mb, float64(r.xactCommit)/r.mb)
	}
	tw.Flush()
	fmt.Fprintf(w, `
MB/s, records/s, p50, p99: %d records sent back to back by %d producers (latency = Produce call to
  acknowledgement, client buffering included). paced: %d records/s in all for %v.
Per MB produced in both phases: S3 PUTs and metadata appends from the brokers' /metrics; PG write xacts
  from transaction IDs consumed; PG xact_commit from pg_stat_database over the whole round (start-up,
  heartbeats, shut-down and read-only transactions included).
`, o.records, o.producers, o.pacedRate, o.pacedFor)
	fmt.Fprintf(w, "Note: this machine has %d cores, shared by every broker, Postgres, versitygw and the clients: "+
		"the rows show the cost per broker, not scale-out.\n", runtime.NumCPU())
}

// dur prints a zero (skipped phase) as "-".
func dur(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return d.String()
}
