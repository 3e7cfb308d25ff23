// Package shop is what the examples share: the carts they send (valid,
// semantically invalid, malformed), registering the schema, and the
// Confluent wire format through franz-go's sr.Serde.
package shop

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"

	"buf.build/go/protovalidate"
	"github.com/google/uuid"
	"github.com/twmb/franz-go/pkg/sr"
	"google.golang.org/protobuf/proto"

	"github.com/tributary-io/tributary/examples/gen/demov1"
	demoproto "github.com/tributary-io/tributary/examples/proto"
)

// Kind is the kind of cart a producer sends.
type Kind int

const (
	// Valid carts pass every rule.
	Valid Kind = iota
	// ZeroQuantity carts parse but have a line item of quantity 0, which
	// breaks (buf.validate.field).uint64.gt = 0: semantically invalid, as
	// about one cart in a hundred of Buf's demo.
	ZeroQuantity
	// Malformed records carry the schema id but bytes that are no Cart.
	Malformed
)

func (k Kind) String() string {
	return [...]string{"valid", "zero-quantity", "malformed"}[k]
}

// Register registers the shop schema under subject (e.g. "orders-value")
// and returns its id. Registering the same text again returns the same id.
func Register(ctx context.Context, cl *sr.Client, subject string) (int, error) {
	ss, err := cl.CreateSchema(ctx, subject, sr.Schema{Schema: demoproto.Shop, Type: sr.TypeProtobuf})
	if err != nil {
		return 0, fmt.Errorf("register %s: %w", subject, err)
	}
	return ss.ID, nil
}

// NewSerde encodes and decodes Carts and CustomerKeys framed with schema
// id and their message indexes, as Confluent's serializers do.
func NewSerde(id int) *sr.Serde {
	var s sr.Serde
	s.Register(id, &demov1.Cart{}, codec(), sr.Index(demoproto.CartIndex...))
	s.Register(id, &demov1.CustomerKey{}, codec(), sr.Index(demoproto.CustomerKeyIndex...))
	return &s
}

func codec() sr.EncodingOpt {
	return sr.EncodeFn(func(v any) ([]byte, error) { return proto.Marshal(v.(proto.Message)) })
}

// Decode reads a Cart in the Confluent wire format, whatever its schema
// id (the id's schema is the examples' own).
func Decode(b []byte) (*demov1.Cart, error) {
	var s sr.Serde
	c := &demov1.Cart{}
	id, rest, err := s.DecodeID(b)
	if err != nil {
		return nil, err
	}
	if _, rest, err = s.DecodeIndex(rest, 8); err != nil {
		return nil, fmt.Errorf("schema id %d: %w", id, err)
	}
	if err := proto.Unmarshal(rest, c); err != nil {
		return nil, fmt.Errorf("schema id %d: %w", id, err)
	}
	return c, nil
}

// Cart makes a cart of the given kind for customer, and its record value.
func Cart(s *sr.Serde, id int, kind Kind, customer string, r *rand.Rand) (*demov1.Cart, []byte, error) {
	c := &demov1.Cart{CartId: uuid.NewString(), CustomerId: customer}
	for i := range 1 + r.IntN(3) {
		c.LineItems = append(c.LineItems, &demov1.LineItem{
			LineItemId: uuid.NewString(),
			Product: &demov1.Product{
				Sku: fmt.Sprintf("SKU-%04d", r.IntN(10000)), Name: []string{"mug", "teapot", "kettle", "tray"}[i%4],
				UnitPriceCents: uint64(100 + r.IntN(5000)),
			},
			Quantity: uint64(1 + r.IntN(5)),
		})
	}
	switch kind {
	case ZeroQuantity:
		c.LineItems[r.IntN(len(c.LineItems))].Quantity = 0
	case Malformed:
		// The right envelope, then a length-delimited field that claims
		// more bytes than follow: no Protobuf parser accepts it.
		b, err := sr.AppendEncode(nil, nil, &sr.ConfluentHeader{}, id, demoproto.CartIndex, noBody)
		return c, append(b, 0x1a, 0x7f, 'x'), err
	}
	b, err := s.Encode(c)
	return c, b, err
}

func noBody(b []byte, _ any) ([]byte, error) { return b, nil }

// Key is the framed record key of customer's carts.
func Key(s *sr.Serde, customer string) ([]byte, error) {
	return s.Encode(&demov1.CustomerKey{CustomerId: customer})
}

// Why says what protovalidate finds wrong with a cart, "" if nothing.
func Why(c *demov1.Cart) string {
	err := protovalidate.Validate(c)
	var ve *protovalidate.ValidationError
	if errors.As(err, &ve) {
		return ve.Error()
	}
	if err != nil {
		return err.Error()
	}
	return ""
}
