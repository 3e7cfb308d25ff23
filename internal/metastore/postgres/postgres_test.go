package postgres_test

import (
	"testing"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/metastore/metastoretest"
	"github.com/tributary-io/tributary/internal/metastore/postgres"
	"github.com/tributary-io/tributary/internal/testpg"
)

func TestMain(m *testing.M) { testpg.Main(m) }

// open opens a store on dsn; closed at t's cleanup.
func open(t testing.TB, dsn string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), dsn, postgres.Options{})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestConformance runs the suite every backend passes, each subtest on a
// fresh database of the shared server.
func TestConformance(t *testing.T) {
	metastoretest.Run(t, func(t *testing.T) metastoretest.Opener {
		dsn := testpg.DSN(t)
		return func(t *testing.T) metastore.Store {
			t.Helper()
			s, err := postgres.Open(t.Context(), dsn, postgres.Options{})
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			return s
		}
	})
}
