// Package benchpb is the realistic message of the decode benchmarks
// (arrowconv's BenchmarkConvert, bench/icebergbench): bench.proto, an
// e-commerce order of about 20 fields, nested, 300-500 bytes on the wire;
// its generated Go code (bench.pb.go, made by gen.go without protoc), the
// proto.Unmarshal baseline; Orders, the records both benchmarks use; and
// CPUTime, for their per-core figures.
package benchpb

import _ "embed" // Source

//go:generate go run gen.go

// Source is bench.proto, as a benchmark registers it with a schema
// registry.
//
//go:embed bench.proto
var Source string
