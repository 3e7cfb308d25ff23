package broker

// SaslHandshake, versions 0-1: the client names a mechanism. Version 0 is
// listed because librdkafka requires it in ApiVersions before it uses SASL
// at all, but only the framed exchange (SaslAuthenticate, which clients use
// whenever it is listed) is served: a client sending v0's bare tokens has
// its connection closed when they fail to parse as a request.
// An unoffered mechanism is UNSUPPORTED_SASL_MECHANISM
// with the offered list. A second handshake on the same connection, or one
// after authentication, is ILLEGAL_SASL_STATE (re-authentication, KIP-368,
// is not served).

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
	case c.auth.mechanism != "" || c.auth.authenticated:
		resp.ErrorCode = kerr.IllegalSaslState.Code
	case !slices.Contains(s.opts.Auth.Mechanisms, req.Mechanism):
		resp.ErrorCode = kerr.UnsupportedSaslMechanism.Code
	default:
		c.auth.mechanism = req.Mechanism
	}
	return now(resp), nil
}
