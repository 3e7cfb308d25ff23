// Package admin is the broker's admin HTTP server (default 127.0.0.1:9089,
// as Bufstream's): health for orchestrators and load balancers, and metrics.
//
//	GET /-/status  200 {"status":"ok"} once ready() returns nil;
//	               503 {"status":"unavailable","reason":"…"} before.
//	GET /metrics   Prometheus text exposition of the broker's registry.
//
// Other parts add their routes with Handle (ingest's GET /-/tables).
//
// Bufstream serves the same GET /-/status on the same port, so health checks
// written for it (the testcontainers wait strategy, `admin status`) work.
// Start binds synchronously, so a bad or taken address is an error from
// Start, not a log line later; serving happens on a goroutine of its own.
package admin
