package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFlagsOverrideConfigFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "bufstream.yaml")
	yaml := `version: v1beta1
kafka:
  listeners:
    - name: plain
      listen_address: 127.0.0.1:19092
`
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := parseServeFlags([]string{"--config", file, "--kafka-addr", "127.0.0.1:29092", "--data-dir", dir, "--admin-addr", "127.0.0.1:29089"}, &bytes.Buffer{}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	l := cfg.Kafka.Listeners[0]
	if l.ListenAddress != "127.0.0.1:29092" || l.AdvertiseAddress != "127.0.0.1:29092" || cfg.DataDir != dir || cfg.Admin.ListenAddress != "127.0.0.1:29089" {
		t.Fatalf("flags did not override the file: %+v data=%s admin=%s", l, cfg.DataDir, cfg.Admin.ListenAddress)
	}

	f, _ = parseServeFlags([]string{"--config", file}, &bytes.Buffer{}, &bytes.Buffer{})
	cfg, err = loadConfig(f)
	if err != nil || cfg.Kafka.Listeners[0].ListenAddress != "127.0.0.1:19092" {
		t.Fatalf("file value without flags: %v %+v", err, cfg.Kafka.Listeners)
	}
}

func TestBadConfigIsAClearError(t *testing.T) {
	file := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(file, []byte("version: v1beta1\nkafka:\n  listners: []\n"), 0o644)
	f, _ := parseServeFlags([]string{"--config", file}, &bytes.Buffer{}, &bytes.Buffer{})
	_, err := loadConfig(f)
	if err == nil || !strings.Contains(err.Error(), "kafka.listners") {
		t.Fatalf("unknown key: %v", err)
	}
	if _, err := parseServeFlags([]string{"--kafka-adr", "x"}, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
		t.Fatal("unknown flag accepted")
	}
	f, _ = parseServeFlags([]string{"--kafka-addr", "nonsense"}, &bytes.Buffer{}, &bytes.Buffer{})
	if _, err := loadConfig(f); err == nil {
		t.Fatal("bad --kafka-addr accepted")
	}
}
