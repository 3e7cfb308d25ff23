package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tributary-io/tributary/config"
)

// TestV1Alpha1TLSAndAuthentication: Bufstream ≤ 0.3's kafka.tls,
// kafka.authentication (plain users with data-source usernames, scram,
// oauth_bearer, mtls) and admin_tls load onto the listener's and the
// admin's v1beta1 settings; the modes Tributary does not serve are refused
// with their reason.
func TestV1Alpha1TLSAndAuthentication(t *testing.T) {
	t.Setenv("TRIB_ALPHA_ADMIN_USER", "admin")
	body := `cluster: alpha
kafka:
  address: 127.0.0.1:9092
  tls:
    certificates:
      - chain: {path: /etc/tls/server.crt}
        private_key: {path: /etc/tls/server.key}
    client_auth: REQUIRE_AND_VERIFY_CERT
    client_cas:
      - {path: /etc/tls/ca.crt}
  authentication:
    sasl:
      plain:
        credentials:
          - username: {env_var: TRIB_ALPHA_ADMIN_USER}
            password: {string: pw}
      scram: {}
      oauth_bearer:
        static: {path: /etc/jwks.json}
        audience: kafka
        issuer: https://idp/
    mtls:
      principal_source: SAN_DNS
admin_tls:
  certificates:
    - chain: {path: /etc/tls/admin.crt}
      private_key: {path: /etc/tls/admin.key}
`
	cfg, err := config.Load(writeFile(t, body))
	if err != nil {
		t.Fatal(err)
	}
	l := cfg.Kafka.Listeners[0]
	if l.TLS == nil || l.TLS.CertChain.String() != "path:/etc/tls/server.crt" || l.TLS.ClientCA.String() != "path:/etc/tls/ca.crt" {
		t.Errorf("listener tls: %+v", l.TLS)
	}
	a := l.Authentication
	if a == nil || strings.Join(a.Mechanisms(), ",") != "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER" ||
		a.SASL.Plain.Credentials[0].Username != "admin" || a.SASL.OAuthBearer.Audience != "kafka" ||
		a.MTLSPrincipalSource() != config.PrincipalSANDNS {
		t.Errorf("authentication: %+v", a)
	}
	if cfg.Admin.TLS == nil || cfg.Admin.TLS.PrivateKey.String() != "path:/etc/tls/admin.key" || !cfg.Admin.TLS.ClientCA.IsZero() {
		t.Errorf("admin tls: %+v", cfg.Admin.TLS)
	}

	for name, c := range map[string]struct {
		body string
		want error
		says string
	}{
		"anonymous":        {"kafka:\n  authentication:\n    sasl:\n      anonymous: true\n", config.ErrUnsupportedKey, "ANONYMOUS"},
		"scram admin":      {"kafka:\n  authentication:\n    sasl:\n      scram:\n        admin_credentials: {username: a}\n", config.ErrUnsupportedKey, "kafka-configs"},
		"receive bytes":    {"kafka:\n  authentication:\n    max_receive_bytes: 1024\n", config.ErrUnsupportedKey, "512 KiB"},
		"request cert":     {"kafka:\n  tls:\n    certificates: [{chain: a, private_key: b}]\n    client_auth: REQUEST_CERT\n", config.ErrInvalidValue, "REQUIRE_AND_VERIFY_CERT"},
		"two certs":        {"kafka:\n  tls:\n    certificates: [{chain: a, private_key: b}, {chain: c, private_key: d}]\n", config.ErrInvalidValue, "exactly one certificate"},
		"cas without mode": {"kafka:\n  tls:\n    certificates: [{chain: a, private_key: b}]\n    client_cas: [x]\n", config.ErrInvalidValue, "REQUIRE_AND_VERIFY_CERT"},
	} {
		_, err := config.Load(writeFile(t, c.body))
		if !errors.Is(err, c.want) || !strings.Contains(fmtErr(err), c.says) {
			t.Errorf("%s: %v, want %v saying %q", name, err, c.want, c.says)
		}
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
