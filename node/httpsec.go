package node

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"

	"github.com/tributary-io/tributary/broker"
	"github.com/tributary-io/tributary/broker/auth"
	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/internal/httpauth"
	"github.com/tributary-io/tributary/internal/jwtauth"
	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/tlsconf"
)

// httpGuard is the guard of the registry, catalog and admin servers (nil
// unless http_auth.required): the Kafka listener's PLAIN users, SCRAM
// users and OAUTHBEARER tokens (its key set and the cluster's issuer),
// with http_auth's roles and kafka.authorization's super users as admins.
func (n *Node) httpGuard(ao broker.AuthOptions, iss *jwtauth.Issuer) *httpauth.Guard {
	h := n.cfg.HTTPAuth
	if !h.Required {
		return nil
	}
	var plain *auth.Plain
	if len(ao.PlainUsers) > 0 {
		plain = auth.NewPlain(ao.PlainUsers)
	}
	var store *auth.Store
	if slices.Contains(ao.Mechanisms, "SCRAM-SHA-512") {
		store = auth.NewStore(n.Meta)
	}
	admins := slices.Clone(h.Admins)
	if z := n.cfg.Kafka.Authorization; z != nil {
		admins = append(admins, z.SuperUsers...)
	}
	o := httpauth.Options{
		Passwords:  auth.NewPasswords(plain, store).Check,
		MTLSSource: ao.MTLSPrincipal,
		OpenPaths:  h.OpenPaths,
		Roles:      httpauth.Roles{Readers: h.Readers, Writers: h.Writers, Admins: admins},
	}
	o.Tokens = iss
	if ao.OAuthBearer != nil {
		o.Tokens = ao.OAuthBearer // already chained with iss (startServers)
	}
	return httpauth.New(o)
}

// httpTLS is an HTTP server's TLS configuration (nil without a tls
// block), named by its config key for errors. Unlike a Kafka listener's,
// a client certificate is verified when given, not required: it names the
// principal (http_auth), and clients without one use basic or bearer
// credentials on the same port.
func (n *Node) httpTLS(key string, t *config.ListenerTLS) (*tls.Config, error) {
	if t == nil {
		return nil, nil
	}
	cfg, err := tlsconf.Server(*t, n.log.With("server", key))
	if err != nil {
		return nil, fmt.Errorf("%s.tls: %w", key, err)
	}
	if cfg.ClientCAs != nil {
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return cfg, nil
}

// warnOpenHTTP warns about an HTTP server bound beyond loopback that
// serves anyone (no http_auth.required).
func (n *Node) warnOpenHTTP(what, key, addr string) {
	if n.cfg.HTTPAuth.Required || addr == "" || loopback(addr) {
		return
	}
	n.log.Warn(what+" accepts unauthenticated requests on a non-loopback address; set http_auth.required", "listen_address", addr, "key", key)
}

// tokenKeyKV and issuerKeyKV hold the catalog's token-signing keys,
// shared by every broker of the cluster so each accepts the tokens
// another issued: the HMAC key of its own tokens, and the ES256 key of the
// JWTs it issues under http_auth.
const (
	tokenKeyKV  = "auth/http/token-key"
	issuerKeyKV = "auth/http/jwt-key"
)

// tokenKey returns the cluster's HMAC token-signing key, creating it once.
func (n *Node) tokenKey(ctx context.Context) ([]byte, error) {
	return n.sharedKey(ctx, tokenKeyKV, func() ([]byte, error) {
		k := make([]byte, 32)
		_, _ = rand.Read(k) // crypto/rand never fails on Linux (Go 1.24+ panics rather than return an error)
		return k, nil
	})
}

// newIssuer returns the cluster's JWT issuer (the catalog's token endpoint
// under http_auth), its key created once.
func (n *Node) newIssuer(ctx context.Context) (*jwtauth.Issuer, error) {
	der, err := n.sharedKey(ctx, issuerKeyKV, func() ([]byte, error) {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		return x509.MarshalPKCS8PrivateKey(k)
	})
	if err != nil {
		return nil, err
	}
	return jwtauth.NewIssuer(der, "tributary:"+n.cfg.Name)
}

// sharedKey reads a key kept in the metadata store, creating it with gen
// when absent (the first broker to write it wins).
func (n *Node) sharedKey(ctx context.Context, name string, gen func() ([]byte, error)) ([]byte, error) {
	e, err := n.Meta.KVGet(ctx, name)
	if err == nil {
		return e.Value, nil
	}
	if !errors.Is(err, metastore.ErrUnknownKey) {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	k, err := gen()
	if err != nil {
		return nil, fmt.Errorf("make %s: %w", name, err)
	}
	if _, err := n.Meta.KVApply(ctx, []metastore.KVOp{{Key: name, Expect: metastore.KVAbsent, Value: k}}); err != nil {
		if !errors.Is(err, metastore.ErrConflict) {
			return nil, fmt.Errorf("store %s: %w", name, err)
		}
		e, err := n.Meta.KVGet(ctx, name) // another broker created it first
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		return e.Value, nil
	}
	return k, nil
}
