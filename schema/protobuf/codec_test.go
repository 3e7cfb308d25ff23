package protobuf

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

const (
	goodLine  = `line_items { line_item_id: "0b6a4f1e-5f0e-4c1b-9d65-6c1f3a9e2b10" quantity: 2 unit_price_cents: 499 product { product_id: "5d1e0c2a-8f7b-4a6d-b3e9-0a1b2c3d4e5f" name: "Tea" } }`
	zeroLine  = `line_items { line_item_id: "9c7f3e2d-1b0a-4f9e-8d7c-6b5a4f3e2d1c" quantity: 0 unit_price_cents: 250 product { product_id: "1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d" name: "Mug" } }`
	cartID    = `cart_id: "3f0e9a1c-7b2d-4c6e-8f1a-2b3c4d5e6f70" `
	validCart = cartID + goodLine
)

func TestCartValidation(t *testing.T) {
	s := testdataSchema(t, "cart.proto")
	cart, err := s.Codec([]int{0})
	if err != nil {
		t.Fatal(err)
	}
	if cart.Desc.FullName() != "tributary.test.cart.v1.Cart" {
		t.Fatalf("[0] is %s", cart.Desc.FullName())
	}
	for _, tc := range []struct {
		name string
		text string
		want []Violation // nil: valid
	}{
		{"valid", validCart, nil},
		{"zero quantity", cartID + goodLine + " " + zeroLine, []Violation{
			{Field: "line_items[1].quantity", Rule: "uint64.gt", Message: "must be greater than 0"},
		}},
		{"duplicate line item ids", cartID + goodLine + " " + goodLine, []Violation{
			{Field: "line_items", Rule: "line_items.unique_line_item_id", Message: "all line_item_id values must be unique"},
		}},
		{"empty cart", "", []Violation{
			{Field: "cart_id", Rule: "string.uuid_empty", Message: "value is empty, which is not a valid UUID"},
			{Field: "line_items", Rule: "repeated.min_items", Message: "must contain at least 1 item(s)"},
		}},
		{"missing product", cartID + `line_items { line_item_id: "0b6a4f1e-5f0e-4c1b-9d65-6c1f3a9e2b10" quantity: 1 }`, []Violation{
			{Field: "line_items[0].product", Rule: "required", Message: "value is required"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := cart.Check(encodeText(t, cart, tc.text))
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Check = %v (%T), want a ValidationError", err, err)
			}
			if !slices.Equal(ve.Violations, tc.want) {
				t.Fatalf("violations\n%+v\nwant\n%+v", ve.Violations, tc.want)
			}
		})
	}
}

func TestViolationString(t *testing.T) {
	s := testdataSchema(t, "cart.proto")
	cart := codecOf(t, s, "Cart")
	err := cart.Check(encodeText(t, cart, cartID+zeroLine))
	if got, want := err.Error(), "line_items[0].quantity: must be greater than 0 [uint64.gt]"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestDecodeErrors(t *testing.T) {
	s := testdataSchema(t, "cart.proto")
	cart := codecOf(t, s, "Cart")
	for name, payload := range map[string][]byte{
		"foobar":          []byte("\x00foobar"),
		"truncated":       encodeText(t, cart, validCart)[:20],
		"bad utf-8":       protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), []byte{0xff, 0xfe}),
		"wrong wire type": protowire.AppendFixed32(protowire.AppendTag(nil, 2, protowire.Fixed32Type), 1),
	} {
		err := cart.Check(payload)
		if name == "wrong wire type" {
			// A field of the wrong wire type is an unknown field, as in
			// every Protobuf runtime: the cart is then merely empty.
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		if !errors.Is(err, ErrDecode) || !strings.Contains(err.Error(), "tributary.test.cart.v1.Cart") {
			t.Errorf("%s: Check = %v, want ErrDecode naming the message", name, err)
		}
	}
}

func TestDecodeRequiredFields(t *testing.T) {
	fd := mustCompile(t, p2+"message A { required int32 id = 1; optional string name = 2; }", nil)
	c, err := NewSchema(fd).Codec(nil)
	if err != nil {
		t.Fatal(err)
	}
	named := protowire.AppendString(protowire.AppendTag(nil, 2, protowire.BytesType), "x")
	if err := c.Check(named); !errors.Is(err, ErrDecode) {
		t.Errorf("without the required id: %v", err)
	}
	if err := c.Check(protowire.AppendVarint(protowire.AppendTag(named, 1, protowire.VarintType), 7)); err != nil {
		t.Errorf("with it: %v", err)
	}
}

func TestDecodeKeepsUnknownFields(t *testing.T) {
	s := testdataSchema(t, "cart.proto")
	cart := codecOf(t, s, "Cart")
	payload := encodeText(t, cart, validCart)
	payload = protowire.AppendVarint(protowire.AppendTag(payload, 99, protowire.VarintType), 7)
	m, err := cart.Decode(payload)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.ProtoReflect().GetUnknown()) == 0 {
		t.Error("unknown field 99 dropped")
	}
	if err := cart.Validate(m); err != nil {
		t.Errorf("Validate = %v", err)
	}
	again, _ := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if string(again) != string(payload) {
		t.Error("re-encoding differs")
	}
}

func TestNestedCodec(t *testing.T) {
	s := testdataSchema(t, "cart.proto")
	line, err := s.Codec([]int{1})
	if err != nil || line.Desc.Name() != "LineItem" {
		t.Fatalf("[1] = %v, %v", line, err)
	}
	if err := line.Check(encodeText(t, line, `line_item_id: "0b6a4f1e-5f0e-4c1b-9d65-6c1f3a9e2b10" quantity: 0 product { product_id: "5d1e0c2a-8f7b-4a6d-b3e9-0a1b2c3d4e5f" name: "Tea" }`)); err == nil ||
		err.Error() != "quantity: must be greater than 0 [uint64.gt]" {
		t.Errorf("Check = %v", err)
	}
	if _, err := s.Codec([]int{7}); !errors.Is(err, ErrNoMessage) {
		t.Errorf("Codec([7]) = %v", err)
	}
	again, _ := s.Codec([]int{1})
	if again != line {
		t.Error("Codec built twice")
	}
}

func TestBadRules(t *testing.T) {
	fd := mustCompile(t, p3+`import "buf/validate/validate.proto";
message A {
  string s = 1 [(buf.validate.field).cel = {id: "bad", message: "x", expression: "this +"}];
}`, nil)
	_, err := NewSchema(fd).Codec(nil)
	if !errors.Is(err, ErrRules) {
		t.Errorf("Codec = %v, want ErrRules", err)
	}
}

func TestCheckRules(t *testing.T) {
	for name, src := range map[string]string{
		"bad CEL":         "message A { string s = 1 [(buf.validate.field).cel = {id: \"bad\", message: \"x\", expression: \"this +\"}]; }",
		"wrong type":      "message A { int32 a = 1 [(buf.validate.field).string.min_len = 1]; }",
		"nested, bad CEL": "message A { message B { option (buf.validate.message).cel = {id: \"b\", expression: \"this.nope > 1\"}; int32 x = 1; } }",
	} {
		fd := mustCompile(t, p3+"import \"buf/validate/validate.proto\";\n"+src, nil)
		if err := CheckRules(fd); !errors.Is(err, ErrRules) {
			t.Errorf("%s: CheckRules = %v, want ErrRules", name, err)
		}
	}
	if err := CheckRules(testdataSchema(t, "order.proto").File); err != nil {
		t.Errorf("order.proto: %v", err)
	}
}

func TestNoRules(t *testing.T) {
	fd := mustCompile(t, p3+"message A { int32 a = 1; }", nil)
	c, err := NewSchema(fd).Codec(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Check(protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 5)); err != nil {
		t.Errorf("Check = %v", err)
	}
}

func TestCodecConcurrent(t *testing.T) {
	s := testdataSchema(t, "cart.proto")
	cart := codecOf(t, s, "Cart")
	good, bad := encodeText(t, cart, validCart), encodeText(t, cart, cartID+zeroLine)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			c, err := s.Codec(nil)
			if err != nil {
				t.Error(err)
				return
			}
			for i := range 200 {
				if err := c.Check(good); err != nil {
					t.Error(err)
				}
				if err := c.Check(bad); !errors.Is(err, ErrInvalid) {
					t.Error(g, i, err)
				}
			}
		})
	}
	wg.Wait()
}
