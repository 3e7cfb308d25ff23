package objstore_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tributary-io/tributary/internal/objstore"
	"github.com/tributary-io/tributary/internal/objstore/objstoretest"
)

func newLocal(t *testing.T) *objstore.Local {
	t.Helper()
	s, err := objstore.NewLocal(t.TempDir())
	if err != nil {
		t.Fatalf("new local: %v", err)
	}
	return s
}

func TestLocalConformance(t *testing.T) {
	objstoretest.Run(t, func(t *testing.T) objstore.Store { return newLocal(t) })
}

func TestFaultyPassThroughConformance(t *testing.T) {
	objstoretest.Run(t, func(t *testing.T) objstore.Store { return objstore.NewFaulty(newLocal(t)) })
}

func TestLocalListSkipsTempFiles(t *testing.T) {
	s := newLocal(t)
	if err := s.Put(t.Context(), "intake/a", []byte("a")); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(s.Root(), "intake", ".tmp-123")
	if err := os.WriteFile(tmp, []byte("partial"), 0o644); err != nil {
		t.Fatal(err)
	}
	infos, err := s.List(t.Context(), "")
	if err != nil || len(infos) != 1 || infos[0].Key != "intake/a" {
		t.Fatalf("list: %+v, %v; want only intake/a", infos, err)
	}
}

func TestNewLocalRemovesStaleTempFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "intake"), 0o755); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, "intake", ".tmp-stale")
	fresh := filepath.Join(dir, "intake", ".tmp-fresh")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := objstore.NewLocal(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale temp file still there: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh temp file removed (a Put may still own it): %v", err)
	}
}

func TestLocalDeleteRemovesEmptyParents(t *testing.T) {
	s := newLocal(t)
	ctx := t.Context()
	for _, k := range []string{"segments/t/0/a", "segments/t/1/a"} {
		if err := s.Put(ctx, k, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Delete(ctx, "segments/t/0/a"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(s.Root(), "segments", "t", "0")); !os.IsNotExist(err) {
		t.Errorf("empty directory segments/t/0 left behind: %v", err)
	}
	if _, err := os.Stat(filepath.Join(s.Root(), "segments", "t", "1", "a")); err != nil {
		t.Errorf("sibling object gone: %v", err)
	}
	if _, err := os.Stat(s.Root()); err != nil {
		t.Errorf("root removed: %v", err)
	}
}

// TestLocalConcurrentPutDelete races Puts into a directory with Deletes that
// empty it, so Delete's removal of empty parents meets Put's creation of them.
func TestLocalConcurrentPutDelete(t *testing.T) {
	s := newLocal(t)
	ctx := t.Context()
	done := make(chan error, 2)
	go func() {
		for range 300 {
			if err := s.Put(ctx, "race/dir/a", []byte("a")); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	go func() {
		for range 300 {
			if err := s.Delete(ctx, "race/dir/a"); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
