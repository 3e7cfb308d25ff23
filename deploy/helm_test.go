package deploy

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tributary-io/tributary/config"
)

// helmBin finds helm: on PATH, else in $(go env GOPATH)/bin (where .ci/run
// installs it: go install helm.sh/helm/v4/cmd/helm@v4.3.2). Missing, the
// test skips outside CI and fails in CI.
func helmBin(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("helm"); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), "bin", "helm")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("helm not found with CI set (.ci/run installs it: go install helm.sh/helm/v4/cmd/helm@v4.3.2)")
	}
	t.Skip("helm not found (go install helm.sh/helm/v4/cmd/helm@v4.3.2)")
	return ""
}

const chart = "helm/tributary"

func helm(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, helmBin(t), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// manifests renders the chart with the --set values given and returns the
// documents by kind.
func manifests(t *testing.T, sets ...string) (string, map[string][]map[string]any) {
	t.Helper()
	args := []string{"template", "t", chart}
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	out := helm(t, args...)
	byKind := map[string][]map[string]any{}
	dec := yaml.NewDecoder(strings.NewReader(out))
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); err != nil {
			break
		}
		if k, _ := doc["kind"].(string); k != "" {
			byKind[k] = append(byKind[k], doc)
		}
	}
	return out, byKind
}

// kubecheck runs deploy/kubecheck (strict decoding into k8s.io/api types)
// on rendered manifests.
func kubecheck(t *testing.T, rendered string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "run", ".")
	cmd.Dir, cmd.Stdin = "kubecheck", strings.NewReader(rendered)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kubecheck: %v\n%s", err, out)
	}
	return string(out)
}

// TestHelmChart lints the chart, renders it, validates every manifest
// offline (kubecheck; kubeconform too when TRIBUTARY_KUBECONFORM_SCHEMAS
// names a schema location, since its schemas cannot be downloaded here),
// and checks what the chart promises: N brokers as a Deployment behind a
// Service, probes on /-/status, Postgres and bucket keys from Secrets
// (never in the ConfigMap), a maintenance CronJob running tributary
// compact, and a config the broker loads.
func TestHelmChart(t *testing.T) {
	helm(t, "lint", "--strict", chart)
	rendered, kinds := manifests(t, "replicas=4")
	out := kubecheck(t, rendered)
	for _, want := range []string{"ok v1 ConfigMap t-tributary", "ok v1 Service t-tributary", "ok apps/v1 Deployment t-tributary",
		"ok batch/v1 CronJob t-tributary-maintenance", "ok policy/v1 PodDisruptionBudget t-tributary"} {
		if !strings.Contains(out, want) {
			t.Errorf("kubecheck did not pass %q:\n%s", want, out)
		}
	}
	kubeconform(t, rendered)

	dep := kinds["Deployment"][0]
	if r := dig(dep, "spec", "replicas"); r != 4 {
		t.Errorf("replicas %v, want 4", r)
	}
	c := dig(dep, "spec", "template", "spec", "containers", 0).(map[string]any)
	for _, probe := range []string{"startupProbe", "readinessProbe", "livenessProbe"} {
		if p := dig(c, probe, "httpGet", "path"); p != "/-/status" {
			t.Errorf("%s path %v, want /-/status", probe, p)
		}
	}
	env := envFrom(c)
	for name, secret := range map[string]string{"TRIBUTARY_POSTGRES_DSN": "tributary-postgres", "TRIBUTARY_S3_ACCESS_KEY_ID": "tributary-s3", "TRIBUTARY_S3_SECRET_ACCESS_KEY": "tributary-s3"} {
		if env[name] != secret {
			t.Errorf("env %s from secret %q, want %q", name, env[name], secret)
		}
	}
	cron := kinds["CronJob"][0]
	job := dig(cron, "spec", "jobTemplate", "spec", "template", "spec", "containers", 0).(map[string]any)
	if args := strings.Join(toStrings(job["args"]), " "); !strings.HasPrefix(args, "compact --config /etc/tributary/bufstream.yaml --catalog-url http://t-tributary:8181 --all") {
		t.Errorf("CronJob args %q", args)
	}
	cfgText := dig(kinds["ConfigMap"][0], "data", "bufstream.yaml").(string)
	for _, leak := range []string{"password", "secret_access_key: {string", "postgres://"} {
		if strings.Contains(cfgText, leak) {
			t.Errorf("the ConfigMap holds %q:\n%s", leak, cfgText)
		}
	}
	loadRendered(t, cfgText)

	// Switches: no CronJob, no S3 keys (the pod's credential chain).
	_, kinds = manifests(t, "maintenance.enabled=false", "s3.secretName=")
	if len(kinds["CronJob"]) != 0 {
		t.Error("maintenance.enabled=false still renders a CronJob")
	}
	cfgText = dig(kinds["ConfigMap"][0], "data", "bufstream.yaml").(string)
	if strings.Contains(cfgText, "access_key_id") {
		t.Errorf("s3.secretName empty still configures keys:\n%s", cfgText)
	}
	loadRendered(t, cfgText)
}

// loadRendered loads a rendered bufstream.yaml as the broker does.
func loadRendered(t *testing.T, text string) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "bufstream.yaml")
	if err := os.WriteFile(f, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TRIBUTARY_POSTGRES_DSN", "postgres://u@db/tributary")
	t.Setenv("TRIBUTARY_S3_ACCESS_KEY_ID", "k")
	t.Setenv("TRIBUTARY_S3_SECRET_ACCESS_KEY", "s")
	cfg, err := config.Load(f)
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		t.Fatalf("the chart's config does not load: %v\n%s", err, text)
	}
	if cfg.Metadata.Postgres == nil || cfg.Data.S3 == nil || cfg.Admin.ListenAddress != "0.0.0.0:9089" {
		t.Errorf("the chart's config: postgres %v, s3 %v, admin %q", cfg.Metadata.Postgres, cfg.Data.S3, cfg.Admin.ListenAddress)
	}
}

// kubeconform runs kubeconform -strict on rendered when it is installed
// and TRIBUTARY_KUBECONFORM_SCHEMAS gives a schema location (its default
// location is on the network, out of reach here).
func kubeconform(t *testing.T, rendered string) {
	t.Helper()
	loc := os.Getenv("TRIBUTARY_KUBECONFORM_SCHEMAS")
	bin, err := exec.LookPath("kubeconform")
	if loc == "" || err != nil {
		t.Log("kubeconform not run: needs kubeconform on PATH and TRIBUTARY_KUBECONFORM_SCHEMAS (its schemas cannot be downloaded here); kubecheck validated offline")
		return
	}
	cmd := exec.Command(bin, "-strict", "-summary", "-schema-location", loc, "-")
	cmd.Stdin = strings.NewReader(rendered)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kubeconform: %v\n%s", err, out)
	}
}

func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			s, _ := v.([]any)
			if k >= len(s) {
				return nil
			}
			v = s[k]
		}
	}
	return v
}

// envFrom maps a container's env names to the Secret each comes from.
func envFrom(c map[string]any) map[string]string {
	out := map[string]string{}
	for _, e := range c["env"].([]any) {
		if s, ok := dig(e, "valueFrom", "secretKeyRef", "name").(string); ok {
			out[dig(e, "name").(string)] = s
		}
	}
	return out
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}
