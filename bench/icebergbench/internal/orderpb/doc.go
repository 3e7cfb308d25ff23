// Package orderpb is the generated Go code for order.proto, the realistic
// message of bench/icebergbench: proto.Unmarshal into it is the baseline
// the decode → Arrow → Parquet figures are set against. It is a copy of
// arrowconv's benchmark message (arrowconv/testdata/bench.proto, whose
// generated code is internal to arrowconv) under its own proto package,
// generated the same way (gen.go, no protoc needed).
package orderpb

import _ "embed" // Source

//go:generate go run gen.go

// Source is order.proto, as the benchmark registers it with the schema
// registry.
//
//go:embed order.proto
var Source string
