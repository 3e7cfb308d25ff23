package maintenance

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	icerest "github.com/apache/iceberg-go/catalog/rest"
	icetable "github.com/apache/iceberg-go/table"

	"github.com/tributary-io/tributary/iceberg"
)

// javaExpire is Java's core ExpireSnapshots (iceberg-core 1.9.2, as
// Flink's maintenance or a user's Java job calls it) on kafka.orders of
// the REST catalog at args[0]: every snapshot but the head expires, and
// expired files are cleaned the way Java picks (incrementally when the
// table has one ref, by reachability otherwise).
const javaExpire = `
import java.util.Map;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.rest.RESTCatalog;

public class Expire {
  public static void main(String[] args) throws Exception {
    try (RESTCatalog cat = new RESTCatalog()) {
      cat.initialize("t", Map.of("uri", args[0]));
      Table t = cat.loadTable(TableIdentifier.of("kafka", "orders"));
      t.expireSnapshots().expireOlderThan(System.currentTimeMillis()).retainLast(1).commit();
      System.out.println("refs after: " + t.refs().keySet());
    }
  }
}
`

// javaClasspath returns java and a classpath for iceberg-core
// javaIcebergVersion: the runtime classpath of interop/rck (Iceberg
// 1.10.1 with Hadoop's client, resolved by Maven from Maven Central into
// ~/.m2, as e2e's RCK test does) with Iceberg's own jars swapped for
// javaIcebergVersion's (mvn dependency:copy). It skips outside CI when
// mvn or java is missing.
func javaClasspath(t *testing.T) (java, cp string) {
	t.Helper()
	mvn, err1 := exec.LookPath("mvn")
	java, err2 := exec.LookPath("java")
	if err1 != nil || err2 != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("mvn or java not found with CI=%s", os.Getenv("CI"))
		}
		t.Skip("mvn or java not found (Debian: maven, openjdk-17-jdk-headless); skipped outside CI")
	}
	pom, err := filepath.Abs(filepath.Join("..", "interop", "rck", "pom.xml"))
	if err != nil {
		t.Fatal(err)
	}
	build := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, mvn, "-B", "-ntp", "-q", "-f", pom, "-Dinterop.buildDir="+build, "generate-sources").CombinedOutput()
	if err != nil {
		t.Fatalf("mvn generate-sources (rck): %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(build, "classpath.txt"))
	if err != nil {
		t.Fatalf("maven wrote no classpath: %v", err)
	}
	// Iceberg's own jars at 1.9.2, the last release whose cleanup has
	// the flaw (apache/iceberg#13568, fixed in 1.10.0 by #13614).
	var jars []string
	for _, j := range strings.Split(strings.TrimSpace(string(b)), string(os.PathListSeparator)) {
		if !strings.Contains(j, string(filepath.Separator)+"iceberg"+string(filepath.Separator)) {
			jars = append(jars, j)
		}
	}
	for _, a := range []string{"iceberg-core", "iceberg-api", "iceberg-common", "iceberg-bundled-guava"} {
		out, err := exec.CommandContext(ctx, mvn, "-B", "-ntp", "-q", "dependency:copy",
			"-Dartifact=org.apache.iceberg:"+a+":"+javaIcebergVersion, "-DoutputDirectory="+build).CombinedOutput()
		if err != nil {
			t.Fatalf("mvn dependency:copy %s: %v\n%s", a, err, out)
		}
		jars = append(jars, filepath.Join(build, a+"-"+javaIcebergVersion+".jar"))
	}
	return java, strings.Join(jars, string(os.PathListSeparator))
}

// javaIcebergVersion is the Iceberg Java release the test runs.
const javaIcebergVersion = "1.9.2"

// thinnedWithGap makes a table whose thinned history has a gap: c1 (alone
// in its one-second interval) kept, its child c2 thinned, the manifests
// merged after c2 (so c1's manifest is read by c1 alone) and a head c3.
// ok is false when the commits did not fall in the intervals needed (a
// slow machine); the caller tries again.
func thinnedWithGap(t *testing.T) (url string, w *writer, c1 int64, ok bool) {
	t.Helper()
	ctx := context.Background()
	cat, url := newCatalogURL(t)
	// One manifest per commit, so that merging them below makes the head's
	// manifest list differ from the kept old snapshot's.
	tbl, err := iceberg.Open(ctx, cat, orders, iceberg.Options{Properties: noCommitMerge})
	if err != nil {
		t.Fatal(err)
	}
	w = newWriter(t, tbl)
	if err := w.commit(2, 3); err != nil {
		t.Fatal(err)
	}
	c1 = tbl.Iceberg().CurrentSnapshot().SnapshotID
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 20*time.Millisecond)))
	if err := w.commit(2, 3); err != nil {
		t.Fatal(err)
	}
	c2 := tbl.Iceberg().CurrentSnapshot().SnapshotID
	head, err := cat.LoadTable(ctx, orders)
	if err != nil {
		t.Fatal(err)
	}
	var rep Report
	if _, err := rewriteManifests(ctx, head, Options{MinManifests: 2}.withDefaults(), &rep); err != nil || rep.ManifestsRewritten < 2 {
		t.Fatalf("merge manifests: %v, %d merged", err, rep.ManifestsRewritten)
	}
	if err := w.commit(2, 3); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	if _, err := Run(ctx, cat, orders, Options{NoCompact: true, ThinAfter: time.Millisecond, ThinInterval: time.Second}); err != nil {
		t.Fatal(err)
	}
	after, err := cat.LoadTable(ctx, orders)
	if err != nil {
		t.Fatal(err)
	}
	md := after.Metadata()
	if md.SnapshotByID(c1) == nil || md.SnapshotByID(c2) != nil {
		t.Logf("c1 kept %v, c2 thinned %v: the commits straddled other intervals; again", md.SnapshotByID(c1) != nil, md.SnapshotByID(c2) == nil)
		return url, w, c1, false
	}
	return url, w, c1, true
}

// TestJavaExpiryOfAThinnedTableKeepsLiveFiles: Java's core
// ExpireSnapshots before Iceberg 1.10 cleans a table with one ref
// incrementally, taking a snapshot the head does not reach through
// parents for a rolled-back commit and deleting the files it added
// (apache/iceberg#13568). Thinning leaves such snapshots (the kept old
// ones) whose files the head still reads, so it tags the table
// (TagThinned) and Java 1.9.2 cleans by reachability: every row stays.
// Without the tag (removed here), Java 1.9.2 deletes files the head
// reads.
func TestJavaExpiryOfAThinnedTableKeepsLiveFiles(t *testing.T) {
	java, cp := javaClasspath(t)
	src := filepath.Join(t.TempDir(), "Expire.java")
	if err := os.WriteFile(src, []byte(javaExpire), 0o600); err != nil {
		t.Fatal(err)
	}
	expire := func(url string) {
		t.Helper()
		cmd := exec.Command(java, "-Dorg.slf4j.simpleLogger.defaultLogLevel="+javaLogLevel, "-cp", cp, src, url)
		cmd.Dir = t.TempDir()
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("java ExpireSnapshots: %v\n%s", err, out)
		}
		t.Logf("java ExpireSnapshots: %s", strings.TrimSpace(string(out)))
	}
	gap := func() (string, *writer, int64) {
		t.Helper()
		for range 3 {
			if url, w, c1, ok := thinnedWithGap(t); ok {
				return url, w, c1
			}
		}
		t.Fatal("three tries and no thinned history with a gap")
		return "", nil, 0
	}
	ctx := context.Background()
	headFiles := func(url string) (*icetable.Table, map[string]bool) {
		t.Helper()
		cat := restCatalog(t, url)
		tbl, err := cat.LoadTable(ctx, orders)
		if err != nil {
			t.Fatal(err)
		}
		return tbl, dataFiles(t, tbl, tbl.CurrentSnapshot().SnapshotID)
	}

	t.Run("tagged", func(t *testing.T) {
		url, w, _ := gap()
		_, files := headFiles(url)
		expire(url)
		tbl, _ := headFiles(url)
		if n := len(tbl.Metadata().Snapshots()); n != 1 {
			t.Fatalf("%d snapshots after Java's expiry, want the head", n)
		}
		for f := range files {
			if !fileExists(t, f) {
				t.Fatalf("Java's expiry deleted %s, which the head reads", f)
			}
		}
		checkComplete(t, readRows(t, tbl, 0), w.next)
	})
	t.Run("without the tag", func(t *testing.T) {
		url, _, _ := gap()
		if _, _, err := restCatalog(t, url).CommitTable(ctx, orders, nil, []icetable.Update{icetable.NewRemoveSnapshotRefUpdate(TagThinned)}); err != nil {
			t.Fatal(err)
		}
		_, files := headFiles(url)
		expire(url)
		gone := 0
		for f := range files {
			if !fileExists(t, f) {
				gone++
			}
		}
		if gone == 0 {
			t.Fatal("Java's incremental cleanup kept every file of the head: the tag may no longer be needed")
		}
		t.Logf("without the tag, Java deleted %d of the head's %d data files", gone, len(files))
	})
}

func restCatalog(t testing.TB, url string) *icerest.Catalog {
	t.Helper()
	cat, err := icerest.NewCatalog(context.Background(), "test", url)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

var javaLogLevel = "warn"
