//go:build linux

// Package testdisk gives tests a real, small filesystem they can fill: a
// tmpfs mounted on a temporary directory, so that "disk full" is the
// kernel's ENOSPC on every write, not an injected error. Mounting needs
// root (or CAP_SYS_ADMIN); without it the test is skipped, unless CI=true,
// where it fails: CI runs as root.
package testdisk

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// Mount mounts a tmpfs of size bytes on a fresh temporary directory,
// unmounted at test end, and returns the directory.
func Mount(t testing.TB, size int64) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+strconv.FormatInt(size, 10), "tmpfs", dir).CombinedOutput()
	if err != nil {
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			t.Fatalf("testdisk: mount a tmpfs (CI=true, which runs as root): %v: %s", err, out)
		}
		t.Skipf("testdisk: cannot mount a tmpfs (needs root): %v: %s", err, out)
	}
	// Registered after TempDir's cleanup, so it runs before it.
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("testdisk: umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// Fill writes a file named name in dir until the filesystem has not a
// byte left, and returns its path; removing it frees the space.
func Fill(t testing.TB, dir, name string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatalf("testdisk: %v", err)
	}
	defer func() {
		// A written file: its Close can report a write error, which here
		// may only be the full disk Fill is after.
		if err := f.Close(); err != nil && !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("testdisk: close %s: %v", path, err)
		}
	}()
	buf := make([]byte, 64<<10)
	for _, n := range []int{len(buf), 4096, 1} {
		for {
			if _, err := f.Write(buf[:n]); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("testdisk: fill %s: %v", path, err)
				}
				break
			}
		}
	}
	return path
}

// Free reports the bytes available to writers on the filesystem of dir.
func Free(t testing.TB, dir string) int64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatalf("testdisk: statfs %s: %v", dir, err)
	}
	return int64(st.Bavail) * int64(st.Bsize)
}
