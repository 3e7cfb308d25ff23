// Package demoproto holds the examples' .proto source, for registering it
// with a schema registry as it is (the broker compiles registered text).
package demoproto

import _ "embed"

// Shop is tributary/demo/v1/shop.proto, the schema of the examples' carts.
//
//go:embed tributary/demo/v1/shop.proto
var Shop string

// Message indexes of Shop's messages in the Confluent wire format.
var (
	CartIndex        = []int{0}
	CustomerKeyIndex = []int{3}
)
