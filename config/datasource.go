package config

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// DataSource is Bufstream's <data-source>: a value, usually a secret, given
// inline, in an environment variable, or in a file. In YAML it is a plain
// string (the value itself) or a mapping with exactly one of `string`,
// `env_var`, `path`, and optionally `encoding: plaintext|base64` (upper
// case, the unversioned form's spelling, is accepted too).
//
// Printing a DataSource (any fmt verb, String) names where the value comes
// from and never shows an inline value; its fields are unexported, so
// reflection-based encoders (JSON, YAML) do not show it either. Only
// Resolve reveals it.
type DataSource struct {
	kind   sourceKind
	ref    string // the inline value, the variable's name, or the file's path
	base64 bool
}

type sourceKind int

const (
	sourceNone sourceKind = iota
	sourceInline
	sourceEnv
	sourcePath
)

// InlineSource returns a data source holding value itself.
func InlineSource(value string) DataSource { return DataSource{kind: sourceInline, ref: value} }

// EnvSource returns a data source read from environment variable name.
func EnvSource(name string) DataSource { return DataSource{kind: sourceEnv, ref: name} }

// FileSource returns a data source read from the file at path (relative to
// the working directory), trailing newlines stripped.
func FileSource(path string) DataSource { return DataSource{kind: sourcePath, ref: path} }

// Base64 returns d with its value base64-decoded on Resolve.
func (d DataSource) Base64() DataSource {
	d.base64 = true
	return d
}

// IsZero reports whether d is unset.
func (d DataSource) IsZero() bool { return d.kind == sourceNone }

// Resolve reads the value: the inline string, the environment variable
// (an error if unset), or the file with trailing newlines ("\n", "\r\n")
// stripped; then base64-decodes it if asked.
func (d DataSource) Resolve() ([]byte, error) {
	raw, err := d.raw()
	if err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrDataSource, d, err)
	}
	if !d.base64 {
		return raw, nil
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(raw)))
	n, err := base64.StdEncoding.Decode(out, bytes.TrimSpace(raw))
	if err != nil {
		// The error gives an offset only, never the data.
		return nil, fmt.Errorf("%w %s: decode base64: %w", ErrDataSource, d, err)
	}
	return out[:n], nil
}

func (d DataSource) raw() ([]byte, error) {
	switch d.kind {
	case sourceInline:
		return []byte(d.ref), nil
	case sourceEnv:
		v, ok := os.LookupEnv(d.ref)
		if !ok {
			return nil, fmt.Errorf("environment variable not set")
		}
		return []byte(v), nil
	case sourcePath:
		b, err := os.ReadFile(d.ref)
		if err != nil {
			return nil, err
		}
		return bytes.TrimRight(b, "\r\n"), nil
	default:
		return nil, fmt.Errorf("no source set")
	}
}

// String names the source without its value: "string:<redacted>",
// "env_var:NAME", "path:FILE", with ",base64" when encoded; "none" if unset.
func (d DataSource) String() string {
	var s string
	switch d.kind {
	case sourceInline:
		s = "string:<redacted>"
	case sourceEnv:
		s = "env_var:" + d.ref
	case sourcePath:
		s = "path:" + d.ref
	default:
		return "none"
	}
	if d.base64 {
		s += ",base64"
	}
	return s
}

// Format makes every fmt verb (%v, %+v, %#v, %s, %q, %x, %d, …) print
// String, so no verb reaches the inline value.
func (d DataSource) Format(f fmt.State, verb rune) {
	// f writes into fmt's own buffer, which never fails; the caller's
	// Fprintf returns the destination's write error.
	if verb == 'q' {
		_, _ = fmt.Fprintf(f, "%q", d.String())
		return
	}
	_, _ = f.Write([]byte(d.String()))
}

// dataSourceYAML is the mapping form.
type dataSourceYAML struct {
	Path     *string `yaml:"path"`
	EnvVar   *string `yaml:"env_var"`
	String   *string `yaml:"string"`
	Encoding string  `yaml:"encoding"`
}

// UnmarshalYAML reads a plain string or the mapping form.
func (d *DataSource) UnmarshalYAML(n *yaml.Node) error { return d.unmarshalAt(decoder{}, n, "") }

// unmarshalAt is UnmarshalYAML with errors naming the key path.
func (d *DataSource) unmarshalAt(dec decoder, n *yaml.Node, path string) error {
	fail := func(err error) error {
		if path == "" {
			return fmt.Errorf("%w: %w", ErrDataSource, err)
		}
		return invalidAt(path, n, err)
	}
	switch n.Kind {
	case yaml.ScalarNode:
		*d = InlineSource(n.Value)
		return nil
	case yaml.MappingNode:
		var m dataSourceYAML
		if err := dec.decode(n, reflectValue(&m), path); err != nil {
			return err
		}
		if err := d.fromMapping(m); err != nil {
			return fail(err)
		}
		return nil
	default:
		return fail(fmt.Errorf("want a string or a mapping with one of string, env_var, path"))
	}
}

func (d *DataSource) fromMapping(m dataSourceYAML) error {
	var set []DataSource
	if m.String != nil {
		set = append(set, InlineSource(*m.String))
	}
	if m.EnvVar != nil {
		set = append(set, EnvSource(*m.EnvVar))
	}
	if m.Path != nil {
		set = append(set, FileSource(*m.Path))
	}
	if len(set) != 1 {
		return fmt.Errorf("want exactly one of string, env_var, path; got %d", len(set))
	}
	*d = set[0]
	switch strings.ToLower(m.Encoding) {
	case "", "plaintext":
	case "base64":
		d.base64 = true
	default:
		return fmt.Errorf("encoding %q: want plaintext or base64", m.Encoding)
	}
	return nil
}
