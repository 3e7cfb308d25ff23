package maintenance

import (
	"github.com/prometheus/client_golang/prometheus"
)

var (
	labels        = []string{"catalog", "table"}
	descFiles     = prometheus.NewDesc("tributary_iceberg_table_data_files", "Data files in the table's current snapshot.", labels, nil)
	descMean      = prometheus.NewDesc("tributary_iceberg_table_mean_file_bytes", "Mean size of the table's data files.", labels, nil)
	descSmall     = prometheus.NewDesc("tributary_iceberg_table_small_files", "Data files under 75% of the target size.", labels, nil)
	descSnapshots = prometheus.NewDesc("tributary_iceberg_table_snapshots", "Snapshots in the table's metadata.", labels, nil)
	descLastRun   = prometheus.NewDesc("tributary_iceberg_maintenance_last_run_timestamp_seconds", "When this broker last maintained the table.", labels, nil)
	descRewritten = prometheus.NewDesc("tributary_iceberg_maintenance_last_files_rewritten", "Data files the last maintenance rewrote.", labels, nil)
	descWritten   = prometheus.NewDesc("tributary_iceberg_maintenance_last_files_written", "Data files the last maintenance wrote.", labels, nil)
	descExpired   = prometheus.NewDesc("tributary_iceberg_maintenance_last_snapshots_expired", "Snapshots the last maintenance expired.", labels, nil)
	descOrphans   = prometheus.NewDesc("tributary_iceberg_maintenance_last_orphans_removed", "Orphan files the last maintenance removed.", labels, nil)
	descRuns      = prometheus.NewDesc("tributary_iceberg_maintenance_runs_total", "Maintenance runs by this broker.", labels, nil)
	// Bytes compaction read and wrote: over the bytes ingest adds, the
	// write amplification of maintenance.
	descBytesRewritten = prometheus.NewDesc("tributary_iceberg_maintenance_bytes_rewritten_total", "Bytes of data files this broker's maintenance rewrote (read and replaced).", labels, nil)
	descBytesWritten   = prometheus.NewDesc("tributary_iceberg_maintenance_bytes_written_total", "Bytes of data files this broker's maintenance wrote.", labels, nil)
)

// Describe implements prometheus.Collector.
func (r *Runner) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descFiles, descMean, descSmall, descSnapshots, descLastRun, descRewritten, descWritten, descExpired, descOrphans, descRuns, descBytesRewritten, descBytesWritten} {
		ch <- d
	}
}

// Collect implements prometheus.Collector: Status as gauges.
func (r *Runner) Collect(ch chan<- prometheus.Metric) {
	for _, s := range r.Status() {
		g := func(d *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, s.Catalog, s.Table)
		}
		g(descFiles, float64(s.DataFiles))
		g(descMean, float64(s.MeanFileBytes))
		g(descSmall, float64(s.SmallFiles))
		g(descSnapshots, float64(s.Snapshots))
		c := func(d *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, s.Catalog, s.Table)
		}
		c(descRuns, float64(s.Runs))
		c(descBytesRewritten, float64(s.BytesRewrittenTotal))
		c(descBytesWritten, float64(s.BytesWrittenTotal))
		if lr := s.LastRun; lr != nil {
			g(descLastRun, float64(lr.Started.UnixMilli())/1000)
			g(descRewritten, float64(lr.FilesRewritten))
			g(descWritten, float64(lr.FilesWritten))
			g(descExpired, float64(lr.SnapshotsExpired+lr.SnapshotsThinned))
			g(descOrphans, float64(lr.OrphansRemoved))
		}
	}
}
