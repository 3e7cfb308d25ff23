package protobuf

import (
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

const fpBase = `syntax = "proto3";
package shop.v1;
import "buf/validate/validate.proto";
message Item { string sku = 1; }
message Order {
  repeated Item items = 1;
  uint64 quantity = 2 [(buf.validate.field).uint64.gt = 0, (buf.validate.field).uint64.lte = 100];
}
`

func TestFingerprint(t *testing.T) {
	base := Fingerprint(mustCompile(t, fpBase, nil))
	same := map[string]string{
		"comments and layout": `// Orders.
syntax = "proto3";

package shop.v1;

import "buf/validate/validate.proto";

message Item {
  string sku = 1; // stock keeping unit
}

/* An order. */
message Order {
  repeated Item items = 1;
  uint64 quantity = 2 [
    (buf.validate.field).uint64.gt = 0,
    (buf.validate.field).uint64.lte = 100
  ];
}
`,
		"qualified type name": `syntax = "proto3"; package shop.v1; import "buf/validate/validate.proto";
message Item { string sku = 1; }
message Order { repeated .shop.v1.Item items = 1; uint64 quantity = 2 [(buf.validate.field).uint64.gt = 0, (buf.validate.field).uint64.lte = 100]; }`,
		"options in another order": `syntax = "proto3"; package shop.v1; import "buf/validate/validate.proto";
message Item { string sku = 1; }
message Order { repeated Item items = 1; uint64 quantity = 2 [(buf.validate.field).uint64.lte = 100, (buf.validate.field).uint64.gt = 0]; }`,
		"options as one message literal": `syntax = "proto3"; package shop.v1; import "buf/validate/validate.proto";
message Item { string sku = 1; }
message Order { repeated Item items = 1; uint64 quantity = 2 [(buf.validate.field).uint64 = {gt: 0, lte: 100}]; }`,
	}
	for name, src := range same {
		if Fingerprint(mustCompile(t, src, nil)) != base {
			t.Errorf("%s: fingerprint differs", name)
		}
	}
	different := map[string]string{
		"field renamed":    `syntax = "proto3"; package shop.v1; import "buf/validate/validate.proto"; message Item { string code = 1; } message Order { repeated Item items = 1; uint64 quantity = 2 [(buf.validate.field).uint64.gt = 0, (buf.validate.field).uint64.lte = 100]; }`,
		"rule changed":     `syntax = "proto3"; package shop.v1; import "buf/validate/validate.proto"; message Item { string sku = 1; } message Order { repeated Item items = 1; uint64 quantity = 2 [(buf.validate.field).uint64.gt = 0, (buf.validate.field).uint64.lte = 99]; }`,
		"messages swapped": `syntax = "proto3"; package shop.v1; import "buf/validate/validate.proto"; message Order { repeated Item items = 1; uint64 quantity = 2 [(buf.validate.field).uint64.gt = 0, (buf.validate.field).uint64.lte = 100]; } message Item { string sku = 1; }`,
		"package":          `syntax = "proto3"; package shop.v2; import "buf/validate/validate.proto"; message Item { string sku = 1; } message Order { repeated Item items = 1; uint64 quantity = 2 [(buf.validate.field).uint64.gt = 0, (buf.validate.field).uint64.lte = 100]; }`,
	}
	for name, src := range different {
		if Fingerprint(mustCompile(t, src, nil)) == base {
			t.Errorf("%s: same fingerprint", name)
		}
	}
}

// TestDescriptorRebuilds checks that Descriptor's bytes are a complete
// FileDescriptorProto: protodesc builds the same file from them.
func TestDescriptorRebuilds(t *testing.T) {
	fd := mustCompile(t, fpBase, nil)
	var fdp descriptorpb.FileDescriptorProto
	if err := proto.Unmarshal(Descriptor(fd), &fdp); err != nil {
		t.Fatal(err)
	}
	if fdp.SourceCodeInfo != nil {
		t.Error("source info kept")
	}
	again, err := protodesc.NewFile(&fdp, protoregistry.GlobalFiles)
	if err != nil {
		t.Fatal(err)
	}
	if Fingerprint(again) != Fingerprint(fd) {
		t.Error("rebuilt file has another fingerprint")
	}
}
