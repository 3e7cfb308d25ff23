package config

// The configuration reference, docs/config.md, is generated from the
// Config struct: every yaml key reachable from Config (its tags), its type,
// its value in Default() and the field's doc comment. TestConfigReference
// fails when a key of the struct is missing from the file (or the file
// lists one the struct no longer has), so a key added without regenerating
// it is caught; a changed doc comment is only logged. Regenerate:
//
//	go generate ./config    (= go test ./config -run '^TestConfigReference$' -update)

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

var update = flag.Bool("update", false, "rewrite docs/config.md from the Config struct")

const referencePath = "../docs/config.md"

func TestConfigReference(t *testing.T) {
	got := configReference(t)
	if *update {
		if err := os.WriteFile(referencePath, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(referencePath)
	if err != nil {
		t.Fatalf("%v (generate it: go generate ./config)", err)
	}
	documented := map[string]bool{}
	for _, line := range strings.Split(string(want), "\n") {
		if key, ok := strings.CutPrefix(line, "| `"); ok {
			key, _, _ = strings.Cut(key, "`")
			documented[key] = true
		}
	}
	for _, k := range referenceKeys(t) {
		if !documented[k.path] {
			t.Errorf("docs/config.md lacks the key %s: run go generate ./config", k.path)
		}
		delete(documented, k.path)
	}
	for k := range unsupportedV1Beta1 {
		delete(documented, k)
	}
	for k := range documented {
		t.Errorf("docs/config.md lists %s, which Config no longer has: run go generate ./config", k)
	}
	if string(want) != got {
		// Only descriptions or defaults differ: a doc comment changed.
		// Not a failure (every key is there), but worth regenerating.
		t.Log("docs/config.md's descriptions or defaults are stale: run go generate ./config")
	}
}

// TestConfigReferenceHasEveryKey checks the generator itself: keys of each
// kind (top level, nested, in a list, behind a pointer, Postgres' own
// shape) are listed.
func TestConfigReferenceHasEveryKey(t *testing.T) {
	have := map[string]bool{}
	for _, k := range referenceKeys(t) {
		have[k.path] = true
	}
	for _, want := range []string{
		"cluster", "data_dir", "kafka.listeners[].listen_address", "kafka.listeners[].tls.cert_chain",
		"kafka.authorization.super_users", "metadata.postgres.dsn", "metadata.postgres.pool.max_connections",
		"data.s3.uri", "intake.delay_max", "iceberg[].rest.url", "groups.offsets_retention",
	} {
		if !have[want] {
			t.Errorf("reference lacks %s", want)
		}
	}
	if have["data.s3.bucket"] || have["data.s3.Bucket"] {
		t.Error("reference lists a yaml:\"-\" field")
	}
}

type refKey struct {
	path, typ, def, doc string
}

func configReference(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(`# Configuration reference

Generated from the ` + "`config.Config`" + ` struct by ` + "`go generate ./config`" + `; do not edit
(` + "`config/reference_test.go`" + ` fails when a key of the struct is missing here).

The file is Bufstream's ` + "`bufstream.yaml`" + ` (` + "`version: v1beta1`" + `); every key is optional,
unknown keys are errors. ` + "`config/bufstream.yaml`" + ` shows the common keys at their
defaults. Durations use Go syntax (` + "`500ms`, `30s`, `1h`" + `); sizes are bytes or an
integer with a unit (` + "`KiB`, `MiB`, `GiB`" + ` or ` + "`KB`, `MB`, `GB`" + `); a *data source* is a
string or one of ` + "`{string: …}`, `{env_var: NAME}`, `{path: FILE}`" + `. ` + "`[]`" + ` in a key
marks a list. The default column is ` + "`config.Default()`" + `'s value, where it has one;
the description (the field's doc comment) says more, including which keys
are Tributary's own rather than Bufstream's. Keys are read at start: a change
needs a restart (topic configs, set through the Kafka API, are dynamic).

| key | type | default | description |
|---|---|---|---|
`)
	for _, k := range referenceKeys(t) {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", k.path, k.typ, k.def, k.doc)
	}
	b.WriteString(`
## Refused keys

Bufstream keys for features Tributary does not have; a file that sets one
fails to load with this reason.

| key | reason |
|---|---|
`)
	keys := make([]string, 0, len(unsupportedV1Beta1))
	for k := range unsupportedV1Beta1 {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "| `%s` | %s |\n", k, cell(unsupportedV1Beta1[k]))
	}
	return b.String()
}

func referenceKeys(t *testing.T) []refKey {
	t.Helper()
	docs := fieldDocs(t)
	var keys []refKey
	walkKeys(reflect.TypeFor[Config](), reflect.ValueOf(Default()), "", docs, &keys)
	return keys
}

var (
	yamlUnmarshaler = reflect.TypeFor[yaml.Unmarshaler]()
	// docShape gives the struct whose keys a type is written with, where
	// it decodes itself from another shape.
	docShape = map[reflect.Type]reflect.Type{reflect.TypeFor[Postgres](): reflect.TypeFor[postgresYAML]()}
	// docFrom names the type whose same-named fields document a shape's
	// ("" is postgresYAML's anonymous pool struct).
	docFrom = map[string]string{"postgresYAML": "Postgres", "": "Postgres"}
)

// walkKeys appends the keys of struct type st under prefix; v is its value
// in Default() when there is one (invalid otherwise).
func walkKeys(st reflect.Type, v reflect.Value, prefix string, docs map[string]string, keys *[]refKey) {
	for i := range st.NumField() {
		f := st.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		path := name
		if prefix != "" {
			path = prefix + "." + name
		}
		var fv reflect.Value
		if v.IsValid() {
			fv = v.Field(i)
		}
		doc := docs[st.Name()+"."+f.Name]
		if doc == "" && docFrom[st.Name()] != "" {
			doc = docs[docFrom[st.Name()]+"."+f.Name]
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
			if fv.IsValid() && !fv.IsNil() {
				fv = fv.Elem()
			} else {
				fv = reflect.Value{}
			}
		}
		if shape, ok := docShape[ft]; ok {
			*keys = append(*keys, refKey{path, "mapping or data source", "", cell(doc)})
			walkKeys(shape, reflect.Value{}, path, docs, keys)
			continue
		}
		switch {
		case ft.Kind() == reflect.Slice && !isLeaf(ft.Elem()):
			*keys = append(*keys, refKey{path, "list", listDefault(fv), cell(doc)})
			walkKeys(ft.Elem(), reflect.Value{}, path+"[]", docs, keys)
		case !isLeaf(ft):
			*keys = append(*keys, refKey{path, "mapping", "", cell(doc)})
			walkKeys(ft, fv, path, docs, keys)
		default:
			*keys = append(*keys, refKey{path, typeLabel(ft), defaultCell(fv), cell(doc)})
		}
	}
}

func isLeaf(t reflect.Type) bool {
	return t == durationType || reflect.PointerTo(t).Implements(yamlUnmarshaler) || t.Kind() != reflect.Struct
}

func typeLabel(t reflect.Type) string {
	switch {
	case t == durationType:
		return "duration"
	case t == reflect.TypeFor[ByteSize]():
		return "size"
	case t == reflect.TypeFor[DataSource]():
		return "data source"
	case t.Kind() == reflect.Slice:
		return "list of " + typeLabel(t.Elem())
	case t.Kind() == reflect.Map:
		return "mapping"
	case t.Kind() == reflect.Bool:
		return "bool"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return "integer"
	default:
		return "string"
	}
}

func defaultCell(v reflect.Value) string {
	if !v.IsValid() {
		return ""
	}
	switch x := v.Interface().(type) {
	case time.Duration:
		return "`" + x.String() + "`"
	case ByteSize:
		return "`" + x.String() + "`"
	case DataSource:
		return ""
	case string:
		if x == "" {
			return ""
		}
		return "`" + x + "`"
	}
	if v.Kind() == reflect.Slice || v.Kind() == reflect.Map {
		if v.Len() == 0 {
			return ""
		}
	}
	return fmt.Sprintf("`%v`", v.Interface())
}

func listDefault(v reflect.Value) string {
	if !v.IsValid() || v.Len() == 0 {
		return ""
	}
	if v.Len() == 1 {
		return "1 entry"
	}
	return fmt.Sprintf("%d entries", v.Len())
}

// cell makes text fit one table cell.
func cell(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.ReplaceAll(s, "|", `\|`)
}

// fieldDocs reads the doc comments of the package's struct fields, keyed
// "Type.Field". A field without one takes the comment of the field before
// it in the same struct when that comment names it ("A and B bound …").
func fieldDocs(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	docs := map[string]string{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok {
				return true
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				return true
			}
			structDocs(ts.Name.Name, st, docs)
			return true
		})
	}
	return docs
}

func structDocs(typeName string, st *ast.StructType, docs map[string]string) {
	prev := ""
	for _, fl := range st.Fields.List {
		doc := fl.Doc.Text()
		for _, n := range fl.Names {
			d := doc
			if d == "" && strings.Contains(prev, n.Name) {
				d = prev
			}
			docs[typeName+"."+n.Name] = d
		}
		if doc != "" {
			prev = doc
		}
	}
}
