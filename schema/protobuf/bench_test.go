package protobuf

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// orderPayload returns the codec of testdata/order.proto's Order and the
// encoding of testdata/order.txtpb: a ~20-field nested message of 300–500
// bytes.
func orderPayload(b testing.TB) (*Codec, []byte) {
	b.Helper()
	c := codecOf(b, testdataSchema(b, "order.proto"), "Order")
	text, err := os.ReadFile(filepath.Join("testdata", "order.txtpb"))
	if err != nil {
		b.Fatal(err)
	}
	payload := encodeText(b, c, string(text))
	if n := len(payload); n < 300 || n > 500 {
		b.Fatalf("order is %d bytes, want 300–500", n)
	}
	return c, payload
}

func TestOrderIsValid(t *testing.T) {
	c, payload := orderPayload(t)
	if err := c.Check(payload); err != nil {
		t.Fatal(err)
	}
	// And its message-level CEL rule bites: a gift without an address.
	m := c.New() // mutable, unlike Decode's
	if err := proto.Unmarshal(payload, m); err != nil {
		t.Fatal(err)
	}
	m.ProtoReflect().Clear(fieldOf(c.Desc, "shipping"))
	if err := c.Validate(m); err == nil || err.Error() != "a gift needs a shipping address [order.gift_needs_shipping]" {
		t.Errorf("Validate = %v", err)
	}
}

// BenchmarkCheckOrder is the broker's per-record work: decode and validate.
func BenchmarkCheckOrder(b *testing.B) {
	c, payload := orderPayload(b)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Check(payload); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeOrder(b *testing.B) {
	c, payload := orderPayload(b)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Decode(payload); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyOrder is what Check costs for a message without rules:
// the wire-format scan, on the same bytes.
func BenchmarkVerifyOrder(b *testing.B) {
	c, payload := orderPayload(b)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Verify(payload); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidateOrder(b *testing.B) {
	c, payload := orderPayload(b)
	m, err := c.Decode(payload)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Validate(m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckOrderParallel(b *testing.B) {
	c, payload := orderPayload(b)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := c.Check(payload); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkCacheHit is the lookup before each Check: schema id and
// message-index path to codec.
func BenchmarkCacheHit(b *testing.B) {
	s := testdataSchema(b, "order.proto")
	c := NewCache(func(context.Context, int) (protoreflect.FileDescriptor, error) { return s.File, nil }, CacheConfig{})
	ctx := context.Background()
	indexes := []int{0}
	if _, err := c.Codec(ctx, 1, indexes); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Codec(ctx, 1, indexes); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompileOrder is the cost of a cache miss (without the registry
// round trip) and of a registration.
func BenchmarkCompileOrder(b *testing.B) {
	src, err := os.ReadFile(filepath.Join("testdata", "order.proto"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(context.Background(), "", string(src), nil); err != nil {
			b.Fatal(err)
		}
	}
}
