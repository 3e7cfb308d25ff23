package benchpb

import (
	"fmt"
	"math/rand/v2"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Orders returns n distinct, realistic orders (bench.proto: 20 fields,
// nested messages, a list of line items, a map, a oneof), marshaled, and
// their mean size: the same records, from the same seed, every time.
func Orders(n int) ([][]byte, int) {
	r := rand.New(rand.NewPCG(1, 2))
	word := func(min, max int) string {
		b := make([]byte, min+r.IntN(max-min+1))
		for i := range b {
			b[i] = byte('a' + r.IntN(26))
		}
		return string(b)
	}
	var out [][]byte
	total := 0
	for i := range n {
		o := &Order{
			OrderId:    fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xffff, r.Uint32()&0xffff, r.Uint64()&0xffffffffffff),
			CustomerId: fmt.Sprintf("cus_%d", r.IntN(1_000_000)),
			CreatedAt:  timestamppb.New(time.Unix(1_700_000_000+int64(i)*37, int64(r.IntN(1e9)))),
			Status:     OrderStatus(1 + r.IntN(3)),
			Total:      &Money{CurrencyCode: "EUR", Units: int64(r.IntN(2000)), Nanos: int32(r.IntN(1e9))},
			ShippingAddress: &Address{
				Line1: fmt.Sprintf("%d %s Street", 1+r.IntN(300), word(5, 10)), City: word(4, 12),
				Region: word(2, 8), PostalCode: fmt.Sprintf("%05d", r.IntN(100000)), Country: "FR",
			},
			Attributes:    map[string]string{"source": word(3, 8), "campaign": word(5, 12), "ab_bucket": word(1, 2)},
			Tags:          []string{word(3, 8), word(3, 8)},
			ItemCount:     uint32(1 + r.IntN(5)),
			DiscountRate:  r.Float64() / 4,
			Gift:          r.IntN(4) == 0,
			LoyaltyPoints: int64(r.IntN(100000)),
			SalesChannel:  []string{"web", "ios", "android", "store"}[r.IntN(4)],
			TraceId:       r.Uint64(),
			Priority:      int32(r.IntN(10) - 5),
			Signature:     []byte(word(16, 16)),
		}
		if r.IntN(2) == 0 {
			o.CouponCode = proto.String(word(6, 10))
		}
		if r.IntN(3) == 0 {
			o.Payment = &Order_WalletId{WalletId: word(12, 16)}
		} else {
			o.Payment = &Order_Card{Card: &Card{Brand: "visa", Last4: fmt.Sprintf("%04d", r.IntN(10000)), ExpMonth: int32(1 + r.IntN(12)), ExpYear: int32(2026 + r.IntN(6))}}
		}
		for range 2 + r.IntN(2) {
			o.LineItems = append(o.LineItems, &LineItem{
				Sku: fmt.Sprintf("SKU-%06d", r.IntN(1_000_000)), Name: word(8, 20), Quantity: uint32(1 + r.IntN(3)),
				UnitPrice:  &Money{CurrencyCode: "EUR", Units: int64(r.IntN(500)), Nanos: int32(r.IntN(1e9))},
				Categories: []string{word(4, 10), word(4, 10)},
			})
		}
		b, err := proto.Marshal(o)
		if err != nil {
			panic(err)
		}
		out = append(out, b)
		total += len(b)
	}
	return out, total / n
}
