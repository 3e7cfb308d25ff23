package protobuf

import (
	"bytes"
	"errors"
	"math"
	"sync"
	"unsafe"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// The fast path of Check: a payload is decoded into flatMsg, a
// read-mostly protoreflect.Message whose fields sit in a slice
// by field index (dynamicpb keeps a map per message and builds each value
// through reflection's Set/Mutable: two thirds of a validated record's
// cost). protovalidate and its CEL programs read a message only through
// protoreflect, so they see the same fields, the same presence and the
// same defaults as in the dynamicpb message Decode builds. The decoder
// checks what proto.Unmarshal and Verify check (wire format, field
// numbers, UTF-8, depth) and declines whatever they would refuse:
// Check then decodes with dynamicpb, for its verdict and error text.
// FuzzFlat holds the flat decoder to proto.Unmarshal both ways (it
// accepts exactly what Unmarshal accepts, into a proto.Equal message) and
// to the same Check verdict.
//
// Strings are substrings of one copy of the payload, bytes alias the
// payload, and messages and their field slots come from a pooled
// decoder's chunks: a flatMsg lives only inside Check, which reads the
// payload, validates, keeps nothing of the message but the violations'
// text, and returns the decoder.
//
// Types whose decode depends on more than this handles (groups, closed
// enums, whose unknown numbers become unknown fields; extensions, required
// fields and message sets, which Verify already leaves to Decode) are
// not flat: flatFor returns nil and Check decodes with dynamicpb.

// flatType is what decoding one message type needs, built once per codec.
type flatType struct {
	desc   protoreflect.MessageDescriptor
	fields []flatField // by field index
	dense  []int32     // field number → index+1 (0: none), below maxDense
	sparse map[protowire.Number]int32
}

// flatField is one field of a flatType.
type flatField struct {
	fd      protoreflect.FieldDescriptor
	kind    protoreflect.Kind
	wire    protowire.Type // of one value
	list    bool
	utf8    bool          // a string that must be valid UTF-8
	packed  bool          // a repeated scalar: may also come as a packed run
	msg     *flatType     // message values (for a map: of its values)
	entry   [2]*flatField // a map's key and value fields
	oneof   protoreflect.OneofDescriptor
	members []int32 // the other fields of a real oneof, by index
	set     setRule // how a stored value counts as present (isSet)
}

// setRule is isSet's decision for a field, made once.
type setRule uint8

const (
	setAlways   setRule = iota // presence: stored is set
	setNonEmpty                // a list or map: set when not empty
	setNonZero                 // implicit presence: set when not the zero value
)

// errFlat means the flat decoder declines the payload: malformed, or
// something it does not handle. Check then decodes with dynamicpb.
var errFlat = errors.New("flat decode declined")

// flatFor returns md's flatType, nil when some type md reaches is one the
// flat decoder does not handle.
func flatFor(md protoreflect.MessageDescriptor) *flatType {
	built := map[protoreflect.FullName]*flatType{}
	t, ok := buildFlat(md, built)
	if !ok {
		return nil
	}
	return t
}

func buildFlat(md protoreflect.MessageDescriptor, built map[protoreflect.FullName]*flatType) (*flatType, bool) {
	if t, ok := built[md.FullName()]; ok {
		return t, true
	}
	if md.ExtensionRanges().Len() > 0 || isMessageSet(md) {
		return nil, false
	}
	fields := md.Fields()
	t := &flatType{desc: md, fields: make([]flatField, fields.Len())}
	built[md.FullName()] = t
	for i := range fields.Len() {
		fd := fields.Get(i)
		f, ok := flatFieldOf(fd, built)
		if !ok {
			return nil, false
		}
		t.fields[i] = f
		t.index(fd.Number(), int32(i))
	}
	for i := range t.fields {
		f := &t.fields[i]
		if f.oneof == nil || f.oneof.IsSynthetic() {
			f.oneof = nil
			continue
		}
		for j := range f.oneof.Fields().Len() {
			if o := f.oneof.Fields().Get(j); o.Index() != i {
				f.members = append(f.members, int32(o.Index()))
			}
		}
	}
	return t, true
}

func (t *flatType) index(n protowire.Number, i int32) {
	if int(n) < maxDense {
		if int(n) >= len(t.dense) {
			t.dense = append(t.dense, make([]int32, int(n)+1-len(t.dense))...)
		}
		t.dense[n] = i + 1
		return
	}
	if t.sparse == nil {
		t.sparse = map[protowire.Number]int32{}
	}
	t.sparse[n] = i + 1
}

// field is the index of field number n, -1 if the type has none.
func (t *flatType) field(n protowire.Number) int {
	if int(n) < len(t.dense) {
		return int(t.dense[n]) - 1
	}
	return int(t.sparse[n]) - 1
}

func flatFieldOf(fd protoreflect.FieldDescriptor, built map[protoreflect.FullName]*flatType) (flatField, bool) {
	if fd.Cardinality() == protoreflect.Required || fd.Kind() == protoreflect.GroupKind ||
		(fd.Enum() != nil && fd.Enum().IsClosed()) {
		return flatField{}, false
	}
	f := flatField{fd: fd, kind: fd.Kind(), wire: wireTypeOf(fd.Kind()), list: fd.IsList(), oneof: fd.ContainingOneof()}
	switch {
	case fd.IsMap() || fd.IsList():
		f.set = setNonEmpty
	case fd.ContainingOneof() == nil && !fd.HasPresence() && !fd.IsExtension():
		f.set = setNonZero
	}
	f.packed = f.list && f.wire != protowire.BytesType
	f.utf8 = f.kind == protoreflect.StringKind && enforceUTF8(fd)
	if fd.IsMap() {
		k, ok := flatFieldOf(fd.MapKey(), built)
		if !ok {
			return flatField{}, false
		}
		v, ok := flatFieldOf(fd.MapValue(), built)
		if !ok {
			return flatField{}, false
		}
		f.entry = [2]*flatField{&k, &v}
		f.msg = v.msg
		return f, true
	}
	if fd.Message() != nil {
		var ok bool
		if f.msg, ok = buildFlat(fd.Message(), built); !ok {
			return flatField{}, false
		}
	}
	return f, true
}

// flatDecoder decodes one payload; str is the payload as a string, for
// string fields to slice. Messages and their field slots are carved from
// chunks (msgs, vals) rather than allocated one by one; a chunk is never
// grown in place, so what was carved stays put.
type flatDecoder struct {
	buf   []byte
	str   string
	depth int
	msgs  []flatMsg
	vals  []protoreflect.Value
	// The lists and maps of earlier decodes, handed out again in order
	// (their value slices keep their capacity): a stream of records of
	// one type decodes without allocating once the decoder has grown.
	lists  []*flatList
	maps   []*flatMap
	nlists int
	nmaps  int
}

// decodeFlat decodes a copy of payload into chunks of its own: the
// message may outlive the call, and payload may change after it.
func (t *flatType) decodeFlat(payload []byte) (*flatMsg, error) {
	return new(flatDecoder).decode(t, bytes.Clone(payload))
}

// decode decodes payload as a t with d's chunks. The message's strings
// alias payload (unsafe.String: copying the payload cost a tenth of a
// validated record's time, most of it in garbage collection), so payload
// must not change while the message is in use, and nothing read from the
// message may be kept past it without a copy: Check keeps only the text of
// a ValidationError's violations, which validationError copies.
func (d *flatDecoder) decode(t *flatType, payload []byte) (*flatMsg, error) {
	d.buf, d.str, d.depth = payload, unsafe.String(unsafe.SliceData(payload), len(payload)), protowire.DefaultRecursionLimit
	m := d.newMsg(t)
	if err := d.message(m, 0, len(payload)); err != nil {
		return nil, err
	}
	return m, nil
}

// flatDecoders lends decoders to Check, whose message does not outlive
// the call: their chunks are reused, and grow to fit the messages seen.
var flatDecoders = sync.Pool{New: func() any { return new(flatDecoder) }}

// release clears what d carved (the slots must read as unset again, and
// hold no payload) and returns it to the pool. Nothing d decoded may be
// used after.
func (d *flatDecoder) release() {
	clear(d.msgs)
	clear(d.vals)
	d.msgs, d.vals = d.msgs[:0], d.vals[:0]
	for _, l := range d.lists[:d.nlists] {
		clear(l.vals)
		*l = flatList{vals: l.vals[:0]}
	}
	for _, mp := range d.maps[:d.nmaps] {
		clear(mp.ents)
		*mp = flatMap{ents: mp.ents[:0]}
	}
	d.nlists, d.nmaps = 0, 0
	d.buf, d.str = nil, ""
	flatDecoders.Put(d)
}

// newMsg is an empty message of type t, carved from d's chunks.
func (d *flatDecoder) newMsg(t *flatType) *flatMsg {
	if len(d.msgs) == cap(d.msgs) {
		d.msgs = make([]flatMsg, 0, max(8, 2*cap(d.msgs)))
	}
	d.msgs = append(d.msgs, flatMsg{t: t})
	m := &d.msgs[len(d.msgs)-1]
	n := len(t.fields)
	if cap(d.vals)-len(d.vals) < n {
		d.vals = make([]protoreflect.Value, 0, max(n, 64, 2*cap(d.vals)))
	}
	at := len(d.vals)
	d.vals = d.vals[:at+n]
	m.v = d.vals[at : at+n : at+n]
	return m
}

// list is m's list field i, made (from d's) if m has none yet.
func (d *flatDecoder) list(m *flatMsg, i int) *flatList {
	if l, ok := m.v[i].Interface().(*flatList); ok {
		return l
	}
	if d.nlists == len(d.lists) {
		d.lists = append(d.lists, &flatList{})
	}
	l := d.lists[d.nlists]
	d.nlists++
	l.f = &m.t.fields[i]
	m.v[i] = protoreflect.ValueOfList(l)
	return l
}

// mapOf is m's map field i, made (from d's) if m has none yet.
func (d *flatDecoder) mapOf(m *flatMsg, i int) *flatMap {
	if mp, ok := m.v[i].Interface().(*flatMap); ok {
		return mp
	}
	if d.nmaps == len(d.maps) {
		d.maps = append(d.maps, &flatMap{})
	}
	mp := d.maps[d.nmaps]
	d.nmaps++
	mp.f = &m.t.fields[i]
	m.set(i, protoreflect.ValueOfMap(mp))
	return mp
}

func newFlat(t *flatType) *flatMsg {
	return &flatMsg{t: t, v: make([]protoreflect.Value, len(t.fields))}
}

// message decodes buf[lo:hi] into m, merging into what m holds.
func (d *flatDecoder) message(m *flatMsg, lo, hi int) error {
	if d.depth--; d.depth < 0 {
		return errFlat
	}
	defer func() { d.depth++ }()
	for lo < hi {
		var num protowire.Number
		var wtyp protowire.Type
		n := 1
		if t := d.buf[lo]; t < 0x80 && t >= 1<<3 { // a one-byte tag, decoded here (consumeTag)
			num, wtyp = protowire.Number(t>>3), protowire.Type(t&7)
		} else if num, wtyp, n = consumeTag(d.buf[lo:hi]); n < 0 || num > protowire.MaxValidNumber {
			return errFlat
		}
		start := lo
		lo += n
		i := m.t.field(num)
		if i >= 0 {
			used, err := d.field(m, i, wtyp, lo, hi)
			if err == nil {
				lo += used
				continue
			}
			if err != errWrongWire {
				return err
			}
		}
		n = protowire.ConsumeFieldValue(num, wtyp, d.buf[lo:hi])
		if n < 0 {
			return errFlat
		}
		lo += n
		m.unknown = append(m.unknown, d.buf[start:lo]...)
	}
	return nil
}

// field decodes one occurrence of field i starting at buf[lo] and returns
// its length; errWrongWire makes it an unknown field.
func (d *flatDecoder) field(m *flatMsg, i int, wtyp protowire.Type, lo, hi int) (int, error) {
	f := &m.t.fields[i]
	switch {
	case f.entry[0] != nil:
		return d.mapEntry(m, f, wtyp, lo, hi)
	case f.list && f.packed && wtyp == protowire.BytesType:
		return d.packed(m, f, lo, hi)
	case f.list:
		l := d.list(m, i)
		if f.kind == protoreflect.MessageKind {
			if wtyp != protowire.BytesType {
				return 0, errWrongWire
			}
			sub := d.newMsg(f.msg)
			n, err := d.sub(sub, lo, hi)
			if err == nil {
				l.vals = append(l.vals, protoreflect.ValueOfMessage(sub))
			}
			return n, err
		}
		v, n, err := d.scalar(f, wtyp, lo, hi)
		if err == nil {
			l.vals = append(l.vals, v)
		}
		return n, err
	case f.kind == protoreflect.MessageKind:
		if wtyp != protowire.BytesType {
			return 0, errWrongWire
		}
		sub, _ := m.v[i].Interface().(*flatMsg)
		if sub == nil {
			sub = d.newMsg(f.msg)
		}
		n, err := d.sub(sub, lo, hi)
		if err == nil {
			m.set(i, protoreflect.ValueOfMessage(sub))
		}
		return n, err
	}
	v, n, err := d.scalar(f, wtyp, lo, hi)
	if err == nil {
		m.set(i, v)
	}
	return n, err
}

// sub decodes a length-delimited message at buf[lo] into sub.
func (d *flatDecoder) sub(sub *flatMsg, lo, hi int) (int, error) {
	l, n := consumeVarint(d.buf[lo:hi])
	if n < 0 || l > uint64(hi-lo-n) {
		return 0, errFlat
	}
	return n + int(l), d.message(sub, lo+n, lo+n+int(l))
}

// packed decodes a packed run of scalars at buf[lo].
func (d *flatDecoder) packed(m *flatMsg, f *flatField, lo, hi int) (int, error) {
	l, n := protowire.ConsumeVarint(d.buf[lo:hi])
	if n < 0 || l > uint64(hi-lo-n) {
		return 0, errFlat
	}
	list := d.list(m, f.fd.Index())
	for p, end := lo+n, lo+n+int(l); p < end; {
		v, used, err := d.scalar(f, f.wire, p, end)
		if err != nil {
			return 0, errFlat
		}
		list.vals = append(list.vals, v)
		p += used
	}
	return n + int(l), nil
}

// mapEntry decodes one map entry at buf[lo], as proto.Unmarshal does: a
// missing key or value is the default (an empty message for message
// values), fields of the wrong wire type and unknown fields are skipped,
// and a later entry with the same key replaces the earlier. An entry on
// which proto.Unmarshal panics is declined (errFlat).
func (d *flatDecoder) mapEntry(m *flatMsg, f *flatField, wtyp protowire.Type, lo, hi int) (int, error) {
	if wtyp != protowire.BytesType {
		return 0, errWrongWire
	}
	l, n := protowire.ConsumeVarint(d.buf[lo:hi])
	if n < 0 || l > uint64(hi-lo-n) {
		return 0, errFlat
	}
	if d.depth--; d.depth < 0 {
		return 0, errFlat
	}
	defer func() { d.depth++ }()
	var key, val protoreflect.Value
	var sub *flatMsg
	kf, vf := f.entry[0], f.entry[1]
	if vf.kind == protoreflect.MessageKind {
		sub = d.newMsg(vf.msg)
		val = protoreflect.ValueOfMessage(sub)
	}
	for p, end := lo+n, lo+n+int(l); p < end; {
		num, et, tn := consumeTag(d.buf[p:end])
		if tn < 0 || num > protowire.MaxValidNumber {
			return 0, errFlat
		}
		p += tn
		used, err := -1, errWrongWire
		switch {
		case num == 1:
			var v protoreflect.Value
			if v, used, err = d.scalar(kf, et, p, end); err == nil {
				key = v
			} else if err == errWrongWire && key.IsValid() {
				// proto.Unmarshal (v1.36.12) panics on a key of the
				// wrong wire type after a good one; Decode turns that
				// into ErrDecode, which Check must report alike.
				return 0, errFlat
			}
		case num == 2 && sub != nil:
			if et == protowire.BytesType {
				used, err = d.sub(sub, p, end)
			}
		case num == 2:
			var v protoreflect.Value
			if v, used, err = d.scalar(vf, et, p, end); err == nil {
				val = v
			}
		}
		if err == errWrongWire {
			if used = protowire.ConsumeFieldValue(num, et, d.buf[p:end]); used < 0 {
				return 0, errFlat
			}
		} else if err != nil {
			return 0, err
		}
		p += used
	}
	if !key.IsValid() {
		key = kf.fd.Default()
	}
	if !val.IsValid() {
		val = vf.fd.Default()
	}
	d.mapOf(m, f.fd.Index()).put(key.MapKey(), val)
	return n + int(l), nil
}

// scalar decodes one scalar value of f at buf[lo], as proto.Unmarshal
// converts it.
func (d *flatDecoder) scalar(f *flatField, wtyp protowire.Type, lo, hi int) (protoreflect.Value, int, error) {
	if wtyp != f.wire {
		return protoreflect.Value{}, 0, errWrongWire
	}
	b := d.buf[lo:hi]
	switch wtyp {
	case protowire.VarintType:
		v, n := consumeVarint(b)
		if n < 0 {
			return protoreflect.Value{}, 0, errFlat
		}
		return varintValue(f.kind, v), n, nil
	case protowire.Fixed32Type:
		v, n := protowire.ConsumeFixed32(b)
		if n < 0 {
			return protoreflect.Value{}, 0, errFlat
		}
		switch f.kind {
		case protoreflect.FloatKind:
			return protoreflect.ValueOfFloat32(math.Float32frombits(v)), n, nil
		case protoreflect.Sfixed32Kind:
			return protoreflect.ValueOfInt32(int32(v)), n, nil
		}
		return protoreflect.ValueOfUint32(v), n, nil
	case protowire.Fixed64Type:
		v, n := protowire.ConsumeFixed64(b)
		if n < 0 {
			return protoreflect.Value{}, 0, errFlat
		}
		switch f.kind {
		case protoreflect.DoubleKind:
			return protoreflect.ValueOfFloat64(math.Float64frombits(v)), n, nil
		case protoreflect.Sfixed64Kind:
			return protoreflect.ValueOfInt64(int64(v)), n, nil
		}
		return protoreflect.ValueOfUint64(v), n, nil
	case protowire.BytesType:
		l, n := consumeVarint(b)
		if n < 0 || l > uint64(len(b)-n) {
			return protoreflect.Value{}, 0, errFlat
		}
		from, to := lo+n, lo+n+int(l)
		if f.kind == protoreflect.StringKind {
			if f.utf8 && !validUTF8(d.buf[from:to]) {
				return protoreflect.Value{}, 0, errFlat
			}
			return protoreflect.ValueOfString(d.str[from:to]), n + int(l), nil
		}
		return protoreflect.ValueOfBytes(d.buf[from:to:to]), n + int(l), nil
	}
	return protoreflect.Value{}, 0, errFlat
}

func varintValue(k protoreflect.Kind, v uint64) protoreflect.Value {
	switch k {
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(protowire.DecodeBool(v))
	case protoreflect.EnumKind:
		return protoreflect.ValueOfEnum(protoreflect.EnumNumber(v))
	case protoreflect.Int32Kind:
		return protoreflect.ValueOfInt32(int32(v))
	case protoreflect.Sint32Kind:
		return protoreflect.ValueOfInt32(int32(protowire.DecodeZigZag(v & math.MaxUint32)))
	case protoreflect.Uint32Kind:
		return protoreflect.ValueOfUint32(uint32(v))
	case protoreflect.Int64Kind:
		return protoreflect.ValueOfInt64(int64(v))
	case protoreflect.Sint64Kind:
		return protoreflect.ValueOfInt64(protowire.DecodeZigZag(v))
	}
	return protoreflect.ValueOfUint64(v) // Uint64Kind
}
