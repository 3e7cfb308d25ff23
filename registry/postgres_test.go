package registry

import (
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/tributary-io/tributary/internal/metastore/postgres"
	"github.com/tributary-io/tributary/internal/testpg"
)

func TestMain(m *testing.M) { testpg.Main(m) }

// openPostgres opens a store on dsn, closed at t's cleanup.
func openPostgres(t *testing.T, dsn string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), dsn, postgres.Options{})
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestPostgresTwoBrokers runs a registry on each of two stores opened on
// one Postgres database (two brokers): what one registers and deletes,
// the other serves, and parallel registrations through both stay
// consistent.
func TestPostgresTwoBrokers(t *testing.T) {
	dsn := testpg.DSN(t)
	a := newTestRegistry(t, openPostgres(t, dsn), Options{})
	b := newTestRegistry(t, openPostgres(t, dsn), Options{})
	c := ctx(t)

	a.register("common", proto(protoCommon))
	ref := sr.SchemaReference{Name: "test/common.proto", Subject: "common", Version: 1}
	id := b.register("order", proto(protoOrder, ref))
	if again := a.register("order", proto(protoOrder, ref)); again != id {
		t.Fatalf("the other broker gave the same schema id %d, want %d", again, id)
	}
	wantCode(t, a.cl.DeleteSchema(c, "common", 1, sr.SoftDelete), 422, 42206)
	a.cl.SetCompatibility(c, sr.SetCompatibility{Level: sr.CompatFull}, "v")
	b.register("v", proto(protoV1))
	_, err := a.cl.RegisterSchema(c, "v", proto(protoV2AddMessage), -1, -1)
	wantCode(t, err, 409, 409)
	if _, err := b.cl.DeleteSubject(c, "v", sr.SoftDelete); err != nil {
		t.Fatal(err)
	}
	if _, err := a.cl.DeleteSubject(c, "v", sr.HardDelete); err != nil {
		t.Fatal(err)
	}
	if subs, err := b.cl.Subjects(sr.WithParams(c, sr.ShowDeleted)); err != nil || !slices.Equal(subs, []string{"common", "order"}) {
		t.Fatalf("subjects seen by the other broker %v %v", subs, err)
	}
	b.expectCode(404, 40408, "GET", "/config/v", "")

	t.Run("concurrent", func(t *testing.T) {
		fresh := testpg.DSN(t)
		concurrentRegistrations(t, openPostgres(t, fresh), openPostgres(t, fresh), 6, 15)
	})
}
