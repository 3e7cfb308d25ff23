package main

import (
	"context"
	"fmt"
	"math/rand/v2"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/tributary-io/tributary/schema/protobuf"
	"github.com/tributary-io/tributary/schema/wire"
)

// orderProto is the benchmark's record schema, written for it: an order
// event of 26 declared fields over five messages (a Timestamp among them)
// with a map, an enum, repeated messages and a dozen protovalidate rules,
// standard and CEL, as a shop's event stream might carry.
const orderProto = `syntax = "proto3";

package tributary.bench.v1;

import "buf/validate/validate.proto";
import "google/protobuf/timestamp.proto";

enum Channel {
  CHANNEL_UNSPECIFIED = 0;
  CHANNEL_WEB = 1;
  CHANNEL_APP = 2;
  CHANNEL_STORE = 3;
}

message OrderPlaced {
  string order_id = 1 [(buf.validate.field).string.uuid = true];
  Buyer buyer = 2 [(buf.validate.field).required = true];
  repeated Item items = 3 [(buf.validate.field).repeated = {min_items: 1, max_items: 100}];
  google.protobuf.Timestamp placed_at = 4 [(buf.validate.field).required = true];
  Channel channel = 5 [(buf.validate.field).enum = {defined_only: true, not_in: [0]}];
  string currency = 6 [(buf.validate.field).string.pattern = "^[A-Z]{3}$"];
  int64 total_cents = 7 [(buf.validate.field).int64.gte = 0];
  double tax_rate = 8 [(buf.validate.field).double = {gte: 0, lt: 0.5}];
  bool gift = 9;
  Address ship_to = 10;
  map<string, string> labels = 11 [(buf.validate.field).map.max_pairs = 8];
  fixed32 store_id = 12;

  option (buf.validate.message).cel = {
    id: "order.gift_needs_address"
    message: "a gift needs a shipping address"
    expression: "!this.gift || has(this.ship_to)"
  };
}

message Buyer {
  string buyer_id = 1 [(buf.validate.field).string.min_len = 1];
  string email = 2 [(buf.validate.field).string.email = true];
  string name = 3 [(buf.validate.field).string.max_len = 100];
  uint32 loyalty_tier = 4 [(buf.validate.field).uint32.lte = 5];
}

message Item {
  string sku = 1 [(buf.validate.field).string = {min_len: 1, max_len: 40}];
  uint32 quantity = 2 [(buf.validate.field).uint32 = {gt: 0, lte: 1000}];
  int64 unit_cents = 3 [(buf.validate.field).int64.gte = 0];
  string title = 4 [(buf.validate.field).string.max_len = 200];
}

message Address {
  string line1 = 1 [(buf.validate.field).string.min_len = 1];
  string city = 2 [(buf.validate.field).string.min_len = 1];
  string postal_code = 3;
  string country = 4 [(buf.validate.field).string.len = 2];
}
`

// orderValues returns n valid orders of varied content, each framed for
// schema id (message index [0]), 300-500 bytes.
func orderValues(id, n int) ([][]byte, error) {
	fd, err := protobuf.Compile(context.Background(), "", orderProto, nil)
	if err != nil {
		return nil, err
	}
	md, err := protobuf.FirstMessage(fd)
	if err != nil {
		return nil, err
	}
	r := rand.New(rand.NewPCG(42, 42))
	words := []string{"teapot", "kettle", "mug", "saucer", "tray", "spoon", "infuser", "caddy", "cosy", "strainer"}
	out := make([][]byte, 0, n)
	for len(out) < n {
		var items string
		for i := range 2 + r.IntN(2) {
			if i > 0 {
				items += ","
			}
			items += fmt.Sprintf(`{"sku":"SKU-%06d-%s","quantity":%d,"unitCents":"%d","title":"%s %s, %s finish"}`,
				r.IntN(1e6), words[r.IntN(10)], 1+r.IntN(9), 99+r.IntN(20000), words[r.IntN(10)], words[r.IntN(10)], words[r.IntN(10)])
		}
		js := fmt.Sprintf(`{"orderId":"%08x-%04x-4%03x-8%03x-%012x",
			"buyer":{"buyerId":"buyer-%d","email":"buyer%d@example.com","name":"Buyer Number %d","loyaltyTier":%d},
			"items":[%s],"placedAt":"2025-06-%02dT%02d:%02d:%02dZ","channel":"CHANNEL_WEB","currency":"EUR",
			"totalCents":"%d","taxRate":0.2,"gift":true,
			"shipTo":{"line1":"%d Harbour Street","city":"Lyon","postalCode":"690%02d","country":"FR"},
			"labels":{"campaign":"spring-%d","source":"newsletter"},"storeId":%d}`,
			r.Uint32(), r.IntN(1<<16), r.IntN(1<<12), r.IntN(1<<12), r.Int64N(1<<48),
			r.IntN(1e6), r.IntN(1e6), r.IntN(1e4), r.IntN(6),
			items, 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60),
			r.IntN(1e6), 1+r.IntN(200), r.IntN(100), r.IntN(100), r.Uint32())
		m := dynamicpb.NewMessage(md)
		if err := protojson.Unmarshal([]byte(js), m); err != nil {
			return nil, fmt.Errorf("order json: %w", err)
		}
		b, err := proto.Marshal(m)
		if err != nil {
			return nil, err
		}
		if len(b) < 300 || len(b) > 500 {
			continue
		}
		out = append(out, append(wire.Append(nil, id, nil), b...))
	}
	return out, nil
}
