package main

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tributary-io/tributary/internal/testpy"
)

// queriesPy times the queries in DuckDB and PyIceberg (see its doc).
//
//go:embed queries.py
var queriesPy []byte

// envVenv names the virtualenv the bench runs queries.py in (made there
// when missing); default <user cache dir>/tributary/maintenancebench-venv.
const envVenv = "MAINTENANCEBENCH_VENV"

// pyEngines is a running queries.py: one process for the whole run, so
// DuckDB loads its extensions and PyIceberg its modules once.
type pyEngines struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
	dir string
}

// engineQuery is one query's times (live and one file alternated) and
// results in one engine.
type engineQuery struct {
	Name  string    `json:"name"`
	LiveS []float64 `json:"live_s"`
	OneS  []float64 `json:"one_s"`
	Live  []string  `json:"live"`
	One   []string  `json:"one"`
}

type engineAnswer struct {
	DuckDB    []engineQuery `json:"duckdb"`
	PyIceberg []engineQuery `json:"pyiceberg"`
	Error     string        `json:"error"`
}

// benchVenv returns the python of the bench's virtualenv, with DuckDB
// (and the duckdb-ext-* wheels of its version) and PyIceberg at the
// versions the tests pin (internal/testpy), installing them from PyPI
// when missing.
func benchVenv(ctx context.Context) (string, error) {
	dir := os.Getenv(envVenv)
	if dir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("user cache dir: %w", err)
		}
		dir = filepath.Join(cache, "tributary", "maintenancebench-venv")
	}
	python := filepath.Join(dir, "bin", "python")
	if _, err := os.Stat(python); err != nil {
		if out, err := exec.CommandContext(ctx, "python3", "-m", "venv", dir).CombinedOutput(); err != nil {
			return "", fmt.Errorf("python3 -m venv %s: %w\n%s", dir, err, out)
		}
	}
	probe := fmt.Sprintf("import duckdb, duckdb_ext, pytz, pyiceberg, pyarrow; assert duckdb.__version__ == %q and pyiceberg.__version__ == %q",
		testpy.DuckDBVersion, testpy.PyIcebergVersion)
	if exec.CommandContext(ctx, python, "-c", probe).Run() == nil {
		return python, nil
	}
	pkgs := []string{"duckdb==" + testpy.DuckDBVersion, "pytz==2025.2", "pyiceberg[pyarrow,pyiceberg-core]==" + testpy.PyIcebergVersion}
	for _, ext := range []string{"iceberg", "avro", "httpfs"} {
		pkgs = append(pkgs, "duckdb-ext-"+ext+"=="+testpy.DuckDBExtVersion)
	}
	fmt.Printf("installing %s into %s\n", strings.Join(pkgs, " "), dir)
	pip := exec.CommandContext(ctx, python, append([]string{"-m", "pip", "install", "-q", "--disable-pip-version-check"}, pkgs...)...)
	if out, err := pip.CombinedOutput(); err != nil {
		return "", fmt.Errorf("pip install %v: %w\n%s", pkgs, err, out)
	}
	return python, nil
}

// startEngines starts queries.py in the bench's virtualenv.
func startEngines(ctx context.Context) (*pyEngines, error) {
	ictx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	python, err := benchVenv(ictx)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "maintenancebench-py")
	if err != nil {
		return nil, err
	}
	script := filepath.Join(dir, "queries.py")
	if err := os.WriteFile(script, queriesPy, 0o600); err != nil {
		_ = os.RemoveAll(dir) // best effort: the error returned is the one that matters
		return nil, err
	}
	cmd := exec.Command(python, script)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		_ = os.RemoveAll(dir) // best effort
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		_ = os.RemoveAll(dir) // best effort
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		_ = os.RemoveAll(dir) // best effort
		return nil, fmt.Errorf("start queries.py: %w", err)
	}
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	return &pyEngines{cmd: cmd, in: in, out: sc, dir: dir}, nil
}

// query times the queries on the live table and the one-file copy (their
// metadata files).
func (e *pyEngines) query(live, one string, cutMicros int64, runs int) (engineAnswer, error) {
	req, err := json.Marshal(map[string]any{"live": live, "one": one, "cut_us": cutMicros, "runs": runs})
	if err != nil {
		return engineAnswer{}, err
	}
	if _, err := e.in.Write(append(req, '\n')); err != nil {
		return engineAnswer{}, fmt.Errorf("queries.py: %w", err)
	}
	if !e.out.Scan() {
		return engineAnswer{}, fmt.Errorf("queries.py ended: %w", errors.Join(e.out.Err(), io.ErrUnexpectedEOF))
	}
	var ans engineAnswer
	if err := json.Unmarshal(e.out.Bytes(), &ans); err != nil {
		return ans, fmt.Errorf("queries.py answer %q: %w", e.out.Text(), err)
	}
	if ans.Error != "" {
		return ans, fmt.Errorf("queries.py on %s: %s", live, ans.Error)
	}
	if len(ans.DuckDB) != 3 || len(ans.PyIceberg) != 3 {
		return ans, fmt.Errorf("queries.py on %s: %d DuckDB and %d PyIceberg answers, want 3 each", live, len(ans.DuckDB), len(ans.PyIceberg))
	}
	for _, q := range append(slices.Clone(ans.DuckDB), ans.PyIceberg...) {
		if len(q.LiveS) != runs || len(q.OneS) != runs {
			return ans, fmt.Errorf("queries.py on %s: %s: %d and %d times, want %d", live, q.Name, len(q.LiveS), len(q.OneS), runs)
		}
	}
	return ans, nil
}

// stop ends queries.py (closing its stdin) and removes its directory.
func (e *pyEngines) stop() {
	_ = e.in.Close()        // queries.py ends at EOF
	_ = e.cmd.Wait()        // its exit status tells nothing more: every answer was checked
	_ = os.RemoveAll(e.dir) // best effort: a leftover temporary directory harms nothing
}
