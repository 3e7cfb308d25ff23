package protobuf_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/tributary-io/tributary/schema/protobuf"
	"github.com/tributary-io/tributary/schema/wire"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// The broker's path for one record value: parse the Confluent frame, find
// the codec through the cache, check the payload.
func Example() {
	const src = `syntax = "proto3";
package demo.v1;
import "buf/validate/validate.proto";
message LineItem {
  string sku = 1 [(buf.validate.field).string.min_len = 1];
  uint64 quantity = 2 [(buf.validate.field).uint64.gt = 0];
}`
	cache := protobuf.NewCache(func(ctx context.Context, id int) (protoreflect.FileDescriptor, error) {
		// A real loader asks the registry for schema id and its references.
		return protobuf.Compile(ctx, "", src, nil)
	}, protobuf.CacheConfig{})

	payload := protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), "TEA-01")
	payload = protowire.AppendVarint(protowire.AppendTag(payload, 2, protowire.VarintType), 0)
	value := append(wire.Append(nil, 7, []int{0}), payload...)

	frame, err := wire.Parse(value)
	if err != nil {
		panic(err)
	}
	codec, err := cache.Codec(context.Background(), frame.ID, frame.Indexes)
	if err != nil {
		panic(err)
	}
	err = codec.Check(frame.Payload)
	fmt.Println(errors.Is(err, protobuf.ErrInvalid), err)
	// Output: true quantity: must be greater than 0 [uint64.gt]
}

func ExampleCompile() {
	_, err := protobuf.Compile(context.Background(), "orders.proto", `syntax = "proto3";
message Order {
  Money total = 1;
}`, nil)
	fmt.Println(err)
	// Output: orders.proto:3:3: field Order.total: unknown type Money
}

func ExampleCheck() {
	v1, _ := protobuf.Compile(context.Background(), "", `syntax = "proto3";
message Reading { int32 celsius = 1; }`, nil)
	v2, _ := protobuf.Compile(context.Background(), "", `syntax = "proto3";
message Reading { int64 celsius = 1; string station = 2; }`, nil)
	v3, _ := protobuf.Compile(context.Background(), "", `syntax = "proto3";
message Reading { double celsius = 1; string station = 2; }`, nil)
	history := []protoreflect.FileDescriptor{v1}
	fmt.Println(len(protobuf.Check(protobuf.FullTransitive, v2, history)))
	for _, i := range protobuf.Check(protobuf.Backward, v3, append(history, v2)) {
		fmt.Println(i)
	}
	// Output:
	// 0
	// #/Reading/1: field Reading.celsius (1) changed from int64 to double, which are encoded differently (FIELD_SCALAR_KIND_CHANGED)
}
