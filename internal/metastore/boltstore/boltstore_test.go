package boltstore_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/metastore/boltstore"
	"github.com/tributary-io/tributary/internal/metastore/metastoretest"
)

func TestConformance(t *testing.T) {
	metastoretest.Run(t, func(t *testing.T) metastoretest.Opener {
		path := filepath.Join(t.TempDir(), "meta.db")
		return func(t *testing.T) metastore.Store {
			t.Helper()
			return openStore(t, path)
		}
	})
}

// openStore opens the store at path; the caller closes it.
func openStore(t testing.TB, path string) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	return s
}

func TestOpenLockedFailsAfterTimeout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	s := openStore(t, path)
	defer s.Close()

	start := time.Now()
	_, err := boltstore.Open(path, boltstore.Options{OpenTimeout: 200 * time.Millisecond})
	if !errors.Is(err, metastore.ErrUnavailable) {
		t.Fatalf("second Open: err = %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("second Open took %v", d)
	}
	t.Logf("second Open: %v", err)
}

func TestClosedStoreIsUnavailable(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "meta.db"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	_, err := s.Topics(t.Context())
	if !errors.Is(err, metastore.ErrUnavailable) {
		t.Fatalf("Topics after Close: %v", err)
	}
	_, err = s.CreateTopic(t.Context(), metastore.TopicSpec{Name: "t", Partitions: 1})
	if !errors.Is(err, metastore.ErrUnavailable) {
		t.Fatalf("CreateTopic after Close: %v", err)
	}
	_, err = s.LiveBrokers(t.Context())
	if !errors.Is(err, metastore.ErrUnavailable) {
		t.Fatalf("LiveBrokers after Close: %v", err)
	}
}

func TestInvalidOptions(t *testing.T) {
	_, err := boltstore.Open(filepath.Join(t.TempDir(), "meta.db"), boltstore.Options{OpenTimeout: -1})
	if !errors.Is(err, metastore.ErrInvalidRequest) {
		t.Fatalf("Open with negative timeout: %v", err)
	}
}
