package arrowconv

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// A convertCase is one record: written as protojson (json) or as raw
// wire bytes (wire). With err nil the row must match the oracle
// (protojson of the dynamicpb message); with err set Append must fail
// with it, and the oracle must fail too unless diverges says why not.
type convertCase struct {
	name     string
	json     string
	wire     []byte
	err      error
	diverges string // why proto.Unmarshal + protojson accept what we refuse
	noOracle string // why the oracle cannot render the row (check instead)
	check    func(t *testing.T, rec arrow.RecordBatch, row int)
}

var convertCases = map[string][]convertCase{
	"arrowconv.test.Scalars": {
		{name: "zero values are values, not nulls", json: `{}`, check: noNulls},
		{name: "maxima", json: `{"f_double": 1.7976931348623157e308, "f_float": 3.4028235e38,
			"f_int32": 2147483647, "f_int64": "9223372036854775807", "f_uint32": 4294967295,
			"f_uint64": "18446744073709551615", "f_sint32": 2147483647, "f_sint64": "9223372036854775807",
			"f_fixed32": 4294967295, "f_fixed64": "18446744073709551615", "f_sfixed32": 2147483647,
			"f_sfixed64": "9223372036854775807", "f_bool": true, "f_string": "héllo ✓ 𝄞",
			"f_bytes": "AP8=", "f_enum": "GREEN"}`},
		{name: "minima", json: `{"f_double": -4.9e-324, "f_float": -1.4e-45,
			"f_int32": -2147483648, "f_int64": "-9223372036854775808", "f_sint32": -2147483648,
			"f_sint64": "-9223372036854775808", "f_sfixed32": -2147483648,
			"f_sfixed64": "-9223372036854775808", "f_enum": "BLUE"}`},
		{name: "negative int32 is a 10-byte varint", wire: fVarint(3, uint64(math.MaxUint64))},
		{name: "int32 varint with high bits set truncates", wire: fVarint(3, 0x1_0000_0005)},
		{name: "sint32 from a 64-bit varint", wire: fVarint(7, 0xFFFF_FFFF_0000_0003)},
		{name: "bool varint 2 is true", wire: fVarint(13, 2)},
		{name: "uint32 above 2^31", json: `{"f_uint32": 3000000000, "f_fixed32": 2147483648}`},
		{name: "uint64 above 2^63", json: `{"f_uint64": "9223372036854775808", "f_fixed64": "18446744073709551615"}`},
		{name: "NaN and infinity", json: `{"f_double": "NaN", "f_float": "Infinity"}`},
		{name: "negative infinity and NaN", json: `{"f_double": "-Infinity", "f_float": "NaN"}`},
		{name: "negative zero", wire: cat(fFixed64(1, f64bits(math.Copysign(0, -1))), fFixed32(2, 0x8000_0000))},
		{name: "undeclared enum number", json: `{"f_enum": 7}`},
		{name: "enum alias takes the first name", json: `{"f_enum": "CRIMSON"}`},
		{name: "last occurrence wins", wire: cat(fVarint(3, 1), fString(14, "a"), fVarint(3, 2), fString(14, "b"), fVarint(16, 1), fVarint(16, 2))},
		{name: "wrong wire type is an unknown field", wire: cat(fFixed32(3, 7), fVarint(14, 1)), check: unknownIs(cat(fFixed32(3, 7), fVarint(14, 1)))},
		{name: "unknown fields", wire: cat(fVarint(999, 5), fString(1000, "x"), fGroup(1001, fVarint(1, 1)), fVarint(3, 9)),
			check: unknownIs(cat(fVarint(999, 5), fString(1000, "x"), fGroup(1001, fVarint(1, 1))))},
		{name: "invalid UTF-8", wire: fString(14, "ok\xff"), err: ErrInvalidUTF8},
		{name: "truncated tag", wire: []byte{0x80}, err: ErrMalformed},
		{name: "truncated length", wire: []byte{0x72, 0x05, 'a', 'b'}, err: ErrMalformed},
		{name: "varint too long", wire: append([]byte{0x18}, bytes.Repeat([]byte{0xff}, 11)...), err: ErrMalformed},
		{name: "field number zero", wire: []byte{0x00, 0x01}, err: ErrMalformed},
		{name: "end group with no start", wire: protowire.AppendTag(nil, 5, protowire.EndGroupType), err: ErrMalformed},
		{name: "unterminated unknown group", wire: protowire.AppendTag(nil, 900, protowire.StartGroupType), err: ErrMalformed},
		{name: "field number above the maximum", wire: fVarint(protowire.MaxValidNumber+1, 1), err: ErrMalformed},
		{name: "the largest field number", wire: cat(fVarint(536870911, 7), fVarint(3, 1), fVarint(536870910, 1)),
			check: unknownIs(fVarint(536870910, 1))},
		{name: "after errors rows still line up", json: `{"f_int32": 42, "f_string": "still here"}`},
	},
	"arrowconv.test.Optionals": {
		{name: "absent is null", json: `{}`, check: allNullExcept()},
		{name: "zero is not null", json: `{"f_double": 0, "f_float": 0, "f_int32": 0, "f_int64": "0",
			"f_uint32": 0, "f_uint64": "0", "f_sint32": 0, "f_sint64": "0", "f_fixed32": 0, "f_fixed64": "0",
			"f_sfixed32": 0, "f_sfixed64": "0", "f_bool": false, "f_string": "", "f_bytes": "",
			"f_enum": "COLOR_UNSPECIFIED"}`, check: noNulls},
		{name: "values", json: `{"f_int32": -5, "f_uint64": "18446744073709551615", "f_string": "s", "f_enum": "RED"}`,
			check: allNullExcept("f_int32", "f_uint64", "f_string", "f_enum")},
	},
	"arrowconv.test.Repeated": {
		{name: "empty lists are empty, not null", json: `{}`, check: noNulls},
		{name: "every type", json: `{"r_double": [1.5, "NaN", -0], "r_float": [0.1, "-Infinity"],
			"r_int32": [-1, 0, 2147483647], "r_int64": ["-9223372036854775808"], "r_uint32": [4294967295, 0],
			"r_uint64": ["18446744073709551615", "1"], "r_sint32": [-1, 1], "r_sint64": ["-2"],
			"r_fixed32": [3000000000], "r_fixed64": ["9223372036854775808"], "r_sfixed32": [-7],
			"r_sfixed64": ["-8"], "r_bool": [true, false, true], "r_string": ["", "a", "ü"],
			"r_bytes": ["", "AQI="], "r_enum": ["RED", "BLUE", 9],
			"r_nested": [{}, {"name": "n", "tags": ["x", ""], "inner": {"id": "3"}}], "r_unpacked": [1, 2]}`},
		{name: "packed and unpacked occurrences interleave", wire: cat(
			fBytes(3, packedVarints(1, 2)), fVarint(3, 3), fBytes(18, packedVarints(4, 5)),
			fVarint(18, 6), fBytes(3, packedVarints(uint64(math.MaxUint64))), fBytes(3))},
		{name: "packed fixed32 with a partial value", wire: fBytes(9, []byte{1, 0, 0, 0, 2}), err: ErrMalformed},
		{name: "packed varints truncated", wire: fBytes(3, []byte{0x80}), err: ErrMalformed},
		{name: "repeated messages stay separate", wire: cat(fBytes(17, fString(1, "a")), fString(14, "s"), fBytes(17, fVarint(2, 7)))},
		{name: "invalid UTF-8 in a nested list", wire: fBytes(17, fString(3, "\xc3")), err: ErrInvalidUTF8},
	},
	"arrowconv.test.Maps": {
		{name: "empty maps are empty, not null", json: `{}`, check: noNulls},
		{name: "every map", json: `{"string_int32": {"a": 1, "": -1}, "int32_string": {"-5": "neg", "7": ""},
			"int64_nested": {"9": {"name": "n", "inner": {"note": ""}}}, "bool_bytes": {"true": "AQ==", "false": ""},
			"uint64_enum": {"18446744073709551615": "BLUE", "0": "RED"},
			"sint32_ts": {"-1": "2020-01-01T00:00:00.000001Z"}, "string_value": {"k": {"a": [1, null]}, "n": null},
			"fixed32_double": {"4294967295": "NaN"}, "uint32_wrapper": {"1": 0, "2": -3},
			"sfixed64_inner": {"-9223372036854775808": {"id": "1"}}}`},
		{name: "a repeated key keeps the last value", wire: cat(
			fBytes(1, fString(1, "a"), fVarint(2, 1)), fBytes(1, fString(1, "b"), fVarint(2, 2)),
			fBytes(1, fString(1, "a"), fVarint(2, 3)), fBytes(2, fVarint(1, 5), fString(2, "x")),
			fBytes(2, fVarint(1, 0x1_0000_0005), fString(2, "y")))},
		{name: "entries without key or value take defaults", wire: cat(
			fBytes(1), fBytes(3, fVarint(1, 4)), fBytes(6, fVarint(1, 1)), fBytes(9, fVarint(1, 8)),
			fBytes(10, fFixed64(1, 1)), fBytes(4, fBytes(2, []byte{1})))},
		{name: "unknown fields in an entry are dropped", wire: fBytes(1, fString(1, "k"), fVarint(3, 1), fVarint(2, 5))},
		{name: "a large map with repeated keys", wire: largeMap()},
		{name: "an entry value missing for google.protobuf.Value", wire: fBytes(7, fString(1, "k")), err: ErrJSON},
		{name: "a map entry that is not length-delimited is unknown", wire: fVarint(1, 3), check: unknownIs(fVarint(1, 3))},
		{name: "a key field again with the wrong wire type is unknown", wire: fBytes(3, fVarint(1, 48), fString(1, "0")),
			noOracle: "dynamicpb panics on it (see errOraclePanic)", check: func(t *testing.T, rec arrow.RecordBatch, row int) {
				m := column(t, rec, "int64_nested").(*array.Map)
				start, end := m.ValueOffsets(row)
				if end-start != 1 || m.Keys().(*array.Int64).Value(int(start)) != 48 || m.Items().IsNull(int(start)) {
					t.Errorf("int64_nested: %v, want {48: {}}", m)
				}
			}},
		{name: "invalid UTF-8 in a key", wire: fBytes(1, fString(1, "\xff")), err: ErrInvalidUTF8},
	},
	"arrowconv.test.Oneofs": {
		{name: "none set", json: `{"after": 0}`},
		{name: "string member", json: `{"s": "x", "d": 1.5}`},
		{name: "empty string member is set", json: `{"s": ""}`, check: notNull("s")},
		{name: "int member", json: `{"i": "-1"}`},
		{name: "message member", json: `{"m": {"name": "n"}}`},
		{name: "enum member zero", json: `{"e": "COLOR_UNSPECIFIED"}`, check: notNull("e")},
		{name: "timestamp member", json: `{"t": "1970-01-01T00:00:00Z"}`},
		{name: "last member set wins", wire: cat(fString(1, "x"), fBytes(3, fString(1, "n")), fVarint(6, 1))},
		{name: "a member set again after another starts afresh", wire: cat(
			fBytes(3, fString(1, "a")), fString(1, "x"), fBytes(3, fVarint(2, 2)))},
		{name: "occurrences of a message member merge", wire: cat(fBytes(3, fString(1, "a")), fBytes(3, fVarint(2, 2)))},
	},
	"arrowconv.test.WellKnown": {
		{name: "absent is null", json: `{}`, check: allNullExcept("r_ts", "r_w_int32", "r_any")},
		{name: "timestamps truncate to microseconds", json: `{"ts": "2024-02-29T12:34:56.123456789Z",
			"r_ts": ["1969-12-31T23:59:59.999999999Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z"]}`},
		{name: "durations", json: `{"dur": "-1.000001999s"}`},
		{name: "longest duration", json: `{"dur": "315576000000.999999999s"}`},
		{name: "wrapped zeros are not null", json: `{"w_double": 0, "w_float": 0, "w_int64": "0", "w_uint64": "0",
			"w_int32": 0, "w_uint32": 0, "w_bool": false, "w_string": "", "w_bytes": ""}`,
			check: notNull("w_double", "w_float", "w_int64", "w_uint64", "w_int32", "w_uint32", "w_bool", "w_string", "w_bytes")},
		{name: "wrapped values", json: `{"w_double": "NaN", "w_float": 1.25, "w_int64": "-9", "w_uint64": "18446744073709551615",
			"w_int32": -1, "w_uint32": 4294967295, "w_bool": true, "w_string": "ß", "w_bytes": "AA==",
			"r_w_int32": [1, 0, -1]}`},
		{name: "struct value list", json: `{"st": {"a": 1, "b": [true, null, "x"], "c": {"d": {}}}, "val": "hello",
			"list": [1, "two", {"three": 3}]}`},
		{name: "null value", json: `{"val": null}`},
		{name: "any of a known type", json: `{"any": {"@type": "type.googleapis.com/arrowconv.test.Nested", "name": "n", "value": 3},
			"r_any": [{"@type": "type.googleapis.com/google.protobuf.Duration", "value": "1s"}]}`},
		{name: "any of an unknown type", wire: fBytes(15, fString(1, "type.googleapis.com/nope.Missing"), fBytes(2, []byte{1, 2})),
			noOracle: "protojson cannot resolve the type", check: stringIs("any", `{"@type":"type.googleapis.com/nope.Missing","value":"AQI="}`)},
		{name: "empty message", json: `{"empty": {}}`, check: notNull("empty")},
		{name: "timestamp occurrences merge", wire: cat(fBytes(1, fVarint(1, 5)), fBytes(1, fVarint(2, 7000)))},
		{name: "timestamp after 9999", wire: fBytes(1, fVarint(1, 253402300800)), err: ErrOutOfRange},
		{name: "timestamp with negative nanos", wire: fBytes(1, fVarint(1, 1), fVarint(2, uint64(math.MaxUint64))), err: ErrOutOfRange},
		{name: "duration with mixed signs", wire: fBytes(2, fVarint(1, 1), fVarint(2, uint64(math.MaxUint64))), err: ErrOutOfRange},
		{name: "value NaN", wire: fBytes(13, fFixed64(2, f64bits(math.NaN()))), err: ErrJSON},
		{name: "malformed struct payload", wire: fBytes(12, []byte{0x0a, 0x05}), err: ErrMalformed},
		{name: "invalid UTF-8 in a wrapper", wire: fBytes(10, fString(1, "\xff")), err: ErrInvalidUTF8},
	},
	"arrowconv.test.Tree": {
		{name: "recursion is cut into JSON", json: `{"name": "a", "children": [{"name": "b",
			"left": {"name": "c", "children": [{"name": "d", "by_name": {"x": {"name": "e"}}}]}}],
			"forest": {"trees": [{"name": "f", "left": {"name": "g", "left": {"name": "h"}}}]},
			"by_name": {"k": {"by_name": {"k2": {"left": {"name": "deep"}}}}}}`},
		{name: "malformed bytes under the cut", wire: fBytes(3, fBytes(3, fBytes(3, []byte{0x0a}))), err: ErrMalformed},
	},
	"arrowconv.test2.P2": {
		{name: "only the required field", json: `{"id": 0}`,
			check: allNullExcept("id", "packed_ints", "ints", "item", "closed_list")},
		{name: "required field missing", json: `{}`, err: ErrRequiredMissing},
		{name: "nested required field missing", json: `{"id": 1, "sub": {}}`, err: ErrRequiredMissing},
		{name: "groups", json: `{"id": 1, "grp": {"a": 5, "b": ["x", "y"]}, "item": [{"k": "1"}, {}],
			"packed_ints": [1, 2], "ints": [3], "closed": "B", "closed_list": ["A", "B"], "sub": {"must": "m", "raw": ""}}`},
		{name: "closed enum with an undeclared number", wire: cat(fVarint(1, 1), fVarint(3, 7), fVarint(12, 9))},
		{name: "extensions are unknown fields", wire: cat(fVarint(1, 1), fVarint(100, 9)), check: unknownIs(fVarint(100, 9))},
		{name: "group sent length-delimited is unknown", wire: cat(fVarint(1, 1), fBytes(6, fVarint(7, 1))),
			check: unknownIs(fBytes(6, fVarint(7, 1)))},
		{name: "unterminated group", wire: cat(fVarint(1, 1), protowire.AppendTag(nil, 6, protowire.StartGroupType)), err: ErrMalformed},
		{name: "group closed by another number", wire: cat(fVarint(1, 1), protowire.AppendTag(nil, 6, protowire.StartGroupType),
			protowire.AppendTag(nil, 9, protowire.EndGroupType)), err: ErrMalformed},
		{name: "invalid UTF-8 in a proto2 string", wire: cat(fVarint(1, 1), fString(2, "\xff")), err: ErrInvalidUTF8,
			diverges: "proto2 does not validate UTF-8; an Iceberg string must be UTF-8"},
	},
	"arrowconv.ed.E": {
		{name: "implicit and explicit presence", json: `{}`, check: func(t *testing.T, rec arrow.RecordBatch, row int) {
			notNull("implicit")(t, rec, row)
			allNullExcept("implicit", "expanded", "packed")(t, rec, row)
		}},
		{name: "delimited and expanded", json: `{"explicit": 0, "delimited": {"s": "x"}, "expanded": [1, 2], "packed": [3], "unverified": "u"}`},
		{name: "delimited sent length-prefixed is unknown", wire: fBytes(3, fString(1, "x")), check: unknownIs(fBytes(3, fString(1, "x")))},
		{name: "expanded field sent packed", wire: fBytes(4, packedVarints(1, 2))},
		{name: "invalid UTF-8 where validation is off", wire: fString(7, "\xff"), err: ErrInvalidUTF8,
			diverges: "utf8_validation = NONE; an Iceberg string must be UTF-8"},
	},
}

func largeMap() []byte {
	var b []byte
	for i := range 40 {
		b = append(b, fBytes(2, fVarint(1, uint64(i%25)), fString(2, strings.Repeat("v", i)))...)
	}
	return b
}

func TestAppendMatchesProtojson(t *testing.T) {
	types := testTypes(t)
	for msg, cases := range convertCases {
		t.Run(msg, func(t *testing.T) {
			md := testMD(t, msg)
			c := newTestConverter(t, md, Options{})
			rows := map[int]convertCase{}
			wires := map[int][]byte{}
			for _, tc := range cases {
				b := tc.wire
				if b == nil {
					b = fromJSON(t, md, tc.json)
				}
				before := c.Len()
				err := c.Append(b)
				if tc.err != nil {
					if !errors.Is(err, tc.err) {
						t.Errorf("%s: Append error %v, want %v", tc.name, err, tc.err)
					}
					if c.Len() != before {
						t.Errorf("%s: failed Append changed the row count %d → %d", tc.name, before, c.Len())
					}
					if _, oerr := oracle(md, types, b); oerr == nil && tc.diverges == "" {
						t.Errorf("%s: we refuse what protojson accepts", tc.name)
					}
					continue
				}
				if err != nil {
					t.Errorf("%s: Append: %v", tc.name, err)
					continue
				}
				rows[before], wires[before] = tc, b
			}
			rec := c.NewRecordBatch()
			defer rec.Release()
			validate(t, rec)
			for row, tc := range rows {
				if tc.check != nil {
					t.Run(tc.name, func(t *testing.T) { tc.check(t, rec, row) })
				}
				exp, err := oracle(md, types, wires[row])
				if tc.noOracle != "" {
					if err == nil {
						t.Errorf("%s: the oracle renders it after all", tc.name)
					}
					continue
				}
				if err != nil {
					t.Errorf("%s: oracle: %v", tc.name, err)
					continue
				}
				for _, d := range match("", exp, renderRow(rec, row, md)) {
					t.Errorf("%s: %s", tc.name, d)
				}
			}
		})
	}
}

// validate runs arrow's full consistency check on every column.
func validate(t testing.TB, rec arrow.RecordBatch) {
	t.Helper()
	for i, col := range rec.Columns() {
		if err := array.ValidateFull(col); err != nil {
			t.Fatalf("column %s: %v", rec.Schema().Field(i).Name, err)
		}
		if col.Len() != int(rec.NumRows()) {
			t.Fatalf("column %s has %d rows, the batch %d", rec.Schema().Field(i).Name, col.Len(), rec.NumRows())
		}
	}
}

func column(t *testing.T, rec arrow.RecordBatch, name string) arrow.Array {
	t.Helper()
	idx := rec.Schema().FieldIndices(name)
	if len(idx) != 1 {
		t.Fatalf("no column %s", name)
	}
	return rec.Column(idx[0])
}

// noNulls checks that no column but __unrecognized__ is null.
func noNulls(t *testing.T, rec arrow.RecordBatch, row int) {
	t.Helper()
	allNullExcept(allColumns(rec)...)(t, rec, row)
}

func allColumns(rec arrow.RecordBatch) []string {
	var names []string
	for _, f := range rec.Schema().Fields() {
		if f.Name != UnknownColumn {
			names = append(names, f.Name)
		}
	}
	return names
}

// allNullExcept checks that exactly the named columns are not null.
func allNullExcept(names ...string) func(*testing.T, arrow.RecordBatch, int) {
	return func(t *testing.T, rec arrow.RecordBatch, row int) {
		t.Helper()
		want := map[string]bool{}
		for _, n := range names {
			want[n] = true
		}
		for i, f := range rec.Schema().Fields() {
			if f.Name == UnknownColumn {
				continue
			}
			if null := rec.Column(i).IsNull(row); null == want[f.Name] {
				t.Errorf("column %s: null=%v", f.Name, null)
			}
		}
	}
}

func notNull(names ...string) func(*testing.T, arrow.RecordBatch, int) {
	return func(t *testing.T, rec arrow.RecordBatch, row int) {
		t.Helper()
		for _, n := range names {
			if column(t, rec, n).IsNull(row) {
				t.Errorf("column %s is null", n)
			}
		}
	}
}

func unknownIs(want []byte) func(*testing.T, arrow.RecordBatch, int) {
	return func(t *testing.T, rec arrow.RecordBatch, row int) {
		t.Helper()
		col := column(t, rec, UnknownColumn).(*array.Binary)
		if got := col.Value(row); !bytes.Equal(got, want) || col.IsNull(row) {
			t.Errorf("%s = %x (null %v), want %x", UnknownColumn, got, col.IsNull(row), want)
		}
	}
}

func stringIs(name, want string) func(*testing.T, arrow.RecordBatch, int) {
	return func(t *testing.T, rec arrow.RecordBatch, row int) {
		t.Helper()
		if got := column(t, rec, name).(*array.String).Value(row); got != want {
			t.Errorf("%s = %s, want %s", name, got, want)
		}
	}
}

// TestUnknownFieldsPerMessage: each message struct keeps its own unknown
// fields, the same bytes dynamicpb keeps for that message.
func TestUnknownFieldsPerMessage(t *testing.T) {
	md := testMD(t, "arrowconv.test.Everything")
	unknown := func(n protowire.Number) []byte { return cat(fVarint(n, 1), fString(n+1, "u")) }
	b := cat(
		fBytes(1, fVarint(3, 1), unknown(500)), // scalars
		unknown(600),
		fBytes(8, fString(1, "a"), unknown(700)), // nested[0]
		fBytes(8, fString(1, "b")),               // nested[1]: none
		fBytes(1, unknown(510)),                  // scalars again: merges
	)
	c := newTestConverter(t, md, Options{})
	if err := c.Append(b); err != nil {
		t.Fatal(err)
	}
	rec := c.NewRecordBatch()
	defer rec.Release()
	validate(t, rec)

	dyn := dynamicpb.NewMessage(md)
	if err := proto.Unmarshal(b, dyn); err != nil {
		t.Fatal(err)
	}
	get := func(m protoreflect.Message, name string) protoreflect.Value {
		return m.Get(m.Descriptor().Fields().ByName(protoreflect.Name(name)))
	}
	top := column(t, rec, UnknownColumn).(*array.Binary)
	if !bytes.Equal(top.Value(0), dyn.GetUnknown()) {
		t.Errorf("top: %x, want %x", top.Value(0), dyn.GetUnknown())
	}
	sc := column(t, rec, "scalars").(*array.Struct)
	scUnk := sc.Field(sc.NumField() - 1).(*array.Binary)
	if want := get(dyn, "scalars").Message().GetUnknown(); !bytes.Equal(scUnk.Value(0), want) {
		t.Errorf("scalars: %x, want %x", scUnk.Value(0), want)
	}
	nested := column(t, rec, "nested").(*array.List).ListValues().(*array.Struct)
	nUnk := nested.Field(nested.NumField() - 1).(*array.Binary)
	if want := get(dyn, "nested").List().Get(0).Message().GetUnknown(); !bytes.Equal(nUnk.Value(0), want) {
		t.Errorf("nested[0]: %x, want %x", nUnk.Value(0), want)
	}
	if !nUnk.IsNull(1) {
		t.Errorf("nested[1]: %x, want null", nUnk.Value(1))
	}

	c2 := newTestConverter(t, md, Options{DiscardUnknown: true})
	if idx := c2.Schema().FieldIndices(UnknownColumn); len(idx) != 0 {
		t.Errorf("DiscardUnknown kept %s", UnknownColumn)
	}
	if err := c2.Append(b); err != nil {
		t.Fatal(err)
	}
}

// TestFailedAppendLeavesNoTrace: a record that fails deep inside, after
// much of it would already have been appended by a one-pass decoder,
// leaves every builder as it was.
func TestFailedAppendLeavesNoTrace(t *testing.T) {
	md := testMD(t, "arrowconv.test.Everything")
	types := testTypes(t)
	good := fromJSON(t, md, `{"s": "first", "scalars": {"f_int32": 1}, "nested": [{"name": "a", "tags": ["x"]}],
		"maps": {"string_int32": {"k": 1}}, "repeated": {"r_int32": [1, 2, 3]}, "wkt": {"ts": "2020-01-01T00:00:00Z"}}`)
	bad := [][]byte{
		cat(good, fBytes(8, fString(1, "b"), fString(3, "\xff"))),
		cat(good, fBytes(6, fBytes(1, fVarint(1, 253402300800)))),
		cat(good, fBytes(4, fBytes(7, fString(1, "k"))), fString(9, "x")),
		cat(good, []byte{0x4a, 0x10}),
	}
	c := newTestConverter(t, md, Options{})
	if err := c.Append(good); err != nil {
		t.Fatal(err)
	}
	for i, b := range bad {
		if err := c.Append(b); err == nil {
			t.Fatalf("bad[%d] accepted", i)
		}
	}
	c.AppendNull()
	if err := c.Append(good); err != nil {
		t.Fatal(err)
	}
	rec := c.NewRecordBatch()
	defer rec.Release()
	validate(t, rec)
	if rec.NumRows() != 3 {
		t.Fatalf("%d rows, want 3", rec.NumRows())
	}
	exp, err := oracle(md, types, good)
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range []int{0, 2} {
		for _, d := range match("", exp, renderRow(rec, row, md)) {
			t.Errorf("row %d: %s", row, d)
		}
	}
	for i, col := range rec.Columns() {
		if !col.IsNull(1) {
			t.Errorf("AppendNull row: column %s not null", rec.Schema().Field(i).Name)
		}
	}
}

// TestNewRecordBatchDropsInput: once a batch is out, no pooled frame
// still points into the records appended for it (a consumer's fetch
// buffers must not stay alive through the converter).
func TestNewRecordBatchDropsInput(t *testing.T) {
	md := testMD(t, "arrowconv.test.Everything")
	c := newTestConverter(t, md, Options{})
	b := fromJSON(t, md, `{"s": "x", "nested": [{"name": "a"}, {"name": "b", "inner": {"note": "n"}}],
		"maps": {"string_int32": {"k": 1}}, "repeated": {"r_string": ["p", "q"]}}`)
	if err := c.Append(b); err != nil {
		t.Fatal(err)
	}
	c.NewRecordBatch().Release()
	var walk func(m *msgPlan)
	walk = func(m *msgPlan) {
		for _, f := range m.pool {
			for _, s := range f.slots {
				for _, e := range append(s.list[:cap(s.list)], s.v) {
					if e.b != nil || e.sub != nil {
						t.Errorf("%s: a pooled frame still holds %q / %p", m.md.FullName(), e.b, e.sub)
					}
				}
			}
		}
		for _, fp := range m.fields {
			if fp.child != nil {
				walk(fp.child)
			}
		}
	}
	walk(c.root)
}
