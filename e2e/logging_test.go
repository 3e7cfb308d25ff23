//go:build unix

package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeLogsAsConfigured runs `tributary serve` with logging: {level:
// INFO, format: JSON}, makes an Iceberg topic (whose pipeline start was
// logged with config_err=<nil>), and checks every line of its log is a
// JSON object, none says <nil>, and the pipeline's start is among them.
func TestServeLogsAsConfigured(t *testing.T) {
	bin := buildTributary(t)
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "bufstream.yaml")
	if err := os.WriteFile(cfgFile, []byte("version: v1beta1\nlogging:\n  level: INFO\n  format: JSON\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := &procBroker{KafkaAddr: freeAddr(t), AdminAddr: freeAddr(t), out: &syncBuffer{}, exited: make(chan struct{})}
	runProc(t, p, exec.Command(bin, "serve", "--config", cfgFile, "--data-dir", filepath.Join(dir, "data"),
		"--kafka-addr", p.KafkaAddr, "--admin-addr", p.AdminAddr, "--registry-addr", "127.0.0.1:0", "--catalog-addr", "127.0.0.1:0"))
	p.waitReady(t, 30*time.Second)
	cli(t, bin, "admin", "topic", "create", "logged", "--bootstrap", p.KafkaAddr, "--iceberg", "ops.logged")
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(p.out.String(), "pipeline started") {
		if time.Now().After(deadline) {
			t.Fatalf("no pipeline start logged:\n%s", p.out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	lines := strings.Split(strings.TrimSpace(p.out.String()), "\n")
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil || m["msg"] == nil || m["level"] == nil {
			t.Errorf("not a JSON log line (%v): %s", err, l)
		}
		if strings.Contains(l, "<nil>") || strings.Contains(l, `":null`) {
			t.Errorf("a nil value logged: %s", l)
		}
	}
	if len(lines) < 3 {
		t.Errorf("only %d log lines:\n%s", len(lines), p.out.String())
	}
}
