package arrowconv

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/bufbuild/protocompile"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/tributary-io/tributary/internal/benchpb"
)

// testProtos are the .proto files under testdata, and the benchmarks'
// bench.proto (internal/benchpb.Source), compiled once with protocompile
// (no generated code).
var testProtos = sync.OnceValues(func() (*protoregistry.Files, error) {
	names, err := filepath.Glob("testdata/*.proto")
	if err != nil {
		return nil, err
	}
	for i := range names {
		names[i] = filepath.Base(names[i])
	}
	names = append(names, benchProto)
	comp := protocompile.Compiler{Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{
		Accessor: func(path string) (io.ReadCloser, error) {
			if path == benchProto {
				return io.NopCloser(strings.NewReader(benchpb.Source)), nil
			}
			return os.Open(filepath.Join("testdata", path))
		},
	})}
	files, err := comp.Compile(context.Background(), names...)
	if err != nil {
		return nil, err
	}
	reg := new(protoregistry.Files)
	var add func(fd protoreflect.FileDescriptor) error
	add = func(fd protoreflect.FileDescriptor) error {
		if _, err := reg.FindFileByPath(fd.Path()); err == nil {
			return nil
		}
		imps := fd.Imports()
		for i := 0; i < imps.Len(); i++ {
			if err := add(imps.Get(i).FileDescriptor); err != nil {
				return err
			}
		}
		return reg.RegisterFile(fd)
	}
	for _, f := range files {
		if err := add(f); err != nil {
			return nil, err
		}
	}
	return reg, nil
})

// benchProto is the path bench.proto is compiled under.
const benchProto = "tributary/bench/v1/bench.proto"

// testMD returns the descriptor of a test message by full name.
func testMD(t testing.TB, name string) protoreflect.MessageDescriptor {
	t.Helper()
	reg, err := testProtos()
	if err != nil {
		t.Fatalf("compile testdata: %v", err)
	}
	d, err := reg.FindDescriptorByName(protoreflect.FullName(name))
	if err != nil {
		t.Fatalf("find %s: %v", name, err)
	}
	return d.(protoreflect.MessageDescriptor)
}

// testTypes resolves Any type URLs to the test messages.
func testTypes(t testing.TB) *dynamicpb.Types {
	t.Helper()
	reg, err := testProtos()
	if err != nil {
		t.Fatalf("compile testdata: %v", err)
	}
	return dynamicpb.NewTypes(reg)
}

// newTestConverter builds a converter that the test releases.
func newTestConverter(t testing.TB, md protoreflect.MessageDescriptor, opts Options) *Converter {
	t.Helper()
	if opts.Resolver == nil {
		opts.Resolver = testTypes(t)
	}
	c, err := NewConverter(md, opts)
	if err != nil {
		t.Fatalf("NewConverter(%s): %v", md.FullName(), err)
	}
	t.Cleanup(c.Release)
	return c
}

// fromJSON builds the wire bytes of a message written in protojson.
func fromJSON(t testing.TB, md protoreflect.MessageDescriptor, js string) []byte {
	t.Helper()
	m := dynamicpb.NewMessage(md)
	if err := (protojson.UnmarshalOptions{Resolver: testTypes(t), AllowPartial: true}).Unmarshal([]byte(js), m); err != nil {
		t.Fatalf("protojson %s: %v", js, err)
	}
	b, err := proto.MarshalOptions{AllowPartial: true}.Marshal(m)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return b
}

// oracle is what protojson makes of b: proto.Unmarshal into a dynamicpb
// message, then protojson with proto names and unpopulated fields
// emitted (so an implicit-presence zero must be a zero, not a null).
func oracle(md protoreflect.MessageDescriptor, types *dynamicpb.Types, b []byte) (any, error) {
	m := dynamicpb.NewMessage(md)
	if err := dynUnmarshal(b, m); err != nil {
		return nil, fmt.Errorf("unmarshal: %w", err)
	}
	js, err := protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true, Resolver: types}.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("protojson: %w", err)
	}
	var v any
	if err := json.Unmarshal(js, &v); err != nil {
		return nil, err
	}
	return v, nil
}

// errOraclePanic: protobuf-go's reflection-based decoder (the one
// dynamicpb messages use) panics on a map entry whose key field comes
// again with the wrong wire type: unmarshalMap overwrites the key it had
// with the invalid Value of the failed read, then mapv.Set panics
// ("cannot convert nil to map key"). Generated code keeps the first key,
// as arrowconv does. Found by FuzzAppend.
var errOraclePanic = errors.New("proto.Unmarshal of a dynamicpb message panicked")

func dynUnmarshal(b []byte, m *dynamicpb.Message) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", errOraclePanic, r)
		}
	}()
	return proto.Unmarshal(b, m)
}

// Values the Arrow renderer produces where protojson's form differs in
// precision (Timestamp, Duration: nanoseconds there, microseconds here)
// or where the column holds JSON rendered without unpopulated fields.
type (
	tsVal   int64 // µs since the epoch
	durVal  int64 // µs
	jsonVal struct{ v any }
)

// renderRow renders row i of rec in protojson's conventions (as oracle
// does), guided by md. Null columns are left out.
func renderRow(rec arrow.RecordBatch, i int, md protoreflect.MessageDescriptor) map[string]any {
	out := map[string]any{}
	for j, f := range rec.Schema().Fields() {
		if f.Name == UnknownColumn {
			continue
		}
		fd := md.Fields().ByName(protoreflect.Name(f.Name))
		if v := renderField(rec.Column(j), i, fd); v != nil {
			out[fd.TextName()] = v // protojson's name for groups too
		}
	}
	return out
}

func renderField(arr arrow.Array, i int, fd protoreflect.FieldDescriptor) any {
	if arr.IsNull(i) {
		return nil
	}
	switch {
	case fd.IsMap():
		m := arr.(*array.Map)
		start, end := m.ValueOffsets(i)
		out := map[string]any{}
		for j := int(start); j < int(end); j++ {
			k := renderElem(m.Keys(), j, fd.MapKey())
			if f, ok := k.(float64); ok { // 32-bit keys
				k = strconv.FormatFloat(f, 'f', -1, 64)
			}
			out[fmt.Sprint(k)] = renderElem(m.Items(), j, fd.MapValue())
		}
		return out
	case fd.IsList():
		l := arr.(*array.List)
		start, end := l.ValueOffsets(i)
		out := []any{}
		for j := int(start); j < int(end); j++ {
			out = append(out, renderElem(l.ListValues(), j, fd))
		}
		return out
	}
	return renderElem(arr, i, fd)
}

func renderElem(arr arrow.Array, i int, fd protoreflect.FieldDescriptor) any {
	if arr.IsNull(i) {
		return nil
	}
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return renderMessage(arr, i, fd.Message())
	case protoreflect.EnumKind:
		s := arr.(*array.String).Value(i)
		if n, err := strconv.Atoi(s); err == nil { // protojson writes undeclared numbers as numbers
			return float64(n)
		}
		return s
	}
	return renderScalar(arr, i, fd.Kind())
}

func renderMessage(arr arrow.Array, i int, md protoreflect.MessageDescriptor) any {
	switch wellKnown(md) {
	case kTimestamp:
		return tsVal(arr.(*array.Timestamp).Value(i))
	case kDuration:
		return durVal(arr.(*array.Int64).Value(i))
	case kWrapper:
		return renderScalar(arr, i, md.Fields().Get(0).Kind())
	case kJSON:
		return parseJSONVal(arr.(*array.String).Value(i))
	}
	if s, ok := arr.(*array.String); ok { // cut at the recursion limit
		return parseJSONVal(s.Value(i))
	}
	st := arr.(*array.Struct)
	typ := st.DataType().(*arrow.StructType)
	out := map[string]any{}
	for j, f := range typ.Fields() {
		if f.Name == UnknownColumn {
			continue
		}
		fd := md.Fields().ByName(protoreflect.Name(f.Name))
		if v := renderField(st.Field(j), i, fd); v != nil {
			out[fd.TextName()] = v
		}
	}
	return out
}

func parseJSONVal(s string) jsonVal {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return jsonVal{fmt.Sprintf("invalid JSON %q: %v", s, err)}
	}
	return jsonVal{v}
}

func renderScalar(arr arrow.Array, i int, k protoreflect.Kind) any {
	switch a := arr.(type) {
	case *array.Boolean:
		return a.Value(i)
	case *array.Int32:
		return float64(a.Value(i))
	case *array.Int64:
		switch k {
		case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
			return float64(a.Value(i))
		case protoreflect.Uint64Kind, protoreflect.Fixed64Kind: // Uint64AsInt64
			return strconv.FormatUint(uint64(a.Value(i)), 10)
		}
		return strconv.FormatInt(a.Value(i), 10)
	case *array.Decimal128:
		return a.Value(i).BigInt().String()
	case *array.Float32:
		return jsonFloat(float64(a.Value(i)), 32)
	case *array.Float64:
		return jsonFloat(a.Value(i), 64)
	case *array.String:
		return a.Value(i)
	case *array.Binary:
		return base64.StdEncoding.EncodeToString(a.Value(i))
	}
	return fmt.Sprintf("unexpected array %T", arr)
}

func jsonFloat(f float64, bits int) any {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	v, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'g', -1, bits), 64)
	return v
}

// match compares an oracle value with a rendered one and returns the
// differences, each prefixed by its path. Nulls on either side count as
// absent.
func match(path string, exp, act any) []string {
	switch a := act.(type) {
	case tsVal:
		s, ok := exp.(string)
		t, err := time.Parse(time.RFC3339Nano, s)
		if !ok || err != nil || t.Truncate(time.Microsecond).UnixMicro() != int64(a) {
			return []string{fmt.Sprintf("%s: oracle %v, arrow %s", path, exp, time.UnixMicro(int64(a)).UTC().Format(time.RFC3339Nano))}
		}
		return nil
	case durVal:
		s, _ := exp.(string)
		if us, ok := durationMicros(s); !ok || us != int64(a) {
			return []string{fmt.Sprintf("%s: oracle %v, arrow %dµs", path, exp, a)}
		}
		return nil
	case jsonVal:
		return match(path, dropZero(exp), dropZero(a.v))
	case map[string]any:
		e, ok := exp.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: oracle %v, arrow %v", path, exp, act)}
		}
		var diffs []string
		for _, k := range sortedKeys(e, a) {
			ev, av := e[k], a[k]
			if ev == nil && av == nil {
				continue
			}
			diffs = append(diffs, match(path+"."+k, ev, av)...)
		}
		return diffs
	case []any:
		e, ok := exp.([]any)
		if !ok || len(e) != len(a) {
			return []string{fmt.Sprintf("%s: oracle %v, arrow %v", path, exp, act)}
		}
		var diffs []string
		for i := range a {
			diffs = append(diffs, match(fmt.Sprintf("%s[%d]", path, i), e[i], a[i])...)
		}
		return diffs
	}
	if fmt.Sprint(exp) != fmt.Sprint(act) || (exp == nil) != (act == nil) {
		return []string{fmt.Sprintf("%s: oracle %#v, arrow %#v", path, exp, act)}
	}
	return nil
}

func sortedKeys(a, b map[string]any) []string {
	seen := map[string]bool{}
	var keys []string
	for _, m := range []map[string]any{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	return keys
}

// dropZero removes what protojson leaves out without EmitUnpopulated,
// so a JSON column (rendered without it) compares with the oracle's
// rendering of the same message (with it).
func dropZero(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if e = dropZero(e); e != nil {
				out[k] = e
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case []any:
		if len(x) == 0 {
			return nil
		}
		out := make([]any, len(x))
		for i := range x {
			out[i] = dropZero(x[i])
		}
		return out
	case string:
		if x == "" || x == "0" {
			return nil
		}
	case float64:
		if x == 0 {
			return nil
		}
	case bool:
		if !x {
			return nil
		}
	}
	return v
}

// durationMicros parses protojson's Duration form ("-1.000500s") to
// microseconds, truncating toward zero like the converter.
func durationMicros(s string) (int64, bool) {
	s, ok := strings.CutSuffix(s, "s")
	if !ok {
		return 0, false
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	sec, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, false
	}
	frac = (frac + "000000")[:6]
	us, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return 0, false
	}
	us += sec * 1e6
	if neg {
		us = -us
	}
	return us, true
}
