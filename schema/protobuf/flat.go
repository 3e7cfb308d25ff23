package protobuf

import (
	"errors"
	"math"
	"sync"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/runtime/protoiface"
)

// The fast path of Check: a payload that Verify accepted is decoded into
// flatMsg, a read-mostly protoreflect.Message whose fields sit in a slice
// by field index (dynamicpb keeps a map per message and builds each value
// through reflection's Set/Mutable: two thirds of a validated record's
// cost). protovalidate and its CEL programs read a message only through
// protoreflect, so they see the same fields, the same presence and the
// same defaults as in the dynamicpb message Decode builds; FuzzFlat holds
// the two to proto.Equal and to the same Check verdict.
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

// errFlat means the flat decoder met something it does not handle; Check
// then decodes with dynamicpb. Verify has accepted the bytes, so it is a
// safety net, not an expected path.
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
}

// decodeFlat decodes a payload Verify accepted, into chunks of its own.
func (t *flatType) decodeFlat(payload []byte) (*flatMsg, error) {
	return new(flatDecoder).decode(t, payload)
}

// decode decodes payload as a t with d's chunks.
func (d *flatDecoder) decode(t *flatType, payload []byte) (*flatMsg, error) {
	d.buf, d.str, d.depth = payload, string(payload), protowire.DefaultRecursionLimit
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
		num, wtyp, n := protowire.ConsumeTag(d.buf[lo:hi])
		if n < 0 {
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
		l := m.mutableList(i)
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
	l, n := protowire.ConsumeVarint(d.buf[lo:hi])
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
	list := m.mutableList(f.fd.Index())
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
		num, et, tn := protowire.ConsumeTag(d.buf[p:end])
		if tn < 0 {
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
	m.mutableMap(f.fd.Index()).put(key.MapKey(), val)
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
		v, n := protowire.ConsumeVarint(b)
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
		l, n := protowire.ConsumeVarint(b)
		if n < 0 || l > uint64(len(b)-n) {
			return protoreflect.Value{}, 0, errFlat
		}
		from, to := lo+n, lo+n+int(l)
		if f.kind == protoreflect.StringKind {
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

// flatMsg is a decoded message (see the top of this file). The zero-value
// slots of v are unset fields; ro marks the empty read-only message Get
// returns for an unset message field (IsValid false), as dynamicpb's.
type flatMsg struct {
	t       *flatType
	v       []protoreflect.Value
	unknown protoreflect.RawFields
	ro      bool
}

var _ protoreflect.Message = (*flatMsg)(nil)

// set stores field i, clearing the other members of its oneof.
func (m *flatMsg) set(i int, v protoreflect.Value) {
	for _, o := range m.t.fields[i].members {
		m.v[o] = protoreflect.Value{}
	}
	m.v[i] = v
}

func (m *flatMsg) mutableList(i int) *flatList {
	if l, ok := m.v[i].Interface().(*flatList); ok {
		return l
	}
	l := &flatList{f: &m.t.fields[i]}
	m.v[i] = protoreflect.ValueOfList(l)
	return l
}

func (m *flatMsg) mutableMap(i int) *flatMap {
	if mp, ok := m.v[i].Interface().(*flatMap); ok {
		return mp
	}
	mp := &flatMap{f: &m.t.fields[i]}
	m.set(i, protoreflect.ValueOfMap(mp))
	return mp
}

// ProtoReflect makes flatMsg its own proto.Message, as dynamicpb's is.
func (m *flatMsg) ProtoReflect() protoreflect.Message { return m }

func (m *flatMsg) Descriptor() protoreflect.MessageDescriptor { return m.t.desc }
func (m *flatMsg) Type() protoreflect.MessageType             { return flatMsgType{m.t} }
func (m *flatMsg) New() protoreflect.Message                  { return newFlat(m.t) }
func (m *flatMsg) Interface() protoreflect.ProtoMessage       { return m }
func (m *flatMsg) IsValid() bool                              { return !m.ro }
func (m *flatMsg) ProtoMethods() *protoiface.Methods          { return nil }
func (m *flatMsg) GetUnknown() protoreflect.RawFields         { return m.unknown }
func (m *flatMsg) SetUnknown(raw protoreflect.RawFields)      { m.mutate(); m.unknown = raw }

// mutate panics on the read-only empty message, as dynamicpb's does.
func (m *flatMsg) mutate() {
	if m.ro {
		panic("protobuf: mutating a read-only empty message " + string(m.t.desc.FullName()))
	}
}

// slot is fd's index in m, -1 if fd is not a field of m's type. The
// descriptor the type was built from is found by its index at once.
func (m *flatMsg) slot(fd protoreflect.FieldDescriptor) int {
	i := fd.Index()
	if i < len(m.t.fields) && m.t.fields[i].fd == fd {
		return i
	}
	if fd.IsExtension() || i >= len(m.t.fields) || m.t.fields[i].fd.Number() != fd.Number() {
		return -1
	}
	return i
}

// has reports whether slot i holds a value that counts as set.
func (m *flatMsg) has(i int) bool {
	v := m.v[i]
	if !v.IsValid() {
		return false
	}
	switch m.t.fields[i].set {
	case setAlways:
		return true
	case setNonEmpty:
		if l, ok := v.Interface().(*flatList); ok {
			return len(l.vals) > 0
		}
		if mp, ok := v.Interface().(*flatMap); ok {
			return len(mp.ents) > 0
		}
	}
	return isSet(m.t.fields[i].fd, v)
}

func (m *flatMsg) Range(f func(protoreflect.FieldDescriptor, protoreflect.Value) bool) {
	for i, v := range m.v {
		if m.has(i) && !f(m.t.fields[i].fd, v) {
			return
		}
	}
}

func (m *flatMsg) Has(fd protoreflect.FieldDescriptor) bool {
	i := m.slot(fd)
	return i >= 0 && !m.ro && m.has(i)
}

func (m *flatMsg) Clear(fd protoreflect.FieldDescriptor) {
	m.mutate()
	if i := m.slot(fd); i >= 0 {
		m.v[i] = protoreflect.Value{}
	}
}

func (m *flatMsg) Get(fd protoreflect.FieldDescriptor) protoreflect.Value {
	i := m.slot(fd)
	if i < 0 {
		if fd.IsExtension() {
			return fd.(protoreflect.ExtensionTypeDescriptor).Type().Zero()
		}
		return fd.Default()
	}
	if !m.ro {
		if v := m.v[i]; v.IsValid() {
			switch {
			case fd.IsMap() && v.Map().Len() == 0, fd.IsList() && v.List().Len() == 0:
			default:
				return v
			}
		}
	}
	f := &m.t.fields[i]
	switch {
	case fd.IsMap():
		return protoreflect.ValueOfMap(&flatMap{f: f, ro: true})
	case fd.IsList():
		return protoreflect.ValueOfList(&flatList{f: f, ro: true})
	case fd.Message() != nil:
		return protoreflect.ValueOfMessage(&flatMsg{t: f.msg, ro: true, v: make([]protoreflect.Value, len(f.msg.fields))})
	case fd.Kind() == protoreflect.BytesKind:
		return protoreflect.ValueOfBytes(append([]byte(nil), fd.Default().Bytes()...))
	}
	return fd.Default()
}

func (m *flatMsg) Set(fd protoreflect.FieldDescriptor, v protoreflect.Value) {
	m.mutate()
	if i := m.slot(fd); i >= 0 {
		m.set(i, v)
		return
	}
	panic("protobuf: " + string(fd.FullName()) + " is not a field of " + string(m.t.desc.FullName()))
}

func (m *flatMsg) Mutable(fd protoreflect.FieldDescriptor) protoreflect.Value {
	m.mutate()
	i := m.slot(fd)
	if i < 0 {
		panic("protobuf: " + string(fd.FullName()) + " is not a field of " + string(m.t.desc.FullName()))
	}
	switch {
	case fd.IsMap():
		return protoreflect.ValueOfMap(m.mutableMap(i))
	case fd.IsList():
		return protoreflect.ValueOfList(m.mutableList(i))
	case fd.Message() != nil:
		if sub, ok := m.v[i].Interface().(*flatMsg); ok {
			return protoreflect.ValueOfMessage(sub)
		}
		v := protoreflect.ValueOfMessage(newFlat(m.t.fields[i].msg))
		m.set(i, v)
		return v
	}
	panic("protobuf: Mutable of scalar field " + string(fd.FullName()))
}

func (m *flatMsg) NewField(fd protoreflect.FieldDescriptor) protoreflect.Value {
	i := m.slot(fd)
	if i < 0 {
		panic("protobuf: " + string(fd.FullName()) + " is not a field of " + string(m.t.desc.FullName()))
	}
	f := &m.t.fields[i]
	switch {
	case fd.IsMap():
		return protoreflect.ValueOfMap(&flatMap{f: f})
	case fd.IsList():
		return protoreflect.ValueOfList(&flatList{f: f})
	case fd.Message() != nil:
		return protoreflect.ValueOfMessage(newFlat(f.msg))
	}
	return m.Get(fd) // an unset scalar: its default
}

func (m *flatMsg) WhichOneof(od protoreflect.OneofDescriptor) protoreflect.FieldDescriptor {
	for i := range od.Fields().Len() {
		if fd := od.Fields().Get(i); m.Has(fd) {
			return fd
		}
	}
	return nil
}

// isSet is dynamicpb's: whether a stored value counts as present.
func isSet(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
	switch {
	case fd.IsMap():
		return v.Map().Len() > 0
	case fd.IsList():
		return v.List().Len() > 0
	case fd.ContainingOneof() != nil:
		return true
	case !fd.HasPresence() && !fd.IsExtension():
		switch fd.Kind() {
		case protoreflect.BoolKind:
			return v.Bool()
		case protoreflect.EnumKind:
			return v.Enum() != 0
		case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed32Kind, protoreflect.Sfixed64Kind:
			return v.Int() != 0
		case protoreflect.Uint32Kind, protoreflect.Uint64Kind, protoreflect.Fixed32Kind, protoreflect.Fixed64Kind:
			return v.Uint() != 0
		case protoreflect.FloatKind, protoreflect.DoubleKind:
			return v.Float() != 0 || math.Signbit(v.Float())
		case protoreflect.StringKind:
			return v.String() != ""
		case protoreflect.BytesKind:
			return len(v.Bytes()) > 0
		}
	}
	return true
}

// flatMsgType is a flatType as a protoreflect.MessageType.
type flatMsgType struct{ t *flatType }

func (mt flatMsgType) New() protoreflect.Message { return newFlat(mt.t) }
func (mt flatMsgType) Zero() protoreflect.Message {
	return &flatMsg{t: mt.t, ro: true, v: make([]protoreflect.Value, len(mt.t.fields))}
}
func (mt flatMsgType) Descriptor() protoreflect.MessageDescriptor { return mt.t.desc }

// flatList is a repeated field's values.
type flatList struct {
	f    *flatField
	vals []protoreflect.Value
	ro   bool
}

func (l *flatList) Len() int                          { return len(l.vals) }
func (l *flatList) Get(i int) protoreflect.Value      { return l.vals[i] }
func (l *flatList) Set(i int, v protoreflect.Value)   { l.mutate(); l.vals[i] = v }
func (l *flatList) Append(v protoreflect.Value)       { l.mutate(); l.vals = append(l.vals, v) }
func (l *flatList) Truncate(n int)                    { l.mutate(); clear(l.vals[n:]); l.vals = l.vals[:n] }
func (l *flatList) IsValid() bool                     { return !l.ro }
func (l *flatList) AppendMutable() protoreflect.Value { v := l.NewElement(); l.Append(v); return v }
func (l *flatList) NewElement() protoreflect.Value {
	if l.f.msg != nil {
		return protoreflect.ValueOfMessage(newFlat(l.f.msg))
	}
	return newScalar(l.f.fd)
}

func (l *flatList) mutate() {
	if l.ro {
		panic("protobuf: mutating a read-only empty list " + string(l.f.fd.FullName()))
	}
}

// newScalar is the zero value of a scalar field's kind, as a new list
// element or map value (dynamicpb's newListEntry).
func newScalar(fd protoreflect.FieldDescriptor) protoreflect.Value {
	switch fd.Kind() {
	case protoreflect.BytesKind:
		return protoreflect.ValueOfBytes(nil)
	case protoreflect.EnumKind:
		return protoreflect.ValueOfEnum(fd.Enum().Values().Get(0).Number())
	}
	return fd.Default()
}

// flatMap is a map field's entries in the order they were first set (a
// map's order is unspecified; dynamicpb's is Go's random one). Small maps
// are searched in order; from mapIndexMin entries on, an index by the
// key's Go value finds them.
type flatMap struct {
	f     *flatField
	ents  []mapEntry
	index map[any]int // position in ents, once there are mapIndexMin
	ro    bool
}

type mapEntry struct {
	k protoreflect.MapKey
	v protoreflect.Value
}

const mapIndexMin = 16

// find is k's position, -1 if absent.
func (mp *flatMap) find(k protoreflect.MapKey) int {
	if mp.index != nil {
		if i, ok := mp.index[k.Interface()]; ok {
			return i
		}
		return -1
	}
	for i := range mp.ents {
		if sameKey(mp.ents[i].k, k) {
			return i
		}
	}
	return -1
}

// sameKey compares two keys of one map (bool, integer or string).
func sameKey(a, b protoreflect.MapKey) bool {
	switch x := a.Interface().(type) {
	case string:
		return x == b.String()
	case bool:
		return x == b.Bool()
	case int32, int64:
		return a.Int() == b.Int()
	}
	return a.Uint() == b.Uint()
}

// put sets k to v.
func (mp *flatMap) put(k protoreflect.MapKey, v protoreflect.Value) {
	if i := mp.find(k); i >= 0 {
		mp.ents[i].v = v
		return
	}
	if mp.ents == nil {
		mp.ents = make([]mapEntry, 0, 4)
	}
	mp.ents = append(mp.ents, mapEntry{k, v})
	switch n := len(mp.ents); {
	case mp.index != nil:
		mp.index[k.Interface()] = n - 1
	case n >= mapIndexMin:
		mp.reindex()
	}
}

// reindex rebuilds the index, or drops it when the map is small again.
func (mp *flatMap) reindex() {
	mp.index = nil
	if len(mp.ents) < mapIndexMin {
		return
	}
	mp.index = make(map[any]int, 2*len(mp.ents))
	for i, e := range mp.ents {
		mp.index[e.k.Interface()] = i
	}
}

func (mp *flatMap) Len() int { return len(mp.ents) }
func (mp *flatMap) Range(f func(protoreflect.MapKey, protoreflect.Value) bool) {
	for _, e := range mp.ents {
		if !f(e.k, e.v) {
			return
		}
	}
}
func (mp *flatMap) Has(k protoreflect.MapKey) bool { return mp.find(k) >= 0 }
func (mp *flatMap) Clear(k protoreflect.MapKey) {
	mp.mutate()
	if i := mp.find(k); i >= 0 {
		mp.ents = append(mp.ents[:i], mp.ents[i+1:]...)
		if mp.index != nil {
			mp.reindex()
		}
	}
}
func (mp *flatMap) Get(k protoreflect.MapKey) protoreflect.Value {
	if i := mp.find(k); i >= 0 {
		return mp.ents[i].v
	}
	return protoreflect.Value{} // absent
}
func (mp *flatMap) Set(k protoreflect.MapKey, v protoreflect.Value) {
	mp.mutate()
	mp.put(k, v)
}
func (mp *flatMap) Mutable(k protoreflect.MapKey) protoreflect.Value {
	mp.mutate()
	if i := mp.find(k); i >= 0 {
		return mp.ents[i].v
	}
	v := mp.NewValue()
	mp.put(k, v)
	return v
}
func (mp *flatMap) NewValue() protoreflect.Value {
	if vf := mp.f.entry[1]; vf.msg != nil {
		return protoreflect.ValueOfMessage(newFlat(vf.msg))
	}
	return newScalar(mp.f.entry[1].fd)
}
func (mp *flatMap) IsValid() bool { return !mp.ro }

func (mp *flatMap) mutate() {
	if mp.ro {
		panic("protobuf: mutating a read-only empty map " + string(mp.f.fd.FullName()))
	}
}
