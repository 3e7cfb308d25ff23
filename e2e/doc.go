// Package e2e holds the end-to-end tests: real Kafka clients (franz-go,
// kcat) against brokers started the way `tributary serve` starts them
// (internal/node), in process or as child processes for crash tests.
package e2e
