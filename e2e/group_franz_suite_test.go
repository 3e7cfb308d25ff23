package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tributary-io/tributary/node"
)

// franz-go's own integration tests, from the module cache, against an
// in-process node: the client's authors' checks of a broker, run
// unchanged. Only tests that pass against Tributary are listed; franz-go's
// transactional ETL (TestTxn*) needs transactions, which Tributary does
// not serve.

// franzSuiteRecords is what TestGroupETL produces and pushes through its
// three chained groups (KGO_TEST_RECORDS): at 20,000 the KIP-848
// double-assignment bug did not show, at 100,000 it did in every run.
const franzSuiteRecords = 100_000

// franzSuiteRuns is how many times TestGroupETL runs (-count): each run
// takes about half a minute on a loaded two-core machine.
const franzSuiteRuns = 3

// TestFranzGoGroupETL runs franz-go's TestGroupETL: a topic of 100k
// records consumed by three chained groups (each consuming one topic and
// producing the next) whose members join, leave, and quit without
// committing, with the range and sticky balancers, classic and KIP-848
// (range/848, sticky/848, sticky/848/static), committing on revoke. It
// fails on any record consumed twice by one group ("saw double offset")
// or never consumed. It is the regression test of the KIP-848 coordinator
// handing a partition to a new member before its previous owner released
// it.
func TestFranzGoGroupETL(t *testing.T) {
	if testing.Short() {
		t.Skip("franz-go's TestGroupETL at 100k records, three times")
	}
	out := runFranzSuite(t, "^TestGroupETL$", franzSuiteRuns, franzSuiteRecords, 20*time.Minute)
	// A commit on revoke refused with STALE_MEMBER_EPOCH makes
	// TestGroupETL skip its checks (franz-go's allowance for brokers
	// before KIP-1251): then it proved nothing.
	if strings.Contains(out, "pre-KIP-1251 stale commit encountered") {
		t.Fatalf("TestGroupETL skipped its checks after a commit on revoke got STALE_MEMBER_EPOCH:\n%s", lastLines([]byte(out), 200))
	}
	// franz-go skips its KIP-848 subtests when the broker does not
	// advertise ConsumerGroupHeartbeat v1: they must have run.
	for _, sub := range []string{"range/848", "sticky/848", "sticky/848/static"} {
		if n := strings.Count(out, "--- PASS: TestGroupETL/"+sub+" "); n != franzSuiteRuns {
			t.Fatalf("TestGroupETL/%s passed %d times of %d runs (skipped?)", sub, n, franzSuiteRuns)
		}
	}
}

// franzClientTests are franz-go's kgo tests that talk to a broker and pass
// against Tributary. Left out: TestConsumeRegex and
// Test848RegexBrokerResolves (they look for __consumer_offsets, which
// Tributary does not list), TestTxnEtl (transactions are not served), and
// the share-group and SASL/SCRAM tests (skipped: not served).
var franzClientTests = []string{
	"TestPing", "TestUnknownGroupOffsetFetchPinned", "TestIssue325", "TestConsumeTopicRetrieval",
	"TestIssue337", "TestDirectPartitionPurge", "TestIssue434", "TestAddRemovePartitions",
	"TestPauseIssue489", "TestPauseIssueOct2023", "TestIssue523", "TestIssue648", "TestIssue810",
	"TestIssue865", "TestIssueFetchLargerThanBrokerMaxReadBytes", "TestPooling", "TestGroupSimple",
	"TestConsumeMaxDecompressBatchBytes", "TestClient_Produce", "TestIssue769",
	"TestIssueProduceBrokerTooOldFailsRecords", "TestIssueProduceSyncManualPartitionNegativeDoesNotPanic",
	"TestIssue831", "TestClient_ProduceLargeMessages",
}

// TestFranzGoClientTests runs franz-go's other broker tests that pass
// against Tributary (franzClientTests), once, at 20k records.
func TestFranzGoClientTests(t *testing.T) {
	if testing.Short() {
		t.Skip("franz-go's client tests")
	}
	out := runFranzSuite(t, "^("+strings.Join(franzClientTests, "|")+")$", 1, 20_000, 10*time.Minute)
	for _, name := range franzClientTests {
		if !strings.Contains(out, "--- PASS: "+name+" ") {
			t.Errorf("%s did not pass (skipped?)", name)
		}
	}
}

// runFranzSuite runs the franz-go kgo tests matching run, count times,
// with records as KGO_TEST_RECORDS, against a fresh node, with `go test` from this module (so the franz-go
// version is the one go.mod requires), and fails t with their output if
// any fails. It returns their output.
func runFranzSuite(t *testing.T, run string, count, records int, timeout time.Duration) string {
	t.Helper()
	nd := startNode(t, testConfig(t, t.TempDir()), node.Hooks{})
	ctx := ctxTimeout(t, timeout+time.Minute)
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		t.Fatalf("go env GOMOD: %q, %v", gomod, err)
	}
	cmd := exec.CommandContext(ctx, "go", "test", "github.com/twmb/franz-go/pkg/kgo",
		"-run", run, "-count", strconv.Itoa(count), "-timeout", timeout.String(), "-v")
	cmd.Dir = filepath.Dir(gomod)
	cmd.Env = append(os.Environ(),
		"KGO_SEEDS="+nd.KafkaAddr(),
		"KGO_TEST_RF=1",
		"KGO_TEST_RECORDS="+strconv.Itoa(records),
		"KGO_LOG_LEVEL=none",
	)
	start := time.Now()
	out, err = cmd.CombinedOutput()
	took := time.Since(start).Round(time.Second)
	passes, fails := strings.Count(string(out), "--- PASS: "), strings.Count(string(out), "--- FAIL: ")
	if err != nil || ctx.Err() != nil {
		t.Fatalf("franz-go kgo -run %s -count %d: %v after %v (%d PASS / %d FAIL lines):\n%s", run, count, err, took, passes, fails, lastLines(out, 200))
	}
	if !strings.Contains(string(out), "\nok ") && !strings.HasPrefix(string(out), "ok ") {
		t.Fatalf("franz-go kgo -run %s: no ok line:\n%s", run, lastLines(out, 200))
	}
	t.Logf("franz-go kgo -run %s -count %d passed in %v (%d PASS lines)", run, count, took, passes)
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "--- PASS: ") || strings.Contains(l, "--- SKIP: ") {
			t.Log(strings.TrimSpace(l))
		}
	}
	return string(out)
}

// lastLines is the last n lines of out.
func lastLines(out []byte, n int) string {
	lines := strings.Split(string(out), "\n")
	if len(lines) > n {
		lines = append([]string{"[...]"}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
