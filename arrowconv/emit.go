package arrowconv

import (
	"math"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// The second pass: frames to builders. Nothing here can fail.

var zeroSlot slot

// emitMsg appends the fields of one message; f nil is the empty message.
func (c *Converter) emitMsg(m *msgPlan, f *frame) {
	for i, fp := range m.fields {
		s := &zeroSlot
		if f != nil {
			s = &f.slots[i]
		}
		switch fp.card {
		case cardSingle:
			if !s.set && fp.presence {
				fp.null.AppendNull()
				continue
			}
			c.emitElem(fp, &s.v)
		case cardList:
			fp.list.Append(true)
			for j := range s.list {
				c.emitElem(fp, &s.list[j])
			}
		case cardMap:
			fp.mapb.Append(true)
			c.emitMap(fp, s.list)
		}
	}
	if m.unknown {
		if f != nil && len(f.unk) > 0 {
			m.unkB.Append(f.unk)
		} else {
			m.unkB.AppendNull()
		}
	}
}

func (c *Converter) emitElem(fp *fieldPlan, e *elem) {
	switch fp.kind {
	case kMessage:
		fp.out.st.Append(true)
		c.emitMsg(fp.child, e.sub)
	case kTimestamp:
		sec, nanos := secondsNanos(e.sub)
		fp.out.ts.Append(arrow.Timestamp(sec*1e6 + int64(nanos)/1e3)) // nanos ≥ 0: floor
	case kDuration:
		sec, nanos := secondsNanos(e.sub)
		fp.out.i64.Append(sec*1e6 + int64(nanos)/1e3) // same signs: toward zero
	case kWrapper:
		var v elem
		if e.sub != nil {
			v = e.sub.slots[0].v
		}
		c.emitScalar(fp.inner, &fp.out, &v, nil)
	default:
		c.emitScalar(fp.kind, &fp.out, e, fp.enum)
	}
}

func (c *Converter) emitScalar(k kind, out *builders, e *elem, enum *enumNames) {
	switch k {
	case kBool:
		out.bl.Append(e.n != 0)
	case kInt32, kSfixed32:
		out.i32.Append(int32(e.n))
	case kSint32:
		out.i32.Append(int32(protowire.DecodeZigZag(e.n & math.MaxUint32)))
	case kUint32, kFixed32:
		out.i64.Append(int64(uint32(e.n)))
	case kInt64, kSfixed64:
		out.i64.Append(int64(e.n))
	case kSint64:
		out.i64.Append(protowire.DecodeZigZag(e.n))
	case kUint64, kFixed64:
		if out.dec != nil {
			out.dec.Append(decimal128.New(0, e.n))
		} else {
			out.i64.Append(int64(e.n))
		}
	case kFloat:
		out.f32.Append(math.Float32frombits(uint32(e.n)))
	case kDouble:
		out.f64.Append(math.Float64frombits(e.n))
	case kString, kJSON:
		out.str.BinaryBuilder.Append(e.b)
	case kBytes:
		out.bin.Append(e.b)
	case kEnum:
		num := protoreflect.EnumNumber(int32(e.n))
		name := enum.name(num)
		if name == nil { // a number the enum does not declare: its digits
			c.digits = strconv.AppendInt(c.digits[:0], int64(num), 10)
			name = c.digits
		}
		out.str.BinaryBuilder.Append(name)
	}
}

// emitMap appends a map's entries; of entries sharing a key only the
// last is kept, as proto.Unmarshal does.
func (c *Converter) emitMap(fp *fieldPlan, entries []elem) {
	for i := range entries {
		if c.keyRepeats(fp.key.kind, entries, i) {
			continue
		}
		ef := entries[i].sub
		c.emitElem(fp.key, &ef.slots[0].v)
		c.emitElem(fp.value, &ef.slots[1].v)
	}
}

// keyRepeats reports whether the key of entries[i] appears again later.
func (c *Converter) keyRepeats(k kind, entries []elem, i int) bool {
	if len(entries) <= 16 {
		ki := &entries[i].sub.slots[0].v
		for j := i + 1; j < len(entries); j++ {
			if sameKey(k, ki, &entries[j].sub.slots[0].v) {
				return true
			}
		}
		return false
	}
	if i == 0 { // index the last position of every key once per map
		clear(c.lastKey)
		for j := range entries {
			c.lastKey[keyString(k, &entries[j].sub.slots[0].v)] = j
		}
	}
	return c.lastKey[keyString(k, &entries[i].sub.slots[0].v)] != i
}

func sameKey(k kind, a, b *elem) bool {
	if k == kString {
		return string(a.b) == string(b.b)
	}
	return canonKey(k, a.n) == canonKey(k, b.n)
}

// canonKey reduces the raw bits of an integral or bool key to its value.
func canonKey(k kind, n uint64) uint64 {
	switch k {
	case kBool:
		if n != 0 {
			return 1
		}
		return 0
	case kInt32, kSint32, kSfixed32, kUint32, kFixed32:
		return uint64(uint32(n))
	}
	return n
}

func keyString(k kind, e *elem) string {
	if k == kString {
		return string(e.b)
	}
	return strconv.FormatUint(canonKey(k, e.n), 16)
}

// bind points every field plan at its builder.
func (m *msgPlan) bind(bs []array.Builder) {
	for i, fp := range m.fields {
		fp.bind(bs[i])
	}
	if m.unknown {
		m.unkB = bs[len(m.fields)].(*array.BinaryBuilder)
	}
}

func (fp *fieldPlan) bind(b array.Builder) {
	switch fp.card {
	case cardList:
		fp.list = b.(*array.ListBuilder)
		fp.bindElem(fp.list.ValueBuilder())
	case cardMap:
		fp.mapb = b.(*array.MapBuilder)
		fp.key.bindElem(fp.mapb.KeyBuilder())
		fp.value.bindElem(fp.mapb.ItemBuilder())
	default:
		fp.bindElem(b)
	}
}

func (fp *fieldPlan) bindElem(b array.Builder) {
	fp.null = b
	k := fp.kind
	if k == kWrapper {
		k = fp.inner
	}
	switch k {
	case kMessage:
		st := b.(*array.StructBuilder)
		fp.out.st = st
		bs := make([]array.Builder, st.NumField())
		for i := range bs {
			bs[i] = st.FieldBuilder(i)
		}
		fp.child.bind(bs)
	case kBool:
		fp.out.bl = b.(*array.BooleanBuilder)
	case kInt32, kSint32, kSfixed32:
		fp.out.i32 = b.(*array.Int32Builder)
	case kFloat:
		fp.out.f32 = b.(*array.Float32Builder)
	case kDouble:
		fp.out.f64 = b.(*array.Float64Builder)
	case kString, kEnum, kJSON:
		fp.out.str = b.(*array.StringBuilder)
	case kBytes:
		fp.out.bin = b.(*array.BinaryBuilder)
	case kTimestamp:
		fp.out.ts = b.(*array.TimestampBuilder)
	case kUint64, kFixed64:
		if d, ok := b.(*array.Decimal128Builder); ok {
			fp.out.dec = d
			return
		}
		fp.out.i64 = b.(*array.Int64Builder)
	default: // the other integers, Duration
		fp.out.i64 = b.(*array.Int64Builder)
	}
}
