package registry

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tributary-io/tributary/internal/httpauth"
	"github.com/tributary-io/tributary/internal/metastore"
)

// Server is the schema registry: an http.Handler over a metadata store's
// KV space. Any number of Servers (one per broker) may share one store;
// they keep no state of their own but caches of compiled schemas, which
// never go stale. Its methods are safe for concurrent
// use; mu guards the listener fields.
type Server struct {
	opts    Options
	log     *slog.Logger
	kv      kv
	formats map[string]format
	// cache holds stored schemas compiled, by id; sources holds compiled
	// request schemas, by sourceKey. Neither goes stale.
	cache   boundedCache[int, cachedSchema]
	sources boundedCache[[32]byte, compiled]
	handler http.Handler
	// conflicts counts writes retried after losing a compare-and-swap
	// race (for tests and logs).
	conflicts atomic.Int64
	m         registryMetrics

	mu       sync.Mutex
	ln       net.Listener
	srv      *http.Server
	done     chan struct{} // closed when Serve's goroutine has returned
	serveErr error         // its result; read after done is closed
}

// New returns a registry over store. Options are not validated here (see
// Options.Validate): a bad DefaultCompatibility falls back to BACKWARD. A
// nil log discards.
func New(store metastore.KV, opts Options, log *slog.Logger) *Server {
	opts = opts.withDefaults()
	if _, ok := parseCompat(opts.DefaultCompatibility); !ok {
		opts.DefaultCompatibility = string(compatBackward)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{opts: opts, log: log, kv: kv{store}, formats: defaultFormats()}
	s.newMetrics(opts.Registerer)
	s.handler = s.routes()
	return s
}

// Handler returns the registry's HTTP API.
func (s *Server) Handler() http.Handler { return s.handler }

// Listen binds addr ("": Options.Addr, by default 127.0.0.1:8081; a port
// of 0 picks a free one, see Addr) without serving yet.
func (s *Server) Listen(addr string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return ErrListening
	}
	if addr == "" {
		addr = s.opts.Addr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen schema registry on %s: %w", addr, err)
	}
	s.ln = ln
	return nil
}

// Addr is the bound address after Listen, else the configured one.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return s.ln.Addr().String()
	}
	return s.opts.Addr
}

// Serve serves the bound listener on a new goroutine.
func (s *Server) Serve() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ErrNotListening
	}
	if s.srv != nil {
		return ErrListening
	}
	s.srv = &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	s.done = make(chan struct{})
	srv, ln := s.srv, s.ln
	if s.opts.TLS != nil {
		ln = tls.NewListener(ln, s.opts.TLS)
	}
	go func() {
		s.serveErr = srv.Serve(ln)
		close(s.done)
	}()
	s.log.Info("schema registry serving", "addr", ln.Addr().String())
	return nil
}

// Shutdown stops accepting, lets started requests finish until ctx ends,
// then closes what is left. Every registration is one store transaction,
// so a request cut short either happened entirely or not at all.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	srv, ln, done := s.srv, s.ln, s.done
	s.mu.Unlock()
	if ln == nil {
		return ErrNotListening
	}
	if srv == nil {
		return ln.Close() // listening, never served
	}
	if err := srv.Shutdown(ctx); err != nil {
		_ = srv.Close() // Shutdown's error (the context's) is the one reported; Close only cuts the connections left, its listener already closed
		return fmt.Errorf("schema registry shutdown: %w", err)
	}
	<-done
	if s.serveErr != nil && !errors.Is(s.serveErr, http.ErrServerClosed) {
		return fmt.Errorf("schema registry serve: %w", s.serveErr)
	}
	return nil
}

// routes builds the API: Confluent's paths, one handler each.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	h := func(pattern string, f func(http.ResponseWriter, *http.Request)) { mux.HandleFunc(pattern, f) }

	h("GET /{$}", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, struct{}{}) })
	h("GET /contexts", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, []string{"."}) })

	h("GET /schemas", s.handleListSchemas)
	h("GET /schemas/types", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, schemaTypes) })
	h("GET /schemas/ids/{id}", s.handleSchemaByID)
	h("GET /schemas/ids/{id}/schema", s.handleSchemaTextByID)
	h("GET /schemas/ids/{id}/subjects", s.handleSubjectsByID)
	h("GET /schemas/ids/{id}/versions", s.handleVersionsByID)

	h("GET /subjects", s.handleListSubjects)
	h("POST /subjects/{subject}", s.handleLookup)
	h("DELETE /subjects/{subject}", s.handleDeleteSubject)
	h("GET /subjects/{subject}/versions", s.handleListVersions)
	h("POST /subjects/{subject}/versions", s.handleRegister)
	h("GET /subjects/{subject}/versions/{version}", s.handleGetVersion)
	h("DELETE /subjects/{subject}/versions/{version}", s.handleDeleteVersion)
	h("GET /subjects/{subject}/versions/{version}/schema", s.handleGetVersionText)
	h("GET /subjects/{subject}/versions/{version}/referencedby", s.handleReferencedBy)

	h("GET /config", s.handleGetConfig)
	h("PUT /config", s.handlePutConfig)
	h("DELETE /config", s.handleDeleteConfig)
	h("GET /config/{subject}", s.handleGetConfig)
	h("PUT /config/{subject}", s.handlePutConfig)
	h("DELETE /config/{subject}", s.handleDeleteConfig)

	h("GET /mode", s.handleGetMode)
	h("PUT /mode", s.handlePutMode)
	h("DELETE /mode", s.handleDeleteMode)
	h("GET /mode/{subject}", s.handleGetMode)
	h("PUT /mode/{subject}", s.handlePutMode)
	h("DELETE /mode/{subject}", s.handleDeleteMode)

	h("POST /compatibility/subjects/{subject}/versions/{version}", s.handleCompatibility)
	h("POST /compatibility/subjects/{subject}/versions", s.handleCompatibility)

	return s.instrument(mux, s.middleware(mux))
}

// middleware authenticates, bounds bodies, and answers unknown paths and
// methods in the registry's error format (the mux's own are plain text).
func (s *Server) middleware(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(w, r) {
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxRequestBytes)
		if _, pattern := mux.Handler(r); pattern == "" {
			// The mux's answer is 404 or 405 (with Allow): keep the
			// status and the header, rewrite the body.
			rec := &statusRecorder{header: http.Header{}}
			mux.ServeHTTP(rec, r)
			if allow := rec.header.Get("Allow"); allow != "" {
				w.Header().Set("Allow", allow)
			}
			writeAPIError(w, newAPIError(rec.status, rec.status, "HTTP %d %s", rec.status, http.StatusText(rec.status)))
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// authorized checks the request's credentials and role (Options.Guard),
// or HTTP basic against Options.BasicAuth; it answers 401 or 403 itself
// when they fail.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	if g := s.opts.Guard; g != nil {
		if g.Open(r.URL.Path) {
			return true
		}
		p, status, err := g.Check(r, Access(r))
		switch status {
		case http.StatusOK:
			return true
		case http.StatusForbidden:
			s.log.Info("registry request forbidden", "principal", p, "method", r.Method, "path", r.URL.Path)
			writeAPIError(w, newAPIError(http.StatusForbidden, codeForbidden, "User is denied operation %s on %s %s", Access(r), r.Method, r.URL.Path))
		default:
			s.log.Debug("registry request unauthenticated", "reason", err.Error())
			w.Header().Set("WWW-Authenticate", `Basic realm="schema-registry"`)
			writeAPIError(w, newAPIError(http.StatusUnauthorized, codeUnauthorized, "Unauthorized"))
		}
		return false
	}
	if len(s.opts.BasicAuth) == 0 {
		return true
	}
	user, pass, ok := r.BasicAuth()
	want, known := s.opts.BasicAuth[user]
	// Compare even for unknown users, so timing tells nothing.
	if ok && subtle.ConstantTimeCompare([]byte(pass), []byte(want)) == 1 && known {
		return true
	}
	w.Header().Set("WWW-Authenticate", `Basic realm="schema-registry"`)
	writeAPIError(w, newAPIError(http.StatusUnauthorized, codeUnauthorized, "Unauthorized"))
	return false
}

// Access classifies a request for Options.Guard's roles: reads, schema
// lookups (POST /subjects/{subject}) and compatibility checks are Read;
// registering (POST /subjects/{subject}/versions) is Write; everything
// else (PUT and DELETE of config, mode, subjects, versions) is Admin.
func Access(r *http.Request) httpauth.Access {
	segs := strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/")
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return httpauth.Read
	case http.MethodPost:
		switch {
		case segs[0] == "compatibility":
			return httpauth.Read
		case segs[0] == "subjects" && len(segs) == 2:
			return httpauth.Read
		case segs[0] == "subjects" && len(segs) == 3 && segs[2] == "versions":
			return httpauth.Write
		}
	}
	return httpauth.Admin
}

// statusRecorder keeps the status and headers of an answer, not its body.
type statusRecorder struct {
	header http.Header
	status int
}

func (r *statusRecorder) Header() http.Header { return r.header }

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return len(b), nil
}

func (r *statusRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}
