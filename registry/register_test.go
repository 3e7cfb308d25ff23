package registry

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"
)

func TestRegisterIsIdempotentAndSharesIDs(t *testing.T) {
	r := newTestRegistry(t, newStore(t), Options{})
	id := r.register("a-value", proto(protoV1))
	if id != 1 {
		t.Fatalf("first id %d, want 1", id)
	}
	if again := r.register("a-value", proto(protoV1)); again != id {
		t.Fatalf("same schema again: id %d, want %d", again, id)
	}
	if again := r.register("a-value", proto(protoV1Reformatted)); again != id {
		t.Fatalf("same schema reformatted: id %d, want %d", again, id)
	}
	vs, err := r.cl.SubjectVersions(ctx(t), "a-value")
	if err != nil || !slices.Equal(vs, []int{1}) {
		t.Fatalf("versions %v %v, want [1]", vs, err)
	}
	if other := r.register("b-value", proto(protoV1)); other != id {
		t.Fatalf("same schema in another subject: id %d, want %d", other, id)
	}
	id2 := r.register("a-value", proto(protoV2AddField))
	if id2 == id {
		t.Fatalf("new schema got the old id %d", id2)
	}
	vs, _ = r.cl.SubjectVersions(ctx(t), "a-value")
	if !slices.Equal(vs, []int{1, 2}) {
		t.Fatalf("versions %v, want [1 2]", vs)
	}
	subjects, err := r.cl.SubjectsByID(ctx(t), id)
	if err != nil || !slices.Equal(subjects, []string{"a-value", "b-value"}) {
		t.Fatalf("subjects of %d: %v %v", id, subjects, err)
	}
	svs, err := r.cl.SchemaVersionsByID(ctx(t), id)
	want := []sr.SubjectVersion{{Subject: "a-value", Version: 1}, {Subject: "b-value", Version: 1}}
	if err != nil || !slices.Equal(svs, want) {
		t.Fatalf("versions of %d: %v %v", id, svs, err)
	}
}

func TestRegisterAnswers(t *testing.T) {
	r := newTestRegistry(t, newStore(t), Options{})
	body := mustJSONString(t, map[string]any{"schema": protoV1, "schemaType": "PROTOBUF"})
	if got := r.expect(http.StatusOK, "POST", "/subjects/s/versions", body); got != `{"id":1}` {
		t.Fatalf("register answer %s", got)
	}
	got := r.expect(http.StatusOK, "GET", "/subjects/s/versions/1", "")
	want := mustJSONString(t, map[string]any{"subject": "s", "version": 1, "id": 1, "schemaType": "PROTOBUF", "schema": protoV1})
	if !jsonEqual(got, want) {
		t.Fatalf("version answer\n%s\nwant\n%s", got, want)
	}
	if got := r.expect(http.StatusOK, "GET", "/subjects/s/versions/latest/schema", ""); got != protoV1[:len(protoV1)-1] {
		t.Fatalf("raw schema %q", got)
	}
	got = r.expect(http.StatusOK, "GET", "/schemas/ids/1", "")
	if !jsonEqual(got, mustJSONString(t, map[string]any{"schemaType": "PROTOBUF", "schema": protoV1})) {
		t.Fatalf("schema by id %s", got)
	}
	got = r.expect(http.StatusOK, "GET", "/schemas/ids/1?fetchMaxId=true", "")
	if !jsonEqual(got, mustJSONString(t, map[string]any{"schemaType": "PROTOBUF", "schema": protoV1, "maxId": 1})) {
		t.Fatalf("schema by id with maxId %s", got)
	}
	if got := r.expect(http.StatusOK, "GET", "/schemas/types", ""); got != `["JSON","PROTOBUF","AVRO"]` {
		t.Fatalf("types %s", got)
	}
	// AVRO: schemaType left out.
	avro := `{"type":"record","name":"R","fields":[{"name":"a","type":"string"}]}`
	r.expect(http.StatusOK, "POST", "/subjects/av/versions", mustJSONString(t, map[string]any{"schema": avro}))
	got = r.expect(http.StatusOK, "GET", "/subjects/av/versions/latest", "")
	if !jsonEqual(got, mustJSONString(t, map[string]any{"subject": "av", "version": 1, "id": 2, "schema": avro})) {
		t.Fatalf("avro version %s", got)
	}
	// Lookup.
	got = r.expect(http.StatusOK, "POST", "/subjects/s", mustJSONString(t, map[string]any{"schema": protoV1Reformatted, "schemaType": "PROTOBUF"}))
	if !jsonEqual(got, mustJSONString(t, map[string]any{"subject": "s", "version": 1, "id": 1, "schemaType": "PROTOBUF", "schema": protoV1})) {
		t.Fatalf("lookup %s", got)
	}
}

func TestLookupWithClient(t *testing.T) {
	r := newTestRegistry(t, newStore(t), Options{})
	id := r.register("s", proto(protoV1))
	ss, err := r.cl.LookupSchema(ctx(t), "s", proto(protoV1))
	if err != nil || ss.ID != id || ss.Version != 1 || ss.Subject != "s" || ss.Type != sr.TypeProtobuf {
		t.Fatalf("lookup %+v %v", ss, err)
	}
	_, err = r.cl.LookupSchema(ctx(t), "s", proto(protoV2AddField))
	wantCode(t, err, 404, 40403)
	_, err = r.cl.LookupSchema(ctx(t), "nope", proto(protoV1))
	wantCode(t, err, 404, 40401)
	_, err = r.cl.LookupSchema(ctx(t), "s", proto("syntax = \"proto3\"; message {"))
	wantCode(t, err, 422, 42201)
	// A soft-deleted version is found only with ?deleted=true.
	if err := r.cl.DeleteSchema(ctx(t), "s", 1, sr.SoftDelete); err != nil {
		t.Fatal(err)
	}
	_, err = r.cl.LookupSchema(ctx(t), "s", proto(protoV1))
	wantCode(t, err, 404, 40401)
	ss, err = r.cl.LookupSchema(sr.WithParams(ctx(t), sr.ShowDeleted), "s", proto(protoV1))
	if err != nil || ss.ID != id {
		t.Fatalf("lookup deleted %+v %v", ss, err)
	}
}

func TestCreateSchemaThroughClient(t *testing.T) {
	r := newTestRegistry(t, newStore(t), Options{})
	ss, err := r.cl.CreateSchema(ctx(t), "s", proto(protoV1))
	if err != nil {
		t.Fatal(err)
	}
	if ss.ID != 1 || ss.Version != 1 || ss.Subject != "s" || ss.Schema.Schema != protoV1 {
		t.Fatalf("created %+v", ss)
	}
	got, err := r.cl.SchemaByVersion(ctx(t), "s", -1)
	if err != nil || got.ID != 1 || got.Version != 1 {
		t.Fatalf("latest %+v %v", got, err)
	}
	text, err := r.cl.SchemaTextByID(ctx(t), 1)
	if err != nil || text != protoV1[:len(protoV1)-1] && text != protoV1 {
		t.Fatalf("text by id %q %v", text, err)
	}
}

func TestInvalidSchemas(t *testing.T) {
	r := newTestRegistry(t, newStore(t), Options{})
	for _, tc := range []struct {
		name string
		s    sr.Schema
	}{
		{"syntax", proto("syntax = \"proto3\";\nmessage M { int32 a = 1 }\n")},
		{"unknown type", proto("syntax = \"proto3\";\nmessage M { Nope a = 1; }\n")},
		{"missing import", proto("syntax = \"proto3\";\nimport \"other.proto\";\nmessage M { int32 a = 1; }\n")},
		{"reference to nothing", proto(protoOrder, sr.SchemaReference{Name: "test/common.proto", Subject: "common", Version: 1})},
		{"avro", sr.Schema{Schema: `{"type":"record"}`}},
		{"json", sr.Schema{Schema: `{"type":`, Type: sr.TypeJSON}},
		{"empty", proto("")},
		{"rule for another type", proto("syntax = \"proto3\";\nimport \"buf/validate/validate.proto\";\nmessage M { int32 a = 1 [(buf.validate.field).string.min_len = 1]; }\n")},
		{"rule that does not compile", proto("syntax = \"proto3\";\nimport \"buf/validate/validate.proto\";\nmessage M {\n  option (buf.validate.message).cel = {id: \"x\", expression: \"this.nope >\"};\n  int32 a = 1;\n}\n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.cl.RegisterSchema(ctx(t), "s", tc.s, -1, -1)
			wantCode(t, err, 422, 42201)
		})
	}
	r.expectCode(422, 42201, "POST", "/subjects/s/versions", `{"schema":"x","schemaType":"XML"}`)
	r.expectCode(400, 400, "POST", "/subjects/s/versions", `{"schema":`)
	r.expectCode(422, 422, "POST", "/subjects/s/versions", `{"schema":5}`)
	r.expectCode(422, 42201, "POST", "/subjects/s/versions", `{"schema":"\"string\"","metadata":{"properties":{"a":"b"}}}`)
	r.expect(200, "POST", "/subjects/md/versions", `{"schema":"\"string\"","metadata":{},"ruleSet":null}`)
	code, _ := r.do("GET", "/subjects", "")
	if code != 200 {
		t.Fatalf("list after failures: %d", code)
	}
	if subs, _ := r.cl.Subjects(ctx(t)); len(subs) != 1 || subs[0] != "md" {
		t.Fatalf("failed registrations left subjects %v", subs)
	}
}

func TestWellKnownAndValidateImports(t *testing.T) {
	r := newTestRegistry(t, newStore(t), Options{})
	common := r.register("common", proto(protoCommon))
	ref := sr.SchemaReference{Name: "test/common.proto", Subject: "common", Version: 1}
	id := r.register("order-value", proto(protoOrder, ref))
	if id == common {
		t.Fatal("order got common's id")
	}
	got, err := r.cl.SchemaByVersion(ctx(t), "order-value", 1)
	if err != nil || len(got.References) != 1 || got.References[0] != ref {
		t.Fatalf("order %+v %v", got, err)
	}
	// Latest (-1) in a reference is resolved to the version it names.
	r.register("common", proto(protoCommon+"message Extra { int32 x = 1; }\n"))
	id3 := r.register("order2-value", proto(protoOrder, sr.SchemaReference{Name: "test/common.proto", Subject: "common", Version: -1}))
	s3, err := r.cl.SchemaByID(ctx(t), id3)
	if err != nil || len(s3.References) != 1 || s3.References[0].Version != 2 {
		t.Fatalf("reference to latest stored as %+v %v", s3.References, err)
	}
	ids, err := r.cl.SchemaReferences(ctx(t), "common", 1)
	if err != nil || len(ids) != 1 || ids[0].ID != id {
		t.Fatalf("referenced by %+v %v", ids, err)
	}
}

func mustJSONString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func jsonEqual(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}
