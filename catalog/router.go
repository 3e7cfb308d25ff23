package catalog

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// params are the path parameters of a route.
type params struct {
	ns    []string
	table string
}

func (p params) ident() ident { return ident{ns: p.ns, name: p.table} }

// handlerFunc serves one route; a returned error is answered by serve.
type handlerFunc func(w http.ResponseWriter, r *http.Request, p params) error

// A route is a path pattern after /v1/[prefix/]: literal segments, "{ns}"
// (a namespace, levels joined by 0x1F) and "{table}".
type route struct {
	pattern []string
	methods map[string]handlerFunc
}

// endpoints returns the spec's "METHOD /v1/{prefix}/..." strings of the
// routes, for /v1/config.
func (s *Server) endpoints() []string {
	var out []string
	for _, rt := range s.table() {
		path := "/v1/{prefix}/" + strings.Join(rt.pattern, "/")
		path = strings.NewReplacer("{ns}", "{namespace}").Replace(path)
		for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodDelete} {
			if rt.methods[m] != nil {
				out = append(out, m+" "+path)
			}
		}
	}
	return out
}

// table lists the routes under /v1/[prefix/].
func (s *Server) table() []route {
	return []route{
		{[]string{"namespaces"}, map[string]handlerFunc{
			http.MethodGet: s.listNamespaces, http.MethodPost: s.createNamespace}},
		{[]string{"namespaces", "{ns}"}, map[string]handlerFunc{
			http.MethodGet: s.loadNamespace, http.MethodHead: s.namespaceExists, http.MethodDelete: s.dropNamespace}},
		{[]string{"namespaces", "{ns}", "properties"}, map[string]handlerFunc{
			http.MethodPost: s.updateNamespaceProperties}},
		{[]string{"namespaces", "{ns}", "tables"}, map[string]handlerFunc{
			http.MethodGet: s.listTables, http.MethodPost: s.createTable}},
		{[]string{"namespaces", "{ns}", "register"}, map[string]handlerFunc{
			http.MethodPost: s.registerTable}},
		{[]string{"namespaces", "{ns}", "tables", "{table}"}, map[string]handlerFunc{
			http.MethodGet: s.loadTable, http.MethodHead: s.tableExists,
			http.MethodPost: s.updateTable, http.MethodDelete: s.dropTable}},
		{[]string{"namespaces", "{ns}", "tables", "{table}", "metrics"}, map[string]handlerFunc{
			http.MethodPost: s.reportMetrics}},
		{[]string{"namespaces", "{ns}", "tables", "{table}", "credentials"}, map[string]handlerFunc{
			http.MethodGet: s.loadCredentials}},
		{[]string{"tables", "rename"}, map[string]handlerFunc{
			http.MethodPost: s.renameTable}},
		{[]string{"transactions", "commit"}, map[string]handlerFunc{
			http.MethodPost: s.commitTransaction}},
		{[]string{"namespaces", "{ns}", "views"}, map[string]handlerFunc{
			http.MethodGet: s.listViews, http.MethodPost: s.createView}},
		{[]string{"namespaces", "{ns}", "views", "{view}"}, map[string]handlerFunc{
			http.MethodGet: s.loadView, http.MethodHead: s.viewExistsHandler,
			http.MethodPost: s.replaceView, http.MethodDelete: s.dropView}},
		{[]string{"views", "rename"}, map[string]handlerFunc{
			http.MethodPost: s.renameView}},
	}
}

// routes builds the handler: /v1/config and /v1/oauth/tokens, then the
// catalog routes, with or without the warehouse-name prefix, behind auth.
func (s *Server) routes() http.Handler {
	rts := s.table()
	return s.m.http.Wrap(func(r *http.Request) string { return s.endpoint(rts, r) }, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.optsErr != nil {
			s.fail(w, r, fmt.Errorf("catalog misconfigured: %w", s.optsErr))
			return
		}
		segs, err := splitPath(r.URL.EscapedPath())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if len(segs) == 2 && segs[0] == "oauth" && segs[1] == "tokens" {
			s.serveTokens(w, r)
			return
		}
		if err := s.authorize(r, segs); err != nil {
			if !errors.Is(err, ErrForbidden) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="iceberg"`)
			}
			s.fail(w, r, err)
			return
		}
		if len(segs) == 1 && segs[0] == "config" {
			s.serve(w, r, map[string]handlerFunc{http.MethodGet: s.getConfig}, params{})
			return
		}
		if len(segs) > 1 && segs[0] == s.opts.Name {
			segs = segs[1:]
		}
		for _, rt := range rts {
			if p, ok := match(rt.pattern, segs); ok {
				s.serve(w, r, rt.methods, p)
				return
			}
		}
		s.fail(w, r, fmt.Errorf("%w: %s", ErrNotFound, r.URL.Path))
	}))
}

// serve dispatches on the method and answers the handler's error.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, methods map[string]handlerFunc, p params) {
	h := methods[r.Method]
	if h == nil {
		var allow []string
		for m := range methods {
			allow = append(allow, m)
		}
		slices.Sort(allow)
		w.Header().Set("Allow", strings.Join(allow, ", "))
		s.fail(w, r, fmt.Errorf("%w: %s %s", ErrMethodNotAllowed, r.Method, r.URL.Path))
		return
	}
	if s.opts.MaxBodyBytes > 0 {
		r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
	}
	if err := h(w, r, p); err != nil {
		s.fail(w, r, err)
	}
}

// splitPath returns the unescaped segments of an escaped path after /v1/.
// Segments are split before unescaping, so an escaped slash (%2F) stays
// inside its namespace level or table name.
func splitPath(escaped string) ([]string, error) {
	rest, ok := strings.CutPrefix(escaped, "/v1/")
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, escaped)
	}
	rest = strings.TrimSuffix(rest, "/")
	segs := strings.Split(rest, "/")
	for i, seg := range segs {
		u, err := url.PathUnescape(seg)
		if err != nil {
			return nil, fmt.Errorf("%w: path segment %q: %v", ErrBadRequest, seg, err)
		}
		segs[i] = u
	}
	return segs, nil
}

// match matches segs against a pattern, decoding {ns} and {table}.
func match(pattern, segs []string) (params, bool) {
	if len(pattern) != len(segs) {
		return params{}, false
	}
	var p params
	for i, pat := range pattern {
		switch pat {
		case "{ns}":
			p.ns = strings.Split(segs[i], nsSep)
		case "{table}", "{view}":
			p.table = segs[i]
		default:
			if pat != segs[i] {
				return params{}, false
			}
		}
	}
	return p, true
}
