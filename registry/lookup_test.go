package registry

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/schema/registryclient"
)

// Lookup (in process) answers what the HTTP API answers through
// registryclient.NewHTTP, not-found answers included, and a Client over it
// compiles a schema with a reference: enforcement and ingest may use
// either and see the same registry.
func TestLookupAnswersAsTheHTTPAPI(t *testing.T) {
	r := newTestRegistry(t, newStore(t), Options{})
	const dep = `syntax = "proto3"; package d.v1; message Money { int64 cents = 1; }`
	const main = `syntax = "proto3"; package m.v1; import "d/money.proto"; message Order { d.v1.Money total = 1; }`
	r.register("money", proto(dep))
	id := r.register("orders-value", proto(main, sr.SchemaReference{Name: "d/money.proto", Subject: "money", Version: 1}))
	r.register("other-value", proto(main, sr.SchemaReference{Name: "d/money.proto", Subject: "money", Version: 1}))
	r.expect(200, "DELETE", "/subjects/other-value/versions/1", "") // soft-deleted: in no live subject

	httpSrc, err := registryclient.NewHTTP(&config.ConfluentRegistry{URL: r.url}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	srcs := map[string]registryclient.Source{"http": httpSrc, "in process": r.srv.Lookup()}
	type answers struct {
		byID, byVersion registryclient.Schema
		subjects        []string
		versions        []int
	}
	got := map[string]answers{}
	for name, src := range srcs {
		var a answers
		var err error
		if a.byID, err = src.SchemaByID(ctx(t), id); err != nil {
			t.Fatalf("%s: schema by id: %v", name, err)
		}
		if a.byVersion, err = src.SchemaByVersion(ctx(t), "orders-value", 1); err != nil {
			t.Fatalf("%s: schema by version: %v", name, err)
		}
		if a.subjects, err = src.SubjectsOfID(ctx(t), id); err != nil {
			t.Fatalf("%s: subjects: %v", name, err)
		}
		if a.versions, err = src.SubjectVersions(ctx(t), "orders-value"); err != nil {
			t.Fatalf("%s: versions: %v", name, err)
		}
		_, e1 := src.SchemaByID(ctx(t), 4242)
		_, e2 := src.SchemaByVersion(ctx(t), "orders-value", 9)
		_, e3 := src.SubjectsOfID(ctx(t), 4242)
		_, e4 := src.SubjectVersions(ctx(t), "other-value")
		for i, e := range []error{e1, e2, e3, e4} {
			if !errors.Is(e, registryclient.ErrNotFound) {
				t.Errorf("%s: missing lookup %d: %v, want ErrNotFound", name, i+1, e)
			}
		}
		got[name] = a
	}
	h, p := got["http"], got["in process"]
	if !reflect.DeepEqual(h.byID, p.byID) || !reflect.DeepEqual(h.byVersion, p.byVersion) ||
		!reflect.DeepEqual(h.subjects, p.subjects) || !reflect.DeepEqual(h.versions, p.versions) {
		t.Fatalf("answers differ:\nhttp       %+v\nin process %+v", h, p)
	}
	if p.byID.Type != registryclient.TypeProtobuf || len(p.byID.References) != 1 || !reflect.DeepEqual(p.subjects, []string{"orders-value"}) {
		t.Fatalf("in process: %+v", p)
	}

	c := registryclient.New("built-in", r.srv.Lookup(), registryclient.Config{})
	s, err := c.Schema(ctx(t), id)
	if err != nil {
		t.Fatal(err)
	}
	if md := s.File.Messages().ByName("Order"); md == nil || md.Fields().ByName("total").Message().FullName() != "d.v1.Money" {
		t.Fatalf("compiled %v", s.File.Path())
	}
	if _, err := c.Schema(ctx(t), 4242); !errors.Is(err, registryclient.ErrNotFound) || err.Error() != "schema id 4242 not found in registry built-in" {
		t.Fatalf("unknown id: %v", err)
	}
	if in, err := c.InSubject(ctx(t), id, "other-value"); err != nil || in {
		t.Fatalf("in a soft-deleted subject: %v %v", in, err)
	}
	if has, err := c.HasVersions(ctx(t), "orders-value"); err != nil || !has {
		t.Fatalf("orders-value has versions: %v %v", has, err)
	}
}
