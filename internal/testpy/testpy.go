// Package testpy makes the Python virtualenvs that tests run outside
// clients in (PyIceberg, confluent-kafka): one place decides how a venv is
// made, probed, filled from PyPI, and when a test skips instead.
package testpy

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// PyIcebergVersion is the PyIceberg the checks install.
const PyIcebergVersion = "0.12.0"

// EnvPyIcebergVenv names a virtualenv for PyIceberg (created there and kept
// when missing), so repeated runs skip the install.
const EnvPyIcebergVenv = "TRIBUTARY_PYICEBERG_VENV"

// PyIceberg returns the python of a virtualenv with PyIceberg, installed
// from PyPI into a temporary directory or $TRIBUTARY_PYICEBERG_VENV.
func PyIceberg(t testing.TB) string {
	t.Helper()
	dir := os.Getenv(EnvPyIcebergVenv)
	if dir == "" {
		dir = filepath.Join(t.TempDir(), "venv")
	}
	return Venv(t, "PyIceberg", dir,
		"import pyiceberg, pyarrow, pyiceberg_core; assert pyiceberg.__version__ == '"+PyIcebergVersion+"'",
		"pyiceberg[pyarrow,pyiceberg-core]=="+PyIcebergVersion)
}

// Venv returns the python of the virtualenv at dir, made when missing, in
// which the Python snippet probe runs cleanly; when it does not, pkgs are
// pip-installed first (in one pip run, so their pins are resolved together). The test skips under -short, without python3, or
// when PyPI cannot be reached; what names the check in those messages.
func Venv(t testing.TB, what, dir, probe string, pkgs ...string) string {
	t.Helper()
	if testing.Short() {
		t.Skipf("-short: the %s check installs from PyPI", what)
	}
	py3, err := exec.LookPath("python3")
	if err != nil {
		t.Skipf("%s check: no python3 on PATH", what)
	}
	python := filepath.Join(dir, "bin", "python")
	if _, err := os.Stat(python); err != nil {
		if out, err := exec.Command(py3, "-m", "venv", dir).CombinedOutput(); err != nil {
			t.Skipf("%s check: python3 -m venv: %v\n%s", what, err, out)
		}
	}
	if exec.Command(python, "-c", probe).Run() == nil {
		return python
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	pip := exec.CommandContext(ctx, python, append([]string{"-m", "pip", "install", "-q", "--disable-pip-version-check"}, pkgs...)...)
	if out, err := pip.CombinedOutput(); err != nil {
		t.Skipf("%s check: cannot install %v from PyPI (unreachable?): %v\n%s", what, pkgs, err, out)
	}
	return python
}

// DuckDBVersion is the DuckDB the checks install, pinned to the version of
// the duckdb-ext-* extension wheels (DuckDB loads only extensions built for
// its own version).
const (
	DuckDBVersion    = "1.4.4"
	DuckDBExtVersion = DuckDBVersion + ".20260205"
)

// EnvDuckDBVenv names a virtualenv for DuckDB, kept as EnvPyIcebergVenv is.
const EnvDuckDBVenv = "TRIBUTARY_DUCKDB_VENV"

// DuckDB returns the python of a virtualenv with DuckDB and its iceberg,
// avro and httpfs extensions from PyPI's duckdb-ext-* wheels (the wheels
// put them under duckdb_ext/extensions; no extension is downloaded at run
// time), and pytz, without which DuckDB's Python API cannot return a
// TIMESTAMPTZ.
func DuckDB(t testing.TB) string {
	t.Helper()
	dir := os.Getenv(EnvDuckDBVenv)
	if dir == "" {
		dir = filepath.Join(t.TempDir(), "venv")
	}
	// pytz: DuckDB's Python API needs it to return TIMESTAMPTZ values
	pkgs := []string{"duckdb==" + DuckDBVersion, "pytz==2025.2"}
	for _, ext := range []string{"iceberg", "avro", "httpfs"} {
		pkgs = append(pkgs, "duckdb-ext-"+ext+"=="+DuckDBExtVersion)
	}
	return Venv(t, "DuckDB", dir,
		"import duckdb, duckdb_ext, pytz; assert duckdb.__version__ == '"+DuckDBVersion+"'", pkgs...)
}
