package protobuf

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"
)

// FuzzCheck feeds arbitrary payloads to the cart and order codecs. Check
// never panics; it fails with ErrDecode exactly when proto.Unmarshal does,
// and otherwise agrees with Validate of the decoded message; a decoded
// message re-encodes to bytes that decode to an equal message.
//
// The corpus keeps testdata/fuzz/FuzzCheck/80f08653b752593d, a 10-byte cart
// (an unknown field whose length varint runs off the end) that crashed
// hyperpb v0.1.3 with a SIGSEGV when Codec used it.
func FuzzCheck(f *testing.F) {
	cart := codecOf(f, testdataSchema(f, "cart.proto"), "Cart")
	order, orderBytes := orderPayload(f)
	f.Add(false, encodeText(f, cart, validCart))
	f.Add(false, encodeText(f, cart, cartID+zeroLine))
	f.Add(false, []byte("\x00foobar"))
	f.Add(true, orderBytes)
	f.Add(true, orderBytes[:len(orderBytes)/2])
	f.Fuzz(func(t *testing.T, isOrder bool, payload []byte) {
		c := cart
		if isOrder {
			c = order
		}
		err := c.Check(payload)
		refErr := proto.Unmarshal(payload, c.New())
		if (refErr != nil) != errors.Is(err, ErrDecode) {
			t.Fatalf("proto.Unmarshal says %v, Check says %v", refErr, err)
		}
		if refErr != nil {
			return
		}
		m, derr := c.Decode(payload)
		if derr != nil {
			t.Fatalf("Check parsed it, Decode: %v", derr)
		}
		if verr := c.Validate(m); (verr == nil) != (err == nil) || (err != nil && err.Error() != verr.Error()) {
			t.Fatalf("Check: %v; Validate: %v", err, verr)
		}
		again, merr := proto.Marshal(m)
		if merr != nil {
			t.Fatalf("re-encode: %v", merr)
		}
		m2, derr := c.Decode(again)
		if derr != nil || !proto.Equal(m, m2) {
			t.Fatalf("re-encoded message decodes to %v, %v", m2, derr)
		}
	})
}
