package catalog

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/objstore"
)

// Server is the Iceberg REST catalog. It keeps no state of its own beyond
// a cache of immutable metadata files: namespaces and tables live in the
// metadata store's KV space, metadata files in the warehouse, so any
// number of servers on one store serve one catalog. Safe for concurrent
// use.
type Server struct {
	kv      metastore.KV
	objects objstore.Store
	opts    Options
	// optsErr is Options.Validate's verdict; when set, every request is
	// answered 500 and Listen fails.
	optsErr error
	wh      warehouse
	files   *metaFiles
	auth    *authenticator
	log     *slog.Logger
	handler http.Handler
	// locks queue this server's commits per table.
	locks tableLocks
	// sts mints vended credentials (Options.STS); nil: the static ones.
	sts *stsVendor

	// mu guards ln and srv.
	mu  sync.Mutex
	ln  net.Listener
	srv *http.Server
	m   catalogMetrics
}

// New returns a server for the catalog kept in store, with its warehouse
// in objects (keys relative to the warehouse root). It never fails: call
// opts.Validate first; a server built from invalid Options answers every
// request with 500 and Listen returns the validation error. A nil log
// discards.
func New(store metastore.KV, objects objstore.Store, opts Options, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts = opts.withDefaults(objects)
	s := &Server{kv: store, objects: objects, opts: opts, log: log}
	s.optsErr = opts.Validate()
	s.wh, _ = parseWarehouse(opts.Warehouse)
	s.files = &metaFiles{wh: s.wh, objects: objects, cache: newMetaCache(opts.MetadataCache)}
	s.files.outside, _ = newAreas(s.wh, opts.Outside, opts.AllowedLocations) // an error is optsErr's
	s.sts = newSTSVendor(opts.STS)
	s.auth = newAuthenticator(opts.Auth)
	s.newMetrics(opts.Registerer)
	s.handler = s.routes()
	return s
}

// Handler returns the HTTP handler serving every route under /v1/.
func (s *Server) Handler() http.Handler { return s.handler }

// Listen binds addr (DefaultAddr when "") for Serve.
func (s *Server) Listen(addr string) error {
	if s.optsErr != nil {
		return s.optsErr
	}
	if addr == "" {
		addr = DefaultAddr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("catalog: listen %s: %w", addr, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		_ = ln.Close() // never served
		return errors.New("catalog: already listening")
	}
	s.ln = ln
	return nil
}

// Addr returns the bound address, or nil before Listen.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Serve answers requests on the listener Listen bound until Shutdown, then
// returns nil.
func (s *Server) Serve() error {
	s.mu.Lock()
	if s.ln == nil {
		s.mu.Unlock()
		return errors.New("catalog: serve before listen")
	}
	if s.srv != nil {
		s.mu.Unlock()
		return errors.New("catalog: already serving")
	}
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	s.srv = srv
	ln := s.ln
	s.mu.Unlock()
	if s.opts.TLS != nil {
		ln = tls.NewListener(ln, s.opts.TLS)
	}
	s.log.Info("iceberg REST catalog listening", "addr", ln.Addr().String(), "warehouse", s.opts.Warehouse, "auth", s.opts.Auth.enabled())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("catalog: serve: %w", err)
	}
	return nil
}

// Shutdown stops accepting connections and waits, until ctx ends, for the
// requests in flight to finish.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	srv, ln := s.srv, s.ln
	s.mu.Unlock()
	if srv != nil {
		return srv.Shutdown(ctx)
	}
	if ln != nil {
		return ln.Close()
	}
	return nil
}
