package registryclient

import (
	"context"
	"errors"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/tributary-io/tributary/schema/protobuf"
)

// Rebuilt descriptors keep every rule: field rules, field and message CEL
// rules, and rules on imported messages.
func TestNativeDescriptorsKeepRules(t *testing.T) {
	const src = `syntax = "proto3";
package t.v1;
import "buf/validate/validate.proto";
import "google/protobuf/timestamp.proto";
message Order {
  string id = 1 [(buf.validate.field).string.min_len = 1];
  repeated string tags = 2 [(buf.validate.field).cel = {id: "tags.unique", message: "unique", expression: "this.unique()"}];
  bool gift = 3;
  string address = 4;
  google.protobuf.Timestamp at = 5 [(buf.validate.field).required = true];
  option (buf.validate.message).cel = {id: "gift", message: "a gift needs an address", expression: "!this.gift || this.address != ''"};
}`
	fd, err := protobuf.Compile(context.Background(), "", src, nil)
	if err != nil {
		t.Fatal(err)
	}
	nf := native(fd)
	if nf == fd {
		t.Fatal("the compiled file was not rebuilt")
	}
	codec, err := protobuf.NewSchema(nf).Codec(nil)
	if err != nil {
		t.Fatal(err)
	}
	for js, rule := range map[string]string{
		`{"id":"a","at":"2025-01-01T00:00:00Z"}`:                  "",
		`{"id":"","at":"2025-01-01T00:00:00Z"}`:                   "string.min_len",
		`{"id":"a","tags":["x","x"],"at":"2025-01-01T00:00:00Z"}`: "tags.unique",
		`{"id":"a","gift":true,"at":"2025-01-01T00:00:00Z"}`:      "gift",
		`{"id":"a"}`: "required",
	} {
		m := dynamicpb.NewMessage(nf.Messages().Get(0))
		if err := protojson.Unmarshal([]byte(js), m); err != nil {
			t.Fatal(err)
		}
		b, _ := proto.Marshal(m)
		err := codec.Check(b)
		var ve *protobuf.ValidationError
		switch {
		case rule == "" && err != nil:
			t.Errorf("%s: %v", js, err)
		case rule != "" && (!errors.As(err, &ve) || ve.Violations[0].Rule != rule):
			t.Errorf("%s: %v, want rule %s", js, err, rule)
		}
	}
}
