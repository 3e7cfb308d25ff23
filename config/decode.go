package config

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// This file is the strict YAML decoder behind Parse: it walks a yaml.Node
// tree against a Go type by its yaml tags, so that an unknown key or a bad
// value is reported with its full key path ("kafka.listeners[0].name"),
// which yaml.v3's KnownFields cannot do. Absent keys leave the destination
// as it was, so decoding over Default() gives "file values over defaults".

// pathUnmarshaler is implemented by types that decode themselves but want
// their errors to name the key path (DataSource, Postgres, S3). They get the
// decoder so that keys below them are checked against its unsupported list.
type pathUnmarshaler interface {
	unmarshalAt(d decoder, n *yaml.Node, path string) error
}

var (
	durationType = reflect.TypeFor[time.Duration]()
	indexRE      = regexp.MustCompile(`\[\d+\]`)
)

// decoder decodes one configuration form. unsupported maps key paths
// (list indexes removed: "kafka.listeners.tls") of known-but-unimplemented
// keys to the reason given in the error.
type decoder struct {
	unsupported map[string]string
}

// strictDecode decodes n into out (a pointer), naming keys from path.
func strictDecode(n *yaml.Node, out any, path string) error {
	return decoder{}.decode(n, reflect.ValueOf(out).Elem(), path)
}

func (d decoder) decode(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil
		}
		return d.decode(n.Content[0], v, path)
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil // "key:" with no value keeps what was there
	}
	if v.CanAddr() {
		switch p := v.Addr().Interface().(type) {
		case pathUnmarshaler:
			return p.unmarshalAt(d, n, path)
		case yaml.Unmarshaler:
			if err := p.UnmarshalYAML(n); err != nil {
				return invalidAt(path, n, err)
			}
			return nil
		}
	}
	if v.Type() == durationType {
		return decodeDuration(n, v, path)
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		return d.decode(n, v.Elem(), path)
	case reflect.Struct:
		return d.decodeStruct(n, v, path)
	case reflect.Slice:
		return d.decodeSlice(n, v, path)
	case reflect.Map:
		if err := n.Decode(v.Addr().Interface()); err != nil {
			return invalidAt(path, n, err)
		}
		return nil
	default:
		return decodeScalar(n, v, path)
	}
}

func (d decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind != yaml.MappingNode {
		return invalidAt(path, n, fmt.Errorf("want a mapping, got a %s", kindName(n)))
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		key := joinPath(path, k.Value)
		if seen[k.Value] {
			return fmt.Errorf("%w %q (line %d): set twice", ErrInvalidValue, key, k.Line)
		}
		seen[k.Value] = true
		f, ok := fieldByTag(v, k.Value)
		if !ok {
			return d.unknownKey(key, k)
		}
		if err := d.decode(val, f, key); err != nil {
			return err
		}
	}
	return nil
}

func (d decoder) unknownKey(key string, k *yaml.Node) error {
	if why, ok := d.unsupported[indexRE.ReplaceAllString(key, "")]; ok {
		return fmt.Errorf("%w %q (line %d): %s", ErrUnsupportedKey, key, k.Line, why)
	}
	return fmt.Errorf("%w %q (line %d)", ErrUnknownKey, key, k.Line)
}

func (d decoder) decodeSlice(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind != yaml.SequenceNode {
		return invalidAt(path, n, fmt.Errorf("want a list, got a %s", kindName(n)))
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, el := range n.Content {
		if err := d.decode(el, s.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
			return err
		}
	}
	v.Set(s)
	return nil
}

// fieldByTag finds the field of struct v whose yaml tag names key.
func fieldByTag(v reflect.Value, key string) (reflect.Value, bool) {
	t := v.Type()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" && name == key {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

func decodeDuration(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind != yaml.ScalarNode {
		return invalidAt(path, n, fmt.Errorf("want a duration, got a %s", kindName(n)))
	}
	dur, err := time.ParseDuration(n.Value)
	if err != nil {
		return invalidAt(path, n, fmt.Errorf("%q is not a duration (use Go syntax: 500ms, 30s, 1h)", n.Value))
	}
	v.SetInt(int64(dur))
	return nil
}

func decodeScalar(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind != yaml.ScalarNode {
		return invalidAt(path, n, fmt.Errorf("want %s, got a %s", typeName(v.Type()), kindName(n)))
	}
	if v.Kind() == reflect.String {
		v.SetString(n.Value)
		return nil
	}
	tmp := reflect.New(v.Type())
	if err := n.Decode(tmp.Interface()); err != nil {
		return invalidAt(path, n, fmt.Errorf("want %s, got %q", typeName(v.Type()), n.Value))
	}
	v.Set(tmp.Elem())
	return nil
}

func invalidAt(path string, n *yaml.Node, err error) error {
	return fmt.Errorf("%w %q (line %d): %w", ErrInvalidValue, path, n.Line, err)
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	default:
		return "scalar"
	}
}

func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer (" + t.Kind().String() + ")"
	case reflect.Float32, reflect.Float64:
		return "a number"
	default:
		return "a " + t.Kind().String()
	}
}
