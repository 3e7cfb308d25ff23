package registry

import (
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"
)

func TestDeleteRules(t *testing.T) {
	r := newTestRegistry(t, newStore(t), Options{})
	id1 := r.register("s", proto(protoV1))
	id2 := r.register("s", proto(protoV2AddField))
	c := ctx(t)

	// A version must be soft-deleted before a permanent delete.
	wantCode(t, r.cl.DeleteSchema(c, "s", 1, sr.HardDelete), 404, 40407)
	if got := r.expect(200, "DELETE", "/subjects/s/versions/1", ""); got != "1" {
		t.Fatalf("soft delete answer %s", got)
	}
	wantCode(t, r.cl.DeleteSchema(c, "s", 1, sr.SoftDelete), 404, 40406)

	versions := func(p ...sr.Param) []int {
		t.Helper()
		vs, err := r.cl.SubjectVersions(sr.WithParams(c, p...), "s")
		if err != nil {
			t.Fatal(err)
		}
		return vs
	}
	if vs := versions(); !slices.Equal(vs, []int{2}) {
		t.Fatalf("live versions %v", vs)
	}
	if vs := versions(sr.ShowDeleted); !slices.Equal(vs, []int{1, 2}) {
		t.Fatalf("all versions %v", vs)
	}
	if vs := versions(sr.DeletedOnly); !slices.Equal(vs, []int{1}) {
		t.Fatalf("deleted versions %v", vs)
	}
	_, err := r.cl.SchemaByVersion(c, "s", 1)
	wantCode(t, err, 404, 40402)
	if ss, err := r.cl.SchemaByVersion(sr.WithParams(c, sr.ShowDeleted), "s", 1); err != nil || ss.ID != id1 {
		t.Fatalf("deleted version with ?deleted: %+v %v", ss, err)
	}
	// The id stays readable until the version is gone for good.
	if _, err := r.cl.SchemaByID(c, id1); err != nil {
		t.Fatal(err)
	}
	if svs, err := r.cl.SchemaVersionsByID(c, id1); err != nil || len(svs) != 0 {
		t.Fatalf("live uses of a soft-deleted id: %v %v", svs, err)
	}
	if svs, err := r.cl.SchemaVersionsByID(sr.WithParams(c, sr.ShowDeleted), id1); err != nil || len(svs) != 1 {
		t.Fatalf("all uses of a soft-deleted id: %v %v", svs, err)
	}
	if err := r.cl.DeleteSchema(c, "s", 1, sr.HardDelete); err != nil {
		t.Fatal(err)
	}
	_, err = r.cl.SchemaByID(c, id1)
	wantCode(t, err, 404, 40403)
	_, err = r.cl.SchemaByVersion(sr.WithParams(c, sr.ShowDeleted), "s", 1)
	wantCode(t, err, 404, 40402)

	// Whole subject: soft first, then permanent.
	_, err = r.cl.DeleteSubject(c, "s", sr.HardDelete)
	wantCode(t, err, 404, 40405)
	if vs, err := r.cl.DeleteSubject(c, "s", sr.SoftDelete); err != nil || !slices.Equal(vs, []int{2}) {
		t.Fatalf("soft delete subject: %v %v", vs, err)
	}
	_, err = r.cl.DeleteSubject(c, "s", sr.SoftDelete)
	wantCode(t, err, 404, 40404)
	if subs, _ := r.cl.Subjects(c); len(subs) != 0 {
		t.Fatalf("subjects after soft delete %v", subs)
	}
	if subs, _ := r.cl.Subjects(sr.WithParams(c, sr.ShowDeleted)); !slices.Equal(subs, []string{"s"}) {
		t.Fatalf("deleted subjects %v", subs)
	}
	_, err = r.cl.SubjectVersions(c, "s")
	wantCode(t, err, 404, 40401)
	_, err = r.cl.SchemaByVersion(c, "s", -1)
	wantCode(t, err, 404, 40401)
	// A soft-deleted subject accepts a new registration, numbering on.
	if id := r.register("s", proto(protoV2AddField)); id != id2 {
		t.Fatalf("re-register after soft delete: id %d, want %d", id, id2)
	}
	if vs := versions(); !slices.Equal(vs, []int{3}) {
		t.Fatalf("versions after re-register %v", vs)
	}
	r.cl.DeleteSubject(c, "s", sr.SoftDelete)
	if vs, err := r.cl.DeleteSubject(c, "s", sr.HardDelete); err != nil || !slices.Equal(vs, []int{2, 3}) {
		t.Fatalf("hard delete subject: %v %v", vs, err)
	}
	if subs, _ := r.cl.Subjects(sr.WithParams(c, sr.ShowDeleted)); len(subs) != 0 {
		t.Fatalf("subjects after hard delete %v", subs)
	}
	_, err = r.cl.SchemaByID(c, id2)
	wantCode(t, err, 404, 40403)
	// Gone for good: a new registration starts at version 1 with a new id.
	if id := r.register("s", proto(protoV1)); id <= id2 {
		t.Fatalf("id after hard delete %d, want a new one above %d", id, id2)
	}
	if vs := versions(); !slices.Equal(vs, []int{1}) {
		t.Fatalf("versions after hard delete %v", vs)
	}

	// Not found.
	_, err = r.cl.DeleteSubject(c, "nope", sr.SoftDelete)
	wantCode(t, err, 404, 40401)
	wantCode(t, r.cl.DeleteSchema(c, "nope", 1, sr.SoftDelete), 404, 40401)
	wantCode(t, r.cl.DeleteSchema(c, "s", 7, sr.SoftDelete), 404, 40402)
	r.expectCode(422, 42202, "DELETE", "/subjects/s/versions/abc", "")
	r.expectCode(422, 42202, "DELETE", "/subjects/s/versions/0", "")
	// latest
	if got := r.expect(200, "DELETE", "/subjects/s/versions/latest", ""); got != "1" {
		t.Fatalf("delete latest answer %s", got)
	}
}

func TestDeleteReferenced(t *testing.T) {
	r := newTestRegistry(t, newStore(t), Options{})
	c := ctx(t)
	r.register("common", proto(protoCommon))
	ref := sr.SchemaReference{Name: "test/common.proto", Subject: "common", Version: 1}
	r.register("order", proto(protoOrder, ref))

	wantCode(t, r.cl.DeleteSchema(c, "common", 1, sr.SoftDelete), 422, 42206)
	_, err := r.cl.DeleteSubject(c, "common", sr.SoftDelete)
	wantCode(t, err, 422, 42206)
	if _, err := r.cl.DeleteSubject(c, "order", sr.SoftDelete); err != nil {
		t.Fatal(err)
	}
	// Only a soft-deleted referrer: soft delete allowed, permanent not.
	if err := r.cl.DeleteSchema(c, "common", 1, sr.SoftDelete); err != nil {
		t.Fatal(err)
	}
	wantCode(t, r.cl.DeleteSchema(c, "common", 1, sr.HardDelete), 422, 42206)
	if _, err := r.cl.DeleteSubject(c, "order", sr.HardDelete); err != nil {
		t.Fatal(err)
	}
	if err := r.cl.DeleteSchema(c, "common", 1, sr.HardDelete); err != nil {
		t.Fatal(err)
	}
	if subs, _ := r.cl.Subjects(sr.WithParams(c, sr.ShowDeleted)); len(subs) != 0 {
		t.Fatalf("subjects left %v", subs)
	}
	// Nothing of either schema is left in the store.
	es, err := r.srv.kv.list(c, keyPrefix)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if e.Key != keyIDs {
			t.Errorf("key left behind: %s = %s", e.Key, e.Value)
		}
	}
}

// TestReferencesWithinSubject: a subject whose later version imports an
// earlier one can be deleted as a whole.
func TestReferencesWithinSubject(t *testing.T) {
	r := newTestRegistry(t, newStore(t), Options{})
	c := ctx(t)
	r.cl.SetCompatibility(c, sr.SetCompatibility{Level: sr.CompatNone}, "s")
	r.register("s", proto(protoCommon))
	r.register("s", proto(protoOrder, sr.SchemaReference{Name: "test/common.proto", Subject: "s", Version: 1}))
	wantCode(t, r.cl.DeleteSchema(c, "s", 1, sr.SoftDelete), 422, 42206)
	if vs, err := r.cl.DeleteSubject(c, "s", sr.SoftDelete); err != nil || !slices.Equal(vs, []int{1, 2}) {
		t.Fatalf("soft delete %v %v", vs, err)
	}
	if vs, err := r.cl.DeleteSubject(c, "s", sr.HardDelete); err != nil || !slices.Equal(vs, []int{1, 2}) {
		t.Fatalf("hard delete %v %v", vs, err)
	}
}
