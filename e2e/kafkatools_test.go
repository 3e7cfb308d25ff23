package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tributary-io/tributary/node"
)

// Apache Kafka's own command-line tools (kafka-tools 4.4.0 from Maven
// Central, interop/kafkatools) against an in-process broker, run as
// Kafka's bin/ scripts run them: `java -cp <kafka-tools' runtime
// classpath> <tool class> ...`. Maven only resolves the classpath (about
// 43 MB of jars into ~/.m2 on the first run; .ci/run fetches them ahead).

// kafkaToolsClasspath resolves kafka-tools' runtime classpath with Maven.
func kafkaToolsClasspath(t *testing.T, ctx context.Context, mvn string) string {
	t.Helper()
	return mavenClasspath(t, ctx, mvn, "kafkatools")
}

// mavenClasspath resolves the classpath of the interop/<project> pom, whose
// generate-sources phase writes it to ${interop.buildDir}/classpath.txt
// (nothing is compiled).
func mavenClasspath(t *testing.T, ctx context.Context, mvn, project string) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "interop", project))
	if err != nil {
		t.Fatal(err)
	}
	build := t.TempDir()
	runLogged(t, ctx, "mvn generate-sources ("+project+")", exec.CommandContext(ctx, mvn,
		"-B", "-ntp", "-q", "-f", filepath.Join(dir, "pom.xml"),
		"-Dinterop.buildDir="+build, "generate-sources"))
	cp, err := os.ReadFile(filepath.Join(build, "classpath.txt"))
	if err != nil {
		t.Fatalf("maven wrote no classpath: %v", err)
	}
	return strings.TrimSpace(string(cp))
}

// deleteRecordsCommand runs kafka-delete-records (DeleteRecordsCommand)
// with an offset JSON file of the given partitions and offsets, and
// returns its output and whether it exited 0.
func deleteRecordsCommand(t *testing.T, ctx context.Context, java, cp, addr string, offsets map[int32]int64) (string, bool) {
	t.Helper()
	var parts []string
	for p, o := range offsets {
		parts = append(parts, fmt.Sprintf(`{"topic":%q,"partition":%d,"offset":%d}`, drTopic, p, o))
	}
	file := filepath.Join(t.TempDir(), "offsets.json")
	if err := os.WriteFile(file, []byte(`{"version":1,"partitions":[`+strings.Join(parts, ",")+`]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, java, "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", cp,
		"org.apache.kafka.tools.DeleteRecordsCommand", "--bootstrap-server", addr, "--offset-json-file", file)
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	t.Logf("kafka-delete-records %v:\n%s", offsets, out)
	return string(out), err == nil
}

func TestKafkaDeleteRecordsTool(t *testing.T) {
	mvn, java := javaTools(t)
	ctx := ctxTimeout(t, 5*time.Minute)
	cp := kafkaToolsClasspath(t, ctx, mvn)
	n := startNode(t, deleteRecordsConfig(t, t.TempDir()), node.Hooks{})
	adm := newAdmin(t, n.KafkaAddr())
	if resp, err := adm.CreateTopic(ctx, 2, 1, nil, drTopic); err != nil || resp.Err != nil {
		t.Fatalf("create topic: %v %v", err, resp.Err)
	}
	produceDR(t, ctx, newClient(t, n.KafkaAddr(), drProducerOpts()...))

	out, ok := deleteRecordsCommand(t, ctx, java, cp, n.KafkaAddr(), map[int32]int64{0: 3, 1: -1})
	for _, want := range []string{"Records delete operation completed:",
		"partition: " + drTopic + "-0\tlow_watermark: 3", "partition: " + drTopic + "-1\tlow_watermark: 10"} {
		if !ok || !strings.Contains(out, want) {
			t.Fatalf("kafka-delete-records (exit 0: %v) did not print %q:\n%s", ok, want, out)
		}
	}
	checkStarts(t, ctx, adm, map[int32]int64{0: 3, 1: 10})
	checkFromEarliest(t, ctx, newClient(t, n.KafkaAddr(), drConsumerOpts()...))

	out, _ = deleteRecordsCommand(t, ctx, java, cp, n.KafkaAddr(), map[int32]int64{0: 11})
	if want := "partition: " + drTopic + "-0\terror: org.apache.kafka.common.errors.OffsetOutOfRangeException"; !strings.Contains(out, want) {
		t.Fatalf("kafka-delete-records past the high watermark did not print %q:\n%s", want, out)
	}
	starts, err := adm.ListStartOffsets(ctx, drTopic)
	if o, _ := starts.Lookup(drTopic, 0); err != nil || o.Offset != 3 {
		t.Fatalf("start of %s[0] after a refused delete: %d %v, want 3", drTopic, o.Offset, err)
	}
}
