package node

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// The layers below the Kafka protocol never import it: the log, ingest
// and what it writes with, the catalog, and topic configs. A broken rule
// here is how log/housekeeping came to import the whole broker for one
// function (issue 13).
func TestLowerLayersDoNotImportBroker(t *testing.T) {
	const mod = "github.com/tributary-io/tributary/"
	lower := []string{"log/...", "ingest/...", "arrowconv/...", "iceberg/...", "catalog/...", "topicconfig/..."}
	args := []string{"list", "-deps", "-f", "{{if .Module}}{{.ImportPath}}{{range .Deps}} {{.}}{{end}}{{end}}"}
	for _, p := range lower {
		args = append(args, mod+p)
	}
	out := goCmd(t, args...)
	checked := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || !isLower(strings.TrimPrefix(f[0], mod), lower) {
			continue
		}
		checked++
		for _, dep := range f[1:] {
			if dep == mod+"broker" || strings.HasPrefix(dep, mod+"broker/") {
				t.Errorf("%s imports %s", f[0], dep)
			}
		}
	}
	if checked < len(lower) {
		t.Fatalf("checked %d packages, want at least one per layer %v:\n%s", checked, lower, out)
	}
}

func isLower(path string, lower []string) bool {
	for _, l := range lower {
		root := strings.TrimSuffix(l, "/...")
		if path == root || strings.HasPrefix(path, root+"/") {
			return true
		}
	}
	return false
}

// goCmd runs the go command of the toolchain running the test.
func goCmd(t *testing.T, args ...string) []byte {
	t.Helper()
	bin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the layering check runs go list: %v", err)
	}
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}
