package e2e

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tributary-io/tributary/node"
)

// buildConfluentGo builds interop/confluentgo, its own Go module (it
// imports confluent-kafka-go's cgo kafka package, a bundled static
// librdkafka, kept out of this module's go.mod), into a directory removed
// at test end and returns the binary's path. The first build compiles the
// cgo bindings and takes a while; later ones come from the build cache.
func buildConfluentGo(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the check builds confluent-kafka-go (cgo, librdkafka)")
	}
	dir, err := filepath.Abs(filepath.Join("..", "interop", "confluentgo"))
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "confluentgo")
	start := time.Now()
	cmd := exec.CommandContext(ctxTimeout(t, 10*time.Minute), "go", "build", "-o", bin, ".")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build interop/confluentgo: %v\n%s", err, out)
	}
	t.Logf("built interop/confluentgo in %v", time.Since(start).Round(time.Millisecond))
	return bin
}

// Issue 9, for Go: confluent-kafka-go v2.11.1's serde/protobuf Serializer
// with its defaults (auto-registration, the topic name strategy, a
// referenced file registered under its import path; it sends .proto text
// printed by its own printer, skipping google/protobuf imports) registers
// test/common.proto as its own subject and the order file with a
// reference to it; librdkafka produces Orders (index [1]) and nested Lines
// (index [1, 0]); the Deserializer, reading the writer schemas by id, gets
// every record back equal (interop/confluentgo exits non-zero otherwise).
// The stored schema and the one sent as this test's text share an id.
func TestConfluentGoProtobufSerde(t *testing.T) {
	bin := buildConfluentGo(t)
	n := startNode(t, testConfig(t, t.TempDir()), node.Hooks{})
	const count = 25
	cmd := exec.CommandContext(ctxTimeout(t, 3*time.Minute), bin,
		n.KafkaAddr(), "http://"+n.RegistryAddr(), "serdego", strconv.Itoa(count))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("interop/confluentgo: %v\nstdout: %s\nstderr: %s", err, out, stderr.String())
	}
	want := "confluentgo: OK: produced 50, consumed and deserialized 50 equal records on serdego-orders and serdego-lines"
	if got := strings.TrimSpace(string(out)); got != want {
		t.Fatalf("interop/confluentgo said %q, want %q", got, want)
	}
	checkSerdeRegistry(t, n.RegistryAddr(), "serdego")
	checkSerdeFrames(t, n.KafkaAddr(), "serdego")
}
