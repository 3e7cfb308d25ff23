package broker

// SaslAuthenticate, versions 0-2: one step of the exchange the handshake
// chose (PLAIN: one step; SCRAM: client-first, then client-final). A
// failed step is SASL_AUTHENTICATION_FAILED with Kafka's message, and the
// connection is closed after the reply; so is a step before a handshake
// (ILLEGAL_SASL_STATE). Sessions do not expire (session_lifetime_ms 0).

import (
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
	if c.auth.mechanism == "" || c.auth.authenticated {
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
		c.auth.authenticated, c.auth.principal = true, c.auth.exchange.Principal()
		c.auth.exchange = nil
	}
	return now(resp), nil
}

// startExchange begins the exchange of an offered mechanism.
func (s *Server) startExchange(mechanism string) (auth.Exchange, error) {
	if mechanism == "PLAIN" {
		return s.sec.plain.Start(), nil
	}
	m, _ := auth.MechanismNamed(mechanism)
	return s.sec.scram.Start(m)
}
