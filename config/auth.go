package config

import (
	"fmt"
	"strings"
	"time"
)

// Authentication is one Kafka listener's client authentication, in
// Bufstream's shape (kafka.listeners[].authentication):
//
//	authentication:
//	  sasl:
//	    plain:
//	      credentials:
//	        - username: admin
//	          password: {env_var: ADMIN_PASSWORD}   # a <data-source>
//	    scram: {}   # SCRAM-SHA-256 and SCRAM-SHA-512, users in the metadata store
//	  mtls:
//	    principal_source: subject_common_name   # or san_dns, san_uri, anonymous
//
// A listener with no authentication block accepts every client as
// User:ANONYMOUS (or, with tls.client_ca, as its certificate's subject
// CN). With SASL, a client must complete SASL before any request but
// ApiVersions, SaslHandshake and SaslAuthenticate. mtls (which needs
// tls.client_ca) says where a client that did not use SASL gets its
// principal from, as Bufstream's authentication.mtls.principal_source.
type Authentication struct {
	SASL *SASL `yaml:"sasl"`
	MTLS *MTLS `yaml:"mtls"`
}

// MTLS names the principal of a client authenticated by its certificate.
type MTLS struct {
	// PrincipalSource: subject_common_name (default), san_dns (the first
	// DNS SAN), san_uri (the first URI SAN), or anonymous.
	PrincipalSource string `yaml:"principal_source"`
}

// The mTLS principal sources.
const (
	PrincipalSubjectCN = "subject_common_name"
	PrincipalSANDNS    = "san_dns"
	PrincipalSANURI    = "san_uri"
	PrincipalAnonymous = "anonymous"
)

// MTLSPrincipalSource is the listener's mTLS principal source, lower case;
// subject_common_name when unset.
func (a *Authentication) MTLSPrincipalSource() string {
	if a == nil || a.MTLS == nil || a.MTLS.PrincipalSource == "" {
		return PrincipalSubjectCN
	}
	return strings.ToLower(a.MTLS.PrincipalSource)
}

// SASL lists the enabled SASL mechanisms; at least one must be.
type SASL struct {
	// Plain enables PLAIN with the users listed here (their principal is
	// User:<username>).
	Plain *SASLPlain `yaml:"plain"`
	// Scram enables SCRAM-SHA-256 and SCRAM-SHA-512 with the credentials
	// kept in the metadata store, managed with AlterUserScramCredentials
	// (kafka-configs --entity-type users --add-config
	// 'SCRAM-SHA-256=[password=…]').
	Scram *SASLScram `yaml:"scram"`
	// OAuthBearer enables OAUTHBEARER: clients send a JWT, checked
	// against a JSON Web Key Set (Bufstream's oauth_bearer). Sessions last
	// until the token expires; clients re-authenticate before then
	// (KIP-368).
	OAuthBearer *SASLOAuthBearer `yaml:"oauth_bearer"`
}

// SASLOAuthBearer validates OAUTHBEARER tokens (Bufstream's
// authentication.sasl.oauth_bearer, plus principal_claim):
//
//	oauth_bearer:
//	  static: {path: /etc/tributary/jwks.json}   # a JWKS <data-source>, or:
//	  remote: {url: https://idp.example.com/.well-known/jwks.json, refresh_interval: 1h}
//	  issuer: https://idp.example.com/           # optional: must match "iss"
//	  audience: kafka                            # optional: must be in "aud"
//	  principal_claim: sub                       # the claim naming the user (User:<it>)
//
// A token must be signed by a key of the set (RS, PS, ES, HS 256/384/512
// or EdDSA; never unsigned), carry "exp" in the future, and match issuer
// and audience when they are set.
type SASLOAuthBearer struct {
	// Static is a JWKS document.
	Static DataSource `yaml:"static"`
	// Remote is a JWKS URL, fetched at start and refreshed.
	Remote *JWKSRemote `yaml:"remote"`
	// Audience, when set, must be among the token's "aud".
	Audience string `yaml:"audience"`
	// Issuer, when set, must equal the token's "iss".
	Issuer string `yaml:"issuer"`
	// PrincipalClaim names the string claim holding the user name (a
	// Tributary key). Default: "sub".
	PrincipalClaim string `yaml:"principal_claim"`
}

// JWKSRemote is a JWKS served over HTTP(S).
type JWKSRemote struct {
	// URL of the JWKS document.
	URL DataSource `yaml:"url"`
	// RefreshInterval is how often the set is fetched again. Default: 1h.
	RefreshInterval time.Duration `yaml:"refresh_interval"`
}

// SASLPlain is the PLAIN mechanism's user list.
type SASLPlain struct {
	Credentials []PlainCredential `yaml:"credentials"`
}

// PlainCredential is one PLAIN user; the password is a data source, so it
// may come from a file or an environment variable, and it is never printed.
type PlainCredential struct {
	Username string     `yaml:"username"`
	Password DataSource `yaml:"password"`
}

// SASLScram enables SCRAM; it has no keys of its own yet (credentials live
// in the metadata store).
type SASLScram struct{}

// Mechanisms names the enabled SASL mechanisms, in the order the broker
// offers them.
func (a *Authentication) Mechanisms() []string {
	if a == nil || a.SASL == nil {
		return nil
	}
	var out []string
	if a.SASL.Plain != nil {
		out = append(out, "PLAIN")
	}
	if a.SASL.Scram != nil {
		out = append(out, "SCRAM-SHA-256", "SCRAM-SHA-512")
	}
	if a.SASL.OAuthBearer != nil {
		out = append(out, "OAUTHBEARER")
	}
	return out
}

// Authorization turns on Kafka ACLs (Bufstream's kafka.authorization).
// Without it every request is allowed and the ACL APIs answer
// CLUSTER_AUTHORIZATION_FAILED, as in Bufstream.
type Authorization struct {
	// SuperUsers are principals ("User:admin") allowed everything,
	// whatever the ACLs say.
	SuperUsers []string `yaml:"super_users"`
	// AllowEveryoneIfNoACLFound allows an operation on a resource that no
	// ACL names (Kafka's allow.everyone.if.no.acl.found). Default: false.
	AllowEveryoneIfNoACLFound bool `yaml:"allow_everyone_if_no_acl_found"`
}

func (a *Authentication) validate(v *validator, key string) {
	if a == nil {
		return
	}
	key += ".authentication"
	if a.MTLS != nil {
		switch a.MTLSPrincipalSource() {
		case PrincipalSubjectCN, PrincipalSANDNS, PrincipalSANURI, PrincipalAnonymous:
		default:
			v.check(false, key+".mtls.principal_source", "%q: want subject_common_name, san_dns, san_uri or anonymous", a.MTLS.PrincipalSource)
		}
	}
	if a.SASL == nil {
		v.check(a.MTLS != nil, key+".sasl", "an authentication block needs sasl or mtls")
		return
	}
	v.check(len(a.Mechanisms()) > 0, key+".sasl", "enable at least one of plain, scram, oauth_bearer")
	a.SASL.OAuthBearer.validate(v, key+".sasl.oauth_bearer")
	if p := a.SASL.Plain; p != nil {
		v.check(len(p.Credentials) > 0, key+".sasl.plain.credentials", "at least one user is needed")
		seen := map[string]bool{}
		for i, c := range p.Credentials {
			ck := fmt.Sprintf("%s.sasl.plain.credentials[%d]", key, i)
			v.check(c.Username != "", ck+".username", "must not be empty")
			v.check(!seen[c.Username], ck+".username", "%q is listed twice", c.Username)
			seen[c.Username] = true
			v.secret(ck+".password", c.Password)
		}
	}
}

func (a *Authorization) validate(v *validator) {
	if a == nil {
		return
	}
	v.check(len(a.SuperUsers) > 0 || a.AllowEveryoneIfNoACLFound, "kafka.authorization",
		"needs super_users or allow_everyone_if_no_acl_found: true, or no one could ever be allowed anything")
	for i, p := range a.SuperUsers {
		typ, name, ok := strings.Cut(p, ":")
		v.check(ok && typ != "" && name != "", fmt.Sprintf("kafka.authorization.super_users[%d]", i),
			"%q is not a principal of the form User:name", p)
	}
}

// ListenerTLS is one Kafka listener's TLS (kafka.listeners[].tls, the shape
// a v1beta1 file reads naturally with; Bufstream's v1alpha1 had
// certificates[{chain, private_key}], client_cas and client_auth). The
// certificate chain and key are PEM data sources; files given by path are
// reread when they change, so a renewed certificate is served without a
// restart. TLS 1.2 is the minimum.
//
//	tls:
//	  cert_chain: {path: /etc/tributary/tls/server.crt}
//	  private_key: {path: /etc/tributary/tls/server.key}
//	  client_ca: {path: /etc/tributary/tls/clients-ca.crt}   # optional: mTLS
//
// With client_ca, every client must present a certificate that chains to
// it (mTLS); a client that did not authenticate with SASL then has the
// principal User:<the certificate's subject common name>.
type ListenerTLS struct {
	CertChain  DataSource `yaml:"cert_chain"`
	PrivateKey DataSource `yaml:"private_key"`
	ClientCA   DataSource `yaml:"client_ca"`
}

func (t *ListenerTLS) validate(v *validator, key string) {
	if t == nil {
		return
	}
	key += ".tls"
	v.secret(key+".cert_chain", t.CertChain)
	v.secret(key+".private_key", t.PrivateKey)
	if !t.ClientCA.IsZero() {
		v.secret(key+".client_ca", t.ClientCA)
	}
}

func (o *SASLOAuthBearer) validate(v *validator, key string) {
	if o == nil {
		return
	}
	hasStatic, hasRemote := !o.Static.IsZero(), o.Remote != nil
	v.check(hasStatic != hasRemote, key, "set exactly one of static, remote")
	if hasStatic {
		v.secret(key+".static", o.Static)
	}
	if hasRemote {
		v.secret(key+".remote.url", o.Remote.URL)
		v.check(o.Remote.RefreshInterval >= 0, key+".remote.refresh_interval", "must not be negative")
	}
}
