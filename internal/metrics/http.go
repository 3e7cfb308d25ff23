package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// HTTPAPI counts one HTTP API's requests (the schema registry's, the
// Iceberg catalog's) by endpoint and status, and times them by endpoint:
//
//	tributary_<api>_requests_total{endpoint, status}
//	tributary_<api>_request_duration_seconds{endpoint}
//
// The endpoint is the route's pattern ("POST /subjects/{subject}/versions"),
// never the path, so its values are bounded by the API's routes;
// "unmatched" is every request no route took.
type HTTPAPI struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// Unmatched is the endpoint label of a request no route took.
const Unmatched = "unmatched"

// NewHTTPAPI makes api's metrics and registers them on reg (nil: kept
// unregistered, for servers made outside a node).
func NewHTTPAPI(reg prometheus.Registerer, api, what string) (*HTTPAPI, error) {
	h := &HTTPAPI{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Subsystem: api, Name: "requests_total",
			Help: what + " requests, by endpoint (route pattern) and HTTP status."}, []string{"endpoint", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Subsystem: api, Name: "request_duration_seconds",
			Help: "Time to answer one " + what + " request, by endpoint.", Buckets: LatencyBuckets}, []string{"endpoint"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{h.requests, h.duration} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return h, nil
}

// Wrap counts every request next serves under the endpoint endpoint(r)
// names (called before next runs).
func (h *HTTPAPI) Wrap(endpoint func(*http.Request) string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ep := endpoint(r)
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		start := time.Now()
		next.ServeHTTP(sw, r)
		h.requests.WithLabelValues(ep, strconv.Itoa(sw.status)).Inc()
		h.duration.WithLabelValues(ep).Observe(time.Since(start).Seconds())
	})
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.status, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wroteHeader = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
