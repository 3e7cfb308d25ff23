package broker

import (
	"sort"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// reply produces a handler's response; the connection's writer calls it in
// request order. A nil response means "send nothing" (produce with acks=0).
// wait marks replies that may block (produce awaiting its flush, fetch
// long-polling): the writer flushes what it has written before calling them.
type reply struct {
	fn   func() kmsg.Response
	wait bool
	// release, when set, runs once fn's response is encoded (or dropped):
	// what the response lent (Fetch's pooled read buffers) is free again.
	release func()
}

// now wraps a response that is already complete.
func now(r kmsg.Response) reply { return reply{fn: func() kmsg.Response { return r }} }

// later wraps a response computed by fn, which may block.
func later(fn func() kmsg.Response) reply { return reply{fn: fn, wait: true} }

// api is one served Kafka API: its version range and its handler.
type api struct {
	key      int16
	min, max int16
	handle   func(s *Server, c *conn, req kmsg.Request) (reply, error)
}

// apis holds every served API, filled by each handler file's init through
// register. ApiVersions is answered from this table and nothing else.
var apis = map[int16]api{}

// register declares that the broker serves the API of request type R at
// versions [min, max].
func register[R kmsg.Request](min, max int16, fn func(s *Server, c *conn, req R) (reply, error)) {
	var zero R
	key := zero.Key()
	if max > zero.MaxVersion() {
		panic("broker: version above kmsg's for " + kmsg.NameForKey(key))
	}
	apis[key] = api{key: key, min: min, max: max, handle: func(s *Server, c *conn, req kmsg.Request) (reply, error) {
		// Authorization first (authz.go): it may answer for the handler or
		// take denied resources out of req.
		return s.authorizeThen(c, req, func() (reply, error) { return fn(s, c, req.(R)) })
	}}
}

// apiKeys lists the served APIs sorted by key, for ApiVersions.
func apiKeys() []api {
	out := make([]api, 0, len(apis))
	for _, a := range apis {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}
