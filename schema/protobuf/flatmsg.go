package protobuf

import (
	"math"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/runtime/protoiface"
)

// The flat message itself (flat.go decodes into it): protoreflect's
// Message, List and Map over slices, read by protovalidate and CEL as
// dynamicpb's would be.

// flatMsg is a decoded message (see the top of flat.go). The zero-value
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
