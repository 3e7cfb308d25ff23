package boltstore_test

import (
	"encoding/binary"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

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
	_, err = s.KVApply(t.Context(), []metastore.KVOp{{Key: "k"}})
	if !errors.Is(err, metastore.ErrUnavailable) {
		t.Fatalf("KVApply after Close: %v", err)
	}
}

func TestInvalidOptions(t *testing.T) {
	_, err := boltstore.Open(filepath.Join(t.TempDir(), "meta.db"), boltstore.Options{OpenTimeout: -1})
	if !errors.Is(err, metastore.ErrInvalidRequest) {
		t.Fatalf("Open with negative timeout: %v", err)
	}
}

// bucketsAdded are the buckets each schema version added.
var bucketsAdded = map[uint32][]string{2: {"groups", "group_offsets"}, 3: {"kv"}}

// setSchema rewrites the file at path as schema version v without the
// buckets later versions added (a file written before they existed).
func setSchema(t *testing.T, path string, v uint32) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		for added, buckets := range bucketsAdded {
			if added <= v {
				continue
			}
			for _, b := range buckets {
				if err := tx.DeleteBucket([]byte(b)); err != nil {
					return err
				}
			}
		}
		return tx.Bucket([]byte("meta")).Put([]byte("version"), binary.BigEndian.AppendUint32(nil, v))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestOpenMigratesVersion1 opens a file of schema version 1 (before
// groups): its topics stay and groups work.
func TestOpenMigratesVersion1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	s := openStore(t, path)
	if _, err := s.CreateTopic(t.Context(), metastore.TopicSpec{Name: "t", Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	setSchema(t, path, 1)

	s = openStore(t, path)
	defer s.Close()
	if _, err := s.Topic(t.Context(), "t"); err != nil {
		t.Fatalf("topic after migration: %v", err)
	}
	if _, err := s.PutGroup(t.Context(), metastore.Group{Name: "g"}, 0); err != nil {
		t.Fatalf("PutGroup after migration: %v", err)
	}
	if err := s.CommitOffsets(t.Context(), "g", -1, []metastore.GroupOffset{{Topic: "t", Offset: 1}}); err != nil {
		t.Fatalf("CommitOffsets after migration: %v", err)
	}
	if _, err := s.KVApply(t.Context(), []metastore.KVOp{{Key: "k", Value: []byte("v")}}); err != nil {
		t.Fatalf("KVApply after migration: %v", err)
	}
}

// TestOpenMigratesVersion2 opens a file of schema version 2 (before the
// KV space): its topics and groups stay and KV works.
func TestOpenMigratesVersion2(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "meta.db")
	s := openStore(t, path)
	if _, err := s.CreateTopic(ctx, metastore.TopicSpec{Name: "t", Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutGroup(ctx, metastore.Group{Name: "g"}, 0); err != nil {
		t.Fatal(err)
	}
	s.Close()
	setSchema(t, path, 2)

	s = openStore(t, path)
	if _, err := s.Topic(ctx, "t"); err != nil {
		t.Fatalf("topic after migration: %v", err)
	}
	if g, err := s.Group(ctx, "g"); err != nil || g.Version != 1 {
		t.Fatalf("group after migration: %+v, %v", g, err)
	}
	if _, err := s.KVGet(ctx, "k"); !errors.Is(err, metastore.ErrUnknownKey) {
		t.Fatalf("KVGet of a new space: %v", err)
	}
	if _, err := s.KVApply(ctx, []metastore.KVOp{{Key: "k", Value: []byte("v")}}); err != nil {
		t.Fatalf("KVApply after migration: %v", err)
	}
	s.Close()

	// The file is version 3 now: it opens as it is.
	s = openStore(t, path)
	defer s.Close()
	if e, err := s.KVGet(ctx, "k"); err != nil || e.Version != 1 || string(e.Value) != "v" {
		t.Fatalf("KVGet after reopen: %+v, %v", e, err)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	openStore(t, path).Close()
	setSchema(t, path, 99)
	if _, err := boltstore.Open(path, boltstore.Options{}); err == nil || !strings.Contains(err.Error(), "schema version") {
		t.Fatalf("Open of a newer schema: %v", err)
	}
}
