package broker

// SaslHandshake, version 1 (v0's unframed tokens are not served): the
// client names a mechanism; an unoffered one is UNSUPPORTED_SASL_MECHANISM
// with the offered list. A second handshake on the same connection, or one
// after authentication, is ILLEGAL_SASL_STATE (re-authentication, KIP-368,
// is not served).

import (
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() { register(1, 1, handleSaslHandshake) }

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
