package config

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// The unversioned form's TLS and authentication (Bufstream ≤ 0.3's
// kafka.tls, kafka.authentication and admin_tls), mapped onto the v1beta1
// listener's:
//
//	kafka.tls.certificates[0].{chain, private_key}  tls.{cert_chain, private_key}
//	kafka.tls.client_cas[0]                         tls.client_ca
//	kafka.tls.client_auth                           NO_CERT (no client_ca) or
//	                                                REQUIRE_AND_VERIFY_CERT (client_ca required)
//	kafka.authentication.sasl.plain.credentials     sasl.plain.credentials (username a <data-source>)
//	kafka.authentication.sasl.scram                 sasl.scram (users in the metadata store)
//	kafka.authentication.sasl.oauth_bearer          sasl.oauth_bearer (same keys)
//	kafka.authentication.mtls.principal_source      mtls.principal_source
//	admin_tls                                       admin.tls (the same shape as kafka.tls)
//
// One certificate and one client CA are supported; other client_auth
// modes, sasl.anonymous, scram.admin_credentials (create SCRAM users with
// kafka-configs) and max_receive_bytes (fixed at 512 KiB) are refused
// with the reason.

// alphaTLS is the unversioned form's TLS block.
type alphaTLS struct {
	Certificates []struct {
		Chain      DataSource `yaml:"chain"`
		PrivateKey DataSource `yaml:"private_key"`
	} `yaml:"certificates"`
	ClientAuth string       `yaml:"client_auth"`
	ClientCAs  []DataSource `yaml:"client_cas"`
}

// alphaAuthentication is the unversioned form's kafka.authentication.
type alphaAuthentication struct {
	SASL *struct {
		Plain *struct {
			Credentials []struct {
				Username DataSource `yaml:"username"`
				Password DataSource `yaml:"password"`
			} `yaml:"credentials"`
		} `yaml:"plain"`
		Anonymous   bool             `yaml:"anonymous"`
		Scram       *struct{}        `yaml:"scram"`
		OAuthBearer *SASLOAuthBearer `yaml:"oauth_bearer"`
	} `yaml:"sasl"`
	MTLS *MTLS `yaml:"mtls"`
}

// unsupportedAlphaAuth are the unversioned TLS and authentication keys
// Tributary does not serve (merged into unsupportedV1Alpha1).
var unsupportedAlphaAuth = map[string]string{
	"kafka.authentication.sasl.scram.admin_credentials": "bootstrapped SCRAM admins are not implemented; list the admin under sasl.plain, or create SCRAM users with kafka-configs --alter --add-config 'SCRAM-SHA-512=[password=…]'",
	"kafka.authentication.max_receive_bytes":            "the receive bound before authentication is fixed at 512 KiB",
	"kafka.authentication.sasl.oauth_bearer.remote.tls": "custom TLS for the JWKS url is not implemented; the system roots are used",
}

func init() {
	for k, v := range unsupportedAlphaAuth {
		unsupportedV1Alpha1[k] = v
	}
}

// toListener maps the block onto a ListenerTLS; nil when absent. key names
// it in errors.
func (t *alphaTLS) toListener(root *yaml.Node, key string) (*ListenerTLS, error) {
	if t == nil {
		return nil, nil
	}
	fail := func(sub, msg string) error {
		path := strings.Split(key, ".")
		line := root.Line
		if n := lookup(root, path...); n != nil {
			line = n.Line
		}
		return fmt.Errorf("%w %q (line %d): %s", ErrInvalidValue, key+"."+sub, line, msg)
	}
	if len(t.Certificates) != 1 {
		return nil, fail("certificates", fmt.Sprintf("exactly one certificate is supported, got %d", len(t.Certificates)))
	}
	out := &ListenerTLS{CertChain: t.Certificates[0].Chain, PrivateKey: t.Certificates[0].PrivateKey}
	switch mode := strings.ToUpper(t.ClientAuth); mode {
	case "", "NO_CERT":
		if len(t.ClientCAs) > 0 && mode == "NO_CERT" {
			return nil, fail("client_cas", "client_auth NO_CERT ignores client_cas; remove them or use REQUIRE_AND_VERIFY_CERT")
		}
		if mode == "" && len(t.ClientCAs) > 0 {
			return nil, fail("client_auth", "client_cas need client_auth: REQUIRE_AND_VERIFY_CERT")
		}
	case "REQUIRE_AND_VERIFY_CERT":
		if len(t.ClientCAs) != 1 {
			return nil, fail("client_cas", fmt.Sprintf("exactly one client CA is supported (a PEM source may hold several certificates), got %d", len(t.ClientCAs)))
		}
		out.ClientCA = t.ClientCAs[0]
	default:
		return nil, fail("client_auth", fmt.Sprintf("%q is not supported; use NO_CERT or REQUIRE_AND_VERIFY_CERT", t.ClientAuth))
	}
	return out, nil
}

// toAuthentication maps the block onto an Authentication; nil when absent.
func (a *alphaAuthentication) toAuthentication(root *yaml.Node) (*Authentication, error) {
	if a == nil {
		return nil, nil
	}
	out := &Authentication{MTLS: a.MTLS}
	if a.SASL == nil {
		return out, nil
	}
	if a.SASL.Anonymous {
		line := root.Line
		if n := lookup(root, "kafka", "authentication", "sasl", "anonymous"); n != nil {
			line = n.Line
		}
		return nil, fmt.Errorf("%w \"kafka.authentication.sasl.anonymous\" (line %d): the ANONYMOUS mechanism is not supported; leave authentication out for anonymous clients", ErrUnsupportedKey, line)
	}
	out.SASL = &SASL{OAuthBearer: a.SASL.OAuthBearer}
	if a.SASL.Scram != nil {
		out.SASL.Scram = &SASLScram{}
	}
	if p := a.SASL.Plain; p != nil {
		out.SASL.Plain = &SASLPlain{}
		for i, c := range p.Credentials {
			user, err := c.Username.Resolve()
			if err != nil {
				return nil, fmt.Errorf("kafka.authentication.sasl.plain.credentials[%d].username: %w", i, err)
			}
			out.SASL.Plain.Credentials = append(out.SASL.Plain.Credentials, PlainCredential{Username: string(user), Password: c.Password})
		}
	}
	return out, nil
}
