package protobuf

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// differ walks two versions of a schema file, the writer's (the version data
// was written with) and the reader's, and collects the differences that
// break the reader. Confluent's diff compares (original=writer,
// update=reader) the same way; the Type names below are its names, from the
// reader's side.
type differ struct {
	// writerIsNew tells which side is the newer schema, only to word the
	// messages as changes from old to new.
	writerIsNew bool
	out         []Incompatibility
	// seen guards against comparing a pair of messages twice (a message is
	// reached through the type tree and through every field of its type)
	// and against recursion.
	seen map[[2]protoreflect.FullName]bool
}

// diff returns the incompatible differences between writer and reader.
func diff(writer, reader protoreflect.FileDescriptor, writerIsNew bool) []Incompatibility {
	d := &differ{writerIsNew: writerIsNew, seen: map[[2]protoreflect.FullName]bool{}}
	if writer.Package() != reader.Package() {
		from, to := d.oldNew(string(writer.Package()), string(reader.Package()))
		d.add("PACKAGE_CHANGED", "#/", "package changed from %q to %q", from, to)
	}
	d.types("#/", writer.Messages(), reader.Messages(), writer.Enums(), reader.Enums())
	return d.out
}

func (d *differ) add(typ, path, format string, args ...any) {
	d.out = append(d.out, Incompatibility{Type: typ, Path: path, Message: fmt.Sprintf(format, args...)})
}

// oldNew orders a (writer, reader) pair of descriptions as (old, new).
func (d *differ) oldNew(w, r string) (string, string) {
	if d.writerIsNew {
		return r, w
	}
	return w, r
}

// newer returns whichever of a (writer, reader) pair of fields belongs to
// the newer schema, whose names the messages use.
func (d *differ) newer(w, r protoreflect.FieldDescriptor) protoreflect.FieldDescriptor {
	if d.writerIsNew {
		return w
	}
	return r
}

// types compares the messages and enums declared in one scope, matched by
// name. A message the writer has and the reader lacks is MESSAGE_REMOVED:
// records of that type cannot be read. Enums may come and go: a field that
// used a removed enum has changed type, which the field comparison judges.
func (d *differ) types(path string, wm, rm protoreflect.MessageDescriptors, we, re protoreflect.EnumDescriptors) {
	for i := 0; i < wm.Len(); i++ {
		w := wm.Get(i)
		if w.IsMapEntry() {
			continue
		}
		r := rm.ByName(w.Name())
		if r == nil || r.IsMapEntry() {
			what := "removed"
			if d.writerIsNew {
				what = "added, and readers of the older schema do not know it"
			}
			d.add("MESSAGE_REMOVED", path+string(w.Name()), "message %s was %s", localName(w), what)
			continue
		}
		d.message(path+string(w.Name())+"/", w, r)
	}
	for i := 0; i < we.Len(); i++ {
		if r := re.ByName(we.Get(i).Name()); r != nil {
			d.enum(path+string(r.Name())+"/", we.Get(i), r)
		}
	}
}

// message compares two versions of a message: fields by number wherever
// they sit (top level or in a oneof), oneof membership, then nested types.
func (d *differ) message(path string, w, r protoreflect.MessageDescriptor) {
	key := [2]protoreflect.FullName{w.FullName(), r.FullName()}
	if d.seen[key] || w == r {
		return
	}
	d.seen[key] = true
	wf, rf := fieldsOf(w), fieldsOf(r)
	deleted := deletedOneofs(w, r)
	d.oneofMerges(path, w, r)
	for _, n := range numbers(wf, rf) {
		d.field(path, n, wf[n], rf[n], deleted)
	}
	d.types(path, w.Messages(), r.Messages(), w.Enums(), r.Enums())
}

// field judges one field number of a message in both versions.
func (d *differ) field(path string, n protoreflect.FieldNumber, w, r protoreflect.FieldDescriptor, deletedOneofs map[protoreflect.Name]bool) {
	num := strconv.Itoa(int(n))
	switch {
	case r == nil:
		if o := realOneof(w); o != nil {
			if !deletedOneofs[o.Name()] {
				d.add("ONEOF_FIELD_REMOVED", path+string(o.Name())+"/"+num,
					"field %s %s oneof %s: records that set it read as if no member were set", fieldName(w), d.verb("left", "joined"), o.Name())
			}
		} else if w.Cardinality() == protoreflect.Required {
			d.add("REQUIRED_FIELD_REMOVED", path+num, "required field %s was %s", fieldName(w), d.verb("removed", "added"))
		}
	case w == nil:
		if realOneof(r) == nil && r.Cardinality() == protoreflect.Required {
			d.add("REQUIRED_FIELD_ADDED", path+num, "required field %s was %s: records without it do not parse", fieldName(r), d.verb("added", "removed"))
		}
	default:
		if o := realOneof(r); o != nil {
			path += string(o.Name()) + "/"
		}
		d.fieldType(path+num, w, r)
	}
}

// verb picks the wording of a writer-to-reader change as seen from old to
// new: ifOld when the writer is the old schema, ifNew otherwise.
func (d *differ) verb(ifOld, ifNew string) string {
	if d.writerIsNew {
		return ifNew
	}
	return ifOld
}

// fieldType compares what a field number holds: its kind (scalar, message,
// map), scalar encoding, message type and label.
func (d *differ) fieldType(path string, w, r protoreflect.FieldDescriptor) {
	if d.required(path, w, r) {
		return
	}
	wk, rk := kindOf(w), kindOf(r)
	if wk != rk {
		from, to := d.oldNew(typeName(w), typeName(r))
		d.add("FIELD_KIND_CHANGED", path, "field %s changed from %s to %s", fieldName(d.newer(w, r)), from, to)
		return
	}
	switch wk {
	case kindScalar:
		d.scalar(path, w, r)
	case kindMessage, kindGroup:
		d.messageType(path, w, r)
	case kindMap:
		d.mapEntry(path, w, r)
	}
}

// required reports (and judges) a change between proto2 required and not:
// a reader that requires a field fails on records without it.
func (d *differ) required(path string, w, r protoreflect.FieldDescriptor) bool {
	wr, rr := w.Cardinality() == protoreflect.Required, r.Cardinality() == protoreflect.Required
	switch {
	case rr && !wr:
		d.add("REQUIRED_FIELD_ADDED", path, "field %s %s required: records without it do not parse", fieldName(d.newer(w, r)), d.verb("became", "stopped being"))
	case wr && r.Cardinality() == protoreflect.Repeated:
		// required → repeated: the label change is judged below.
		return false
	case wr && !rr:
		d.add("REQUIRED_FIELD_REMOVED", path, "field %s %s required", fieldName(d.newer(w, r)), d.verb("stopped being", "became"))
	default:
		return false
	}
	return true
}

// scalar compares two scalar (or enum) fields: their encodings must be the
// same class, and a number cannot switch between singular and repeated
// (packed repeated numbers are one length-delimited record a singular
// reader drops).
func (d *differ) scalar(path string, w, r protoreflect.FieldDescriptor) {
	if scalarClass(w) != scalarClass(r) {
		from, to := d.oldNew(typeName(w), typeName(r))
		d.add("FIELD_SCALAR_KIND_CHANGED", path, "field %s changed from %s to %s, which are encoded differently", fieldName(d.newer(w, r)), from, to)
		return
	}
	if w.IsList() != r.IsList() && scalarClass(w) != classStringOrBytes {
		from, to := d.oldNew(labeled(w), labeled(r))
		d.add("FIELD_NUMERIC_LABEL_CHANGED", path, "field %s changed from %s to %s: a packed repeated field does not parse as a single value", fieldName(d.newer(w, r)), from, to)
	}
}

// messageType compares the message types of two message fields: same name
// (relative to its package), then the same structure.
func (d *differ) messageType(path string, w, r protoreflect.FieldDescriptor) {
	wm, rm := w.Message(), r.Message()
	if localName(wm) != localName(rm) {
		from, to := d.oldNew(typeName(w), typeName(r))
		d.add("FIELD_NAMED_TYPE_CHANGED", path, "field %s changed from %s to %s", fieldName(d.newer(w, r)), from, to)
		return
	}
	d.message(messagePath(rm), wm, rm)
}

// mapEntry compares two map fields by key and value.
func (d *differ) mapEntry(path string, w, r protoreflect.FieldDescriptor) {
	d.fieldType(path, w.MapKey(), r.MapKey())
	d.fieldType(path, w.MapValue(), r.MapValue())
}

// enum compares two versions of an enum. Values may come and go; a number
// that changes name changes meaning (and the string Iceberg stores), so
// ENUM_CONST_CHANGED is incompatible here, unlike in Confluent.
func (d *differ) enum(path string, w, r protoreflect.EnumDescriptor) {
	for i := 0; i < w.Values().Len(); i++ {
		wv := w.Values().Get(i)
		if w.Values().ByNumber(wv.Number()) != wv {
			continue // an alias: judged through the first value of its number
		}
		rn := namesOf(r, wv.Number())
		if len(rn) == 0 {
			continue
		}
		wn := namesOf(w, wv.Number())
		if !slices.ContainsFunc(wn, func(n string) bool { return slices.Contains(rn, n) }) {
			from, to := d.oldNew(strings.Join(wn, "|"), strings.Join(rn, "|"))
			d.add("ENUM_CONST_CHANGED", path+strconv.Itoa(int(wv.Number())),
				"enum %s value %d changed from %s to %s", localName(r), wv.Number(), from, to)
		}
	}
}

// oneofMerges finds reader oneofs whose members were independent in the
// writer: members that came from more than one writer oneof or top-level
// field. Records setting several of them keep only one.
func (d *differ) oneofMerges(path string, w, r protoreflect.MessageDescriptor) {
	for i := 0; i < r.Oneofs().Len(); i++ {
		o := r.Oneofs().Get(i)
		if o.IsSynthetic() {
			continue
		}
		groups := map[string]bool{}
		var moved []string
		for j := 0; j < o.Fields().Len(); j++ {
			wf := w.Fields().ByNumber(o.Fields().Get(j).Number())
			switch {
			case wf == nil:
			case realOneof(wf) != nil:
				groups["oneof "+string(realOneof(wf).Name())] = true
			default:
				groups["field "+string(wf.Name())] = true
				moved = append(moved, fmt.Sprintf("%s (%d)", wf.Name(), wf.Number()))
			}
		}
		if len(groups) < 2 {
			continue
		}
		typ := "FIELD_MOVED_TO_EXISTING_ONEOF"
		if len(moved) > 1 {
			typ = "MULTIPLE_FIELDS_MOVED_TO_ONEOF"
		}
		d.add(typ, path+string(o.Name()), "oneof %s.%s holds fields that were independent (%s): records that set several keep only one",
			localName(r), o.Name(), strings.Join(slices.Sorted(maps.Keys(groups)), ", "))
	}
}

// deletedOneofs are the writer oneofs the reader dropped along with every
// member: deleting a whole oneof is like deleting fields, compatible.
func deletedOneofs(w, r protoreflect.MessageDescriptor) map[protoreflect.Name]bool {
	out := map[protoreflect.Name]bool{}
	for i := 0; i < w.Oneofs().Len(); i++ {
		o := w.Oneofs().Get(i)
		if o.IsSynthetic() || r.Oneofs().ByName(o.Name()) != nil {
			continue
		}
		gone := true
		for j := 0; j < o.Fields().Len(); j++ {
			gone = gone && r.Fields().ByNumber(o.Fields().Get(j).Number()) == nil
		}
		out[o.Name()] = gone
	}
	return out
}
