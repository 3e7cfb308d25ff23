package config

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// secretHolder stands for a config section holding a secret.
type secretHolder struct {
	DSN DataSource `yaml:"dsn"`
}

func decodeSecret(t *testing.T, body string) (DataSource, error) {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	var h secretHolder
	err := strictDecode(&doc, &h, "metadata.postgres")
	return h.DSN, err
}

func resolve(t *testing.T, body string) string {
	t.Helper()
	ds, err := decodeSecret(t, body)
	if err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
	b, err := ds.Resolve()
	if err != nil {
		t.Fatalf("resolve %q: %v", body, err)
	}
	return string(b)
}

func TestDataSourceForms(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "dsn")
	if err := os.WriteFile(file, []byte("from-file\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	crlf := filepath.Join(dir, "crlf")
	if err := os.WriteFile(crlf, []byte("win\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b64file := filepath.Join(dir, "b64")
	if err := os.WriteFile(b64file, []byte(base64.StdEncoding.EncodeToString([]byte("bin\x00ary"))+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TRIBUTARY_TEST_DSN", "from-env")
	for body, want := range map[string]string{
		"dsn: postgres://u:p@h/db\n":                          "postgres://u:p@h/db",
		"dsn:\n  string: inline\n":                            "inline",
		"dsn:\n  string: \"\"\n":                              "",
		"dsn:\n  env_var: TRIBUTARY_TEST_DSN\n":               "from-env",
		"dsn:\n  path: " + file + "\n":                        "from-file",
		"dsn:\n  path: " + crlf + "\n":                        "win",
		"dsn:\n  string: aGVsbG8=\n  encoding: base64\n":      "hello",
		"dsn:\n  string: aGVsbG8=\n  encoding: BASE64\n":      "hello",
		"dsn:\n  string: aGVsbG8=\n  encoding: plaintext\n":   "aGVsbG8=",
		"dsn:\n  path: " + b64file + "\n  encoding: base64\n": "bin\x00ary",
	} {
		if got := resolve(t, body); got != want {
			t.Errorf("%q resolved to %q, want %q", body, got, want)
		}
	}
}

func TestDataSourceErrors(t *testing.T) {
	for body, want := range map[string]string{
		"dsn:\n  string: a\n  env_var: B\n":    `"metadata.postgres.dsn" (line 2): want exactly one of string, env_var, path; got 2`,
		"dsn: {}\n":                            "got 0",
		"dsn:\n  strng: a\n":                   `config: unknown key "metadata.postgres.dsn.strng" (line 2)`,
		"dsn:\n  string: a\n  encoding: hex\n": `encoding "hex"`,
		"dsn: [a]\n":                           `"metadata.postgres.dsn" (line 1): want a string or a mapping`,
	} {
		_, err := decodeSecret(t, body)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("decode %q: %v, want it to contain %q", body, err, want)
		}
	}
	for _, ds := range []DataSource{
		EnvSource("TRIBUTARY_TEST_SURELY_UNSET"),
		FileSource(filepath.Join(t.TempDir(), "missing")),
		InlineSource("!!!not base64").Base64(),
		{},
	} {
		if _, err := ds.Resolve(); !errors.Is(err, ErrDataSource) {
			t.Errorf("resolve %v: %v, want ErrDataSource", ds, err)
		}
	}
}

func TestDataSourceWithPlainYAMLUnmarshal(t *testing.T) {
	var h secretHolder
	if err := yaml.Unmarshal([]byte("dsn:\n  env_var: X\n"), &h); err != nil {
		t.Fatal(err)
	}
	if h.DSN.String() != "env_var:X" {
		t.Fatalf("got %v", h.DSN)
	}
	err := yaml.Unmarshal([]byte("dsn:\n  path: a\n  string: b\n"), &h)
	if !errors.Is(err, ErrDataSource) {
		t.Fatalf("two sources: %v, want ErrDataSource", err)
	}
}

func TestDataSourceNeverPrintsSecret(t *testing.T) {
	const secret = "hunter2-s3cr3t"
	for _, ds := range []DataSource{InlineSource(secret), InlineSource(base64.StdEncoding.EncodeToString([]byte(secret))).Base64()} {
		h := secretHolder{DSN: ds}
		outs := []string{ds.String(), fmt.Sprint(ds), fmt.Sprintf("%v %+v %#v %s %q %x %X %d", ds, ds, ds, ds, ds, ds, ds, ds),
			fmt.Sprintf("%v %+v %#v", h, h, h), fmt.Sprintf("%v", &h), fmt.Sprintf("%v", []DataSource{ds})}
		if b, err := json.Marshal(h); err == nil {
			outs = append(outs, string(b))
		}
		if b, err := yaml.Marshal(h); err == nil {
			outs = append(outs, string(b))
		}
		if _, err := ds.Resolve(); err != nil {
			t.Fatal(err)
		}
		_, rerr := InlineSource(secret).Base64().Resolve() // not base64: the error must not echo it
		outs = append(outs, fmt.Sprint(rerr))
		for _, out := range outs {
			if strings.Contains(out, secret) || strings.Contains(out, "aHVudGVy") {
				t.Errorf("secret printed: %s", out)
			}
		}
	}
	if got := fmt.Sprint(InlineSource(secret)); got != "string:<redacted>" {
		t.Errorf("inline prints %q", got)
	}
	if got := fmt.Sprint(FileSource("/run/secrets/dsn").Base64()); got != "path:/run/secrets/dsn,base64" {
		t.Errorf("path prints %q", got)
	}
}
