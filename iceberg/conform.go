package iceberg

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// conformBatch rebuilds rec under schema dst, the table's Arrow schema:
// columns are matched by name at every level of nesting, columns rec
// lacks are all null, and buffers are shared, not copied. The caller
// releases the result.
func conformBatch(rec arrow.RecordBatch, dst *arrow.Schema, mem memory.Allocator) (arrow.RecordBatch, error) {
	n := int(rec.NumRows())
	cols := make([]arrow.Array, dst.NumFields())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	src := rec.Schema()
	for i, f := range dst.Fields() {
		idx := src.FieldIndices(f.Name)
		if len(idx) == 0 {
			cols[i] = array.MakeArrayOfNull(mem, f.Type, n)
			continue
		}
		d, err := conformData(rec.Column(idx[0]).Data(), f.Type, mem)
		if err != nil {
			return nil, fmt.Errorf("%w: column %s: %v", ErrSchema, f.Name, err)
		}
		cols[i] = array.MakeFromData(d)
		d.Release()
	}
	return array.NewRecordBatch(dst, cols, int64(n)), nil
}

// conformData returns d retyped as dst (see conformBatch). The result
// holds its own references.
func conformData(d arrow.ArrayData, dst arrow.DataType, mem memory.Allocator) (arrow.ArrayData, error) {
	switch dt := dst.(type) {
	case *arrow.StructType:
		st, ok := d.DataType().(*arrow.StructType)
		if !ok {
			return nil, fmt.Errorf("%s where a struct is wanted", d.DataType())
		}
		children := make([]arrow.ArrayData, dt.NumFields())
		defer releaseAll(children)
		for i, f := range dt.Fields() {
			idx, ok := st.FieldIdx(f.Name)
			if !ok {
				nulls := array.MakeArrayOfNull(mem, f.Type, d.Offset()+d.Len())
				children[i] = nulls.Data()
				children[i].Retain()
				nulls.Release()
				continue
			}
			c, err := conformData(d.Children()[idx], f.Type, mem)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f.Name, err)
			}
			children[i] = c
		}
		return array.NewData(dt, d.Len(), d.Buffers()[:1], children, d.NullN(), d.Offset()), nil
	case *arrow.MapType:
		if _, ok := d.DataType().(*arrow.MapType); !ok {
			return nil, fmt.Errorf("%s where a map is wanted", d.DataType())
		}
		// Entries are matched by position: key, value.
		entries := d.Children()[0]
		ent := dt.Elem().(*arrow.StructType)
		k, err := conformData(entries.Children()[0], ent.Field(0).Type, mem)
		if err != nil {
			return nil, fmt.Errorf("key: %w", err)
		}
		defer k.Release()
		v, err := conformData(entries.Children()[1], ent.Field(1).Type, mem)
		if err != nil {
			return nil, fmt.Errorf("value: %w", err)
		}
		defer v.Release()
		e := array.NewData(ent, entries.Len(), entries.Buffers()[:1], []arrow.ArrayData{k, v}, entries.NullN(), entries.Offset())
		defer e.Release()
		return array.NewData(dt, d.Len(), d.Buffers(), []arrow.ArrayData{e}, d.NullN(), d.Offset()), nil
	case *arrow.ListType:
		if _, ok := d.DataType().(*arrow.ListType); !ok {
			return nil, fmt.Errorf("%s where a list is wanted", d.DataType())
		}
		c, err := conformData(d.Children()[0], dt.Elem(), mem)
		if err != nil {
			return nil, fmt.Errorf("element: %w", err)
		}
		defer c.Release()
		return array.NewData(dt, d.Len(), d.Buffers(), []arrow.ArrayData{c}, d.NullN(), d.Offset()), nil
	}
	if !samePrimitive(d.DataType(), dst) {
		return nil, fmt.Errorf("%s where %s is wanted", d.DataType(), dst)
	}
	return array.NewData(dst, d.Len(), d.Buffers(), d.Children(), d.NullN(), d.Offset()), nil
}

func samePrimitive(a, b arrow.DataType) bool {
	if ta, ok := a.(*arrow.TimestampType); ok {
		tb, ok := b.(*arrow.TimestampType)
		return ok && ta.Unit == tb.Unit && (ta.TimeZone == "") == (tb.TimeZone == "")
	}
	return arrow.TypeEqual(a, b)
}

func releaseAll(ds []arrow.ArrayData) {
	for _, d := range ds {
		if d != nil {
			d.Release()
		}
	}
}

// retypeData gives d the type dt, which has the same physical layout
// (only names, nullability flags and metadata differ), sharing buffers.
func retypeData(d arrow.ArrayData, dt arrow.DataType) arrow.ArrayData {
	var children []arrow.ArrayData
	switch t := dt.(type) {
	case *arrow.StructType:
		children = make([]arrow.ArrayData, t.NumFields())
		for i, f := range t.Fields() {
			children[i] = retypeData(d.Children()[i], f.Type)
		}
	case *arrow.MapType:
		children = []arrow.ArrayData{retypeData(d.Children()[0], t.Elem())}
	case *arrow.ListType:
		children = []arrow.ArrayData{retypeData(d.Children()[0], t.Elem())}
	default:
		children = d.Children()
		for _, c := range children {
			c.Retain()
		}
	}
	defer releaseAll(children)
	return array.NewData(dt, d.Len(), d.Buffers(), children, d.NullN(), d.Offset())
}
