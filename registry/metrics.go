package registry

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tributary-io/tributary/internal/metrics"
)

// The registry's metrics, on Options.Registerer:
//
//	tributary_registry_requests_total{endpoint, status}
//	tributary_registry_request_duration_seconds{endpoint}
//	tributary_registry_schemas_registered_total   versions this server registered
//	tributary_registry_subjects                   live subjects (read at scrape)
//	tributary_registry_schema_versions            their live versions (read at scrape)
type registryMetrics struct {
	http       *metrics.HTTPAPI
	registered prometheus.Counter
}

func (s *Server) newMetrics(reg prometheus.Registerer) {
	api, err := metrics.NewHTTPAPI(reg, "registry", "Schema registry")
	if err != nil {
		s.log.Warn("schema registry metrics not exported", "err", err)
		api, _ = metrics.NewHTTPAPI(nil, "registry", "Schema registry") // unregistered: cannot fail
		reg = nil
	}
	s.m = registryMetrics{http: api, registered: prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: "tributary", Subsystem: "registry", Name: "schemas_registered_total",
		Help: "Schema versions registered through this server (a new version of a subject).",
	})}
	if reg == nil {
		return
	}
	for _, c := range []prometheus.Collector{s.m.registered, subjectsCollector{s}} {
		if err := reg.Register(c); err != nil {
			s.log.Warn("schema registry metrics not exported", "err", err)
		}
	}
}

// instrument counts requests by the mux pattern that serves them.
func (s *Server) instrument(mux *http.ServeMux, next http.Handler) http.Handler {
	return s.m.http.Wrap(func(r *http.Request) string {
		if _, pattern := mux.Handler(r); pattern != "" {
			return pattern
		}
		return metrics.Unmatched
	}, next)
}

// subjectsCollector reads the live subjects and versions from the store
// at each scrape (every broker reports the shared registry's counts).
type subjectsCollector struct{ s *Server }

var (
	subjectsDesc = prometheus.NewDesc("tributary_registry_subjects", "Subjects with a live (not deleted) version.", nil, nil)
	versionsDesc = prometheus.NewDesc("tributary_registry_schema_versions", "Live schema versions across subjects.", nil, nil)
)

func (c subjectsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- subjectsDesc
	ch <- versionsDesc
}

func (c subjectsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	subs, err := c.s.subjects(ctx, "", liveOrAll(false))
	if err != nil {
		ch <- prometheus.NewInvalidMetric(subjectsDesc, err)
		return
	}
	versions := 0
	for _, sub := range subs {
		versions += len(sub.rec.versions(liveOrAll(false)))
	}
	ch <- prometheus.MustNewConstMetric(subjectsDesc, prometheus.GaugeValue, float64(len(subs)))
	ch <- prometheus.MustNewConstMetric(versionsDesc, prometheus.GaugeValue, float64(versions))
}

// SubjectInfo is one subject as the admin status page lists it.
type SubjectInfo struct {
	Subject  string
	Versions int    // live versions
	Latest   int    // the latest live version
	ID       int    // its schema id
	Type     string // its schema type (PROTOBUF, AVRO, JSON)
}

// Subjects lists the subjects with a live version, sorted by name.
func (s *Server) Subjects(ctx context.Context) ([]SubjectInfo, error) {
	subs, err := s.subjects(ctx, "", liveOrAll(false))
	if err != nil {
		return nil, err
	}
	out := make([]SubjectInfo, 0, len(subs))
	for _, sub := range subs {
		vs := sub.rec.versions(liveOrAll(false))
		last := vs[len(vs)-1]
		info := SubjectInfo{Subject: sub.name, Versions: len(vs), Latest: last.Version, ID: last.ID}
		var rec schemaRec
		if _, err := s.kv.getJSON(ctx, keySchema(last.ID), &rec); err == nil {
			info.Type = rec.Type
		}
		out = append(out, info)
	}
	return out, nil
}
