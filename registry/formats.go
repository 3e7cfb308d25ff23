package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/twmb/avro"
)

// The schema types, as the API spells them. AVRO is the default when a
// request names none (Confluent's rule).
const (
	typeAvro     = "AVRO"
	typeProtobuf = "PROTOBUF"
	typeJSON     = "JSON"
)

// schemaTypes is the answer of GET /schemas/types.
var schemaTypes = []string{typeJSON, typeProtobuf, typeAvro}

// errCompatUnchecked: the format does not check compatibility. The
// registry says so (42205) rather than pretending a schema is compatible.
var errCompatUnchecked = errors.New("compatibility of this schema type is not checked")

// errFormatFailed wraps a format's failure that is not the schema's fault
// (answered 50001, not 42201).
var errFormatFailed = errors.New("schema compiler failed")

// source is a schema with its references resolved: all a format needs to
// compile it.
type source struct {
	Text string
	// Deps are the referenced schemas, transitively, dependencies before
	// their dependents; Name is the reference name (for Protobuf the
	// import path).
	Deps []dep
}

type dep struct {
	Name, Type, Text string
}

// compiled is a schema its format accepted.
type compiled interface {
	// canonical is the text stored for the schema.
	canonical() string
	// identity is what two copies of one schema share however they are
	// written: the fingerprint (with the references) is made of it.
	identity() string
}

// incompat is one reason a schema may not follow a previous one.
type incompat struct {
	prev int // index in the previous schemas given to check
	msg  string
}

// format compiles, compares and renders the schemas of one type.
type format interface {
	// compile checks src; an error is the reason the schema is invalid
	// (or ctx's). normalize asks for the format's normalized form as
	// canonical text, where it has one.
	compile(ctx context.Context, src source, normalize bool) (compiled, error)
	// check lists why next may not follow every one of prev (oldest
	// first) under level (none: it may). The caller passes only the
	// versions the level compares with. errCompatUnchecked when the
	// format does not check compatibility.
	check(level compatLevel, next compiled, prev []compiled) ([]incompat, error)
	// render returns c in the named output format ("" and "default":
	// canonical); false when the format does not know the name.
	render(c compiled, name string) (string, bool)
}

// validator is a format with checks a new schema must pass beyond
// compiling, which stored schemas are not held to again.
type validator interface {
	validate(c compiled) error
}

// defaultFormats are the formats a Server starts with.
func defaultFormats() map[string]format {
	return map[string]format{
		typeProtobuf: protobufFormat{},
		typeAvro:     avroFormat{},
		typeJSON:     jsonFormat{},
	}
}

// renderDefault handles the output formats every type shares.
func renderDefault(c compiled, name string) (string, bool) {
	if name == "" || name == "default" {
		return c.canonical(), true
	}
	return "", false
}

// avroFormat compiles Avro schemas (github.com/twmb/avro) and checks their
// compatibility by Avro's schema-resolution rules.
type avroFormat struct{}

type avroSchema struct {
	text   string
	schema *avro.Schema
}

func (a *avroSchema) canonical() string { return a.text }
func (a *avroSchema) identity() string  { return a.text }

func (avroFormat) compile(_ context.Context, src source, normalize bool) (compiled, error) {
	var cache avro.SchemaCache
	for _, d := range src.Deps {
		if d.Type != typeAvro {
			return nil, fmt.Errorf("reference %q is a %s schema, not AVRO", d.Name, d.Type)
		}
		if _, err := cache.Parse(d.Text); err != nil {
			return nil, fmt.Errorf("reference %q: %w", d.Name, err)
		}
	}
	s, err := cache.Parse(src.Text)
	if err != nil {
		return nil, err
	}
	text := compactJSON(src.Text)
	if normalize && len(src.Deps) == 0 {
		// The Parsing Canonical Form drops docs, aliases and defaults,
		// which change no written byte; it names every type in full.
		text = string(s.Canonical())
	}
	return &avroSchema{text: text, schema: s}, nil
}

// check applies Avro's schema resolution: BACKWARD has the new schema
// read what the old wrote, FORWARD the old read what the new writes.
func (avroFormat) check(level compatLevel, next compiled, prev []compiled) ([]incompat, error) {
	n := next.(*avroSchema).schema
	var out []incompat
	for i, pc := range prev {
		p := pc.(*avroSchema).schema
		if level.backward() {
			if err := avro.CheckCompatibility(p, n); err != nil {
				out = append(out, incompat{i, "new schema cannot read data written with the old: " + err.Error()})
			}
		}
		if level.forward() {
			if err := avro.CheckCompatibility(n, p); err != nil {
				out = append(out, incompat{i, "old schema cannot read data written with the new: " + err.Error()})
			}
		}
	}
	return out, nil
}

func (avroFormat) render(c compiled, name string) (string, bool) { return renderDefault(c, name) }

// jsonFormat stores JSON Schemas after checking they are JSON; it does not
// check their compatibility yet (errCompatUnchecked).
type jsonFormat struct{}

type jsonSchema string

func (j jsonSchema) canonical() string { return string(j) }
func (j jsonSchema) identity() string  { return string(j) }

func (jsonFormat) compile(_ context.Context, src source, normalize bool) (compiled, error) {
	var v any
	if err := json.Unmarshal([]byte(src.Text), &v); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	switch v.(type) {
	case map[string]any, bool:
	default:
		return nil, errors.New("a JSON Schema is an object or a boolean")
	}
	return jsonSchema(compactJSON(src.Text)), nil
}

func (jsonFormat) check(compatLevel, compiled, []compiled) ([]incompat, error) {
	return nil, errCompatUnchecked
}

func (jsonFormat) render(c compiled, name string) (string, bool) { return renderDefault(c, name) }

// compactJSON drops insignificant white space (text must be valid JSON).
func compactJSON(text string) string {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(text)); err != nil {
		return strings.TrimSpace(text)
	}
	return b.String()
}
