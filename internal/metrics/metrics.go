package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/internal/buildinfo"
)

const namespace = "tributary"

// LatencyBuckets are the histogram buckets of every latency metric, in
// seconds: from 0.5ms (a cached fetch) to 10s (a produce stuck behind a slow
// object store).
var LatencyBuckets = []float64{
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
	0.1, 0.25, 0.5, 1, 2.5, 5, 10,
}

// Stage label values of ProduceStages, in the order a produce goes
// through them: queue (from the intake Submit to its flush taking the
// buffer: the wait for the flush in flight, or the linger), object_write
// (the intake object written and fsynced), index_commit (its index entries
// committed, the wait for the committer included), reply (from the commit
// to the response being built, the wait behind earlier responses of the
// connection included).
const (
	ProduceStageQueue  = "queue"
	ProduceStageObject = "object_write"
	ProduceStageIndex  = "index_commit"
	ProduceStageReply  = "reply"
)

// Result label values of store operations.
const (
	ResultOK    = "ok"
	ResultError = "error"
)

// Metrics is every metric the broker exports, registered on Registry.
// Safe for concurrent use, as Prometheus metrics are.
type Metrics struct {
	Registry *prometheus.Registry

	// Produce: requests, records and record-batch bytes accepted, and the
	// time from a request's arrival to its response (linger and commit
	// included).
	ProduceRequests prometheus.Counter
	ProduceRecords  prometheus.Counter
	ProduceBytes    prometheus.Counter
	ProduceLatency  prometheus.Histogram
	// ProduceStages splits a flushed produce's time by stage (label
	// "stage", ProduceStage*): where the ack path's time goes.
	ProduceStages *prometheus.HistogramVec // stage

	// Fetch: requests, records and bytes returned, and the time to answer
	// (long-poll waiting included).
	FetchRequests prometheus.Counter
	FetchRecords  prometheus.Counter
	FetchBytes    prometheus.Counter
	// FetchPartitions counts partitions answered with records, so bytes
	// per partition per response is FetchBytes / FetchPartitions.
	FetchPartitions prometheus.Counter
	FetchLatency    prometheus.Histogram

	// Every Kafka request by API name ("Produce", "Metadata", …), and error
	// codes put in responses by API and error name
	// ("UNKNOWN_TOPIC_OR_PARTITION"). Use KafkaRequest and KafkaError.
	KafkaRequests *prometheus.CounterVec   // api
	KafkaLatency  *prometheus.HistogramVec // api
	KafkaErrors   *prometheus.CounterVec   // api, error

	// Store calls by operation and result ("ok", "error").
	ObjectStoreOps     *prometheus.CounterVec   // op, result
	ObjectStoreLatency *prometheus.HistogramVec // op, result
	MetaStoreOps       *prometheus.CounterVec   // op, result
	MetaStoreLatency   *prometheus.HistogramVec // op, result

	// OpenConnections is the number of open Kafka client connections.
	OpenConnections prometheus.Gauge
	// AcceptErrors counts failed accepts on the Kafka listener (out of
	// file descriptors, most often); KafkaListenerAccepting is 1 while
	// the listener accepts and 0 while its accepts fail.
	AcceptErrors           prometheus.Counter
	KafkaListenerAccepting prometheus.Gauge
	// IntakeBufferBytes is the size of produced data waiting to be flushed
	// into an intake object.
	IntakeBufferBytes prometheus.Gauge
	// Panics counts recovered panics by where they happened
	// ("kafka_handler", "kafka_reply", "ingest_pipeline"); each closed a
	// connection or restarted a pipeline instead of the process.
	Panics *prometheus.CounterVec // where
	// ConnectionsRefused counts Kafka connections closed at accept because
	// kafka.max_connections were open; ConnectionsIdleClosed those closed
	// after kafka.idle_timeout without a request.
	ConnectionsRefused    prometheus.Counter
	ConnectionsIdleClosed prometheus.Counter
	// QueuedRequestBytes is the size of Kafka requests read (or being
	// read) and not yet answered, bounded by kafka.queued_max_request_bytes.
	QueuedRequestBytes prometheus.Gauge
	// BuildInfo is 1, labelled with the running build's version, commit
	// and Go version (internal/buildinfo), as Prometheus' own *_build_info.
	BuildInfo *prometheus.GaugeVec // version, commit, goversion
}

// New creates the metrics on a fresh registry that also carries the Go
// runtime and process collectors.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	f := factory{reg}
	m := &Metrics{
		Registry: reg,

		ProduceRequests: f.counter("produce_requests_total", "Produce requests handled."),
		ProduceRecords:  f.counter("produce_records_total", "Records accepted by Produce."),
		ProduceBytes:    f.counter("produce_bytes_total", "Record-batch bytes accepted by Produce."),
		ProduceLatency:  f.histogram("produce_latency_seconds", "Time from a Produce request's arrival to its response."),
		ProduceStages:   f.histogramVec("produce_stage_seconds", "Time of a flushed Produce request in each stage of the write path: queue, object_write, index_commit, reply.", "stage"),

		FetchRequests:   f.counter("fetch_requests_total", "Fetch requests handled."),
		FetchRecords:    f.counter("fetch_records_total", "Records returned by Fetch."),
		FetchBytes:      f.counter("fetch_bytes_total", "Record-batch bytes returned by Fetch."),
		FetchPartitions: f.counter("fetch_partitions_total", "Partitions answered with records by Fetch."),
		FetchLatency:    f.histogram("fetch_latency_seconds", "Time from a Fetch request's arrival to its response, waiting included."),

		KafkaRequests: f.counterVec("kafka_requests_total", "Kafka requests handled, by API.", "api"),
		KafkaLatency:  f.histogramVec("kafka_request_duration_seconds", "Time to handle a Kafka request, by API.", "api"),
		KafkaErrors:   f.counterVec("kafka_error_responses_total", "Error codes returned in Kafka responses, by API and error.", "api", "error"),

		ObjectStoreOps:     f.counterVec("objstore_operations_total", "Object store calls, by operation and result.", "op", "result"),
		ObjectStoreLatency: f.histogramVec("objstore_operation_duration_seconds", "Object store call latency, by operation and result.", "op", "result"),
		MetaStoreOps:       f.counterVec("metastore_operations_total", "Metadata store calls, by operation and result.", "op", "result"),
		MetaStoreLatency:   f.histogramVec("metastore_operation_duration_seconds", "Metadata store call latency, by operation and result.", "op", "result"),

		OpenConnections:        f.gauge("connections_open", "Open Kafka client connections."),
		AcceptErrors:           f.counter("kafka_accept_errors_total", "Failed accepts on the Kafka listener (e.g. out of file descriptors)."),
		KafkaListenerAccepting: f.gauge("kafka_listener_accepting", "1 while the Kafka listener accepts connections, 0 while its accepts fail."),
		IntakeBufferBytes:      f.gauge("intake_buffer_bytes", "Produced bytes buffered, waiting for an intake flush."),
		Panics:                 f.counterVec("panics_total", "Recovered panics, by where they happened.", "where"),
		ConnectionsRefused:     f.counter("kafka_connections_refused_total", "Kafka connections closed at accept because kafka.max_connections were open."),
		ConnectionsIdleClosed:  f.counter("kafka_connections_idle_closed_total", "Kafka connections closed after kafka.idle_timeout without a request."),
		QueuedRequestBytes:     f.gauge("kafka_queued_request_bytes", "Bytes of Kafka requests read and not yet answered."),
		BuildInfo:              f.gaugeVec("build_info", "1, labelled with the running build's version, commit and Go version.", "version", "commit", "goversion"),
	}
	b := buildinfo.Read()
	m.BuildInfo.WithLabelValues(b.Version, b.Commit, b.GoVersion).Set(1)
	return m
}

// KafkaRequest records one handled request of API key and how long it took.
func (m *Metrics) KafkaRequest(key int16, d time.Duration) {
	api := kmsg.NameForKey(key)
	m.KafkaRequests.WithLabelValues(api).Inc()
	m.KafkaLatency.WithLabelValues(api).Observe(d.Seconds())
}

// KafkaError records one error code put in a response of API key. Code 0
// (no error) is ignored; an unknown code counts as UNKNOWN_SERVER_ERROR.
func (m *Metrics) KafkaError(key int16, code int16) {
	if code == 0 {
		return
	}
	m.KafkaErrors.WithLabelValues(kmsg.NameForKey(key), ErrorName(code)).Inc()
}

// ErrorName is the Kafka name of an error code, e.g.
// "UNKNOWN_TOPIC_OR_PARTITION"; "NONE" for 0.
func ErrorName(code int16) string {
	if code == 0 {
		return "NONE"
	}
	if ke, ok := kerr.ErrorForCode(code).(*kerr.Error); ok {
		return ke.Message
	}
	return kerr.UnknownServerError.Message
}

// observe records one store call in ops and lat.
func observe(ops *prometheus.CounterVec, lat *prometheus.HistogramVec, op string, start time.Time, err error) {
	result := ResultOK
	if err != nil {
		result = ResultError
	}
	ops.WithLabelValues(op, result).Inc()
	lat.WithLabelValues(op, result).Observe(time.Since(start).Seconds())
}

// factory creates metrics in the tributary namespace and registers them.
type factory struct{ reg prometheus.Registerer }

func (f factory) counter(name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help})
	f.reg.MustRegister(c)
	return c
}

func (f factory) gauge(name, help string) prometheus.Gauge {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Name: name, Help: help})
	f.reg.MustRegister(g)
	return g
}

func (f factory) gaugeVec(name, help string, labels ...string) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Name: name, Help: help}, labels)
	f.reg.MustRegister(g)
	return g
}

func (f factory) histogram(name, help string) prometheus.Histogram {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: namespace, Name: name, Help: help, Buckets: LatencyBuckets,
	})
	f.reg.MustRegister(h)
	return h
}

func (f factory) counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help}, labels)
	f.reg.MustRegister(c)
	return c
}

func (f factory) histogramVec(name, help string, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: name, Help: help, Buckets: LatencyBuckets,
	}, labels)
	f.reg.MustRegister(h)
	return h
}

// Value reads a counter's or gauge's current value (what a scrape would
// show), for in-process readers such as the status page.
func Value(m prometheus.Metric) float64 {
	var d dto.Metric
	if err := m.Write(&d); err != nil {
		return 0
	}
	if c := d.GetCounter(); c != nil {
		return c.GetValue()
	}
	return d.GetGauge().GetValue()
}
