package testpg

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
)

// errNoServer marks a machine without PostgreSQL server binaries.
var errNoServer = errors.New("testpg: no PostgreSQL server binaries")

// findBin returns the directory holding initdb and postgres.
func findBin() (string, error) {
	if dir := os.Getenv("TESTPG_BIN"); dir != "" {
		return dir, checkBin(dir)
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	slices.SortFunc(matches, func(a, b string) int { return version(b) - version(a) })
	for _, m := range matches {
		if dir := filepath.Dir(m); checkBin(dir) == nil {
			return dir, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		dir := filepath.Dir(p)
		return dir, checkBin(dir)
	}
	return "", fmt.Errorf("%w: no /usr/lib/postgresql/*/bin, no initdb on PATH, TESTPG_BIN unset "+
		"(install them with: apt-get install -y postgresql)", errNoServer)
}

// version is the major version in a path /usr/lib/postgresql/<v>/bin/initdb.
func version(path string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(path))))
	return v
}

func checkBin(dir string) error {
	for _, name := range []string{"initdb", "postgres"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("%w: %w", errNoServer, err)
		}
	}
	return nil
}

// inCI reports whether $CI asks for missing servers to fail tests.
func inCI() bool {
	v, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && v
}

// unavailable skips tb (or fails it under CI) when err says there is no
// server to run; other errors fail it.
func unavailable(tb testing.TB, err error) {
	tb.Helper()
	if errors.Is(err, errNoServer) && !inCI() {
		tb.Skipf("skipping: %v (set CI=true to fail instead)", err)
	}
	tb.Fatalf("%v", err)
}

// account is whom the server runs as: the postgres user when we are root
// (initdb and postgres refuse root), else ourselves (cred nil).
type account struct {
	cred     *syscall.Credential
	uid, gid int
}

func serverAccount() (account, error) {
	if os.Geteuid() != 0 {
		return account{uid: os.Geteuid(), gid: os.Getegid()}, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return account{}, fmt.Errorf("%w: running as root and no postgres user to run the server as: %w", errNoServer, err)
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err := errors.Join(err1, err2); err != nil {
		return account{}, fmt.Errorf("user postgres: %w", err)
	}
	return account{
		cred: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}},
		uid:  uid, gid: gid,
	}, nil
}
