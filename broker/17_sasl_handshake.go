package broker

// SaslHandshake, versions 0-1: the client names a mechanism. Version 0 is
// listed because librdkafka requires it in ApiVersions before it uses SASL
// at all, but only the framed exchange (SaslAuthenticate, which clients use
// whenever it is listed) is served: a client sending v0's bare tokens has
// its connection closed when they fail to parse as a request.
// An unoffered mechanism is UNSUPPORTED_SASL_MECHANISM
// with the offered list. A second handshake on the same connection is
// ILLEGAL_SASL_STATE, except a re-authentication (KIP-368): a handshake v1
// with the same mechanism on a connection that authenticated with
// SaslAuthenticate v1 or later starts one; with another mechanism it is
// ILLEGAL_SASL_STATE and the connection is closed.

import (
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() { register(0, 1, handleSaslHandshake) }

func handleSaslHandshake(s *Server, c *conn, req *kmsg.SASLHandshakeRequest) (reply, error) {
	resp := req.ResponseKind().(*kmsg.SASLHandshakeResponse)
	resp.SupportedMechanisms = append([]string{}, s.opts.Auth.Mechanisms...)
	switch {
	case c.auth.authenticated && !c.auth.reauth && c.auth.canReauth && req.Version >= 1:
		if req.Mechanism != c.auth.mechanism {
			resp.ErrorCode = kerr.IllegalSaslState.Code
			c.auth.closeAfterReply = true
			break
		}
		c.auth.reauth = true // KIP-368: the session goes on until it ends
	case c.auth.mechanism != "" || c.auth.authenticated:
		resp.ErrorCode = kerr.IllegalSaslState.Code
	case !slices.Contains(s.opts.Auth.Mechanisms, req.Mechanism):
		resp.ErrorCode = kerr.UnsupportedSaslMechanism.Code
	default:
		c.auth.mechanism = req.Mechanism
	}
	return now(resp), nil
}
