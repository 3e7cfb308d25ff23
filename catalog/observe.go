package catalog

import (
	"errors"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tributary-io/tributary/internal/metrics"
)

// The catalog's metrics, on Options.Registerer:
//
//	tributary_catalog_requests_total{endpoint, status}
//	tributary_catalog_request_duration_seconds{endpoint}
//	tributary_catalog_commits_total{result}
//	    table commits (updateTable and multi-table transactions), by
//	    result: committed, rejected (409: a requirement failed or the
//	    table kept changing), unknown (the store failed mid-commit), error
//	tributary_catalog_commit_conflicts_total
//	    commits that lost a compare-and-swap race and were re-applied on
//	    the fresh metadata
//
// The endpoint is the spec's route ("POST /v1/{prefix}/namespaces/{namespace}/tables/{table}").
type catalogMetrics struct {
	http      *metrics.HTTPAPI
	commits   *prometheus.CounterVec
	conflicts prometheus.Counter
}

func (s *Server) newMetrics(reg prometheus.Registerer) {
	api, err := metrics.NewHTTPAPI(reg, "catalog", "Iceberg REST catalog")
	if err != nil {
		s.log.Warn("catalog metrics not exported", "err", err)
		api, _ = metrics.NewHTTPAPI(nil, "catalog", "Iceberg REST catalog") // unregistered: cannot fail
		reg = nil
	}
	s.m = catalogMetrics{
		http: api,
		commits: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "tributary", Subsystem: "catalog", Name: "commits_total",
			Help: "Table commits, by result (committed, rejected, unknown, error)."}, []string{"result"}),
		conflicts: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "tributary", Subsystem: "catalog", Name: "commit_conflicts_total",
			Help: "Commits that lost a compare-and-swap race with another writer and were re-applied on the fresh metadata."}),
	}
	if reg == nil {
		return
	}
	for _, c := range []prometheus.Collector{s.m.commits, s.m.conflicts} {
		if err := reg.Register(c); err != nil {
			s.log.Warn("catalog metrics not exported", "err", err)
		}
	}
}

// commitResult is the commits_total label of a commit's outcome.
func commitResult(err error) string {
	switch {
	case err == nil:
		return "committed"
	case errors.Is(err, ErrCommitFailed):
		return "rejected"
	case errors.Is(err, ErrCommitStateUnknown):
		return "unknown"
	}
	return "error"
}

// endpoint is the route r goes to, as /v1/config lists it, or
// metrics.Unmatched.
func (s *Server) endpoint(rts []route, r *http.Request) string {
	segs, err := splitPath(r.URL.EscapedPath())
	if err != nil {
		return metrics.Unmatched
	}
	switch {
	case len(segs) == 2 && segs[0] == "oauth" && segs[1] == "tokens":
		return r.Method + " /v1/oauth/tokens"
	case len(segs) == 1 && segs[0] == "config":
		return r.Method + " /v1/config"
	case len(segs) > 1 && segs[0] == s.opts.Name:
		segs = segs[1:]
	}
	for _, rt := range rts {
		if _, ok := match(rt.pattern, segs); ok {
			path := strings.ReplaceAll("/v1/{prefix}/"+strings.Join(rt.pattern, "/"), "{ns}", "{namespace}")
			return r.Method + " " + path
		}
	}
	return metrics.Unmatched
}
