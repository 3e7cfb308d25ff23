// Package e2e holds the end-to-end tests: real Kafka clients (franz-go,
// kcat, confluent-kafka for Python with its schema-registry serdes)
// against brokers started the way `tributary serve` starts them
// (node), in process or as child processes for crash tests.
package e2e
