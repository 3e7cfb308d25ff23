package arrowconv_test

import (
	"context"
	"fmt"

	"github.com/bufbuild/protocompile"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/tributary-io/tributary/arrowconv"
)

// Records of one message type become rows of one record batch; a record
// that does not decode adds nothing, and the caller writes a null row
// (and its own __err__ and __raw__) in its place.
func ExampleConverter() {
	const src = `syntax = "proto3";
package shop;
message Order {
  string id = 1;
  uint32 quantity = 2;
  repeated string tags = 3;
}`
	comp := protocompile.Compiler{Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{
		Accessor: protocompile.SourceAccessorFromMap(map[string]string{"shop.proto": src}),
	})}
	files, err := comp.Compile(context.Background(), "shop.proto")
	if err != nil {
		panic(err)
	}
	md := files[0].FindDescriptorByName("shop.Order").(protoreflect.MessageDescriptor)

	c, err := arrowconv.NewConverter(md, arrowconv.Options{})
	if err != nil {
		panic(err)
	}
	defer c.Release()

	var rec []byte
	rec = protowire.AppendTag(rec, 1, protowire.BytesType)
	rec = protowire.AppendString(rec, "o-1")
	rec = protowire.AppendTag(rec, 2, protowire.VarintType)
	rec = protowire.AppendVarint(rec, 3_000_000_000) // above 2^31: a long column
	for _, payload := range [][]byte{rec, {0x0a, 0x05, 'o'}} {
		if err := c.Append(payload); err != nil {
			fmt.Println("error row:", err)
			c.AppendNull()
		}
	}

	batch := c.NewRecordBatch()
	defer batch.Release()
	for i, f := range batch.Schema().Fields() {
		fmt.Printf("%s %s: %v\n", f.Name, f.Type, batch.Column(i))
	}
	// Output:
	// error row: shop.Order.id: malformed protobuf
	// id utf8: ["o-1" (null)]
	// quantity int64: [3000000000 (null)]
	// tags list<element: utf8>: [[] (null)]
	// __unrecognized__ binary: [(null) (null)]
}
