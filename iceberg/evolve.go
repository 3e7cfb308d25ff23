package iceberg

import (
	"context"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	iceberggo "github.com/apache/iceberg-go"
	icetable "github.com/apache/iceberg-go/table"
)

// Shape is one message type mapped onto the table: its Arrow struct type
// (arrowconv's schema) with every field renamed to the column it lands in.
// A nil *Shape is a part with no schema: raw bytes only.
type Shape struct {
	typ *arrow.StructType
}

// Type is the renamed struct type; the converter's columns keep their
// physical layout and take these names.
func (s *Shape) Type() *arrow.StructType {
	if s == nil {
		return nil
	}
	return s.typ
}

// Prepare maps a key and a value message schema (arrowconv.Schema; nil
// for a part without one) onto the table, adding the columns that are
// missing in one schema-update commit, and returns their shapes. See the
// package doc for the naming rule.
func (t *Table) Prepare(ctx context.Context, key, val *arrow.Schema) (keyShape, valShape *Shape, err error) {
	for attempt := 0; ; attempt++ {
		var added bool
		keyShape, valShape, added, err = t.resolve(key, val)
		if err != nil || !added {
			return keyShape, valShape, err
		}
		err = t.evolve(ctx, keyShape, valShape)
		if err == nil {
			continue // resolve again: now nothing is missing
		}
		if attempt+1 >= t.opts.Attempts || ctx.Err() != nil {
			return nil, nil, fmt.Errorf("evolve schema of %s: %w", t.Name(), err)
		}
		// Whatever happened (a conflict, a lost answer), the schema update is
		// idempotent: reload and map again.
		if rerr := t.waitRefresh(ctx, attempt); rerr != nil {
			return nil, nil, errors.Join(err, rerr)
		}
	}
}

func (t *Table) resolve(key, val *arrow.Schema) (ks, vs *Shape, added bool, err error) {
	sc := t.tbl.Schema()
	shape := func(col string, s *arrow.Schema) (*Shape, error) {
		if s == nil {
			return nil, nil
		}
		f, ok := sc.FindFieldByName(col)
		st, isStruct := f.Type.(*iceberggo.StructType)
		if !ok || !isStruct {
			return nil, fmt.Errorf("%w: %s is not a struct", ErrLayout, col)
		}
		typ, add := resolveStruct(arrow.StructOf(s.Fields()...), st, true)
		added = added || add
		return &Shape{typ: typ}, nil
	}
	if ks, err = shape(ColKey, key); err != nil {
		return nil, nil, false, err
	}
	if vs, err = shape(ColVal, val); err != nil {
		return nil, nil, false, err
	}
	return ks, vs, added, nil
}

// evolve adds the columns the shapes need: a union by name of the layout
// with the table's schema, as one commit.
func (t *Table) evolve(ctx context.Context, ks, vs *Shape) error {
	full := layoutSchema(ks.Type(), vs.Type())
	want, err := icetable.ArrowSchemaToIcebergWithFreshIDs(full, false)
	if err != nil {
		return fmt.Errorf("convert layout: %w", err)
	}
	tx := t.tbl.NewTransaction()
	if err := tx.UpdateSchema(true, false).UnionByNameWith(want).Commit(); err != nil {
		return fmt.Errorf("union schema: %w", err)
	}
	tbl, err := tx.Commit(ctx)
	if err != nil {
		return err
	}
	t.set(tbl)
	return nil
}

// resolveStruct renames ours's fields to the columns of table (nil: the
// struct is new) they land in; added reports a column to add. At the top
// of key and val the reserved names are never reused for message fields.
func resolveStruct(ours *arrow.StructType, table *iceberggo.StructType, top bool) (*arrow.StructType, bool) {
	fields := make([]arrow.Field, ours.NumFields())
	added := false
	for i, f := range ours.Fields() {
		for v := 1; ; v++ {
			name := f.Name
			if v > 1 {
				name = fmt.Sprintf("%s__v%d", f.Name, v)
			}
			if top && (name == ColRaw || name == ColPrefix || name == ColErr) {
				continue
			}
			col, ok := fieldNamed(table, name)
			if !ok {
				fields[i] = f
				fields[i].Name, fields[i].Type = name, optionalMapValues(f.Type)
				added = true
				break
			}
			if typ, add, ok := resolveType(f.Type, col.Type); ok {
				fields[i] = f
				fields[i].Name, fields[i].Type = name, typ
				added = added || add
				break
			}
		}
	}
	return arrow.StructOf(fields...), added
}

func fieldNamed(st *iceberggo.StructType, name string) (iceberggo.NestedField, bool) {
	if st == nil {
		return iceberggo.NestedField{}, false
	}
	for _, f := range st.FieldList {
		if f.Name == name {
			return f, true
		}
	}
	return iceberggo.NestedField{}, false
}

// resolveType says whether values of Arrow type ours can be stored in a
// column of Iceberg type theirs as they are, and if so gives ours renamed
// down the tree.
func resolveType(ours arrow.DataType, theirs iceberggo.Type) (arrow.DataType, bool, bool) {
	switch o := ours.(type) {
	case *arrow.StructType:
		st, ok := theirs.(*iceberggo.StructType)
		if !ok {
			return nil, false, false
		}
		typ, add := resolveStruct(o, st, false)
		return typ, add, true
	case *arrow.ListType:
		lt, ok := theirs.(*iceberggo.ListType)
		if !ok {
			return nil, false, false
		}
		el, add, ok := resolveType(o.Elem(), lt.Element)
		if !ok {
			return nil, false, false
		}
		f := o.ElemField()
		f.Type = el
		return arrow.ListOfField(f), add, true
	case *arrow.MapType:
		mt, ok := theirs.(*iceberggo.MapType)
		if !ok {
			return nil, false, false
		}
		k, _, ok := resolveType(o.KeyType(), mt.KeyType)
		if !ok {
			return nil, false, false
		}
		v, add, ok := resolveType(o.ItemType(), mt.ValueType)
		if !ok {
			return nil, false, false
		}
		kf, vf := o.KeyField(), o.ItemField()
		kf.Type, vf.Type, vf.Nullable = k, v, true
		m := arrow.MapOfFields(kf, vf)
		return m, add, true
	}
	want, ok := icebergPrimitive(ours)
	if !ok || !want.Equals(theirs) {
		return nil, false, false
	}
	return ours, false, true
}

// icebergPrimitive is the Iceberg type iceberg-go gives an Arrow
// primitive arrowconv produces.
func icebergPrimitive(t arrow.DataType) (iceberggo.Type, bool) {
	switch t := t.(type) {
	case *arrow.BooleanType:
		return iceberggo.PrimitiveTypes.Bool, true
	case *arrow.Int32Type:
		return iceberggo.PrimitiveTypes.Int32, true
	case *arrow.Int64Type:
		return iceberggo.PrimitiveTypes.Int64, true
	case *arrow.Float32Type:
		return iceberggo.PrimitiveTypes.Float32, true
	case *arrow.Float64Type:
		return iceberggo.PrimitiveTypes.Float64, true
	case *arrow.StringType:
		return iceberggo.PrimitiveTypes.String, true
	case *arrow.BinaryType:
		return iceberggo.PrimitiveTypes.Binary, true
	case *arrow.Decimal128Type:
		return iceberggo.DecimalTypeOf(int(t.Precision), int(t.Scale)), true
	case *arrow.TimestampType:
		if t.Unit != arrow.Microsecond {
			return nil, false
		}
		if t.TimeZone == "" {
			return iceberggo.PrimitiveTypes.Timestamp, true
		}
		return iceberggo.PrimitiveTypes.TimestampTz, true
	}
	return nil, false
}

// optionalMapValues marks every map value in t nullable. arrowconv's map
// values are never null, but iceberg-go v0.7.0's scanner cannot read back
// a map whose values are required (it builds the result type with
// non-nullable items while the Parquet reader yields nullable ones), so
// the table declares them optional.
func optionalMapValues(t arrow.DataType) arrow.DataType {
	switch t := t.(type) {
	case *arrow.StructType:
		fs := t.Fields()
		for i := range fs {
			fs[i].Type = optionalMapValues(fs[i].Type)
		}
		return arrow.StructOf(fs...)
	case *arrow.ListType:
		f := t.ElemField()
		f.Type = optionalMapValues(f.Type)
		return arrow.ListOfField(f)
	case *arrow.MapType:
		kf, vf := t.KeyField(), t.ItemField()
		vf.Type, vf.Nullable = optionalMapValues(vf.Type), true
		return arrow.MapOfFields(kf, vf)
	}
	return t
}
