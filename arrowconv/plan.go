package arrowconv

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// A plan is compiled once per descriptor: a tree of msgPlan (one per
// message position in the Arrow schema, so one message type used in two
// places has two plans) whose fieldPlans know the wire type they accept,
// the value kind they produce and, once bound, the builder they append to.

// kind is what one element of a field becomes.
type kind uint8

const (
	kBool kind = iota
	kInt32
	kSint32
	kSfixed32
	kUint32 // uint32 and fixed32: long
	kFixed32
	kInt64
	kSint64
	kSfixed64
	kUint64 // uint64 and fixed64: decimal(20,0) or long
	kFixed64
	kFloat
	kDouble
	kString
	kBytes
	kEnum      // the value's name
	kMessage   // a struct
	kTimestamp // google.protobuf.Timestamp: timestamptz (µs)
	kDuration  // google.protobuf.Duration: long (µs)
	kWrapper   // google.protobuf.*Value: the wrapped scalar, nullable
	kJSON      // Struct, Value, ListValue, Any, a cut recursive message
)

type card uint8

const (
	cardSingle card = iota
	cardList
	cardMap
)

type msgPlan struct {
	md       protoreflect.MessageDescriptor
	fields   []*fieldPlan // column order = declaration order
	dense    []int32      // field number → index+1, numbers below len(dense)
	sparse   map[protowire.Number]int32
	required []int32
	nOneofs  int
	unknown  bool // keeps unknown fields in an __unrecognized__ column
	final    bool // the subtree needs a finishing pass (see finish)

	// bound builders (nil for plans that feed a WKT conversion)
	unkB *array.BinaryBuilder

	// frame pool, reset lazily per row (see Converter.frame)
	pool  []*frame
	used  int
	epoch uint64
}

func (m *msgPlan) lookup(num protowire.Number) (*fieldPlan, int) {
	if uint64(num) < uint64(len(m.dense)) {
		if i := m.dense[num]; i > 0 {
			return m.fields[i-1], int(i - 1)
		}
		return nil, -1
	}
	if i, ok := m.sparse[num]; ok {
		return m.fields[i], int(i)
	}
	return nil, -1
}

type fieldPlan struct {
	fd       protoreflect.FieldDescriptor
	num      protowire.Number
	card     card
	kind     kind
	wire     protowire.Type // wire type of one element
	packable bool           // a list that may also arrive packed
	plain    bool           // a singular scalar, string or bytes outside oneofs: parse inlines it
	presence bool           // null when absent (single fields only)
	oneof    int            // index among the message's real oneofs, or -1
	child    *msgPlan       // kMessage, kTimestamp, kDuration, kWrapper; the entry for maps
	inner    kind           // kWrapper: the wrapped value's kind
	enum     *enumNames
	jsonMD   protoreflect.MessageDescriptor // kJSON
	jsonMsg  *dynamicpb.Message             // kJSON scratch, reused

	// bound builders
	list  *array.ListBuilder
	mapb  *array.MapBuilder
	key   *fieldPlan // cardMap: the entry's key and value plans
	value *fieldPlan
	out   builders      // where one element goes
	null  array.Builder // the same builder, for AppendNull
}

// builders holds the one typed builder an element kind appends to.
type builders struct {
	bl  *array.BooleanBuilder
	i32 *array.Int32Builder
	i64 *array.Int64Builder
	f32 *array.Float32Builder
	f64 *array.Float64Builder
	str *array.StringBuilder
	bin *array.BinaryBuilder
	dec *array.Decimal128Builder
	ts  *array.TimestampBuilder
	st  *array.StructBuilder
}

type enumNames struct {
	dense  [][]byte // number → name, numbers in [0, len)
	sparse map[protoreflect.EnumNumber][]byte
}

func newEnumNames(ed protoreflect.EnumDescriptor) *enumNames {
	e := &enumNames{sparse: map[protoreflect.EnumNumber][]byte{}}
	vals := ed.Values()
	for i := 0; i < vals.Len(); i++ {
		v := vals.Get(i)
		n := v.Number()
		if n >= 0 && n < 256 {
			for int(n) >= len(e.dense) {
				e.dense = append(e.dense, nil)
			}
			if e.dense[n] == nil { // aliases: the first name wins, as in protojson
				e.dense[n] = []byte(v.Name())
			}
			continue
		}
		if _, ok := e.sparse[n]; !ok {
			e.sparse[n] = []byte(v.Name())
		}
	}
	return e
}

func (e *enumNames) name(n protoreflect.EnumNumber) []byte {
	if n >= 0 && int(n) < len(e.dense) {
		return e.dense[n]
	}
	return e.sparse[n]
}

// arrowType is the Arrow type of one element of kind k.
func (k kind) scalarType(o *Options) arrow.DataType {
	switch k {
	case kBool:
		return arrow.FixedWidthTypes.Boolean
	case kInt32, kSint32, kSfixed32:
		return arrow.PrimitiveTypes.Int32
	case kUint32, kFixed32, kInt64, kSint64, kSfixed64, kDuration:
		return arrow.PrimitiveTypes.Int64
	case kUint64, kFixed64:
		if o.Uint64AsInt64 {
			return arrow.PrimitiveTypes.Int64
		}
		return &arrow.Decimal128Type{Precision: 20, Scale: 0}
	case kFloat:
		return arrow.PrimitiveTypes.Float32
	case kDouble:
		return arrow.PrimitiveTypes.Float64
	case kString, kEnum, kJSON:
		return arrow.BinaryTypes.String
	case kBytes:
		return arrow.BinaryTypes.Binary
	case kTimestamp:
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	}
	panic("arrowconv: no scalar type for kind")
}

// scalarKind maps a Protobuf scalar kind to ours and its wire type.
func scalarKind(k protoreflect.Kind) (kind, protowire.Type) {
	switch k {
	case protoreflect.BoolKind:
		return kBool, protowire.VarintType
	case protoreflect.Int32Kind:
		return kInt32, protowire.VarintType
	case protoreflect.Sint32Kind:
		return kSint32, protowire.VarintType
	case protoreflect.Sfixed32Kind:
		return kSfixed32, protowire.Fixed32Type
	case protoreflect.Uint32Kind:
		return kUint32, protowire.VarintType
	case protoreflect.Fixed32Kind:
		return kFixed32, protowire.Fixed32Type
	case protoreflect.Int64Kind:
		return kInt64, protowire.VarintType
	case protoreflect.Sint64Kind:
		return kSint64, protowire.VarintType
	case protoreflect.Sfixed64Kind:
		return kSfixed64, protowire.Fixed64Type
	case protoreflect.Uint64Kind:
		return kUint64, protowire.VarintType
	case protoreflect.Fixed64Kind:
		return kFixed64, protowire.Fixed64Type
	case protoreflect.FloatKind:
		return kFloat, protowire.Fixed32Type
	case protoreflect.DoubleKind:
		return kDouble, protowire.Fixed64Type
	case protoreflect.StringKind:
		return kString, protowire.BytesType
	case protoreflect.BytesKind:
		return kBytes, protowire.BytesType
	case protoreflect.EnumKind:
		return kEnum, protowire.VarintType
	}
	panic("arrowconv: not a scalar kind: " + k.String())
}
