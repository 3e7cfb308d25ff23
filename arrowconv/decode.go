package arrowconv

import (
	"fmt"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
)

// Decoding is two passes over one record, so that a bad record leaves
// the builders untouched:
//
//  1. parse walks the wire bytes into frames (one per message instance,
//     pooled per plan and reused row after row), applying Protobuf's
//     merge rules: the last value of a singular scalar wins, repeated
//     values accumulate whether packed or not, every occurrence of a
//     singular message merges into one frame, setting a oneof member
//     clears the others. finish then checks what can only be checked on
//     the merged message (required fields, Timestamp/Duration ranges)
//     and renders JSON columns. Every error comes from this pass.
//  2. emit (emit.go) appends the frames to the builders; it cannot fail.
//
// Frames hold slices of the input; they are only valid during Append.

type frame struct {
	slots []slot
	oneof []int32 // per oneof: index+1 of the member set, 0 for none
	unk   []byte  // unknown fields, wire-encoded
}

type slot struct {
	set  bool
	v    elem   // singular value
	list []elem // repeated values, map entries
}

// elem is one value: raw scalar bits (varint or fixed), bytes (string,
// bytes, rendered JSON) or a message frame.
type elem struct {
	n   uint64
	b   []byte
	sub *frame
}

func (s *slot) clear() {
	s.set = false
	s.v = elem{}
	s.list = s.list[:0]
}

// frame takes a fresh frame for m from its pool.
func (c *Converter) frame(m *msgPlan) *frame {
	if m.epoch != c.epoch {
		m.epoch, m.used = c.epoch, 0
	}
	if m.used == len(m.pool) {
		m.pool = append(m.pool, &frame{
			slots: make([]slot, len(m.fields)),
			oneof: make([]int32, m.nOneofs),
		})
		m.used++
		return m.pool[m.used-1]
	}
	f := m.pool[m.used]
	m.used++
	for i := range f.slots {
		// An unset slot is already clear (every write sets set, and
		// clear zeroes it all); skipping it spares pointer writes.
		if s := &f.slots[i]; s.set || len(s.list) > 0 {
			s.clear()
		}
	}
	clear(f.oneof)
	f.unk = f.unk[:0]
	return f
}

// scrub clears every pooled frame of m's subtree, so that none keeps
// alive the input buffers its slices point into (a frame is otherwise
// only cleared when reused, and a row with many list items leaves frames
// unused until the next such row).
func (m *msgPlan) scrub() {
	for _, f := range m.pool {
		for i := range f.slots {
			f.slots[i].clear()
			clear(f.slots[i].list[:cap(f.slots[i].list)])
		}
	}
	m.used = 0
	m.epoch = 0
	for _, fp := range m.fields {
		if fp.child != nil {
			fp.child.scrub()
		}
	}
}

func malformed(m *msgPlan, what string) error {
	return fmt.Errorf("%s: %s: %w", m.md.FullName(), what, ErrMalformed)
}

// parse merges the message bytes b into f.
func (c *Converter) parse(m *msgPlan, f *frame, b []byte) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 || num > protowire.MaxValidNumber {
			return malformed(m, "bad tag")
		}
		if fp, i := m.lookup(num); fp != nil {
			if fp.plain && typ == fp.wire { // the common case, inline
				s := &f.slots[i]
				var k int
				switch typ {
				case protowire.BytesType: // string, bytes
					s.v.b, k = protowire.ConsumeBytes(b[n:])
					if fp.kind == kString && k >= 0 && !utf8.Valid(s.v.b) {
						return fmt.Errorf("%s: %w", fp.fd.FullName(), ErrInvalidUTF8)
					}
				case protowire.VarintType:
					s.v.n, k = protowire.ConsumeVarint(b[n:])
				case protowire.Fixed64Type:
					s.v.n, k = protowire.ConsumeFixed64(b[n:])
				default:
					var v uint32
					v, k = protowire.ConsumeFixed32(b[n:])
					s.v.n = uint64(v)
				}
				if k < 0 {
					return malformedField(fp)
				}
				s.set = true
				b = b[n+k:]
				continue
			}
			k, err := c.field(fp, f, i, typ, b[n:])
			if err != nil {
				return err
			}
			if k >= 0 {
				b = b[n+k:]
				continue
			}
			// A known field with an unexpected wire type is an unknown
			// field, as in proto.Unmarshal.
		}
		k := protowire.ConsumeFieldValue(num, typ, b[n:])
		if k < 0 {
			return malformed(m, fmt.Sprintf("field %d", num))
		}
		if m.unknown {
			f.unk = append(f.unk, b[:n+k]...)
		}
		b = b[n+k:]
	}
	return nil
}

// field consumes one occurrence of field fp (slot i of f) whose value
// starts b. It returns the bytes consumed, or -1 if the wire type does
// not fit the field.
func (c *Converter) field(fp *fieldPlan, f *frame, i int, typ protowire.Type, b []byte) (int, error) {
	s := &f.slots[i]
	switch fp.card {
	case cardSingle:
		if typ != fp.wire {
			return -1, nil
		}
		if fp.oneof >= 0 {
			if cur := f.oneof[fp.oneof]; cur != int32(i+1) {
				if cur != 0 {
					f.slots[cur-1].clear()
				}
				f.oneof[fp.oneof] = int32(i + 1)
			}
		}
		return c.single(fp, s, b)
	case cardList:
		if typ == fp.wire {
			var e elem
			n, err := c.value(fp, &e, b)
			if err == nil {
				s.list = append(s.list, e)
			}
			return n, err
		}
		if typ == protowire.BytesType && fp.packable {
			return c.packed(fp, s, b)
		}
		return -1, nil
	}
	if typ != protowire.BytesType {
		return -1, nil
	}
	v, n := protowire.ConsumeBytes(b)
	if n < 0 {
		return 0, malformed(fp.child, "truncated map entry")
	}
	e := c.frame(fp.child)
	if err := c.parse(fp.child, e, v); err != nil {
		return 0, err
	}
	s.list = append(s.list, elem{sub: e})
	return n, nil
}

// wholeFields reports whether b is a sequence of whole fields at its top
// level. Occurrences of a JSON-mapped field are merged by parsing their
// concatenation, in which a field cut short at the end of one occurrence
// could be completed by the next; proto.Unmarshal parses each occurrence
// on its own and refuses the cut one, so each is checked here first
// (nested values are delimited, so the top level is all that can differ).
// Found by FuzzAppend: testdata/fuzz/FuzzAppend/3ad00b448a67916c.
func wholeFields(b []byte) bool {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return false
		}
		k := protowire.ConsumeFieldValue(num, typ, b[n:])
		if k < 0 {
			return false
		}
		b = b[n+k:]
	}
	return true
}

// single consumes a value of a singular field into its slot.
func (c *Converter) single(fp *fieldPlan, s *slot, b []byte) (int, error) {
	switch fp.kind {
	case kMessage, kTimestamp, kDuration, kWrapper:
		v, n := consumeDelimited(fp, b)
		if n < 0 {
			return 0, malformedField(fp)
		}
		if !s.set || s.v.sub == nil { // later occurrences merge into it
			s.v.sub = c.frame(fp.child)
		}
		s.set = true
		return n, c.parse(fp.child, s.v.sub, v)
	case kJSON:
		v, n := consumeDelimited(fp, b)
		if n < 0 || !wholeFields(v) {
			return 0, malformedField(fp)
		}
		if s.set { // merging is parsing the concatenation; rare, so copy
			v = append(append(make([]byte, 0, len(s.v.b)+len(v)), s.v.b...), v...)
		}
		s.set, s.v.b = true, v
		return n, nil
	}
	s.set = true
	return c.value(fp, &s.v, b)
}

// value consumes one value of a scalar (or, in lists, any) field.
func (c *Converter) value(fp *fieldPlan, e *elem, b []byte) (int, error) {
	var n int
	switch fp.wire {
	case protowire.VarintType:
		e.n, n = protowire.ConsumeVarint(b)
	case protowire.Fixed32Type:
		var v uint32
		v, n = protowire.ConsumeFixed32(b)
		e.n = uint64(v)
	case protowire.Fixed64Type:
		e.n, n = protowire.ConsumeFixed64(b)
	default:
		e.b, n = consumeDelimited(fp, b)
	}
	if n < 0 {
		return 0, malformedField(fp)
	}
	switch fp.kind {
	case kString:
		if !utf8.Valid(e.b) {
			return 0, fmt.Errorf("%s: %w", fp.fd.FullName(), ErrInvalidUTF8)
		}
	case kMessage, kTimestamp, kDuration, kWrapper:
		sub := c.frame(fp.child)
		if err := c.parse(fp.child, sub, e.b); err != nil {
			return 0, err
		}
		e.b, e.sub = nil, sub
	}
	return n, nil
}

// packed consumes a packed run of a repeated scalar field.
func (c *Converter) packed(fp *fieldPlan, s *slot, b []byte) (int, error) {
	v, n := protowire.ConsumeBytes(b)
	if n < 0 {
		return 0, malformedField(fp)
	}
	for len(v) > 0 {
		var e elem
		var k int
		switch fp.wire {
		case protowire.VarintType:
			e.n, k = protowire.ConsumeVarint(v)
		case protowire.Fixed32Type:
			var x uint32
			x, k = protowire.ConsumeFixed32(v)
			e.n = uint64(x)
		default:
			e.n, k = protowire.ConsumeFixed64(v)
		}
		if k < 0 {
			return 0, malformedField(fp)
		}
		s.list = append(s.list, e)
		v = v[k:]
	}
	return n, nil
}

func consumeDelimited(fp *fieldPlan, b []byte) ([]byte, int) {
	if fp.wire == protowire.StartGroupType {
		return protowire.ConsumeGroup(fp.num, b)
	}
	return protowire.ConsumeBytes(b)
}

func malformedField(fp *fieldPlan) error {
	return fmt.Errorf("%s: %w", fp.fd.FullName(), ErrMalformed)
}
