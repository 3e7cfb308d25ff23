package protobuf

import (
	"encoding/binary"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
)

// Fronts for protowire's consumers, with the same results: the one-byte
// case (most tags, lengths and small integers) is decided here, anything
// longer or malformed goes to protowire through a call that is not
// inlined (protowire's unrolled varint decoder is large). The hottest
// loops (Verify's scan, the flat decoder's message loop) also decode a
// one-byte tag inline before calling these. FuzzWireFast holds them to
// protowire.

// consumeTag is protowire.ConsumeTag.
func consumeTag(b []byte) (protowire.Number, protowire.Type, int) {
	if len(b) > 0 && b[0] < 0x80 && b[0] >= 1<<3 {
		return protowire.Number(b[0] >> 3), protowire.Type(b[0] & 7), 1
	}
	return slowTag(b)
}

// consumeVarint is protowire.ConsumeVarint.
func consumeVarint(b []byte) (uint64, int) {
	if len(b) > 0 && b[0] < 0x80 {
		return uint64(b[0]), 1
	}
	return slowVarint(b)
}

// consumeBytes is protowire.ConsumeBytes.
func consumeBytes(b []byte) ([]byte, int) {
	if len(b) > 0 && b[0] < 0x80 && int(b[0]) < len(b) {
		return b[1 : 1+b[0]], 1 + int(b[0])
	}
	return slowBytes(b)
}

//go:noinline
func slowTag(b []byte) (protowire.Number, protowire.Type, int) { return protowire.ConsumeTag(b) }

//go:noinline
func slowVarint(b []byte) (uint64, int) { return protowire.ConsumeVarint(b) }

//go:noinline
func slowBytes(b []byte) ([]byte, int) { return protowire.ConsumeBytes(b) }

// validUTF8 is utf8.Valid with the all-ASCII case (most strings of most
// records) decided here, eight bytes at a time: it saves most of the cost
// of a call per string field, the largest part of Verify's scan of a
// string-heavy message. FuzzValidUTF8 holds it to utf8.Valid.
func validUTF8(v []byte) bool {
	w := v
	for len(w) >= 8 {
		if binary.LittleEndian.Uint64(w)&0x8080808080808080 != 0 {
			return utf8.Valid(v)
		}
		w = w[8:]
	}
	for _, c := range w {
		if c >= utf8.RuneSelf {
			return utf8.Valid(v)
		}
	}
	return true
}
