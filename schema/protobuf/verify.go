package protobuf

import (
	"errors"
	"fmt"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// Verify reports whether payload parses as the codec's message, with the
// verdict of Decode (nil or ErrDecode) but without building the message: a
// scan of the wire format guided by the descriptor, which allocates
// nothing. Check uses it instead of Decode when the message's types carry
// no validation rules. Messages whose parse depends on more than the bytes
// (proto2 required fields, extensions, message sets) are decoded instead.
//
// The scan follows proto.Unmarshal's rules for dynamic messages: a field
// of the wrong wire type is an unknown field; unknown fields must be well
// formed; packed and unpacked repeated scalars are both accepted; strings
// that must be UTF-8 are checked; messages nest at most 10,000 deep.
// FuzzCheck holds it to proto.Unmarshal's verdict.
func (c *Codec) Verify(payload []byte) error {
	if c.plan.decodeToVerify {
		_, err := c.Decode(payload)
		return err
	}
	if err := verifyMessage(payload, c.scan, protowire.DefaultRecursionLimit); err != nil {
		return fmt.Errorf("%w as %s: %w", ErrDecode, c.Desc.FullName(), err)
	}
	return nil
}

var (
	errWire      = errors.New("cannot parse invalid wire-format data")
	errDepth     = errors.New("exceeded maximum recursion depth")
	errUTF8      = errors.New("string field contains invalid UTF-8")
	errWrongWire = errors.New("wire type does not match the field") // internal: an unknown field
)

// scanMsg is what the scan needs of a message, computed once per codec:
// descriptor methods (protocompile's in particular) cost more per call than
// the scan of a field.
type scanMsg struct {
	dense  []*scanField // by field number, for numbers below len(dense)
	sparse map[protowire.Number]*scanField
	// tags decides a value by its one-byte tag (fields 1 to 15) when it
	// is of its field's own wire type and a scalar, string, message or
	// map entry: most of a message's values, scanned without looking at
	// the field (its act).
	tags [0x80]tagAction
}

// tagAction is what verifyMessage does with a value after a one-byte tag.
type tagAction struct {
	kind tagKind
	msg  *scanMsg // tagMessage, tagMapEntry
}

type tagKind uint8

const (
	tagOther    tagKind = iota // anything else: look at the field
	tagVarint                  // skip a varint
	tagFixed32                 // skip 4 bytes
	tagFixed64                 // skip 8 bytes
	tagBytes                   // skip a length-delimited value
	tagString                  // a length-delimited value that must be UTF-8
	tagMessage                 // a length-delimited message: scan it
	tagMapEntry                // a map entry: scan it as a message, depth checked first
)

// tagActions fills m.tags from m's fields.
func (m *scanMsg) tagActions() {
	for t := 1 << 3; t < 0x80; t++ {
		if f := m.field(protowire.Number(t >> 3)); f != nil && protowire.Type(t&7) == f.wire {
			m.tags[t] = f.act
		}
	}
}

// actionOf is what a value of f's own wire type takes: tagOther for
// groups and for what verifyValue and verifyPacked handle.
func actionOf(f *scanField) tagAction {
	switch {
	case f.shape == shapeMessage:
		return tagAction{kind: tagMessage, msg: f.msg}
	case f.shape == shapeMap:
		return tagAction{kind: tagMapEntry, msg: f.msg}
	case f.shape == shapeString && f.utf8:
		return tagAction{kind: tagString}
	case f.shape == shapeString || (f.shape == shapeScalar && f.wire == protowire.BytesType):
		return tagAction{kind: tagBytes}
	case f.shape == shapeScalar && f.wire == protowire.VarintType:
		return tagAction{kind: tagVarint}
	case f.shape == shapeScalar && f.wire == protowire.Fixed32Type:
		return tagAction{kind: tagFixed32}
	case f.shape == shapeScalar && f.wire == protowire.Fixed64Type:
		return tagAction{kind: tagFixed64}
	}
	return tagAction{}
}

// scanField is one field: its wire type and how to check its values.
type scanField struct {
	num      protowire.Number
	wire     protowire.Type // of one value
	shape    fieldShape
	utf8     bool      // a string that must be valid UTF-8
	packable bool      // a repeated scalar, which may also come as a packed run
	msg      *scanMsg  // message and group values; a map's entries
	act      tagAction // for a value of wire type wire
}

type fieldShape uint8

const (
	shapeScalar fieldShape = iota // varint, fixed32, fixed64, bytes
	shapeString
	shapeMessage
	shapeGroup
	shapeMap
)

// maxDense bounds the slice of a scanMsg; higher numbers go in the map.
const maxDense = 256

func (m *scanMsg) field(n protowire.Number) *scanField {
	if int(n) < len(m.dense) {
		return m.dense[n]
	}
	return m.sparse[n]
}

// scanner builds scanMsgs, once per message type (types may recurse).
type scanner map[protoreflect.FullName]*scanMsg

func (sc scanner) message(md protoreflect.MessageDescriptor) *scanMsg {
	if m := sc[md.FullName()]; m != nil {
		return m
	}
	m := &scanMsg{}
	sc[md.FullName()] = m
	fields := md.Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		f := sc.field(fd)
		if n := int(f.num); n < maxDense {
			if n >= len(m.dense) {
				m.dense = append(m.dense, make([]*scanField, n+1-len(m.dense))...)
			}
			m.dense[n] = f
		} else {
			if m.sparse == nil {
				m.sparse = map[protowire.Number]*scanField{}
			}
			m.sparse[f.num] = f
		}
	}
	m.tagActions()
	return m
}

func (sc scanner) field(fd protoreflect.FieldDescriptor) *scanField {
	f := &scanField{num: fd.Number(), wire: wireTypeOf(fd.Kind())}
	switch {
	case fd.IsMap():
		// An entry scans as a message of its key and value fields.
		f.shape, f.msg = shapeMap, &scanMsg{dense: []*scanField{nil, sc.field(fd.MapKey()), sc.field(fd.MapValue())}}
		f.msg.tagActions()
		f.act = actionOf(f)
		return f
	case fd.Kind() == protoreflect.StringKind:
		f.shape, f.utf8 = shapeString, enforceUTF8(fd)
	case fd.Kind() == protoreflect.MessageKind:
		f.shape, f.msg = shapeMessage, sc.message(fd.Message())
	case fd.Kind() == protoreflect.GroupKind:
		f.shape, f.msg = shapeGroup, sc.message(fd.Message())
	}
	if fd.IsList() && f.wire != protowire.BytesType && f.wire != protowire.StartGroupType {
		f.packable = true
	}
	f.act = actionOf(f)
	return f
}

// verifyMessage scans one message. depth is what is left of the recursion
// budget; each message (and each map entry) spends one, as in
// proto.Unmarshal.
func verifyMessage(b []byte, m *scanMsg, depth int) error {
	if depth--; depth < 0 {
		return errDepth
	}
	for len(b) > 0 {
		if t := b[0]; t < 0x80 && m.tags[t].kind != tagOther {
			a := &m.tags[t]
			// The two commonest cases without a call: a one-byte varint,
			// and a short string or bytes.
			if len(b) > 1 && b[1] < 0x80 {
				if a.kind == tagVarint {
					b = b[2:]
					continue
				}
				if l := int(b[1]); (a.kind == tagBytes || a.kind == tagString) && l <= len(b)-2 {
					if a.kind == tagString && !validUTF8(b[2:2+l]) {
						return errUTF8
					}
					b = b[2+l:]
					continue
				}
			}
			n, err := verifyTagged(b[1:], a, depth)
			if err != nil {
				return err
			}
			b = b[1+n:]
			continue
		}
		var num protowire.Number
		var wtyp protowire.Type
		n := 1
		if t := b[0]; t < 0x80 && t >= 1<<3 { // a one-byte tag, decoded here (consumeTag)
			num, wtyp = protowire.Number(t>>3), protowire.Type(t&7)
		} else if num, wtyp, n = consumeTag(b); n < 0 || num > protowire.MaxValidNumber {
			return errWire
		}
		b = b[n:]
		f := m.field(num)
		if f != nil && wtyp == f.wire && f.act.kind != tagOther {
			var err error
			if n, err = verifyTagged(b, &f.act, depth); err != nil {
				return err
			}
			b = b[n:]
			continue
		}
		err := errWrongWire
		if f != nil {
			switch {
			case f.shape == shapeMap:
				n, err = verifyMapEntry(b, wtyp, f, depth)
			case f.packable && wtyp == protowire.BytesType:
				n, err = verifyPacked(b, f)
			default:
				n, err = verifyValue(b, wtyp, f, depth)
			}
		}
		if err == errWrongWire {
			if n = protowire.ConsumeFieldValue(num, wtyp, b); n < 0 {
				return errWire
			}
		} else if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// verifyTagged scans the value b starts with as a says (not tagOther), as
// verifyValue or verifyMapEntry would, and returns its length.
func verifyTagged(b []byte, a *tagAction, depth int) (int, error) {
	switch a.kind {
	case tagVarint:
		if len(b) > 0 && b[0] < 0x80 {
			return 1, nil
		}
		if _, n := protowire.ConsumeVarint(b); n >= 0 {
			return n, nil
		}
		return 0, errWire
	case tagFixed32:
		if len(b) < 4 {
			return 0, errWire
		}
		return 4, nil
	case tagFixed64:
		if len(b) < 8 {
			return 0, errWire
		}
		return 8, nil
	}
	if a.kind == tagMapEntry && depth-1 < 0 { // as verifyMapEntry
		return 0, errDepth
	}
	var l uint64
	n := 1
	if len(b) > 0 && b[0] < 0x80 {
		l = uint64(b[0])
	} else if l, n = protowire.ConsumeVarint(b); n < 0 {
		return 0, errWire
	}
	if l > uint64(len(b)-n) {
		return 0, errWire
	}
	v := b[n : n+int(l)]
	switch a.kind {
	case tagString:
		if !validUTF8(v) {
			return 0, errUTF8
		}
	case tagMessage, tagMapEntry:
		if err := verifyMessage(v, a.msg, depth); err != nil {
			return 0, err
		}
	}
	return n + int(l), nil
}

// verifyValue scans one value of a field; a wire type other than the
// field's is errWrongWire.
func verifyValue(b []byte, wtyp protowire.Type, f *scanField, depth int) (int, error) {
	if wtyp != f.wire {
		return 0, errWrongWire
	}
	switch f.shape {
	case shapeString:
		v, n := consumeBytes(b)
		if n < 0 {
			return 0, errWire
		}
		if f.utf8 && !validUTF8(v) {
			return 0, errUTF8
		}
		return n, nil
	case shapeMessage:
		v, n := consumeBytes(b)
		if n < 0 {
			return 0, errWire
		}
		return n, verifyMessage(v, f.msg, depth)
	case shapeGroup:
		v, n := protowire.ConsumeGroup(f.num, b)
		if n < 0 {
			return 0, errWire
		}
		return n, verifyMessage(v, f.msg, depth)
	}
	if n := protowire.ConsumeFieldValue(f.num, wtyp, b); n >= 0 {
		return n, nil
	}
	return 0, errWire
}

// verifyPacked scans a packed run of a repeated scalar field.
func verifyPacked(b []byte, f *scanField) (int, error) {
	run, n := protowire.ConsumeBytes(b)
	if n < 0 {
		return 0, errWire
	}
	for len(run) > 0 {
		m := protowire.ConsumeFieldValue(f.num, f.wire, run)
		if m < 0 {
			return 0, errWire
		}
		run = run[m:]
	}
	return n, nil
}

// verifyMapEntry scans one map entry: a message of key (1) and value (2)
// (f.msg), spending one level of depth, and another for a message value.
func verifyMapEntry(b []byte, wtyp protowire.Type, f *scanField, depth int) (int, error) {
	if depth-1 < 0 {
		return 0, errDepth
	}
	if wtyp != protowire.BytesType {
		return 0, errWrongWire
	}
	entry, n := consumeBytes(b)
	if n < 0 {
		return 0, errWire
	}
	return n, verifyMessage(entry, f.msg, depth)
}

func wireTypeOf(k protoreflect.Kind) protowire.Type {
	switch k {
	case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind, protoreflect.FloatKind:
		return protowire.Fixed32Type
	case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind, protoreflect.DoubleKind:
		return protowire.Fixed64Type
	case protoreflect.StringKind, protoreflect.BytesKind, protoreflect.MessageKind:
		return protowire.BytesType
	case protoreflect.GroupKind:
		return protowire.StartGroupType
	}
	return protowire.VarintType
}

// enforceUTF8 is the Go runtime's rule: proto3 strings, and strings whose
// editions features ask for it.
func enforceUTF8(fd protoreflect.FieldDescriptor) bool {
	if fd.Syntax() == protoreflect.Editions {
		if e, ok := fd.(interface{ EnforceUTF8() bool }); ok {
			return e.EnforceUTF8()
		}
	}
	return fd.Syntax() == protoreflect.Proto3
}

// plan says how a codec checks a payload, from the message types it can
// reach.
type plan struct {
	// rules: some reachable type carries protovalidate options, so Check
	// must decode and validate.
	rules bool
	// decodeToVerify: the parse depends on more than the bytes (required
	// fields, extensions, message sets): Verify decodes.
	decodeToVerify bool
}

func planFor(md protoreflect.MessageDescriptor) plan {
	var p plan
	seen := map[protoreflect.FullName]bool{}
	var walk func(protoreflect.MessageDescriptor)
	walk = func(md protoreflect.MessageDescriptor) {
		if seen[md.FullName()] {
			return
		}
		seen[md.FullName()] = true
		p.rules = p.rules || hasRule(md.Options(), validate.E_Message)
		p.decodeToVerify = p.decodeToVerify || md.ExtensionRanges().Len() > 0 || isMessageSet(md)
		for i := 0; i < md.Oneofs().Len(); i++ {
			p.rules = p.rules || hasRule(md.Oneofs().Get(i).Options(), validate.E_Oneof)
		}
		for i := 0; i < md.Fields().Len(); i++ {
			fd := md.Fields().Get(i)
			p.rules = p.rules || hasRule(fd.Options(), validate.E_Field)
			p.decodeToVerify = p.decodeToVerify || fd.Cardinality() == protoreflect.Required
			if fd.Message() != nil {
				walk(fd.Message())
			}
		}
	}
	walk(md)
	return p
}

// hasRule reports whether options carry a protovalidate extension, parsed
// or (if the options were built without protovalidate linked) still raw.
func hasRule(opts proto.Message, ext protoreflect.ExtensionType) bool {
	if opts == nil {
		return false
	}
	if proto.HasExtension(opts, ext) {
		return true
	}
	raw := opts.ProtoReflect().GetUnknown()
	num := ext.TypeDescriptor().Number()
	for len(raw) > 0 {
		n, t, m := protowire.ConsumeTag(raw)
		if m < 0 {
			return false
		}
		if n == num {
			return true
		}
		raw = raw[m:]
		if m = protowire.ConsumeFieldValue(n, t, raw); m < 0 {
			return false
		}
		raw = raw[m:]
	}
	return false
}

func isMessageSet(md protoreflect.MessageDescriptor) bool {
	if ms, ok := md.(interface{ IsMessageSet() bool }); ok && ms.IsMessageSet() {
		return true
	}
	opts, ok := md.Options().(*descriptorpb.MessageOptions)
	return ok && opts.GetMessageSetWireFormat()
}
