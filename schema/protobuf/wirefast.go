package protobuf

import "google.golang.org/protobuf/encoding/protowire"

// Inlinable fronts for protowire's consumers, with the same results: the
// one-byte case (most tags, lengths and small integers) is decided here,
// and anything longer or malformed goes to protowire (through a call that
// is not inlined, so that these stay small enough to be). They save a call
// per tag and per value in Verify's scan and the flat decoder, which is
// much of what a scan of a small message costs. FuzzWireFast holds them
// to protowire.

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

// skipScalar is protowire.ConsumeFieldValue for a value of wire type
// wtyp: its length, or a negative number if it is malformed.
func skipScalar(num protowire.Number, wtyp protowire.Type, b []byte) int {
	switch wtyp {
	case protowire.VarintType:
		_, n := consumeVarint(b)
		return n
	case protowire.BytesType:
		_, n := consumeBytes(b)
		return n
	}
	return protowire.ConsumeFieldValue(num, wtyp, b)
}
