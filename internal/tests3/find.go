package tests3

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"go/build"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// InstallHint is the command that installs the server these tests run; CI
// runs it in .ci/run.
const InstallHint = "go install github.com/versity/versitygw/cmd/versitygw@v1.8.0"

// EnvBinary names an environment variable that, when set, is the path of
// the versitygw binary to run.
const EnvBinary = "TESTS3_VERSITYGW"

// errNoBinary is Launch's error when findBinary finds no versitygw.
var errNoBinary = errors.New("tests3: versitygw not found in $" + EnvBinary +
	", PATH, $GOBIN or $GOPATH/bin; install it with: " + InstallHint)

// findBinary returns the versitygw binary's path, or "" when there is none:
// $TESTS3_VERSITYGW, then PATH, then $GOBIN, then each GOPATH's bin (the
// default GOPATH being ~/go, where `go install` puts it), as the
// environment and then `go env GOPATH` say.
func findBinary() string {
	if p := os.Getenv(EnvBinary); p != "" {
		return p
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	var dirs []string
	if gobin := os.Getenv("GOBIN"); gobin != "" {
		dirs = append(dirs, gobin)
	}
	gopaths := filepath.SplitList(build.Default.GOPATH)
	// `go env -w GOPATH=…` is seen only by the go command.
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		gopaths = append(gopaths, filepath.SplitList(strings.TrimSpace(string(out)))...)
	}
	for _, gp := range gopaths {
		dirs = append(dirs, filepath.Join(gp, "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "versitygw")
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// inCI reports whether the environment says this is a CI run (CI=true or
// any other true value strconv accepts), where a missing server fails.
func inCI() bool {
	ci, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && ci
}

// sharedDirPrefix starts the names of the shared servers' directories in
// the system temp dir; the owning process's id follows it.
const sharedDirPrefix = "tests3-"

// sweepStale removes the directories of shared servers whose test binary
// has exited without calling Main (killed, or no TestMain).
func sweepStale() {
	matches, _ := filepath.Glob(filepath.Join(os.TempDir(), sharedDirPrefix+"*"))
	for _, dir := range matches {
		rest := strings.TrimPrefix(filepath.Base(dir), sharedDirPrefix)
		pidStr, _, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidStr)
		if !ok || err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		if !alive(pid) {
			_ = os.RemoveAll(dir) // best effort: a dead run's leftovers, tried again by the next run
		}
	}
}

// alive reports whether pid is a process that has not exited: one that
// exists and is not a zombie waiting to be reaped.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return syscall.Kill(pid, 0) != syscall.ESRCH // no /proc: ask the kernel
	}
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
