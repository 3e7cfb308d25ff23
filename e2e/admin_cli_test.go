package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/ingest"
	"github.com/tributary-io/tributary/node"
)

// cli runs the built binary with args and returns its stdout; a failure
// (or anything on stderr) fails the test.
func cli(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, errOut, err := cliResult(t, bin, args...)
	if err != nil {
		t.Fatalf("tributary %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

func cliResult(t *testing.T, bin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.CommandContext(ctxTimeout(t, time.Minute), bin, args...)
	var o, e strings.Builder
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

// cliUntil runs the binary with args until a line of its stdout matches
// re (ingest picks a topic up within its poll interval), for up to within.
func cliUntil(t *testing.T, bin, re string, within time.Duration, args ...string) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		out := cli(t, bin, args...)
		if regexp.MustCompile(`(?m)`+re).MatchString(out) || time.Now().After(deadline) {
			wantLines(t, strings.Join(args[:3], " "), out, re)
			return out
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func wantLines(t *testing.T, what, out string, res ...string) {
	t.Helper()
	for _, re := range res {
		if !regexp.MustCompile(`(?m)` + re).MatchString(out) {
			t.Errorf("%s: no line matching %q in:\n%s", what, re, out)
		}
	}
}

// TestAdminCLITopicsGroupsSchemas runs `tributary admin topic|group|schema`
// (the built binary) against a node: create with --config and --iceberg,
// list, describe, alter, a group's describe and reset-offsets, schema
// register/list/get, delete; each checked in the command's output and,
// where it changes state, through the Kafka protocol.
func TestAdminCLITopicsGroupsSchemas(t *testing.T) {
	bin := buildTributary(t)
	n := startNode(t, testConfig(t, t.TempDir()), node.Hooks{})
	kafka := []string{"--bootstrap", n.KafkaAddr()}
	admin := []string{"--admin-addr", n.AdminAddr()}

	out := cli(t, bin, append([]string{"admin", "topic", "create", "orders", "--partitions", "3",
		"--config", "retention.ms=3600000", "--iceberg", "shop.orders", "--config", "bufstream.export.iceberg.commit.freq.ms=100"}, kafka...)...)
	wantLines(t, "topic create", out, `^created topic orders \(3 partitions\)$`)
	out = cli(t, bin, append([]string{"admin", "topic", "describe", "orders"}, kafka...)...)
	wantLines(t, "topic describe", out, `^partitions:\s+3$`, `^2\s+\d+\s+0\s+0$`, `^retention.ms\s+3600000\s`,
		`^bufstream.archive.kind\s+ICEBERG\s`, `^bufstream.archive.iceberg.table\s+shop.orders\s`)

	cl := newClient(t, n.KafkaAddr(), kgo.DefaultProduceTopic("orders"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	for i := range 6 {
		if err := cl.ProduceSync(ctxTimeout(t, 10*time.Second), &kgo.Record{Partition: int32(i % 3), Value: []byte("v")}).FirstErr(); err != nil {
			t.Fatalf("produce: %v", err)
		}
	}
	out = cli(t, bin, append([]string{"admin", "topic", "list"}, kafka...)...)
	wantLines(t, "topic list", out, `^orders\s+3$`)
	cli(t, bin, append([]string{"admin", "topic", "alter", "orders", "--config", "retention.ms=7200000", "--partitions", "4"}, kafka...)...)
	out = cli(t, bin, append([]string{"admin", "topic", "describe", "orders"}, kafka...)...)
	wantLines(t, "topic describe after alter", out, `^partitions:\s+4$`, `^retention.ms\s+7200000\s`, `^0\s+\d+\s+0\s+2$`,
		`^bufstream.archive.iceberg.table\s+shop.orders\s`)
	if _, errOut, err := cliResult(t, bin, append([]string{"admin", "topic", "alter", "orders", "--config", "bufstream.archive.iceberg.table=nodot"}, kafka...)...); err == nil || !strings.Contains(errOut, "namespace.table") {
		t.Errorf("alter to a bad table: err %v, stderr %q; want a failure naming namespace.table", err, errOut)
	}

	cliUntil(t, bin, `^orders\s+local\s+shop.orders\s`, 20*time.Second, append([]string{"admin", "table", "list"}, admin...)...)

	adminGroupSteps(t, bin, n.KafkaAddr())
	adminSchemaSteps(t, bin, "http://"+n.RegistryAddr())

	out = cli(t, bin, append([]string{"admin", "topic", "delete", "orders"}, kafka...)...)
	wantLines(t, "topic delete", out, `^deleted topic orders$`)
	if tds, err := newAdmin(t, n.KafkaAddr()).ListTopics(ctxTimeout(t, 10*time.Second)); err != nil || tds.Has("orders") {
		t.Errorf("after delete: topics %v, err %v; want orders gone", tds.Names(), err)
	}
}

// adminGroupSteps consumes orders' 6 records in group g1 and commits
// them, then checks group list/describe and reset-offsets (to the start,
// then to offset 1), reading the committed offsets back with kadm.
func adminGroupSteps(t *testing.T, bin, addr string) {
	t.Helper()
	kafka := []string{"--bootstrap", addr}
	cons := newClient(t, addr, kgo.ConsumeTopics("orders"), kgo.ConsumerGroup("g1"), kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	got := 0
	for got < 6 {
		fs := cons.PollFetches(ctxTimeout(t, 20*time.Second))
		if err := fs.Err0(); err != nil {
			t.Fatalf("poll: %v (after %d records)", err, got)
		}
		got += fs.NumRecords()
	}
	if err := cons.CommitUncommittedOffsets(ctxTimeout(t, 10*time.Second)); err != nil {
		t.Fatalf("commit: %v", err)
	}
	out := cli(t, bin, append([]string{"admin", "group", "list"}, kafka...)...)
	wantLines(t, "group list", out, `^g1\s+Stable\s+consumer\s`)
	out = cli(t, bin, append([]string{"admin", "group", "describe", "g1"}, kafka...)...)
	wantLines(t, "group describe", out, `^members:\s+1$`, `^orders\s+0\s+2\s+2\s+0\s+\S+`)
	if _, errOut, err := cliResult(t, bin, append([]string{"admin", "group", "reset-offsets", "g1", "--to-earliest"}, kafka...)...); err == nil {
		t.Errorf("reset-offsets of a group with a member succeeded; want refused (stderr %q)", errOut)
	}
	cons.Close()
	out = cli(t, bin, append([]string{"admin", "group", "reset-offsets", "g1", "--to-earliest"}, kafka...)...)
	wantLines(t, "reset-offsets", out, `^orders\s+0\s+0$`, `^orders\s+3\s+0$`)
	out = cli(t, bin, append([]string{"admin", "group", "reset-offsets", "g1", "--topic", "orders", "--to-offset", "1"}, kafka...)...)
	wantLines(t, "reset-offsets --to-offset", out, `^orders\s+1\s+1$`, `^orders\s+3\s+0$`)
	offs, err := newAdmin(t, addr).FetchOffsets(ctxTimeout(t, 10*time.Second), "g1")
	if err != nil {
		t.Fatalf("fetch offsets: %v", err)
	}
	for p, want := range map[int32]int64{0: 1, 1: 1, 2: 1, 3: 0} {
		if o, ok := offs.Lookup("orders", p); !ok || o.At != want {
			t.Errorf("committed offset of orders/%d after reset: %+v (found %v); want %d", p, o.At, ok, want)
		}
	}
	out = cli(t, bin, append([]string{"admin", "group", "describe", "g1"}, kafka...)...)
	wantLines(t, "group describe after reset", out, `^total lag:\s+3$`, `^members:\s+0$`)
}

func adminSchemaSteps(t *testing.T, bin, url string) {
	t.Helper()
	reg := []string{"--registry-url", url}
	f := filepath.Join(t.TempDir(), "order.proto")
	if err := os.WriteFile(f, []byte("syntax = \"proto3\";\nmessage Order { int32 id = 1; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := cli(t, bin, append([]string{"admin", "schema", "register", "orders-value", "--file", f}, reg...)...)
	wantLines(t, "schema register", out, `^subject orders-value version 1 id \d+$`)
	out = cli(t, bin, append([]string{"admin", "schema", "list"}, reg...)...)
	wantLines(t, "schema list", out, `^orders-value$`)
	out = cli(t, bin, append([]string{"admin", "schema", "list", "orders-value"}, reg...)...)
	wantLines(t, "schema list SUBJECT", out, `^orders-value version 1 id \d+ type PROTOBUF$`)
	out = cli(t, bin, append([]string{"admin", "schema", "get", "orders-value"}, reg...)...)
	wantLines(t, "schema get", out, `^# subject orders-value version 1 id \d+ type PROTOBUF$`, `message Order`)
}

// TestAdminTablesShowLastCommitAfterRestart: `tributary admin tables`
// showed "-" as the last commit of a table after a restart until the
// next commit; it shows the table's current snapshot's time.
func TestAdminTablesShowLastCommitAfterRestart(t *testing.T) {
	bin := buildTributary(t)
	cfg := testConfig(t, t.TempDir())
	n := startNode(t, cfg, node.Hooks{})
	cli(t, bin, "admin", "topic", "create", "events", "--bootstrap", n.KafkaAddr(), "--iceberg", "ops.events",
		"--config", "bufstream.export.iceberg.commit.freq.ms=100")
	cl := newClient(t, n.KafkaAddr(), kgo.DefaultProduceTopic("events"))
	if err := cl.ProduceSync(ctxTimeout(t, 10*time.Second), &kgo.Record{Value: []byte("x")}).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
	st := waitStatus(t, n.AdminAddr(), "one row committed", 30*time.Second, func(s ingest.TableStatus) bool { return s.RowsCommitted == 1 })
	before := st.LastCommit
	stopNode(t, n)

	n = startNode(t, cfg, node.Hooks{})
	waitStatus(t, n.AdminAddr(), "offsets loaded", 30*time.Second, func(s ingest.TableStatus) bool { return s.Committed[0] == 1 })
	out := cli(t, bin, "admin", "tables", "--admin-addr", n.AdminAddr())
	m := regexp.MustCompile(`(?m)^events\s+local\s+ops.events\s+\S+\s+0:1\s+0\s+0.0\s+(\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("admin tables after restart: no events row with offsets 0:1 and no lag:\n%s", out)
	}
	last, err := time.Parse(time.RFC3339, m[1])
	if d := last.Sub(before.Truncate(time.Second)); err != nil || d < -2*time.Second || d > 2*time.Second {
		t.Errorf("admin tables after restart: last commit %q (%v); want the commit before the restart, %v", m[1], err, before)
	}
	out = cli(t, bin, "admin", "table", "describe", "ops.events", "--admin-addr", n.AdminAddr())
	wantLines(t, "table describe", out, `^last commit:\s+\d{4}-`, `^committed offsets:\s+0:1$`)
}

// TestAdminCLIOverSASLAndTLS: the Kafka admin commands reach a listener
// with TLS and SASL (PLAIN as the configured admin, SCRAM-SHA-512 as a user
// made through the admin API), the password from the environment, never
// the command line; a wrong password and a plaintext connection fail. The
// schema commands reach a registry under http_auth over HTTPS with basic
// auth, and without credentials get 401.
func TestAdminCLIOverSASLAndTLS(t *testing.T) {
	bin := buildTributary(t)
	dir := t.TempDir()
	ca := newTestCA(t, "admin-cli-ca")
	chain, key := ca.issue(t, "broker-1", true)
	cfg := saslConfig(t, false)
	cfg.Kafka.Listeners[0].TLS = &config.ListenerTLS{
		CertChain: config.FileSource(writePEM(t, dir, "server.crt", chain)), PrivateKey: config.FileSource(writePEM(t, dir, "server.key", key)),
	}
	cfg.Registry.TLS = cfg.Kafka.Listeners[0].TLS
	cfg.HTTPAuth.Required = true
	cfg.HTTPAuth.Writers = []string{"User:admin"}
	n := startNode(t, cfg, node.Hooks{})
	caFile := writePEM(t, dir, "ca.crt", ca.pem)
	run := func(pass string, args ...string) (string, string, error) {
		t.Helper()
		cmd := exec.CommandContext(ctxTimeout(t, time.Minute), bin, args...)
		cmd.Env = append(os.Environ(), "TRIBUTARY_SASL_PASSWORD="+pass, "TRIBUTARY_HTTP_PASSWORD="+pass)
		var o, e strings.Builder
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		return o.String(), e.String(), err
	}
	kafka := func(mech, user string) []string {
		return []string{"--bootstrap", n.KafkaAddr(), "--sasl-mechanism", mech, "--sasl-user", user, "--tls-ca-file", caFile}
	}
	if out, errOut, err := run(adminPassword, append([]string{"admin", "topic", "create", "secured", "--partitions", "2"}, kafka("PLAIN", "admin")...)...); err != nil {
		t.Fatalf("topic create over SASL_SSL (PLAIN): %v\n%s%s", err, out, errOut)
	}
	addScramUser(t, kadm.NewClient(authClient(t, n.KafkaAddr(), plainOpt("admin", adminPassword), kgo.DialTLSConfig(clientTLS(t, ca, nil, nil)))),
		"alice", alicePassword, kadm.ScramSha512)
	out, errOut, err := run(alicePassword, append([]string{"admin", "topic", "list"}, kafka("SCRAM-SHA-512", "alice")...)...)
	if err != nil {
		t.Fatalf("topic list over SASL_SSL (SCRAM-SHA-512): %v\n%s", err, errOut)
	}
	wantLines(t, "topic list over SASL_SSL", out, `^secured\s+2$`)
	if _, errOut, err := run("wrong", append([]string{"admin", "topic", "list"}, kafka("SCRAM-SHA-512", "alice")...)...); err == nil || strings.Contains(errOut, "wrong") {
		t.Errorf("a wrong password: err %v, stderr %q; want a failure that does not echo the password", err, errOut)
	}
	if _, _, err := run(adminPassword, "admin", "topic", "list", "--bootstrap", n.KafkaAddr(), "--sasl-mechanism", "PLAIN", "--sasl-user", "admin"); err == nil {
		t.Error("plaintext to the TLS listener succeeded")
	}

	proto := filepath.Join(dir, "s.proto")
	if err := os.WriteFile(proto, []byte("syntax = \"proto3\";\npackage s;\nmessage S { string id = 1; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	reg := []string{"--registry-url", "https://" + n.RegistryAddr(), "--registry-ca-file", caFile}
	if out, errOut, err := run(adminPassword, append([]string{"admin", "schema", "register", "s-value", "--file", proto, "--http-user", "admin"}, reg...)...); err != nil {
		t.Fatalf("schema register over HTTPS with basic auth: %v\n%s%s", err, out, errOut)
	}
	out, errOut, err = run(adminPassword, append([]string{"admin", "schema", "list", "--http-user", "admin"}, reg...)...)
	if err != nil {
		t.Fatalf("schema list: %v\n%s", err, errOut)
	}
	wantLines(t, "schema list over HTTPS", out, `s-value`)
	if _, errOut, err := run("", append([]string{"admin", "schema", "list"}, reg...)...); err == nil || !strings.Contains(errOut, "Unauthorized") {
		t.Errorf("schema list without credentials: err %v, stderr %q; want Unauthorized (401)", err, errOut)
	}
}
