package node

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/tributary-io/tributary/broker"
	"github.com/tributary-io/tributary/broker/auth"
	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/internal/httpauth"
	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/tlsconf"
)

// httpGuard is the guard of the registry, catalog and admin servers (nil
// unless http_auth.required): the Kafka listener's PLAIN users, SCRAM
// users and OAUTHBEARER key set, with http_auth's roles and
// kafka.authorization's super users as admins.
func (n *Node) httpGuard(ao broker.AuthOptions) *httpauth.Guard {
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
	if ao.OAuthBearer != nil {
		o.Tokens = ao.OAuthBearer
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

// tokenKeyKV holds the catalog's token-signing key, shared by every broker
// of the cluster so each accepts the tokens another issued.
const tokenKeyKV = "auth/http/token-key"

// tokenKey returns the cluster's token-signing key, creating it once.
func (n *Node) tokenKey(ctx context.Context) ([]byte, error) {
	e, err := n.Meta.KVGet(ctx, tokenKeyKV)
	if err == nil {
		return e.Value, nil
	}
	if !errors.Is(err, metastore.ErrUnknownKey) {
		return nil, fmt.Errorf("read the token-signing key: %w", err)
	}
	k := make([]byte, 32)
	_, _ = rand.Read(k) // crypto/rand never fails on Linux (Go 1.24+ panics rather than return an error)
	if _, err := n.Meta.KVApply(ctx, []metastore.KVOp{{Key: tokenKeyKV, Expect: metastore.KVAbsent, Value: k}}); err != nil {
		if !errors.Is(err, metastore.ErrConflict) {
			return nil, fmt.Errorf("store the token-signing key: %w", err)
		}
		e, err := n.Meta.KVGet(ctx, tokenKeyKV) // another broker created it first
		if err != nil {
			return nil, fmt.Errorf("read the token-signing key: %w", err)
		}
		return e.Value, nil
	}
	return k, nil
}

// inProcessRegistry is the sr option reaching this node's own registry in
// process, or nil when it serves none.
func (n *Node) inProcessRegistry() []sr.ClientOpt {
	if n.reg == nil {
		return nil
	}
	return []sr.ClientOpt{sr.HTTPClient(&http.Client{Transport: httpauth.InProcess(n.reg.Handler())})}
}
