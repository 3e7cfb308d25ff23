package httpauth

import (
	"context"
	"net/http"

	"github.com/tributary-io/tributary/internal/inproc"
)

type internalKey struct{}

// FromNode reports whether a request's context is one AsNode marked.
func FromNode(ctx context.Context) bool { v, _ := ctx.Value(internalKey{}).(bool); return v }

// AsNode wraps h, a node server's handler, so that every request it
// serves is the node's own (principal Node, allowed everything): a node
// part (ingest, maintenance) calls the wrapped handler in process
// (package inproc) without the network, TLS or credentials. The mark
// cannot come from a client: only the wrapper sets it, and the wrapper is
// never what a listener serves.
func AsNode(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), internalKey{}, true)))
	})
}

// InProcess is a RoundTripper serving requests with h in this process as
// the node (AsNode over inproc.Transport).
func InProcess(h http.Handler) http.RoundTripper { return inproc.Transport(AsNode(h)) }
