package registry

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkSchemaByID is the consumers' and the ingest's call: one schema
// by id, over HTTP, from the embedded store.
func BenchmarkSchemaByID(b *testing.B) {
	r := newBenchRegistry(b)
	id := r.register("s", proto(protoOrderStandalone))
	b.ResetTimer()
	for b.Loop() {
		if _, err := r.cl.SchemaByID(b.Context(), id); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRegisterExisting is a producer's serializer registering the
// schema it already registered (compile, fingerprint, find).
func BenchmarkRegisterExisting(b *testing.B) {
	r := newBenchRegistry(b)
	r.register("s", proto(protoOrderStandalone))
	b.ResetTimer()
	for b.Loop() {
		r.register("s", proto(protoOrderStandalone))
	}
}

// BenchmarkRegisterNew registers a new schema (compile, BACKWARD check
// against the previous version, one store transaction) each time: the
// versions differ in a field's name, which the wire does not see.
func BenchmarkRegisterNew(b *testing.B) {
	r := newBenchRegistry(b)
	i := 0
	for b.Loop() {
		i++
		r.register("s", proto(strings.Replace(protoOrderStandalone, "cents", fmt.Sprintf("cents_%d", i), 1)))
	}
}

func newBenchRegistry(b *testing.B) *testRegistry {
	return newTestRegistry(b, newStore(b), Options{})
}

const protoOrderStandalone = `syntax = "proto3";
package bench.order;

import "google/protobuf/timestamp.proto";
import "buf/validate/validate.proto";

message Order {
  string id = 1 [(buf.validate.field).string.min_len = 1];
  int64 cents = 2;
  google.protobuf.Timestamp at = 3;
  repeated Line lines = 4;
}

message Line {
  string sku = 1;
  uint32 quantity = 2 [(buf.validate.field).uint32.gt = 0];
}
`
