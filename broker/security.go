package broker

// Security on the Kafka listener: SASL authentication state per
// connection, and the authorization checks every API goes through
// (authz.go). The mechanisms and the ACL store live in broker/auth.
//
// A connection on a listener with SASL may send only ApiVersions,
// SaslHandshake and SaslAuthenticate until it has authenticated; anything
// else closes it, as Kafka does ("unexpected request during SASL
// handshake"). A failed SaslAuthenticate is answered with
// SASL_AUTHENTICATION_FAILED and the connection is then closed. The
// principal ("User:name") stays with the connection; without SASL it is
// User:ANONYMOUS.

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/broker/auth"
	"github.com/tributary-io/tributary/internal/httpauth"
	"github.com/tributary-io/tributary/internal/metastore"
)

// AuthOptions configure the listener's authentication and authorization;
// the zero value authenticates no one (User:ANONYMOUS) and allows
// everything.
type AuthOptions struct {
	// Mechanisms are the SASL mechanisms offered (PLAIN, SCRAM-SHA-256,
	// SCRAM-SHA-512); empty means no SASL.
	Mechanisms []string
	// PlainUsers are PLAIN's users and passwords.
	PlainUsers map[string][]byte
	// OAuthBearer validates OAUTHBEARER tokens (jwtauth.Validator); needed
	// when Mechanisms lists OAUTHBEARER.
	OAuthBearer auth.TokenValidator
	// MTLSPrincipal is where a client authenticated by a verified
	// certificate (and not by SASL) gets its principal:
	// "subject_common_name" (also when empty), "san_dns", "san_uri" or
	// "anonymous" (config.Principal*).
	MTLSPrincipal string
	// Authorize turns on ACLs, with SuperUsers and
	// AllowEveryoneIfNoACLFound as in Bufstream's kafka.authorization.
	Authorize                 bool
	SuperUsers                []string
	AllowEveryoneIfNoACLFound bool
}

// security is the Server's share: the credential and ACL store, the
// mechanisms, and the authorizer (nil: everything allowed).
type security struct {
	store *auth.Store
	plain *auth.Plain
	scram *auth.Scram
	oauth *auth.OAuthBearer
	authz *auth.Authorizer
}

func (s *Server) initSecurity(meta metastore.KV) {
	o := s.opts.Auth
	s.sec.store = auth.NewStore(meta)
	s.sec.plain = auth.NewPlain(o.PlainUsers)
	s.sec.scram = auth.NewScram(s.sec.store)
	if o.OAuthBearer != nil {
		s.sec.oauth = auth.NewOAuthBearer(o.OAuthBearer)
	}
	if o.Authorize {
		s.sec.authz = auth.NewAuthorizer(s.sec.store, o.SuperUsers, o.AllowEveryoneIfNoACLFound)
	}
}

// saslRequired reports whether clients must authenticate.
func (s *Server) saslRequired() bool { return len(s.opts.Auth.Mechanisms) > 0 }

// connAuth is one connection's SASL state; only the reader goroutine
// (handlers' synchronous part) touches it.
type connAuth struct {
	mechanism     string
	exchange      auth.Exchange
	principal     string
	authenticated bool
	// expires ends the session (KIP-368): past it, only a
	// re-authentication (SaslHandshake, SaslAuthenticate) may be sent;
	// anything else closes the connection. Zero: the session never ends.
	expires time.Time
	// reauth is set between a re-authentication's SaslHandshake and its
	// final SaslAuthenticate; the session's principal and mechanism stay
	// meanwhile and must not change.
	reauth bool
	// canReauth: the client authenticated with SaslAuthenticate v1 or
	// later, which is what KIP-368 requires for re-authenticating.
	canReauth bool
	// closeAfterReply ends the connection once the reply just queued is
	// written (a failed authentication).
	closeAfterReply bool
}

// gate refuses, by closing the connection, any request but the SASL ones
// and ApiVersions before authentication on a listener that requires it.
//
// An authenticated session whose lifetime has passed (KIP-368) may only
// re-authenticate: any other request closes the connection, as Kafka's
// "expired session" check does.
func (c *conn) gate(key int16) error {
	if !c.s.saslRequired() {
		return nil
	}
	if c.auth.authenticated {
		if c.auth.expires.IsZero() || time.Now().Before(c.auth.expires) || key == 17 || key == 36 {
			return nil
		}
		c.s.log.Info("closing kafka connection: SASL session expired without re-authentication",
			"remote", c.nc.RemoteAddr().String(), "principal", c.auth.principal)
		return fmt.Errorf("%s after the SASL session expired: %w", kmsg.NameForKey(key), errCloseConn)
	}
	switch key {
	case 17, 18, 36: // SaslHandshake, ApiVersions, SaslAuthenticate
		return nil
	}
	return fmt.Errorf("%s before SASL authentication: %w", kmsg.NameForKey(key), errCloseConn)
}

// principal is the connection's principal: the SASL user, else the
// subject common name of a verified client certificate (mTLS), else
// User:ANONYMOUS.
func (c *conn) principal() string {
	if c.auth.principal != "" {
		return c.auth.principal
	}
	if tc, ok := c.nc.(*tls.Conn); ok {
		if st := tc.ConnectionState(); len(st.VerifiedChains) > 0 {
			if name := httpauth.CertName(st.PeerCertificates[0], c.s.opts.Auth.MTLSPrincipal); name != "" {
				return auth.Principal(name)
			}
		}
	}
	return auth.Anonymous
}

// wrapTLS serves ln over TLS when Options.TLS is set; the handshake runs on
// the connection's first read, so a failed one (a plaintext client, a
// client certificate from another CA) just closes that connection.
func (s *Server) wrapTLS(ln net.Listener) net.Listener {
	if s.opts.TLS == nil {
		return ln
	}
	return tls.NewListener(ln, s.opts.TLS)
}

// host is the client's address as ACL hosts name it.
func (c *conn) host() string {
	h, _, err := net.SplitHostPort(c.nc.RemoteAddr().String())
	if err != nil {
		return c.nc.RemoteAddr().String()
	}
	return h
}

// allowed reports whether the connection's principal may do op on the
// resource.
func (s *Server) allowed(c *conn, op kmsg.ACLOperation, rt kmsg.ACLResourceType, name string) bool {
	return s.sec.authz.Authorize(c.principal(), c.host(), op, rt, name)
}

// clusterAllowed is allowed on the cluster resource.
func (s *Server) clusterAllowed(c *conn, op kmsg.ACLOperation) bool {
	return s.allowed(c, op, kmsg.ACLResourceTypeCluster, "kafka-cluster")
}

// maxSASLFrame bounds a request frame before authentication, as Kafka's
// sasl.server.max.receive.size (Bufstream's max_receive_bytes) does, so an
// unauthenticated client cannot make the broker allocate
// MaxRequestBytes.
const maxSASLFrame = 512 << 10

// frameLimit is the largest frame the connection may send now.
func (c *conn) frameLimit() int32 {
	if c.s.saslRequired() && !c.auth.authenticated {
		return min(maxSASLFrame, c.s.opts.MaxRequestBytes)
	}
	return c.s.opts.MaxRequestBytes
}

// errSessionEnded closes a connection whose SASL session ended (KIP-368)
// without a re-authentication.
var errSessionEnded = errors.New("sasl session expired")

// sessionDeadline is the read deadline: at the latest d, and no later
// than the end of an expiring SASL session, so an idle connection is
// closed when its session ends, not only at its next request.
func (c *conn) sessionDeadline(d time.Time) time.Time {
	if e := c.auth.expires; c.auth.authenticated && !e.IsZero() && e.Before(d) {
		return e
	}
	return d
}

// sessionEnded is errSessionEnded once an expiring session has passed
// without a re-authentication.
func (c *conn) sessionEnded() error {
	if e := c.auth.expires; c.auth.authenticated && !e.IsZero() && !time.Now().Before(e) {
		return fmt.Errorf("principal %s: %w", c.auth.principal, errSessionEnded) // logged by logClose
	}
	return nil
}
