package main

import (
	"bytes"
	"context"
	debugbuildinfo "debug/buildinfo"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tributary-io/tributary/internal/buildinfo"
)

// runCLI runs the command line args as main does and returns its stdout,
// stderr and error.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), err
}

func TestHelpOnEveryCommandIsUsageOnStdout(t *testing.T) {
	for _, args := range [][]string{
		{"help"}, {"-h"}, {"--help"},
		{"serve", "--help"}, {"serve", "-h"},
		{"compact", "--help"}, {"compact", "-h"},
		{"admin", "--help"}, {"admin", "-h"},
		{"admin", "tables", "--help"}, {"admin", "tables", "-h"},
		{"admin", "topic", "--help"}, {"admin", "topic", "create", "--help"}, {"admin", "topic", "alter", "-h"},
		{"admin", "topic", "describe", "--help"}, {"admin", "topic", "list", "--help"}, {"admin", "topic", "delete", "--help"},
		{"admin", "group", "list", "--help"}, {"admin", "group", "describe", "--help"}, {"admin", "group", "reset-offsets", "--help"},
		{"admin", "schema", "register", "--help"}, {"admin", "schema", "list", "--help"}, {"admin", "schema", "get", "--help"},
		{"admin", "table", "list", "--help"}, {"admin", "table", "describe", "--help"},
		{"version", "--help"}, {"version", "-h"},
	} {
		out, errs, err := runCLI(t, args...)
		if err != nil {
			t.Errorf("%v: error %v (stderr %q)", args, err, errs)
			continue
		}
		if !strings.HasPrefix(out, "usage: tributary") || errs != "" {
			t.Errorf("%v: stdout %q, stderr %q; want usage on stdout only", args, out, errs)
		}
	}
	// Each command's usage lists its own flags.
	for args, flag := range map[[2]string]string{
		{"serve", "--help"}:   "-kafka-addr",
		{"compact", "--help"}: "-remove-orphans",
		{"admin", "--help"}:   "tables",
	} {
		if out, _, _ := runCLI(t, args[0], args[1]); !strings.Contains(out, flag) {
			t.Errorf("%v: usage lacks %s:\n%s", args, flag, out)
		}
	}
	if out, _, _ := runCLI(t, "admin", "tables", "--help"); !strings.Contains(out, "-admin-addr") {
		t.Errorf("admin tables --help lacks -admin-addr:\n%s", out)
	}
}

func TestBadFlagIsAnErrorWithUsageOnStderr(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--kafka-adr", "x"},
		{"compact", "--nope"},
		{"admin", "tables", "--nope"},
		{"admin", "topic"}, {"admin", "topic", "nope"}, {"admin", "topic", "create"},
		{"admin", "topic", "create", "a", "b"}, {"admin", "group", "describe", "--nope"},
		{"admin", "schema", "get", "--version"}, {"admin", "table", "describe"},
		{"version", "--nope"},
		{"admin"},
		{"nonsense"},
		{},
	} {
		out, errs, err := runCLI(t, args...)
		if err == nil || out != "" || !strings.Contains(errs, "usage: tributary") {
			t.Errorf("%v: err %v, stdout %q, stderr %q; want an error and usage on stderr", args, err, out, errs)
		}
	}
}

func TestVersionPrintsBuildInfo(t *testing.T) {
	want := buildinfo.Read().String() + "\n"
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, errs, err := runCLI(t, args...)
		if err != nil || out != want || errs != "" {
			t.Errorf("%v: %v, stdout %q, stderr %q; want %q", args, err, out, errs, want)
		}
	}
	if !strings.HasPrefix(want, "tributary ") || !strings.Contains(want, "go1.") {
		t.Errorf("version line %q lacks the name or the Go version", want)
	}
}

// TestBuiltBinaryVersionNamesItsBuild builds the binary as a user does (go
// build in the checkout) and checks that `tributary --version` prints what
// the toolchain stamped into that file (read back with debug/buildinfo);
// in a plain git checkout (Go stamps none in a git worktree, whose .git is
// a file) the stamped commit must be HEAD's.
func TestBuiltBinaryVersionNamesItsBuild(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "tributary")
	// -buildvcs=true over a GOFLAGS=-buildvcs=false in the environment.
	if out, err := exec.Command("go", "build", "-buildvcs=true", "-o", bin, ".").CombinedOutput(); err != nil {
		if !strings.Contains(string(out), "error obtaining VCS status") {
			t.Fatalf("go build: %v\n%s", err, out)
		}
		t.Logf("go build cannot read the VCS status here, building without: %s", out)
		if out, err := exec.Command("go", "build", "-buildvcs=false", "-o", bin, ".").CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
	}
	stamped, err := debugbuildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	want := buildinfo.From(stamped)
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatalf("tributary --version: %v", err)
	}
	if got := strings.TrimSpace(string(out)); got != want.String() {
		t.Fatalf("tributary --version = %q, want %q", got, want)
	}
	if top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output(); err == nil {
		if fi, err := os.Stat(filepath.Join(strings.TrimSpace(string(top)), ".git")); err == nil && fi.IsDir() {
			head, err := exec.Command("git", "rev-parse", "HEAD").Output()
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(want.Commit, strings.TrimSpace(string(head))) {
				t.Errorf("stamped commit %q, want HEAD %s", want.Commit, head)
			}
		}
	}
	if out, err := exec.Command(bin, "serve", "--help").Output(); err != nil || !strings.Contains(string(out), "-kafka-addr") {
		t.Fatalf("tributary serve --help: %v, stdout %q; want exit 0 and the flags on stdout", err, out)
	}
}
