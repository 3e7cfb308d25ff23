// Package benchpb is the generated Go code for arrowconv/testdata/bench.proto,
// the realistic message of arrowconv's benchmarks: proto.Unmarshal into it
// is the baseline BenchmarkConvert is measured against.
package benchpb

//go:generate go run gen.go
