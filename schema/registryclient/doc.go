// Package registryclient is how the broker reads a Confluent-compatible
// schema registry: enforcement (broker/enforce) and the Iceberg ingest
// (ingest) both decode records through one Client type.
//
// A Client reads through a Source: HTTP for an external registry (franz-go's
// sr client, with the config's auth and TLS), or the built-in registry's Go
// API in process (registry.Server.Lookup) when the node serves it, so no
// request goes over a socket nor to a guessed port.
//
// Contracts:
//   - A Source answers "not registered" (no such id, subject or version)
//     with an error wrapping ErrNotFound: an answer about the record, not a
//     failure. Any other error is the registry's (down, slow, refusing).
//   - Client.Schema compiles each id once (schema/protobuf's Cache, the
//     imports resolved through the references, recursively, at most
//     MaxReferenceDepth deep) into the Go runtime's own descriptors. Its
//     errors wrap exactly one of ErrNotFound, ErrNotProtobuf, ErrCompile or
//     ErrUnavailable, and never a context error: a load runs detached from
//     the caller's cancellation under Config.Timeout, so the cache can
//     remember a failure for Config.ErrorTTL (a registry that is down
//     costs one Timeout per id per ErrorTTL, not one per record).
//   - Safe for concurrent use.
package registryclient
