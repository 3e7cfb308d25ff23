package registry

import (
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"
)

func TestConfig(t *testing.T) {
	r := newTestRegistry(t, newStore(t), Options{})
	c := ctx(t)
	if got := r.expect(200, "GET", "/config", ""); got != `{"compatibilityLevel":"BACKWARD"}` {
		t.Fatalf("default config %s", got)
	}
	if got := r.expect(200, "PUT", "/config", `{"compatibility":"full"}`); got != `{"compatibility":"FULL"}` {
		t.Fatalf("put config %s", got)
	}
	if got := r.expect(200, "GET", "/config", ""); got != `{"compatibilityLevel":"FULL"}` {
		t.Fatalf("config %s", got)
	}
	r.expectCode(422, 42203, "PUT", "/config", `{"compatibility":"SIDEWAYS"}`)
	r.expectCode(404, 40408, "GET", "/config/s", "")
	if got := r.expect(200, "GET", "/config/s?defaultToGlobal=true", ""); got != `{"compatibilityLevel":"FULL"}` {
		t.Fatalf("subject config defaulting to global %s", got)
	}
	res := r.cl.SetCompatibility(c, sr.SetCompatibility{Level: sr.CompatNone}, "s")
	if res[0].Err != nil || res[0].Level != sr.CompatNone {
		t.Fatalf("set subject level %+v", res[0])
	}
	got := r.cl.Compatibility(c, "s", "")
	if got[0].Err != nil || got[0].Level != sr.CompatNone || got[1].Err != nil || got[1].Level != sr.CompatFull {
		t.Fatalf("levels %+v", got)
	}
	if got := r.expect(200, "DELETE", "/config/s", ""); got != `{"compatibilityLevel":"NONE"}` {
		t.Fatalf("delete subject config %s", got)
	}
	r.expectCode(404, 40401, "DELETE", "/config/s", "")
	if got := r.expect(200, "DELETE", "/config", ""); got != `{"compatibilityLevel":"FULL"}` {
		t.Fatalf("delete global config %s", got)
	}
	if got := r.expect(200, "GET", "/config", ""); got != `{"compatibilityLevel":"BACKWARD"}` {
		t.Fatalf("config after delete %s", got)
	}
	// normalize is kept and shown.
	if got := r.expect(200, "PUT", "/config/n", `{"normalize":true}`); got != `{"compatibility":"BACKWARD","normalize":true}` {
		t.Fatalf("put normalize %s", got)
	}
	if got := r.expect(200, "GET", "/config/n", ""); got != `{"compatibilityLevel":"BACKWARD","normalize":true}` {
		t.Fatalf("get normalize %s", got)
	}
	// The subject's level rules its registrations.
	r.register("s", proto(protoV1))
	r.cl.SetCompatibility(c, sr.SetCompatibility{Level: sr.CompatNone}, "s")
	r.register("s", proto(protoV2KindChange))
	r.cl.ResetCompatibility(c, "s")
	_, err := r.cl.RegisterSchema(c, "s", proto(protoV2AddField), -1, -1)
	wantCode(t, err, 409, 409)
	// A subject hard-deleted loses its config.
	r.cl.SetCompatibility(c, sr.SetCompatibility{Level: sr.CompatNone}, "s")
	r.cl.DeleteSubject(c, "s", sr.SoftDelete)
	r.cl.DeleteSubject(c, "s", sr.HardDelete)
	r.expectCode(404, 40408, "GET", "/config/s", "")
}

func TestDefaultCompatibilityOption(t *testing.T) {
	r := newTestRegistry(t, newStore(t), Options{DefaultCompatibility: "none"})
	if got := r.expect(200, "GET", "/config", ""); got != `{"compatibilityLevel":"NONE"}` {
		t.Fatalf("config %s", got)
	}
	r.register("s", proto(protoV1))
	r.register("s", proto(protoV2KindChange))
	if err := (Options{DefaultCompatibility: "odd"}).Validate(); err == nil {
		t.Fatal("Validate accepted a bad level")
	}
}

func TestMode(t *testing.T) {
	r := newTestRegistry(t, newStore(t), Options{})
	c := ctx(t)
	if got := r.expect(200, "GET", "/mode", ""); got != `{"mode":"READWRITE"}` {
		t.Fatalf("default mode %s", got)
	}
	r.register("s", proto(protoV1))
	r.expectCode(404, 40409, "GET", "/mode/s", "")
	if got := r.expect(200, "GET", "/mode/s?defaultToGlobal=true", ""); got != `{"mode":"READWRITE"}` {
		t.Fatalf("subject mode defaulting %s", got)
	}
	if res := r.cl.SetMode(c, sr.ModeReadOnly, "s"); res[0].Err != nil || res[0].Mode != sr.ModeReadOnly {
		t.Fatalf("set mode %+v", res[0])
	}
	_, err := r.cl.RegisterSchema(c, "s", proto(protoV2AddField), -1, -1)
	wantCode(t, err, 422, 42205)
	wantCode(t, r.cl.DeleteSchema(c, "s", 1, sr.SoftDelete), 422, 42205)
	_, err = r.cl.DeleteSubject(c, "s", sr.SoftDelete)
	wantCode(t, err, 422, 42205)
	r.register("other", proto(protoV1)) // other subjects still write
	if got := r.expect(200, "DELETE", "/mode/s", ""); got != `{"mode":"READONLY"}` {
		t.Fatalf("delete subject mode %s", got)
	}
	r.expectCode(404, 40401, "DELETE", "/mode/s", "")
	r.expectCode(422, 42204, "PUT", "/mode", `{"mode":"SIDEWAYS"}`)

	// IMPORT needs an empty registry, or force.
	msg := r.expectCode(422, 42205, "PUT", "/mode", `{"mode":"IMPORT"}`)
	if !strings.Contains(msg, "existing subjects") {
		t.Fatalf("message %q", msg)
	}
	if got := r.expect(200, "PUT", "/mode?force=true", `{"mode":"IMPORT"}`); got != `{"mode":"IMPORT"}` {
		t.Fatalf("put import %s", got)
	}
	// In IMPORT mode the client picks ids and versions; no compatibility check.
	if id, err := r.cl.RegisterSchema(c, "imp", proto(protoV1), 100, 5); err != nil || id != 100 {
		t.Fatalf("import: %d %v", id, err)
	}
	if id, err := r.cl.RegisterSchema(c, "imp", proto(protoV2KindChange), 101, 7); err != nil || id != 101 {
		t.Fatalf("import 2: %d %v", id, err)
	}
	if id, err := r.cl.RegisterSchema(c, "imp", proto(protoV1), 100, 5); err != nil || id != 100 {
		t.Fatalf("import again: %d %v", id, err)
	}
	_, err = r.cl.RegisterSchema(c, "imp", proto(protoV2AddField), 100, 9)
	wantCode(t, err, 422, 42205) // id 100 is another schema
	_, err = r.cl.RegisterSchema(c, "imp", proto(protoV2AddField), -1, -1)
	wantCode(t, err, 422, 42205) // no id: not in READWRITE
	vs, err := r.cl.SubjectVersions(c, "imp")
	if err != nil || len(vs) != 2 || vs[0] != 5 || vs[1] != 7 {
		t.Fatalf("imported versions %v %v", vs, err)
	}
	r.expect(200, "DELETE", "/mode", "")
	// Back in READWRITE: ids continue above the imported ones; ids are refused.
	if id := r.register("after", proto(protoV2AddField)); id != 102 {
		t.Fatalf("id after import %d, want 102", id)
	}
	_, err = r.cl.RegisterSchema(c, "after", proto(protoV1), 200, -1)
	wantCode(t, err, 422, 42205)
	r.cl.SetCompatibility(c, sr.SetCompatibility{Level: sr.CompatNone}, "imp")
	if v := r.register("imp", proto(protoV2AddField)); v != 102 {
		t.Fatalf("id %d", v)
	}
	if vs, _ := r.cl.SubjectVersions(c, "imp"); vs[len(vs)-1] != 8 {
		t.Fatalf("next version after imported 7: %v", vs)
	}
}
