package broker

// SaslAuthenticate, versions 0-2: one step of the exchange the handshake
// chose (PLAIN and OAUTHBEARER: one step; SCRAM: client-first, then
// client-final). A failed step is SASL_AUTHENTICATION_FAILED with Kafka's
// message, and the connection is closed after the reply; so is a step
// before a handshake (ILLEGAL_SASL_STATE).
//
// KIP-368: an OAUTHBEARER session lasts until its token expires, and
// v1+ answers say so in session_lifetime_ms; clients re-authenticate
// before then (SaslHandshake, SaslAuthenticate on the same connection),
// which must name the same principal, or the connection is closed. Past
// the lifetime, any other request closes the connection (gate), and an idle
// connection is closed when it passes (sessionDeadline). PLAIN and
// SCRAM sessions do not expire (session_lifetime_ms 0).

import (
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/broker/auth"
)

func init() { register(0, 2, handleSaslAuthenticate) }

func handleSaslAuthenticate(s *Server, c *conn, req *kmsg.SASLAuthenticateRequest) (reply, error) {
	resp := req.ResponseKind().(*kmsg.SASLAuthenticateResponse)
	fail := func(code int16, msg string) (reply, error) {
		resp.ErrorCode, resp.ErrorMessage = code, &msg
		c.auth.closeAfterReply = true
		return now(resp), nil
	}
	if c.auth.mechanism == "" || (c.auth.authenticated && !c.auth.reauth) {
		return fail(kerr.IllegalSaslState.Code, "SaslAuthenticate without a SaslHandshake, or after authentication")
	}
	if c.auth.exchange == nil {
		x, err := s.startExchange(c.auth.mechanism)
		if err != nil {
			return fail(kerr.SaslAuthenticationFailed.Code, err.Error())
		}
		c.auth.exchange = x
	}
	ctx, cancel := s.requestContext()
	defer cancel()
	out, done, err := c.auth.exchange.Step(ctx, req.SASLAuthBytes)
	if err != nil {
		s.log.Info("sasl authentication failed", "remote", c.nc.RemoteAddr().String(), "mechanism", c.auth.mechanism, "reason", err.Error())
		return fail(kerr.SaslAuthenticationFailed.Code, "Authentication failed: "+err.Error())
	}
	resp.SASLAuthBytes = out
	if done {
		return c.authenticated(req, resp, fail)
	}
	return now(resp), nil
}

// authenticated ends a successful exchange: the session starts, or a
// re-authentication renews it for the same principal.
func (c *conn) authenticated(req *kmsg.SASLAuthenticateRequest, resp *kmsg.SASLAuthenticateResponse,
	fail func(int16, string) (reply, error)) (reply, error) {
	x := c.auth.exchange
	c.auth.exchange = nil
	if c.auth.reauth && x.Principal() != c.auth.principal {
		return fail(kerr.SaslAuthenticationFailed.Code, "Authentication failed: re-authentication must not change the principal")
	}
	c.auth.authenticated, c.auth.reauth, c.auth.principal = true, false, x.Principal()
	c.auth.canReauth = req.Version >= 1
	c.auth.expires = time.Time{}
	if e, ok := x.(auth.Expiring); ok {
		c.auth.expires = e.Expiry()
		resp.SessionLifetimeMillis = max(1, time.Until(c.auth.expires).Milliseconds())
	}
	c.armedAt = time.Time{} // the read deadline follows the new session's end (sessionDeadline)
	return now(resp), nil
}

// startExchange begins the exchange of an offered mechanism.
func (s *Server) startExchange(mechanism string) (auth.Exchange, error) {
	switch mechanism {
	case "PLAIN":
		return s.sec.plain.Start(), nil
	case "OAUTHBEARER":
		return s.sec.oauth.Start(), nil
	}
	m, _ := auth.MechanismNamed(mechanism)
	return s.sec.scram.Start(m)
}
