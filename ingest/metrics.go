package ingest

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Collector exports Status as metrics at each scrape, labelled by topic,
// catalog and table:
//
//	tributary_ingest_lag_records                     records in the log not yet in the table
//	tributary_ingest_lag_seconds                     how long the table has been behind
//	tributary_ingest_buffered_records                read, not yet committed
//	tributary_ingest_committer                       1 where this broker holds the table's lease
//	tributary_ingest_commits_total                   commits this broker made
//	tributary_ingest_rows_total                      rows they added
//	tributary_ingest_files_total                     Parquet files they added
//	tributary_ingest_bytes_total                     bytes of those files
//	tributary_ingest_errors_total                    failures (each also /-/tables' last_error)
//	tributary_ingest_last_commit_timestamp_seconds   the table's last commit (0: none)
//
// Counters count from this process's start.
func (m *Manager) Collector() prometheus.Collector { return ingestCollector{m} }

type ingestCollector struct{ m *Manager }

var ingestLabels = []string{"topic", "catalog", "table"}

func ingestDesc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc("tributary_ingest_"+name, help, ingestLabels, nil)
}

var ingestDescs = struct {
	lagRecords, lagSeconds, buffered, committer, commits, rows, files, bytes, errors, lastCommit *prometheus.Desc
}{
	lagRecords: ingestDesc("lag_records", "Records in the topic's log not yet in its Iceberg table."),
	lagSeconds: ingestDesc("lag_seconds", "Seconds since the table first missed records it still misses (0 when caught up)."),
	buffered:   ingestDesc("buffered_records", "Records read and not yet committed."),
	committer:  ingestDesc("committer", "1 when this broker holds the table's ingest lease (commits to it), else 0."),
	commits:    ingestDesc("commits_total", "Commits this broker made to the table."),
	rows:       ingestDesc("rows_total", "Rows this broker's commits added."),
	files:      ingestDesc("files_total", "Parquet data files this broker's commits added."),
	bytes:      ingestDesc("bytes_total", "Bytes of the Parquet data files this broker's commits added."),
	errors:     ingestDesc("errors_total", "Ingest failures (read, decode, commit, configuration), each shown as last_error on /-/tables."),
	lastCommit: ingestDesc("last_commit_timestamp_seconds", "Unix time of the table's last commit (0: none known)."),
}

func (c ingestCollector) Describe(ch chan<- *prometheus.Desc) {
	d := ingestDescs
	for _, x := range []*prometheus.Desc{d.lagRecords, d.lagSeconds, d.buffered, d.committer, d.commits, d.rows, d.files, d.bytes, d.errors, d.lastCommit} {
		ch <- x
	}
}

func (c ingestCollector) Collect(ch chan<- prometheus.Metric) {
	d := ingestDescs
	for _, s := range c.m.Status() {
		lv := []string{s.Topic, s.Catalog, s.Table}
		last := 0.0
		if !s.LastCommit.IsZero() {
			last = float64(s.LastCommit.UnixMilli()) / 1000
		}
		committer := 0.0
		if s.HoldsLease {
			committer = 1
		}
		for _, v := range []struct {
			d   *prometheus.Desc
			t   prometheus.ValueType
			val float64
		}{
			{d.lagRecords, prometheus.GaugeValue, float64(s.LagRecords)},
			{d.lagSeconds, prometheus.GaugeValue, s.LagSeconds},
			{d.buffered, prometheus.GaugeValue, float64(s.Buffered)},
			{d.committer, prometheus.GaugeValue, committer},
			{d.commits, prometheus.CounterValue, float64(s.Commits)},
			{d.rows, prometheus.CounterValue, float64(s.RowsCommitted)},
			{d.files, prometheus.CounterValue, float64(s.FilesCommitted)},
			{d.bytes, prometheus.CounterValue, float64(s.BytesCommitted)},
			{d.errors, prometheus.CounterValue, float64(s.Errors)},
			{d.lastCommit, prometheus.GaugeValue, last},
		} {
			ch <- prometheus.MustNewConstMetric(v.d, v.t, v.val, lv...)
		}
	}
}
