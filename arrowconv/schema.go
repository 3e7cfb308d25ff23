package arrowconv

import (
	"fmt"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Column and metadata names this package writes.
const (
	// UnknownColumn is the binary column on every message struct (and at
	// the top level) holding that message's unknown fields, wire-encoded
	// and in arrival order; null when there are none. Bufstream's name
	// for it, so queries written against Bufstream tables keep working.
	UnknownColumn = "__unrecognized__"

	// MetaNumber is the field metadata key holding the Protobuf field
	// number (map keys are 1 and values 2, as in the map entry message).
	// List elements have none: the number is on the list field.
	MetaNumber = "protobuf:number"
	// MetaName holds the field's full name, e.g. "shop.v1.Order.items".
	MetaName = "protobuf:name"
	// MetaType holds the Protobuf type of the field's values: a scalar
	// type ("uint32", "string") or the full name of a message or enum
	// type ("google.protobuf.Timestamp"). It is on list elements too.
	MetaType = "protobuf:type"
	// FieldIDKey is where Options.FieldID's answer goes; iceberg-go
	// (table.ArrowParquetFieldIDKey) and pqarrow read field IDs from it.
	FieldIDKey = "PARQUET:field_id"
	// MetaMessage is the schema metadata key holding the full name of
	// the converted message.
	MetaMessage = "protobuf:message"
)

// Schema returns the Arrow schema the Converter for md produces: one
// field per Protobuf field in declaration order, then UnknownColumn
// unless opts.DiscardUnknown. Every field is nullable (a row that could
// not be decoded is all nulls); list elements and map values are not.
func Schema(md protoreflect.MessageDescriptor, opts Options) (*arrow.Schema, error) {
	_, sc, err := compile(md, opts.withDefaults())
	return sc, err
}

func compile(md protoreflect.MessageDescriptor, o Options) (*msgPlan, *arrow.Schema, error) {
	p := &planner{o: &o, seen: map[protoreflect.FullName]int{}}
	p.seen[md.FullName()]++
	root, fields, err := p.message(md, true)
	if err != nil {
		return nil, nil, err
	}
	meta := arrow.NewMetadata([]string{MetaMessage}, []string{string(md.FullName())})
	return root, arrow.NewSchema(fields, &meta), nil
}

type planner struct {
	o    *Options
	seen map[protoreflect.FullName]int // message types on the current path
	path []string                      // Arrow names from the root
}

// message plans md. columns is false for the well-known messages whose
// fields are read to build one scalar (Timestamp, Duration, wrappers).
func (p *planner) message(md protoreflect.MessageDescriptor, columns bool) (*msgPlan, []arrow.Field, error) {
	if md.Options() != nil && isMessageSet(md) {
		return nil, nil, fmt.Errorf("%w: %s uses the message-set wire format", ErrUnsupported, md.FullName())
	}
	m := &msgPlan{md: md, nOneofs: md.Oneofs().Len()}
	var fields []arrow.Field
	fds := md.Fields()
	for i := 0; i < fds.Len(); i++ {
		fd := fds.Get(i)
		if string(fd.Name()) == UnknownColumn {
			return nil, nil, fmt.Errorf("%w: field %s clashes with the %s column", ErrUnsupported, fd.FullName(), UnknownColumn)
		}
		fp, af, err := p.field(fd)
		if err != nil {
			return nil, nil, err
		}
		if fd.Cardinality() == protoreflect.Required {
			m.required = append(m.required, int32(len(m.fields)))
		}
		if od := fd.ContainingOneof(); od != nil && !od.IsSynthetic() {
			fp.oneof = od.Index()
		}
		fp.plain = fp.card == cardSingle && fp.oneof < 0 && (fp.kind <= kBytes || fp.kind == kEnum)
		m.fields = append(m.fields, fp)
		fields = append(fields, af)
		m.final = m.final || fp.needsFinish()
	}
	m.final = m.final || len(m.required) > 0
	if columns && (!p.o.DiscardUnknown || len(fields) == 0) {
		m.unknown = true
		fields = append(fields, arrow.Field{
			Name: UnknownColumn, Type: arrow.BinaryTypes.Binary, Nullable: true,
			Metadata: p.meta(UnknownColumn, nil, ""),
		})
	}
	m.index()
	return m, fields, nil
}

func isMessageSet(md protoreflect.MessageDescriptor) bool {
	// protoreflect has no accessor; the option is field 1 of MessageOptions.
	type messageSet interface{ GetMessageSetWireFormat() bool }
	if o, ok := md.Options().(messageSet); ok {
		return o.GetMessageSetWireFormat()
	}
	return false
}

// index builds the number → field lookup.
func (m *msgPlan) index() {
	var max protowire.Number
	for _, fp := range m.fields {
		max = maxNum(max, fp.num)
	}
	if max < 1024 {
		m.dense = make([]int32, max+1)
		for i, fp := range m.fields {
			m.dense[fp.num] = int32(i + 1)
		}
		return
	}
	m.sparse = make(map[protowire.Number]int32, len(m.fields))
	for i, fp := range m.fields {
		m.sparse[fp.num] = int32(i)
	}
}

func maxNum(a, b protowire.Number) protowire.Number {
	if a > b {
		return a
	}
	return b
}

// field plans one field and returns its Arrow field.
func (p *planner) field(fd protoreflect.FieldDescriptor) (*fieldPlan, arrow.Field, error) {
	name := string(fd.Name())
	p.path = append(p.path, name)
	defer func() { p.path = p.path[:len(p.path)-1] }()
	fp := &fieldPlan{fd: fd, num: fd.Number(), oneof: -1}
	switch {
	case fd.IsMap():
		return p.mapField(fp)
	case fd.IsList():
		fp.card = cardList
		p.path = append(p.path, "element")
		typ, err := p.element(fp, fd)
		var elem arrow.Field
		if err == nil {
			elem = arrow.Field{Name: "element", Type: typ, Metadata: p.meta("", nil, typeName(fd))}
		}
		p.path = p.path[:len(p.path)-1]
		if err != nil {
			return nil, arrow.Field{}, err
		}
		fp.packable = fp.wire != protowire.BytesType && fp.wire != protowire.StartGroupType
		return fp, arrow.Field{Name: name, Type: arrow.ListOfField(elem), Nullable: true, Metadata: p.meta(name, fd, typeName(fd))}, nil
	default:
		typ, err := p.element(fp, fd)
		if err != nil {
			return nil, arrow.Field{}, err
		}
		fp.presence = fd.HasPresence()
		return fp, arrow.Field{Name: name, Type: typ, Nullable: true, Metadata: p.meta(name, fd, typeName(fd))}, nil
	}
}

func (p *planner) mapField(fp *fieldPlan) (*fieldPlan, arrow.Field, error) {
	fd := fp.fd
	fp.card = cardMap
	fp.wire = protowire.BytesType
	entry := &msgPlan{md: fd.Message()}
	var kv [2]arrow.Field
	for i, efd := range []protoreflect.FieldDescriptor{fd.MapKey(), fd.MapValue()} {
		name := string(efd.Name()) // "key", "value"
		p.path = append(p.path, name)
		efp := &fieldPlan{fd: efd, num: efd.Number(), oneof: -1}
		typ, err := p.element(efp, efd)
		if err == nil {
			kv[i] = arrow.Field{Name: name, Type: typ, Metadata: p.meta(name, efd, typeName(efd))}
		}
		p.path = p.path[:len(p.path)-1]
		if err != nil {
			return nil, arrow.Field{}, err
		}
		entry.fields = append(entry.fields, efp)
		entry.final = entry.final || efp.needsFinish()
	}
	entry.index()
	fp.child = entry
	fp.key, fp.value = entry.fields[0], entry.fields[1]
	name := string(fd.Name())
	return fp, arrow.Field{Name: name, Type: arrow.MapOfFields(kv[0], kv[1]), Nullable: true, Metadata: p.meta(name, fd, typeName(fd.MapValue()))}, nil
}

// element fills in how one value of fd is read and returns its Arrow type.
func (p *planner) element(fp *fieldPlan, fd protoreflect.FieldDescriptor) (arrow.DataType, error) {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
	default:
		fp.kind, fp.wire = scalarKind(fd.Kind())
		if fp.kind == kEnum {
			fp.enum = newEnumNames(fd.Enum())
		}
		return fp.kind.scalarType(p.o), nil
	}
	fp.wire = protowire.BytesType
	if fd.Kind() == protoreflect.GroupKind { // proto2 groups, editions' delimited encoding
		fp.wire = protowire.StartGroupType
	}
	md := fd.Message()
	switch wkt := wellKnown(md); wkt {
	case kTimestamp, kDuration, kWrapper:
		fp.kind = wkt
		child, _, err := p.message(md, false)
		if err != nil {
			return nil, err
		}
		fp.child = child
		if wkt == kWrapper {
			fp.inner, _ = scalarKind(md.Fields().Get(0).Kind())
			return fp.inner.scalarType(p.o), nil
		}
		return wkt.scalarType(p.o), nil
	case kJSON:
		fp.kind, fp.jsonMD = kJSON, md
		return arrow.BinaryTypes.String, nil
	}
	if p.seen[md.FullName()] >= p.o.MaxRecursion {
		fp.kind, fp.jsonMD = kJSON, md
		return arrow.BinaryTypes.String, nil
	}
	p.seen[md.FullName()]++
	child, fields, err := p.message(md, true)
	p.seen[md.FullName()]--
	if err != nil {
		return nil, err
	}
	fp.kind, fp.child = kMessage, child
	return arrow.StructOf(fields...), nil
}

// wellKnown says how a message type is mapped when it is one of the
// well-known types mapped specially, kMessage otherwise. A message that
// only borrows a well-known name but not its shape is a plain message.
func wellKnown(md protoreflect.MessageDescriptor) kind {
	f := md.Fields()
	field := func(i int, name string, k protoreflect.Kind) bool {
		return f.Len() > i && f.Get(i).Number() == protowire.Number(i+1) &&
			string(f.Get(i).Name()) == name && f.Get(i).Kind() == k && !f.Get(i).IsList()
	}
	switch md.FullName() {
	case "google.protobuf.Timestamp", "google.protobuf.Duration":
		if f.Len() == 2 && field(0, "seconds", protoreflect.Int64Kind) && field(1, "nanos", protoreflect.Int32Kind) {
			if md.FullName() == "google.protobuf.Timestamp" {
				return kTimestamp
			}
			return kDuration
		}
	case "google.protobuf.DoubleValue", "google.protobuf.FloatValue",
		"google.protobuf.Int64Value", "google.protobuf.UInt64Value",
		"google.protobuf.Int32Value", "google.protobuf.UInt32Value",
		"google.protobuf.BoolValue", "google.protobuf.StringValue", "google.protobuf.BytesValue":
		if f.Len() == 1 && f.Get(0).Number() == 1 && !f.Get(0).IsList() &&
			f.Get(0).Kind() != protoreflect.MessageKind && f.Get(0).Kind() != protoreflect.GroupKind &&
			f.Get(0).Kind() != protoreflect.EnumKind {
			return kWrapper
		}
	case "google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue", "google.protobuf.Any":
		return kJSON
	}
	return kMessage
}

func (fp *fieldPlan) needsFinish() bool {
	switch fp.kind {
	case kTimestamp, kDuration, kJSON:
		return true
	case kMessage:
		return fp.child.final
	}
	return fp.card == cardMap && fp.child.final
}

// typeName is the MetaType value for fd's values.
func typeName(fd protoreflect.FieldDescriptor) string {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return string(fd.Message().FullName())
	case protoreflect.EnumKind:
		return string(fd.Enum().FullName())
	}
	return fd.Kind().String()
}

// meta builds a field's metadata; fd is nil for list elements and the
// unknown-fields column, typ empty for the latter.
func (p *planner) meta(name string, fd protoreflect.FieldDescriptor, typ string) arrow.Metadata {
	var keys, vals []string
	if fd != nil {
		keys = append(keys, MetaNumber, MetaName)
		vals = append(vals, strconv.Itoa(int(fd.Number())), string(fd.FullName()))
	}
	if typ != "" {
		keys = append(keys, MetaType)
		vals = append(vals, typ)
	}
	if p.o.FieldID != nil {
		if name == UnknownColumn {
			p.path = append(p.path, name)
			defer func() { p.path = p.path[:len(p.path)-1] }()
		}
		if id := p.o.FieldID(p.path); id > 0 {
			keys = append(keys, FieldIDKey)
			vals = append(vals, strconv.Itoa(id))
		}
	}
	return arrow.NewMetadata(keys, vals)
}
