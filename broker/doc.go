// Package broker speaks the Kafka wire protocol: it accepts connections,
// decodes requests with franz-go's kmsg (never a hand-written codec),
// dispatches them by API key to one handler per file (NN_name.go, NN being
// the key), and writes responses back in request order.
//
// The log itself is a layer below the protocol, in log/ (the broker calls
// it; nothing in log/ imports the broker):
//
//	log/recordbatch  record batch validation, offset patching (bytes only)
//	log/intake       the write path: intake objects, then one metadata commit
//	log/read         the read path: index lookups, ranged reads, cache, long poll
//	log/housekeeping retention, segment rewrites, object garbage collection
//
// Concurrency model: each connection has one reader goroutine, which decodes
// requests and starts them in arrival order, and one writer goroutine, which
// writes replies in the same order. A handler does its quick work on the
// reader goroutine (so a producer's pipelined requests reach the intake
// writer in order) and returns a reply function that the writer calls; only
// that function may block (produce waiting for durability, fetch long-polling).
// Shared state lives in the stores and in the topic cache (topics.go), which
// has its own lock.
//
// Limits (limits.go): a frame's body is read into a buffer that grows as
// bytes arrive, after the frame's declared size is taken from a budget
// shared by every connection (QueuedMaxRequestBytes) and given back once
// its reply is written; a connection that sends nothing and awaits no
// reply for IdleTimeout is closed; connections past MaxConnections are
// closed at accept. Every handler's store work runs under a deadline
// (requestContext: RequestTimeout, or the request's own timeout when
// smaller). A panic in a handler (reader goroutine) or in a reply function
// (writer goroutine) is recovered, logged with its stack, counted in
// tributary_panics_total, and closes that connection only. Shutdown wakes
// long-polling fetches, which then answer with what they have.
//
// The accept loop never gives up while the broker runs: a failed accept
// (out of file descriptors) is retried with a backoff, and the listener
// reports itself unhealthy (Server.ListenerErr, /-/status) until the next
// accept succeeds (accept.go).
//
// Security (security.go, authz.go, broker/auth): on a listener with SASL a
// connection may send only ApiVersions, SaslHandshake and SaslAuthenticate
// until it has authenticated (else it is closed), and its frames are
// bounded at 512 KiB until then; its principal stays with it. With
// kafka.authorization every request passes its API's ACL check (the hook
// in authz.go, run by register's wrapper) before its handler sees it:
// denied resources are taken out of the request and put back in the
// response with the API's authorization error.
//
// Errors: Kafka errors are response data (kerr codes in the reply). A Go
// error returned by a handler means the request could not be understood and
// the connection is closed, as Kafka does.
package broker
