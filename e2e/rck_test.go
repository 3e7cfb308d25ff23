package e2e

import (
	"encoding/xml"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/internal/tests3"
	"github.com/tributary-io/tributary/node"
)

// Apache Iceberg's REST Compatibility Kit (RCK, Iceberg 1.10.1's
// RESTCompatibilityKitCatalogTests and RESTCompatibilityKitViewCatalogTests
// from Maven Central, interop/rck) against the built-in catalog of an
// in-process node, on a local warehouse (TestIcebergRCK) and on an S3 one
// (TestIcebergRCKS3, versitygw). JUnit's console launcher runs each class
// against a fresh node, with rck.local=false (no reference server of its
// own) and the catalog's URI; the test reads JUnit's XML reports, prints
// the counts and fails on any failed test that is not in the known
// failures (none now, on either warehouse), and on any test in them that
// now passes (so the list only shrinks). Tests the
// RCK itself skips (an assumption about a feature the catalog does not
// declare, such as nested namespaces) are counted, not failed.

// rckKnownFailuresS3 are the RCK tests allowed to fail on an S3
// warehouse, each with the reason; none now (there were never any on a
// local one). The key is "Catalog.<method>"
// (RESTCompatibilityKitCatalogTests) or "View.<method>"
// (RESTCompatibilityKitViewCatalogTests).
var rckKnownFailuresS3 = map[string]string{}

// rckClasses are the RCK's test classes, by the prefix of their keys.
var rckClasses = map[string]string{
	"org.apache.iceberg.rest.RESTCompatibilityKitCatalogTests":     "Catalog",
	"org.apache.iceberg.rest.RESTCompatibilityKitViewCatalogTests": "View",
}

func TestIcebergRCK(t *testing.T) {
	mvn, java := javaTools(t)
	runRCK(t, mvn, java, "local warehouse", rckTmpDir(t), nil, func() *node.Node {
		return startNode(t, testConfig(t, t.TempDir()), node.Hooks{})
	})
}

// TestIcebergRCKS3 is the RCK against a node whose warehouse is in S3
// (versitygw): the RCK's client writes manifests there with Iceberg's
// S3FileIO (iceberg-aws), configured from the endpoint, region, path style
// and keys the catalog hands out with each table. The view tests ask for
// view locations and metadata files (write.metadata.path) in a JUnit
// temporary directory of the RCK's machine, a file: URI: the node allows
// the bucket and that directory (catalog.allowed_locations; the JVM's
// java.io.tmpdir is set so the directory is known), as an operator whose
// engines keep view metadata on a shared mount would.
func TestIcebergRCKS3(t *testing.T) {
	mvn, java := javaTools(t)
	srv := tests3.NewServer(t)
	tmp := rckTmpDir(t)
	runRCK(t, mvn, java, "S3 warehouse", tmp, rckKnownFailuresS3, func() *node.Node {
		cfg := testConfig(t, t.TempDir())
		bucket := srv.NewBucket(t)
		cfg.Catalog.AllowedLocations = []string{"s3://" + bucket + "/", "file://" + tmp + "/"}
		s3cfg, err := config.NewS3("s3://" + bucket + "/rck/")
		if err != nil {
			t.Fatal(err)
		}
		s3cfg.Region, s3cfg.Endpoint, s3cfg.ForcePathStyle = srv.Region, srv.Endpoint, true
		s3cfg.AccessKeyID, s3cfg.SecretAccessKey = config.InlineSource(srv.AccessKey), config.InlineSource(srv.SecretKey)
		cfg.Data.S3 = s3cfg
		return startNode(t, cfg, node.Hooks{})
	})
}

// runRCK runs each RCK class against the catalog of a fresh node from
// start (each class asserts, before its first test, that the catalog
// holds none of its test namespaces, which the other class's last test
// may leave) and checks the report against the known failures.
func runRCK(t *testing.T, mvn, java, what, tmp string, known map[string]string, start func() *node.Node) {
	t.Helper()
	ctx := ctxTimeout(t, 10*time.Minute)
	cp := mavenClasspath(t, ctx, mvn, "rck") // the RCK's test runtime classpath
	res := rckResult{passed: map[string]string{}, failed: map[string]string{}, skipped: map[string]string{}}
	for _, class := range rckSorted(rckClasses) {
		n := start()
		reports := t.TempDir()
		cmd := exec.CommandContext(ctx, java,
			"-Djava.io.tmpdir="+tmp, // JUnit's @TempDir directories
			"-Drck.local=false",
			// what the catalog declares: a table needs its namespace created
			// first; a requested location outside the warehouse is overridden
			// (catalog/location.go); names may hold dots
			"-Drck.requires-namespace-create=true",
			"-Drck.overrides-requested-location=true",
			"-Drck.supports-names-with-dot=true",
			"-Duri=http://"+n.CatalogAddr()+"/",
			"-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
			"-cp", cp, "org.junit.platform.console.ConsoleLauncher", "execute",
			"--disable-banner", "--details=summary", "--reports-dir="+reports, "--select-class="+class)
		cmd.Dir = t.TempDir() // anything the tests write locally stays out of the tree
		cmd.WaitDelay = 10 * time.Second
		out, err := cmd.CombinedOutput()
		// the launcher exits 1 when a test failed: judged from the report
		if ctx.Err() != nil {
			t.Fatalf("RCK run of %s: %v (context: %v)\n%s", class, err, ctx.Err(), tail(string(out), 4000))
		}
		one := rckReadReport(t, filepath.Join(reports, "TEST-junit-jupiter.xml"))
		if one.total == 0 {
			t.Fatalf("the RCK ran no test of %s (launcher: %v):\n%s", class, err, tail(string(out), 4000))
		}
		res.total += one.total
		maps.Copy(res.passed, one.passed)
		maps.Copy(res.failed, one.failed)
		maps.Copy(res.skipped, one.skipped)
	}
	t.Logf("RCK, %s: %d tests, %d passed, %d failed, %d skipped by the RCK", what, res.total, len(res.passed), len(res.failed), len(res.skipped))
	fmt.Printf("Iceberg RCK 1.10.1, %s: %d tests, %d passed, %d failed (%d known), %d skipped\n",
		what, res.total, len(res.passed), len(res.failed), len(known), len(res.skipped))
	for _, name := range rckSorted(res.skipped) {
		t.Logf("skipped by the RCK: %s: %s", name, res.skipped[name])
	}
	for _, name := range rckSorted(res.failed) {
		if _, ok := known[name]; !ok {
			t.Errorf("RCK test %s failed (not a known failure):\n%s", name, res.failed[name])
		}
	}
	for _, name := range rckSorted(known) {
		if _, ok := res.passed[name]; ok {
			t.Errorf("RCK test %s passes now: take it out of the known failures (%s)", name, known[name])
		} else if _, ok := res.failed[name]; !ok {
			t.Errorf("RCK test %s among the known failures did not run", name)
		}
	}
}

// rckTmpDir is a directory for the RCK JVM's java.io.tmpdir (where
// JUnit's @TempDir directories go), resolved through symlinks as the JVM
// names it.
func rckTmpDir(t *testing.T) string {
	t.Helper()
	d, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// rckResult is the outcome of each RCK test by key, with the failure's
// message (or the skip's reason).
type rckResult struct {
	total                   int
	passed, failed, skipped map[string]string
}

// junitSuite is the part of a JUnit XML report read here.
type junitSuite struct {
	Cases []struct {
		Class   string `xml:"classname,attr"`
		Name    string `xml:"name,attr"`
		Failure *struct {
			Message string `xml:"message,attr"`
		} `xml:"failure"`
		Error *struct {
			Message string `xml:"message,attr"`
		} `xml:"error"`
		Skipped *struct {
			Message string `xml:"message,attr"`
			Text    string `xml:",chardata"`
		} `xml:"skipped"`
	} `xml:"testcase"`
}

// rckReadReport reads the console launcher's JUnit XML report.
func rckReadReport(t *testing.T, file string) rckResult {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("no JUnit report: %v", err)
	}
	var s junitSuite
	if err := xml.Unmarshal(raw, &s); err != nil {
		t.Fatalf("parse JUnit report: %v", err)
	}
	res := rckResult{passed: map[string]string{}, failed: map[string]string{}, skipped: map[string]string{}}
	for _, c := range s.Cases {
		prefix, ok := rckClasses[c.Class]
		if !ok {
			t.Fatalf("JUnit report names a test of class %q, not one of the RCK's", c.Class)
		}
		key := prefix + "." + strings.TrimSuffix(c.Name, "()")
		res.total++
		switch {
		case c.Failure != nil:
			res.failed[key] = c.Failure.Message
		case c.Error != nil:
			res.failed[key] = c.Error.Message
		case c.Skipped != nil:
			res.skipped[key] = firstLine(c.Skipped.Message + c.Skipped.Text)
		default:
			res.passed[key] = ""
		}
	}
	return res
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func rckSorted[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
