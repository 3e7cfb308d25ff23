package httpauth

import (
	"context"
	"net/http"
	"net/http/httptest"
)

type internalKey struct{}

// FromNode reports whether a request's context is one InProcess made.
func FromNode(ctx context.Context) bool { v, _ := ctx.Value(internalKey{}).(bool); return v }

// InProcess is a RoundTripper that serves requests with h in this process,
// as the node (principal Node, allowed everything): a node part (ingest,
// enforcement) reaches the node's own registry or catalog without the
// network, TLS or credentials. The context mark cannot come from a
// client: only this RoundTripper sets it.
func InProcess(h http.Handler) http.RoundTripper { return inProcess{h} }

type inProcess struct{ h http.Handler }

func (t inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(context.WithValue(r.Context(), internalKey{}, true))
	if r.Body == nil {
		r.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}
