package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tributary-io/tributary/node"
)

// Apache Kafka's Java client (kafka-clients, interop/java) against an
// in-process broker, unchanged: Admin (cluster, topics by name and id,
// configs, partitions, list-offsets, delete), an idempotent acks=all
// producer with each codec, and an assign()-based consumer (no group: the
// broker serves no consumer groups yet) that reads every record back and
// checks it against the producer's metadata. The Java program does the
// checking; it prints "FAIL: [step] ..." and exits non-zero on a mismatch.
//
// Maven builds it into a temporary directory each run, so concurrent runs
// in one tree do not share output; the first run on an empty ~/.m2
// downloads kafka-clients and three Maven plugins.
//
// TRIBUTARY_JAVA_DEBUG=1 logs every request and response the client sends
// (org.apache.kafka at DEBUG) into the test output.

// javaTools finds mvn and java. Without them the test skips, unless CI is
// set: CI must run it, so there a missing tool fails.
func javaTools(t *testing.T) (mvn, java string) {
	t.Helper()
	var missing []string
	for _, name := range []string{"mvn", "java"} {
		p, err := exec.LookPath(name)
		if err != nil {
			missing = append(missing, name)
			continue
		}
		if name == "mvn" {
			mvn = p
		} else {
			java = p
		}
	}
	if len(missing) == 0 {
		return mvn, java
	}
	msg := strings.Join(missing, " and ") + " not found (Debian: apt-get install maven openjdk-17-jdk-headless)"
	if os.Getenv("CI") != "" {
		t.Fatalf("%s with CI=%s", msg, os.Getenv("CI"))
	}
	t.Skipf("%s; skipped outside CI", msg)
	return "", ""
}

// runLogged runs cmd and returns its combined output; a failure, the
// context's end included, fails t with that output.
func runLogged(t *testing.T, ctx context.Context, what string, cmd *exec.Cmd) string {
	t.Helper()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 10 * time.Second
	start := time.Now()
	err := cmd.Run()
	t.Logf("%s: %.1fs", what, time.Since(start).Seconds())
	if err != nil {
		t.Fatalf("%s: %v (context: %v)\n%s\noutput:\n%s", what, err, ctx.Err(), strings.Join(cmd.Args, " "), out.String())
	}
	return out.String()
}

func TestJavaClient(t *testing.T) {
	mvn, java := javaTools(t)
	project, err := filepath.Abs(filepath.Join("..", "interop", "java"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxTimeout(t, 5*time.Minute)
	n := startNode(t, testConfig(t, t.TempDir()), node.Hooks{})
	build := t.TempDir()

	// compile: the check's classes, and its runtime classpath (jars in
	// ~/.m2) written to classpath.txt by maven-dependency-plugin.
	runLogged(t, ctx, "mvn compile", exec.CommandContext(ctx, mvn,
		"-B", "-ntp", "-q", "-f", filepath.Join(project, "pom.xml"),
		"-Dinterop.buildDir="+build, "compile"))
	cp, err := os.ReadFile(filepath.Join(build, "classpath.txt"))
	if err != nil {
		t.Fatalf("maven wrote no classpath: %v", err)
	}

	args := []string{"-cp", filepath.Join(build, "classes") + string(os.PathListSeparator) + strings.TrimSpace(string(cp))}
	if os.Getenv("TRIBUTARY_JAVA_DEBUG") != "" {
		args = append(args, "-Dorg.slf4j.simpleLogger.log.org.apache.kafka=debug")
	}
	args = append(args, "io.tributary.interop.JavaClientCheck", n.KafkaAddr(),
		"--records", "400", "--timeout-sec", "180")
	out := runLogged(t, ctx, "java check", exec.CommandContext(ctx, java, args...))
	var summary string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "OK ") {
			summary = line
		}
	}
	if summary == "" {
		t.Fatalf("the Java check exited 0 without its OK line; output:\n%s", out)
	}
	if testing.Verbose() || os.Getenv("TRIBUTARY_JAVA_DEBUG") != "" {
		t.Logf("output:\n%s", out)
	}
	t.Log(summary)
}
