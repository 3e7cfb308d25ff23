package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/tributary-io/tributary/config"
)

type composeFile struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Volumes     []string          `yaml:"volumes"`
		Ports       []string          `yaml:"ports"`
	} `yaml:"services"`
}

// TestComposeExample checks compose/docker-compose.yaml without a
// container runtime: Postgres, the S3 server and two brokers are there;
// each broker mounts compose/tributary.yaml where its command reads it,
// has its own Kafka address, and is given every environment variable the
// config reads; the config loads as the broker's with that environment
// and points at the compose services.
func TestComposeExample(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("compose", "docker-compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cf composeFile
	if err := yaml.Unmarshal(raw, &cf); err != nil {
		t.Fatalf("docker-compose.yaml: %v", err)
	}
	for _, s := range []string{"postgres", "s3", "broker1", "broker2"} {
		if _, ok := cf.Services[s]; !ok {
			t.Fatalf("no service %s", s)
		}
	}
	cfgRaw, err := os.ReadFile(filepath.Join("compose", "tributary.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	envVars := regexp.MustCompile(`env_var: (\w+)`).FindAllStringSubmatch(string(cfgRaw), -1)
	if len(envVars) != 3 {
		t.Fatalf("tributary.yaml reads %d env vars, want 3 (DSN, S3 keys)", len(envVars))
	}
	kafka := map[string]bool{}
	for _, b := range []string{"broker1", "broker2"} {
		s := cf.Services[b]
		if !slices.Contains(s.Volumes, "./tributary.yaml:/etc/tributary/bufstream.yaml:ro") {
			t.Errorf("%s volumes %v", b, s.Volumes)
		}
		cmd := strings.Join(s.Command, " ")
		if !strings.HasPrefix(cmd, "serve --config /etc/tributary/bufstream.yaml --kafka-addr "+b+":") {
			t.Errorf("%s command %q", b, cmd)
		}
		kafka[s.Command[len(s.Command)-1]] = true
		for _, v := range envVars {
			if s.Environment[v[1]] == "" {
				t.Errorf("%s lacks %s", b, v[1])
			}
		}
		for _, v := range envVars {
			t.Setenv(v[1], s.Environment[v[1]])
		}
	}
	if len(kafka) != 2 {
		t.Errorf("the brokers share a Kafka address: %v", kafka)
	}
	f := filepath.Join(t.TempDir(), "bufstream.yaml")
	if err := os.WriteFile(f, cfgRaw, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(f)
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		t.Fatalf("compose/tributary.yaml: %v", err)
	}
	if cfg.Data.S3 == nil || cfg.Data.S3.Endpoint != "http://s3:7070" || cfg.Metadata.Postgres == nil {
		t.Errorf("config: s3 %+v, postgres %v", cfg.Data.S3, cfg.Metadata.Postgres)
	}
	dsn := cf.Services["broker1"].Environment["TRIBUTARY_POSTGRES_DSN"]
	if !strings.Contains(dsn, "@postgres:5432/") {
		t.Errorf("DSN %q does not name the postgres service", dsn)
	}
}
