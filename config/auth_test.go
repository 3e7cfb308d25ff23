package config_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tributary-io/tributary/config"
)

// TestAuthenticationParses: Bufstream's listener authentication and
// kafka.authorization shapes decode, passwords from env and file resolve,
// and printing the config never shows a password.
func TestAuthenticationParses(t *testing.T) {
	t.Setenv("TRIB_TEST_BOB_PASSWORD", "bob-secret")
	pw := filepath.Join(t.TempDir(), "alice")
	if err := os.WriteFile(pw, []byte("alice-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := mustParse(t, `version: v1beta1
kafka:
  listeners:
    - name: sasl
      listen_address: 127.0.0.1:0
      authentication:
        sasl:
          plain:
            credentials:
              - username: alice
                password: {path: `+pw+`}
              - username: bob
                password: {env_var: TRIB_TEST_BOB_PASSWORD}
              - username: carol
                password: inline-secret
          scram: {}
  authorization:
    super_users: [User:alice]
    allow_everyone_if_no_acl_found: true
`)
	a := cfg.Kafka.Listeners[0].Authentication
	if a == nil || a.SASL == nil || a.SASL.Plain == nil || a.SASL.Scram == nil {
		t.Fatalf("authentication not decoded: %+v", a)
	}
	if got, want := a.Mechanisms(), []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}; !slices.Equal(got, want) {
		t.Fatalf("mechanisms %v, want %v", got, want)
	}
	for i, want := range []string{"alice-secret", "bob-secret", "inline-secret"} {
		got, err := a.SASL.Plain.Credentials[i].Password.Resolve()
		if err != nil || string(got) != want {
			t.Fatalf("password %d: %q, %v", i, got, err)
		}
	}
	if z := cfg.Kafka.Authorization; z == nil || !slices.Equal(z.SuperUsers, []string{"User:alice"}) || !z.AllowEveryoneIfNoACLFound {
		t.Fatalf("authorization: %+v", z)
	}
	for _, s := range []string{fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", *a.SASL.Plain), fmt.Sprint(a.SASL.Plain.Credentials)} {
		for _, secret := range []string{"alice-secret", "bob-secret", "inline-secret"} {
			if strings.Contains(s, secret) {
				t.Fatalf("printed config shows a password: %s", s)
			}
		}
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	if config.Default().Kafka.Authorization != nil || config.Default().Kafka.Listeners[0].Authentication != nil {
		t.Fatal("the default config authenticates or authorizes")
	}
}

// TestAuthenticationRefused: each bad authentication or authorization
// block is refused naming its key, and the error never shows the password.
func TestAuthenticationRefused(t *testing.T) {
	listener := "version: v1beta1\nkafka:\n  listeners:\n    - name: l\n      listen_address: 127.0.0.1:0\n      authentication:\n"
	for body, key := range map[string]string{
		listener + "        sasl: {}\n":                                                                                                                                                 "kafka.listeners[0].authentication.sasl",
		listener + "        {}\n":                                                                                                                                                       "kafka.listeners[0].authentication.sasl",
		listener + "        sasl:\n          plain: {credentials: []}\n":                                                                                                                "kafka.listeners[0].authentication.sasl.plain.credentials",
		listener + "        sasl:\n          plain: {credentials: [{username: '', password: x}]}\n":                                                                                     "kafka.listeners[0].authentication.sasl.plain.credentials[0].username",
		listener + "        sasl:\n          plain: {credentials: [{username: a}]}\n":                                                                                                   "kafka.listeners[0].authentication.sasl.plain.credentials[0].password",
		listener + "        sasl:\n          plain: {credentials: [{username: a, password: {env_var: TRIB_UNSET_PW_X}}]}\n":                                                             "kafka.listeners[0].authentication.sasl.plain.credentials[0].password",
		listener + "        sasl:\n          plain: {credentials: [{username: a, password: s3cr3t-x}, {username: a, password: s3cr3t-x}]}\n":                                            "kafka.listeners[0].authentication.sasl.plain.credentials[1].username",
		"version: v1beta1\nkafka:\n  listeners:\n    - name: l\n      listen_address: 127.0.0.1:0\n      tls: {cert_chain: {path: /nonexistent/c.pem}}\n":                               "kafka.listeners[0].tls.private_key",
		"version: v1beta1\nkafka:\n  listeners:\n    - name: l\n      listen_address: 127.0.0.1:0\n      tls: {cert_chain: x, private_key: y, client_ca: {env_var: TRIB_UNSET_CA_X}}\n": "kafka.listeners[0].tls.client_ca",
		listener + "        mtls: {principal_source: email}\n":                                                                                                                          "kafka.listeners[0].authentication.mtls.principal_source",
		listener + "        mtls: {}\n":                                                                                                                                                 "kafka.listeners[0].authentication.mtls",
		"version: v1beta1\nkafka:\n  authorization: {}\n":                                                                                                                               "kafka.authorization",
		"version: v1beta1\nkafka:\n  authorization: {super_users: [alice]}\n":                                                                                                           "kafka.authorization.super_users[0]",
	} {
		cfg, err := config.Parse([]byte(body))
		if err == nil {
			err = cfg.Validate()
		}
		if !errors.Is(err, config.ErrInvalidValue) || !strings.Contains(err.Error(), `"`+key+`"`) {
			t.Errorf("parse %q: %v, want ErrInvalidValue naming %q", body, err, key)
		}
		if err != nil && strings.Contains(err.Error(), "s3cr3t-x") {
			t.Errorf("error shows the password: %v", err)
		}
	}
}
