package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tributary-io/tributary/node"
)

// TestKcatSASL: kcat (librdkafka) produces and consumes over
// SASL_PLAINTEXT with SCRAM-SHA-512 (a user created through
// AlterUserScramCredentials) and with PLAIN (a configured user); a wrong
// password gets no metadata.
func TestKcatSASL(t *testing.T) {
	kcat := kcatPath(t)
	n := startNode(t, saslConfig(t, false), node.Hooks{})
	addr := n.KafkaAddr()
	adm := kadm.NewClient(authClient(t, addr, plainOpt("admin", adminPassword)))
	addScramUser(t, adm, "alice", alicePassword, kadm.ScramSha512)
	for _, c := range []struct{ mech, user, pass string }{
		{"SCRAM-SHA-512", "alice", alicePassword},
		{"PLAIN", "admin", adminPassword},
	} {
		auth := []string{"-b", addr, "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=" + c.mech,
			"-X", "sasl.username=" + c.user, "-X", "sasl.password=" + c.pass}
		topic := "kcat-" + strings.ToLower(c.mech)
		if resp, err := adm.CreateTopic(ctxTimeout(t, 10*time.Second), 1, 1, nil, topic); err != nil || resp.Err != nil {
			t.Fatalf("create %s: %v %v", topic, err, resp.Err)
		}
		runKcat(t, kcat, "one\ntwo\nthree\n", append(auth, "-t", topic, "-P")...)
		out := runKcat(t, kcat, "", append(auth, "-t", topic, "-C", "-o", "beginning", "-e", "-q")...)
		if out != "one\ntwo\nthree\n" {
			t.Errorf("kcat %s consumed %q", c.mech, out)
		}
	}
	cmd := exec.Command(kcat, "-b", addr, "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=SCRAM-SHA-512",
		"-X", "sasl.username=alice", "-X", "sasl.password=wrong", "-L", "-m", "5")
	out, err := cmd.CombinedOutput()
	if err == nil || strings.Contains(string(out), "kcat-plain") {
		t.Errorf("kcat with a wrong password listed metadata (err %v):\n%s", err, out)
	}
}

// TestKafkaToolsACLsAndScram: Kafka's own tools (kafka-tools 4.4.0 via
// interop/kafkatools), authenticated as the super user with PLAIN, create a
// SCRAM user (ConfigCommand, kafka-configs --entity-type users) and ACLs
// (AclCommand, kafka-acls: a prefixed ALLOW and a literal DENY), and list
// them; the SCRAM user then reads what the ACLs allow and gets
// TOPIC_AUTHORIZATION_FAILED where the DENY says so.
func TestKafkaToolsACLsAndScram(t *testing.T) {
	mvn, java := javaTools(t)
	ctx := ctxTimeout(t, 5*time.Minute)
	cp := kafkaToolsClasspath(t, ctx, mvn)
	n := startNode(t, saslConfig(t, true), node.Hooks{})
	addr := n.KafkaAddr()
	props := filepath.Join(t.TempDir(), "admin.properties")
	if err := os.WriteFile(props, []byte(fmt.Sprintf("security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n"+
		"sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"admin\" password=\"%s\";\n",
		adminPassword)), 0o600); err != nil {
		t.Fatal(err)
	}
	tool := func(class string, args ...string) *exec.Cmd {
		base := []string{"-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", cp, "org.apache.kafka.tools." + class,
			"--bootstrap-server", addr, "--command-config", props}
		cmd := exec.CommandContext(ctx, java, append(base, args...)...)
		cmd.WaitDelay = 10 * time.Second
		return cmd
	}
	out := runLogged(t, ctx, "kafka-configs --alter users", tool("ConfigCommand", "--alter", "--entity-type", "users", "--entity-name", "alice",
		"--add-config", "SCRAM-SHA-256=[iterations=8192,password="+alicePassword+"]"))
	if !strings.Contains(out, "Completed updating config for user alice") {
		t.Errorf("kafka-configs --alter users:\n%s", out)
	}
	desc, err := kadm.NewClient(authClient(t, addr, plainOpt("admin", adminPassword))).DescribeUserSCRAMs(ctx, "alice")
	if err != nil || len(desc["alice"].CredInfos) != 1 || desc["alice"].CredInfos[0].Iterations != 8192 {
		t.Fatalf("alice's credentials after kafka-configs: %+v, %v", desc, err)
	}

	admin := authClient(t, addr, plainOpt("admin", adminPassword))
	if _, err := kadm.NewClient(admin).CreateTopics(ctx, 1, 1, nil, "tools-eu", "tools-us", "tools-secret"); err != nil {
		t.Fatal(err)
	}
	for _, tp := range []string{"tools-eu", "tools-us", "tools-secret"} {
		if err := admin.ProduceSync(ctx, &kgo.Record{Topic: tp, Value: []byte(tp)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	runLogged(t, ctx, "kafka-acls --add prefixed", tool("AclCommand", "--add", "--allow-principal", "User:alice",
		"--operation", "Read", "--topic", "tools-", "--resource-pattern-type", "prefixed"))
	runLogged(t, ctx, "kafka-acls --add deny", tool("AclCommand", "--add", "--deny-principal", "User:alice",
		"--operation", "Read", "--topic", "tools-us"))
	out = runLogged(t, ctx, "kafka-acls --list", tool("AclCommand", "--list"))
	for _, want := range []string{
		"ResourcePattern(resourceType=TOPIC, name=tools-, patternType=PREFIXED)",
		"(principal=User:alice, host=*, operation=READ, permissionType=ALLOW)",
		"ResourcePattern(resourceType=TOPIC, name=tools-us, patternType=LITERAL)",
		"(principal=User:alice, host=*, operation=READ, permissionType=DENY)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("kafka-acls --list does not show %q:\n%s", want, out)
		}
	}

	read := func(topic string) error {
		cl := authClient(t, addr, scramOpt(kadm.ScramSha256, "alice", alicePassword),
			kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}))
		rctx := ctxTimeout(t, 15*time.Second)
		for {
			fs := cl.PollFetches(rctx)
			if err := fs.Err0(); err != nil {
				return err
			}
			if fs.NumRecords() > 0 {
				return nil
			}
		}
	}
	if err := read("tools-eu"); err != nil {
		t.Errorf("alice reads tools-eu (prefixed ALLOW): %v", err)
	}
	if err := read("tools-us"); !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Errorf("alice reads tools-us (DENY over the prefixed ALLOW): %v, want TOPIC_AUTHORIZATION_FAILED", err)
	}
	out = runLogged(t, ctx, "kafka-acls --remove deny", tool("AclCommand", "--remove", "--force", "--deny-principal", "User:alice",
		"--operation", "Read", "--topic", "tools-us"))
	if err := read("tools-us"); err != nil {
		t.Errorf("alice reads tools-us after kafka-acls --remove of the DENY: %v\n%s", err, out)
	}
}
