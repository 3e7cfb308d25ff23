package protobuf

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// What a field number holds, as far as compatibility goes. Enums count as
// scalars (their values are varints).
type fieldKind int

const (
	kindScalar fieldKind = iota
	kindMessage
	kindGroup
	kindMap
)

func kindOf(f protoreflect.FieldDescriptor) fieldKind {
	switch {
	case f.IsMap():
		return kindMap
	case f.Kind() == protoreflect.MessageKind:
		return kindMessage
	case f.Kind() == protoreflect.GroupKind:
		return kindGroup
	}
	return kindScalar
}

// Scalar encodings that read each other's values (the Protobuf language
// guide's "Updating A Message Type"; Confluent's ScalarKind groups).
type scalarClassID int

const (
	classVarint scalarClassID = iota // int32 int64 uint32 uint64 bool enum
	classZigZag                      // sint32 sint64
	classStringOrBytes
	classFixed32 // fixed32 sfixed32
	classFixed64 // fixed64 sfixed64
	classFloat
	classDouble
)

func scalarClass(f protoreflect.FieldDescriptor) scalarClassID {
	switch f.Kind() {
	case protoreflect.Sint32Kind, protoreflect.Sint64Kind:
		return classZigZag
	case protoreflect.StringKind, protoreflect.BytesKind:
		return classStringOrBytes
	case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind:
		return classFixed32
	case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind:
		return classFixed64
	case protoreflect.FloatKind:
		return classFloat
	case protoreflect.DoubleKind:
		return classDouble
	}
	return classVarint
}

// fieldsOf maps a message's field numbers to its fields.
func fieldsOf(md protoreflect.MessageDescriptor) map[protoreflect.FieldNumber]protoreflect.FieldDescriptor {
	fs := md.Fields()
	out := make(map[protoreflect.FieldNumber]protoreflect.FieldDescriptor, fs.Len())
	for i := 0; i < fs.Len(); i++ {
		out[fs.Get(i).Number()] = fs.Get(i)
	}
	return out
}

// numbers lists the field numbers of either map, in order.
func numbers(a, b map[protoreflect.FieldNumber]protoreflect.FieldDescriptor) []protoreflect.FieldNumber {
	all := slices.Collect(maps.Keys(a))
	for n := range b {
		if a[n] == nil {
			all = append(all, n)
		}
	}
	slices.Sort(all)
	return all
}

// realOneof is the oneof f belongs to, nil for none or for the synthetic
// oneof of a proto3 optional field (which changes nothing on the wire).
func realOneof(f protoreflect.FieldDescriptor) protoreflect.OneofDescriptor {
	if o := f.ContainingOneof(); o != nil && !o.IsSynthetic() {
		return o
	}
	return nil
}

// localName is d's full name without its file's package, as Confluent
// names types ("Outer.Inner").
func localName(d protoreflect.Descriptor) string {
	full, pkg := string(d.FullName()), string(d.ParentFile().Package())
	if pkg != "" && strings.HasPrefix(full, pkg+".") {
		return full[len(pkg)+1:]
	}
	return full
}

// messagePath is a message's Confluent path prefix: "#/Outer/Inner/".
func messagePath(md protoreflect.MessageDescriptor) string {
	return "#/" + strings.ReplaceAll(localName(md), ".", "/") + "/"
}

// fieldName names a field for messages: "Cart.line_items (2)", or for the
// key or value of a map field "Order.attributes (5) map value".
func fieldName(f protoreflect.FieldDescriptor) string {
	if entry, ok := f.Parent().(protoreflect.MessageDescriptor); ok && entry.IsMapEntry() {
		if owner := mapOwner(entry); owner != nil {
			return fmt.Sprintf("%s map %s", fieldName(owner), f.Name())
		}
	}
	return fmt.Sprintf("%s.%s (%d)", localName(f.ContainingMessage()), f.Name(), f.Number())
}

// mapOwner is the map field whose entry message entry is.
func mapOwner(entry protoreflect.MessageDescriptor) protoreflect.FieldDescriptor {
	parent, ok := entry.Parent().(protoreflect.MessageDescriptor)
	if !ok {
		return nil
	}
	for i := 0; i < parent.Fields().Len(); i++ {
		if f := parent.Fields().Get(i); f.Message() == entry {
			return f
		}
	}
	return nil
}

// typeName describes a field's type: "uint64", "repeated string",
// "message LineItem", "enum Status", "map<string, int32>".
func typeName(f protoreflect.FieldDescriptor) string {
	var t string
	switch {
	case f.IsMap():
		return fmt.Sprintf("map<%s, %s>", typeName(f.MapKey()), typeName(f.MapValue()))
	case f.Kind() == protoreflect.MessageKind:
		t = "message " + localName(f.Message())
	case f.Kind() == protoreflect.GroupKind:
		t = "group " + localName(f.Message())
	case f.Kind() == protoreflect.EnumKind:
		t = "enum " + localName(f.Enum())
	default:
		t = f.Kind().String()
	}
	if f.IsList() {
		return "repeated " + t
	}
	return t
}

// labeled is typeName with "singular" spelled out.
func labeled(f protoreflect.FieldDescriptor) string {
	if f.IsList() {
		return typeName(f)
	}
	return "singular " + typeName(f)
}

// namesOf lists the names an enum gives to number n (more than one with
// allow_alias).
func namesOf(e protoreflect.EnumDescriptor, n protoreflect.EnumNumber) []string {
	var out []string
	for i := 0; i < e.Values().Len(); i++ {
		if v := e.Values().Get(i); v.Number() == n {
			out = append(out, string(v.Name()))
		}
	}
	return out
}
