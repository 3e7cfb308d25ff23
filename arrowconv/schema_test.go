package arrowconv

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
)

func TestSchemaTypes(t *testing.T) {
	dec := &arrow.Decimal128Type{Precision: 20, Scale: 0}
	tsz := &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	for _, tc := range []struct {
		msg    string
		opts   Options
		fields map[string]arrow.DataType
	}{
		{msg: "arrowconv.test.Scalars", fields: map[string]arrow.DataType{
			"f_double": arrow.PrimitiveTypes.Float64, "f_float": arrow.PrimitiveTypes.Float32,
			"f_int32": arrow.PrimitiveTypes.Int32, "f_int64": arrow.PrimitiveTypes.Int64,
			"f_uint32": arrow.PrimitiveTypes.Int64, "f_uint64": dec,
			"f_sint32": arrow.PrimitiveTypes.Int32, "f_sint64": arrow.PrimitiveTypes.Int64,
			"f_fixed32": arrow.PrimitiveTypes.Int64, "f_fixed64": dec,
			"f_sfixed32": arrow.PrimitiveTypes.Int32, "f_sfixed64": arrow.PrimitiveTypes.Int64,
			"f_bool": arrow.FixedWidthTypes.Boolean, "f_string": arrow.BinaryTypes.String,
			"f_bytes": arrow.BinaryTypes.Binary, "f_enum": arrow.BinaryTypes.String,
			UnknownColumn: arrow.BinaryTypes.Binary,
		}},
		{msg: "arrowconv.test.Scalars", opts: Options{Uint64AsInt64: true, DiscardUnknown: true}, fields: map[string]arrow.DataType{
			"f_uint64": arrow.PrimitiveTypes.Int64, "f_fixed64": arrow.PrimitiveTypes.Int64,
		}},
		{msg: "arrowconv.test.WellKnown", fields: map[string]arrow.DataType{
			"ts": tsz, "dur": arrow.PrimitiveTypes.Int64,
			"w_double": arrow.PrimitiveTypes.Float64, "w_float": arrow.PrimitiveTypes.Float32,
			"w_int64": arrow.PrimitiveTypes.Int64, "w_uint64": dec, "w_int32": arrow.PrimitiveTypes.Int32,
			"w_uint32": arrow.PrimitiveTypes.Int64, "w_bool": arrow.FixedWidthTypes.Boolean,
			"w_string": arrow.BinaryTypes.String, "w_bytes": arrow.BinaryTypes.Binary,
			"st": arrow.BinaryTypes.String, "val": arrow.BinaryTypes.String, "list": arrow.BinaryTypes.String,
			"any":   arrow.BinaryTypes.String,
			"empty": arrow.StructOf(arrow.Field{Name: UnknownColumn, Type: arrow.BinaryTypes.Binary, Nullable: true}),
			"r_ts":  arrow.ListOfField(arrow.Field{Name: "element", Type: tsz}),
			"r_any": arrow.ListOfField(arrow.Field{Name: "element", Type: arrow.BinaryTypes.String}),
		}},
		{msg: "arrowconv.test.Maps", fields: map[string]arrow.DataType{
			"string_int32": arrow.MapOfFields(arrow.Field{Type: arrow.BinaryTypes.String}, arrow.Field{Type: arrow.PrimitiveTypes.Int32}),
			"uint64_enum":  arrow.MapOfFields(arrow.Field{Type: dec}, arrow.Field{Type: arrow.BinaryTypes.String}),
			"sint32_ts":    arrow.MapOfFields(arrow.Field{Type: arrow.PrimitiveTypes.Int32}, arrow.Field{Type: tsz}),
		}},
	} {
		sc, err := Schema(testMD(t, tc.msg), tc.opts)
		if err != nil {
			t.Fatalf("%s: %v", tc.msg, err)
		}
		for name, want := range tc.fields {
			idx := sc.FieldIndices(name)
			if len(idx) != 1 {
				t.Errorf("%s: no field %s", tc.msg, name)
				continue
			}
			if got := sc.Field(idx[0]).Type; !arrow.TypeEqual(got, want) {
				t.Errorf("%s.%s: %s, want %s", tc.msg, name, got, want)
			}
		}
		if tc.opts.DiscardUnknown && len(sc.FieldIndices(UnknownColumn)) != 0 {
			t.Errorf("%s: DiscardUnknown kept %s", tc.msg, UnknownColumn)
		}
	}
}

func TestSchemaMetadata(t *testing.T) {
	var paths []string
	sc, err := Schema(testMD(t, "arrowconv.test.Everything"), Options{FieldID: func(path []string) int {
		paths = append(paths, strings.Join(path, "."))
		return len(paths)
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"s", "nested", "nested.element", "nested.element.inner.note",
		"maps.int64_nested", "maps.int64_nested.key", "maps.int64_nested.value.name",
		"scalars." + UnknownColumn, UnknownColumn} {
		if !slices.Contains(paths, p) {
			t.Errorf("FieldID never asked for %s", p)
		}
	}
	nested := sc.Field(sc.FieldIndices("nested")[0])
	want := map[string]string{MetaNumber: "8", MetaName: "arrowconv.test.Everything.nested", MetaType: "arrowconv.test.Nested"}
	for k, v := range want {
		if got, _ := nested.Metadata.GetValue(k); got != v {
			t.Errorf("nested %s = %q, want %q", k, got, v)
		}
	}
	elem := nested.Type.(*arrow.ListType).ElemField()
	if _, ok := elem.Metadata.GetValue(MetaNumber); ok {
		t.Errorf("list element has a field number")
	}
	if got, _ := elem.Metadata.GetValue(MetaType); got != "arrowconv.test.Nested" {
		t.Errorf("element type %q", got)
	}
	if _, ok := elem.Metadata.GetValue(FieldIDKey); !ok {
		t.Errorf("element has no field ID")
	}
	if got, _ := sc.Metadata().GetValue(MetaMessage); got != "arrowconv.test.Everything" {
		t.Errorf("schema message %q", got)
	}

	// With field IDs, iceberg-go converts the schema as it is.
	isc, err := table.ArrowSchemaToIceberg(sc, false, nil)
	if err != nil {
		t.Fatalf("iceberg-go: %v", err)
	}
	if f, ok := isc.FindFieldByName("scalars.f_uint32"); !ok || !f.Type.Equals(iceberg.PrimitiveTypes.Int64) {
		t.Errorf("scalars.f_uint32: %v", f)
	}
}

// TestSchemaIsIceberg: every schema converts with iceberg-go's own
// Arrow → Iceberg conversion to the documented Iceberg types.
func TestSchemaIsIceberg(t *testing.T) {
	for _, msg := range []string{"arrowconv.test.Everything", "arrowconv.test2.P2", "arrowconv.ed.E", "tributary.bench.v1.Order"} {
		sc, err := Schema(testMD(t, msg), Options{})
		if err != nil {
			t.Fatal(err)
		}
		isc, err := table.ArrowSchemaToIcebergWithFreshIDs(sc, false)
		if err != nil {
			t.Fatalf("%s: %v", msg, err)
		}
		if msg != "arrowconv.test.Everything" {
			continue
		}
		for name, want := range map[string]iceberg.Type{
			"scalars.f_uint32":         iceberg.PrimitiveTypes.Int64,
			"scalars.f_fixed32":        iceberg.PrimitiveTypes.Int64,
			"scalars.f_uint64":         iceberg.DecimalTypeOf(20, 0),
			"scalars.f_enum":           iceberg.PrimitiveTypes.String,
			"wkt.ts":                   iceberg.PrimitiveTypes.TimestampTz,
			"wkt.dur":                  iceberg.PrimitiveTypes.Int64,
			"wkt.st":                   iceberg.PrimitiveTypes.String,
			"wkt.w_uint32":             iceberg.PrimitiveTypes.Int64,
			"scalars." + UnknownColumn: iceberg.PrimitiveTypes.Binary,
		} {
			f, ok := isc.FindFieldByName(name)
			if !ok || !f.Type.Equals(want) {
				t.Errorf("%s: %v, want %s", name, f, want)
			}
			if ok && f.Required {
				t.Errorf("%s is required", name)
			}
		}
		rep, _ := isc.FindFieldByName("repeated.r_int32")
		if l, ok := rep.Type.(*iceberg.ListType); !ok || !l.ElementRequired {
			t.Errorf("repeated.r_int32: %v, want a list of required elements", rep.Type)
		}
		mp, _ := isc.FindFieldByName("maps.int64_nested")
		if m, ok := mp.Type.(*iceberg.MapType); !ok || !m.ValueRequired {
			t.Errorf("maps.int64_nested: %v, want a map of required values", mp.Type)
		}
	}
}

func TestSchemaRefuses(t *testing.T) {
	for _, msg := range []string{"arrowconv.clash.Clash", "arrowconv.test2.MSet"} {
		if _, err := Schema(testMD(t, msg), Options{}); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: %v, want ErrUnsupported", msg, err)
		}
	}
}

func TestSchemaRecursionDepth(t *testing.T) {
	md := testMD(t, "arrowconv.test.Tree")
	for depth := 1; depth <= 4; depth++ {
		sc, err := Schema(md, Options{MaxRecursion: depth})
		if err != nil {
			t.Fatal(err)
		}
		// Follow left.left.left… until it is a JSON string.
		typ := arrow.DataType(arrow.StructOf(sc.Fields()...))
		levels := 0
		for {
			st, ok := typ.(*arrow.StructType)
			if !ok {
				break
			}
			f, _ := st.FieldByName("left")
			typ = f.Type
			levels++
		}
		if levels != depth || !arrow.TypeEqual(typ, arrow.BinaryTypes.String) {
			t.Errorf("MaxRecursion %d: %d struct levels then %s", depth, levels, typ)
		}
	}
}
