package registry

import (
	"fmt"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"
)

const (
	// protoV2AddMessage adds a message: new readers can read old data,
	// old readers do not know the new message (FORWARD breaks).
	protoV2AddMessage = protoV1 + `
message N {
  int64 x = 1;
}
`
	// protoV2DropB removes field b (allowed), protoV3BackAsString brings
	// it back as a string: fine after V2, not after V1.
	protoV2DropB = `syntax = "proto3";
package test.v;

message M {
  string a = 1;
}
`
	protoV3BackAsString = protoV2KindChange
)

var levels = []sr.CompatibilityLevel{
	sr.CompatNone, sr.CompatBackward, sr.CompatBackwardTransitive, sr.CompatForward,
	sr.CompatForwardTransitive, sr.CompatFull, sr.CompatFullTransitive,
}

// TestCompatibilityLevels registers Protobuf pairs under every level.
func TestCompatibilityLevels(t *testing.T) {
	r := newTestRegistry(t, newStore(t), Options{})
	type step struct {
		schema string
		ok     func(l sr.CompatibilityLevel) bool
	}
	always := func(sr.CompatibilityLevel) bool { return true }
	onlyNone := func(l sr.CompatibilityLevel) bool { return l == sr.CompatNone }
	notForward := func(l sr.CompatibilityLevel) bool {
		return l == sr.CompatNone || l == sr.CompatBackward || l == sr.CompatBackwardTransitive
	}
	notTransitive := func(l sr.CompatibilityLevel) bool {
		return l == sr.CompatNone || l == sr.CompatBackward || l == sr.CompatForward || l == sr.CompatFull
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"add field", []step{{protoV1, always}, {protoV2AddField, always}}},
		{"change kind", []step{{protoV1, always}, {protoV2KindChange, onlyNone}}},
		{"add message", []step{{protoV1, always}, {protoV2AddMessage, notForward}}},
		{"transitive", []step{{protoV1, always}, {protoV2DropB, always}, {protoV3BackAsString, notTransitive}}},
	} {
		for _, l := range levels {
			subject := fmt.Sprintf("%s-%s", strings.ReplaceAll(tc.name, " ", "-"), l)
			t.Run(subject, func(t *testing.T) {
				res := r.cl.SetCompatibility(ctx(t), sr.SetCompatibility{Level: l}, subject)
				if res[0].Err != nil || res[0].Level != l {
					t.Fatalf("set level: %+v", res[0])
				}
				for i, st := range tc.steps {
					// The check against the versions the level names
					// (-2) must agree with registration.
					check, err := r.cl.CheckCompatibility(sr.WithParams(ctx(t), sr.Verbose), subject, -2, proto(st.schema))
					if err != nil {
						t.Fatalf("step %d check: %v", i, err)
					}
					_, err = r.cl.RegisterSchema(ctx(t), subject, proto(st.schema), -1, -1)
					if st.ok(l) {
						if err != nil || !check.Is {
							t.Fatalf("step %d: register %v, check %+v; want compatible", i, err, check)
						}
						continue
					}
					wantCode(t, err, 409, 409)
					if check.Is || len(check.Messages) == 0 {
						t.Fatalf("step %d: check %+v, want incompatible with reasons", i, check)
					}
					if !strings.Contains(err.Error(), "incompatible") && !strings.Contains(fmt.Sprint(err), "409") {
						t.Fatalf("step %d: %v", i, err)
					}
				}
			})
		}
	}
}

func TestCompatibilityEndpoint(t *testing.T) {
	r := newTestRegistry(t, newStore(t), Options{})
	// No version yet: "latest" is compatible, a number is not found.
	res, err := r.cl.CheckCompatibility(ctx(t), "s", -1, proto(protoV1))
	if err != nil || !res.Is {
		t.Fatalf("check against nothing: %+v %v", res, err)
	}
	_, err = r.cl.CheckCompatibility(ctx(t), "s", 1, proto(protoV1))
	wantCode(t, err, 404, 40402)
	r.register("s", proto(protoV1))
	r.register("s", proto(protoV2DropB))
	// Against version 1 explicitly: the kind change breaks.
	res, err = r.cl.CheckCompatibility(sr.WithParams(ctx(t), sr.Verbose), "s", 1, proto(protoV3BackAsString))
	if err != nil || res.Is {
		t.Fatalf("check against v1: %+v %v", res, err)
	}
	if !strings.Contains(strings.Join(res.Messages, " "), "FIELD_SCALAR_KIND_CHANGED") ||
		!strings.Contains(strings.Join(res.Messages, " "), "{oldSchemaVersion: 1}") {
		t.Fatalf("messages %q", res.Messages)
	}
	// Latest (v2): fine under BACKWARD.
	res, err = r.cl.CheckCompatibility(ctx(t), "s", -1, proto(protoV3BackAsString))
	if err != nil || !res.Is || res.Messages != nil {
		t.Fatalf("check against latest: %+v %v", res, err)
	}
	// All versions (-2): the level decides; BACKWARD looks at the latest.
	res, err = r.cl.CheckCompatibility(ctx(t), "s", -2, proto(protoV3BackAsString))
	if err != nil || !res.Is {
		t.Fatalf("check against all, BACKWARD: %+v %v", res, err)
	}
	r.cl.SetCompatibility(ctx(t), sr.SetCompatibility{Level: sr.CompatBackwardTransitive}, "s")
	res, err = r.cl.CheckCompatibility(ctx(t), "s", -2, proto(protoV3BackAsString))
	if err != nil || res.Is {
		t.Fatalf("check against all, BACKWARD_TRANSITIVE: %+v %v", res, err)
	}
	// Bad input.
	_, err = r.cl.CheckCompatibility(ctx(t), "s", -1, proto("nope"))
	wantCode(t, err, 422, 42201)
	res, err = r.cl.CheckCompatibility(sr.WithParams(ctx(t), sr.Verbose), "s", -1, proto("nope"))
	if err != nil || res.Is || len(res.Messages) != 1 {
		t.Fatalf("verbose check of a bad schema: %+v %v", res, err)
	}
	r.expectCode(422, 42202, "POST", "/compatibility/subjects/s/versions/zero", `{"schema":"x"}`)
	r.expectCode(404, 40402, "POST", "/compatibility/subjects/s/versions/9", `{"schema":"x"}`)
}

func TestCompatibilityAcrossTypes(t *testing.T) {
	r := newTestRegistry(t, newStore(t), Options{})
	r.register("s", proto(protoV1))
	_, err := r.cl.RegisterSchema(ctx(t), "s", sr.Schema{Schema: `"string"`}, -1, -1)
	wantCode(t, err, 409, 409)
	if !strings.Contains(err.Error(), "different schema type") {
		t.Fatalf("message %v", err)
	}
}

func TestAvroCompatibility(t *testing.T) {
	r := newTestRegistry(t, newStore(t), Options{})
	v1 := `{"type":"record","name":"R","fields":[{"name":"a","type":"string"}]}`
	noDefault := `{"type":"record","name":"R","fields":[{"name":"a","type":"string"},{"name":"b","type":"int"}]}`
	withDefault := `{"type":"record","name":"R","fields":[{"name":"a","type":"string"},{"name":"b","type":"int","default":0}]}`
	r.register("a", sr.Schema{Schema: v1})
	_, err := r.cl.RegisterSchema(ctx(t), "a", sr.Schema{Schema: noDefault}, -1, -1)
	wantCode(t, err, 409, 409)
	r.register("a", sr.Schema{Schema: withDefault})
	// FORWARD: old readers ignore the new field, fine.
	r.cl.SetCompatibility(ctx(t), sr.SetCompatibility{Level: sr.CompatForward}, "f")
	r.register("f", sr.Schema{Schema: v1})
	r.register("f", sr.Schema{Schema: noDefault})
	// Removing a field without default breaks FORWARD.
	_, err = r.cl.RegisterSchema(ctx(t), "f", sr.Schema{Schema: `{"type":"record","name":"R","fields":[{"name":"b","type":"int"}]}`}, -1, -1)
	wantCode(t, err, 409, 409)
	// The same text with other white space is the same schema.
	pretty := "{\n  \"type\": \"record\", \"name\": \"R\",\n  \"fields\": [{\"name\": \"a\", \"type\": \"string\"}]\n}"
	if id := r.register("a2", sr.Schema{Schema: pretty}); id != 1 {
		t.Fatalf("reformatted avro got id %d, want 1", id)
	}
}

// TestJSONCompatibilityNotChecked: JSON Schemas are stored; where a check
// is due the registry says it does not make one.
func TestJSONCompatibilityNotChecked(t *testing.T) {
	r := newTestRegistry(t, newStore(t), Options{})
	j := func(s string) sr.Schema { return sr.Schema{Schema: s, Type: sr.TypeJSON} }
	r.register("j", j(`{"type":"object","properties":{"a":{"type":"string"}}}`))
	_, err := r.cl.RegisterSchema(ctx(t), "j", j(`{"type":"object"}`), -1, -1)
	wantCode(t, err, 422, 42205)
	if !strings.Contains(err.Error(), "not checked") {
		t.Fatalf("message %v", err)
	}
	_, err = r.cl.CheckCompatibility(ctx(t), "j", -1, j(`{"type":"object"}`))
	wantCode(t, err, 422, 42205)
	r.cl.SetCompatibility(ctx(t), sr.SetCompatibility{Level: sr.CompatNone}, "j")
	r.register("j", j(`{"type":"object"}`))
	got, err := r.cl.SchemaByVersion(ctx(t), "j", 2)
	if err != nil || got.Type != sr.TypeJSON || got.Schema.Schema != `{"type":"object"}` {
		t.Fatalf("json v2 %+v %v", got, err)
	}
}

func TestAvroReferences(t *testing.T) {
	r := newTestRegistry(t, newStore(t), Options{})
	addr := `{"type":"record","name":"Address","namespace":"com.acme","fields":[{"name":"city","type":"string"}]}`
	user := `{"type":"record","name":"User","namespace":"com.acme","fields":[{"name":"addr","type":"com.acme.Address"}]}`
	r.register("address", sr.Schema{Schema: addr})
	ref := sr.SchemaReference{Name: "com.acme.Address", Subject: "address", Version: 1}
	id := r.register("user", sr.Schema{Schema: user, References: []sr.SchemaReference{ref}})
	got, err := r.cl.SchemaByID(ctx(t), id)
	if err != nil || len(got.References) != 1 || got.References[0] != ref {
		t.Fatalf("user %+v %v", got, err)
	}
	_, err = r.cl.RegisterSchema(ctx(t), "user2", sr.Schema{Schema: user}, -1, -1)
	wantCode(t, err, 422, 42201) // the named type is unknown without the reference
	// Compatibility through the reference: adding a field with a default.
	user2 := `{"type":"record","name":"User","namespace":"com.acme","fields":[{"name":"addr","type":"com.acme.Address"},{"name":"n","type":"int","default":1}]}`
	r.register("user", sr.Schema{Schema: user2, References: []sr.SchemaReference{ref}})
}
