package admin

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tributary-io/tributary/internal/httpauth"
)

// DefaultAddr is the admin listen address when none is configured.
const DefaultAddr = "127.0.0.1:9089"

// Server is the admin HTTP server. Its methods are safe for concurrent use;
// mu guards ln and done.
type Server struct {
	addr    string
	mux     *http.ServeMux
	handler http.Handler
	srv     *http.Server
	tls     *tls.Config

	mu       sync.Mutex
	ln       net.Listener
	done     chan struct{} // closed when Serve has returned
	serveErr error         // Serve's result; read only after done is closed
}

// New returns a server for addr (":0" picks a free port; see Addr). reg is
// the registry /metrics exposes (none: /metrics answers 404); ready reports
// nil once the broker can serve, else the reason it cannot (nil func:
// always ready).
func New(addr string, reg *prometheus.Registry, ready func() error) *Server {
	if ready == nil {
		ready = func() error { return nil }
	}
	mux := http.NewServeMux()
	mux.Handle("GET /-/status", statusHandler(ready))
	if reg != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	}
	s := &Server{addr: addr, mux: mux, handler: mux}
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	return s
}

// Secure serves over TLS (tlsCfg non-nil) and puts every route but the
// guard's open paths behind it (g non-nil: each route needs Read; 401
// without credentials, 403 without the role). Call before Start.
func (s *Server) Secure(g *httpauth.Guard, tlsCfg *tls.Config) {
	s.tls = tlsCfg
	if g == nil {
		return
	}
	next := s.mux
	s.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g.Open(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		_, status, err := g.Check(r, httpauth.Read)
		if status == http.StatusOK {
			next.ServeHTTP(w, r)
			return
		}
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Basic realm="tributary-admin"`)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()}) // the status line is sent: a failed write is the client's
	})
	s.srv.Handler = s.handler
}

// Handle adds a route (a net/http pattern such as "GET /-/tables"),
// before or after Start.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// Handler returns the server's routes, for mounting elsewhere or testing.
func (s *Server) Handler() http.Handler { return s.handler }

// Start binds the address and serves on a new goroutine. It returns the
// bind error, if any.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return ErrStarted
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("admin listen %s: %w", s.addr, err)
	}
	s.ln = ln
	if s.tls != nil {
		ln = tls.NewListener(ln, s.tls)
	}
	s.done = make(chan struct{})
	go func() {
		s.serveErr = s.srv.Serve(ln)
		close(s.done)
	}()
	return nil
}

// Addr returns the bound address once started (the real port when the
// configured one was 0), else the configured address.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return s.ln.Addr().String()
	}
	return s.addr
}

// Shutdown stops accepting, waits for in-flight requests until ctx ends,
// and then closes what is left.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	done := s.done
	s.mu.Unlock()
	if done == nil {
		return ErrNotStarted
	}
	err := s.srv.Shutdown(ctx)
	if err != nil {
		_ = s.srv.Close() // Shutdown's error (the context's) is the one reported; Close only cuts the connections left, its listener already closed
		return fmt.Errorf("admin shutdown: %w", err)
	}
	<-done
	if s.serveErr != nil && !errors.Is(s.serveErr, http.ErrServerClosed) {
		return fmt.Errorf("admin serve: %w", s.serveErr)
	}
	return nil
}

// status is the body of GET /-/status.
type status struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

func statusHandler(ready func() error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, code := status{Status: "ok"}, http.StatusOK
		if err := ready(); err != nil {
			body, code = status{Status: "unavailable", Reason: err.Error()}, http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(body) // the status is sent: a failed body write means the client went away, and there is no one left to tell
	})
}
