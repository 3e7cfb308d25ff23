package protobuf

import (
	"bytes"
	"errors"
	"testing"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// fuzzCodecs are the messages FuzzCheck decodes: rules (cart, order) and
// none (the sinks, every field shape in proto3, proto2 and editions).
func fuzzCodecs(f *testing.F) []*Codec {
	order, _ := orderPayload(f)
	return []*Codec{
		codecOf(f, testdataSchema(f, "cart.proto"), "Cart"),
		order,
		codecOf(f, testdataSchema(f, "sink.proto"), "Sink"),
		codecOf(f, testdataSchema(f, "sink2.proto"), "Old"),
		codecOf(f, testdataSchema(f, "sink3.proto"), "Ed"),
	}
}

// FuzzCheck feeds arbitrary payloads to several codecs. Nothing panics;
// Verify and Check fail with ErrDecode exactly when proto.Unmarshal fails;
// Check otherwise agrees with Validate of the decoded message, and with
// protovalidate alone (no fast paths for string rules); a decoded
// message re-encodes to bytes that decode to an equal message.
//
// The corpus keeps testdata/fuzz/FuzzCheck/80f08653b752593d, a 10-byte cart
// (an unknown field whose length varint runs off the end) that crashed
// hyperpb v0.1.3 with a SIGSEGV when Codec used it.
func FuzzCheck(f *testing.F) {
	codecs := fuzzCodecs(f)
	_, orderBytes := orderPayload(f)
	f.Add(uint8(0), encodeText(f, codecs[0], validCart))
	f.Add(uint8(0), encodeText(f, codecs[0], cartID+zeroLine))
	f.Add(uint8(0), []byte("\x00foobar"))
	f.Add(uint8(1), orderBytes)
	f.Add(uint8(1), orderBytes[:len(orderBytes)/2])
	f.Add(uint8(2), encodeText(f, codecs[2], sinkText))
	f.Add(uint8(3), encodeText(f, codecs[3], sink2Text))
	f.Add(uint8(4), encodeText(f, codecs[4], sink3Text))
	f.Fuzz(func(t *testing.T, which uint8, payload []byte) {
		c := codecs[int(which)%len(codecs)]
		refErr := proto.Unmarshal(payload, c.New())
		if verr := c.Verify(payload); (refErr != nil) != (verr != nil) || (verr != nil && !errors.Is(verr, ErrDecode)) {
			t.Fatalf("%s: proto.Unmarshal says %v, Verify says %v", c.Desc.FullName(), refErr, verr)
		}
		err := c.Check(payload)
		if (refErr != nil) != errors.Is(err, ErrDecode) {
			t.Fatalf("%s: proto.Unmarshal says %v, Check says %v", c.Desc.FullName(), refErr, err)
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
		// And protovalidate alone, without the fast paths of fastrules.go.
		plain := *c
		plain.vopts = nil
		if verr := plain.Validate(m); (verr == nil) != (err == nil) || (err != nil && err.Error() != verr.Error()) {
			t.Fatalf("Check: %v; protovalidate alone: %v", err, verr)
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

// FuzzWireFast holds the fronts of wirefast.go to protowire's
// consumers, whose results they must equal for every input.
func FuzzWireFast(f *testing.F) {
	for _, s := range [][]byte{nil, {0}, {7}, {8}, {0x7f}, {0x80}, {0x80, 1}, {3, 'a', 'b', 'c'}, {3, 'a'}, {0x0a, 0x02, 'h', 'i'}, {0xff, 0xff, 0xff, 0xff, 0x0f}} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		n1, t1, l1 := consumeTag(b)
		n2, t2, l2 := protowire.ConsumeTag(b)
		if n1 != n2 || t1 != t2 || l1 != l2 {
			t.Errorf("consumeTag(%x) = %d %d %d, protowire %d %d %d", b, n1, t1, l1, n2, t2, l2)
		}
		v1, m1 := consumeVarint(b)
		v2, m2 := protowire.ConsumeVarint(b)
		if v1 != v2 || m1 != m2 {
			t.Errorf("consumeVarint(%x) = %d %d, protowire %d %d", b, v1, m1, v2, m2)
		}
		s1, k1 := consumeBytes(b)
		s2, k2 := protowire.ConsumeBytes(b)
		if !bytes.Equal(s1, s2) || (s1 == nil) != (s2 == nil) || k1 != k2 {
			t.Errorf("consumeBytes(%x) = %x %d, protowire %x %d", b, s1, k1, s2, k2)
		}
	})
}

// FuzzValidUTF8 holds validUTF8 to utf8.Valid.
func FuzzValidUTF8(f *testing.F) {
	for _, s := range []string{"", "a", "abcdefgh", "abcdefghi", "é", "abcdefgé", "abcdefghé", "\xff", "abcdefgh\xffabcdefgh", "\xed\xa0\x80"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := validUTF8(b), utf8.Valid(b); got != want {
			t.Errorf("validUTF8(%q) = %v, utf8.Valid says %v", b, got, want)
		}
	})
}
