// Package inproc lets an HTTP client call an http.Handler of the same
// process without a socket: the node's Iceberg ingest reaches the
// built-in REST catalog this way (iceberg-go's REST client takes a
// RoundTripper), whether or not the catalog's listener is bound, and on
// whatever port it got.
//
// Contracts: RoundTrip runs the handler on the calling goroutine with the
// request's context, buffers the whole answer (the catalog's are small
// JSON documents) and returns it; a handler that panics is turned into an
// error, as a server would drop the connection. Safe for concurrent use.
package inproc

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// BaseURL is the base URL to give a client that uses Transport; its host
// is never dialled.
const BaseURL = "http://in-process.invalid"

// Transport returns a RoundTripper serving every request with h.
func Transport(h http.Handler) http.RoundTripper { return transport{h} }

type transport struct{ h http.Handler }

func (t transport) RoundTrip(req *http.Request) (resp *http.Response, err error) {
	r := req.Clone(req.Context())
	r.RemoteAddr = "in-process"
	r.RequestURI = req.URL.RequestURI()
	if r.Body == nil {
		r.Body = http.NoBody
	}
	w := &recorder{header: http.Header{}}
	defer func() {
		if p := recover(); p != nil {
			resp, err = nil, fmt.Errorf("in-process %s %s: handler panicked: %v", req.Method, req.URL.Path, p)
		}
	}()
	t.h.ServeHTTP(w, r)
	if req.Body != nil {
		_ = req.Body.Close() // a RoundTripper closes the body; the handler has read what it wanted
	}
	if w.status == 0 {
		w.status = http.StatusOK
	}
	h := w.header.Clone()
	h.Set("Content-Length", strconv.Itoa(w.body.Len()))
	return &http.Response{
		Status: fmt.Sprintf("%d %s", w.status, http.StatusText(w.status)), StatusCode: w.status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: io.NopCloser(bytes.NewReader(w.body.Bytes())),
		ContentLength: int64(w.body.Len()), Request: req,
	}, nil
}

// recorder is the handler's ResponseWriter.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *recorder) Header() http.Header { return w.header }

func (w *recorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *recorder) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}
