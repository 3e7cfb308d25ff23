package auth

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// TokenValidator checks an OAUTHBEARER token: it returns the user it names
// and when it expires (jwtauth.Validator).
type TokenValidator interface {
	Validate(ctx context.Context, token string) (user string, exp time.Time, err error)
}

// OAuthBearerMessage is a parsed OAUTHBEARER client-first message.
type OAuthBearerMessage struct {
	// Authzid is the GS2 header's a= value ("" when absent).
	Authzid string
	// Token is the bearer token of the "auth" pair.
	Token string
	// Extensions are the other key/value pairs (Kafka's SASL extensions).
	Extensions map[string]string
}

// ParseOAuthBearer parses an OAUTHBEARER client-first message (RFC 7628
// section 3.1): gs2-header %x01 *(key "=" value %x01) %x01, the GS2 header
// being "n,[a=authzid]," or "y,[a=authzid],", with one "auth" pair
// "Bearer <token>". Kafka's clients send exactly this (with extensions as
// more pairs).
func ParseOAuthBearer(msg []byte) (OAuthBearerMessage, error) {
	var m OAuthBearerMessage
	s := string(msg)
	flag, rest, ok := strings.Cut(s, ",")
	if !ok || (flag != "n" && flag != "y") {
		return m, fmt.Errorf("%w: OAUTHBEARER message has no GS2 header", ErrAuthentication)
	}
	az, rest, ok := strings.Cut(rest, ",")
	if !ok {
		return m, fmt.Errorf("%w: OAUTHBEARER GS2 header is not terminated", ErrAuthentication)
	}
	if az != "" {
		name, ok := strings.CutPrefix(az, "a=")
		if !ok || name == "" {
			return m, fmt.Errorf("%w: OAUTHBEARER GS2 header has a bad authzid", ErrAuthentication)
		}
		m.Authzid = name
	}
	body, ok := strings.CutPrefix(rest, "\x01")
	if !ok || !strings.HasSuffix(body, "\x01\x01") && body != "\x01" {
		return m, fmt.Errorf("%w: OAUTHBEARER key/value pairs are not framed by 0x01", ErrAuthentication)
	}
	pairs := strings.Split(strings.TrimSuffix(body, "\x01\x01"), "\x01")
	if body == "\x01" {
		pairs = nil
	}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || !validKey(k) || !validValue(v) {
			return m, fmt.Errorf("%w: OAUTHBEARER has a malformed key/value pair", ErrAuthentication)
		}
		if k == "auth" {
			if m.Token != "" {
				return m, fmt.Errorf("%w: OAUTHBEARER has two auth pairs", ErrAuthentication)
			}
			scheme, tok, ok := strings.Cut(v, " ")
			tok = strings.TrimSpace(tok)
			if !ok || !strings.EqualFold(scheme, "bearer") || tok == "" {
				return m, fmt.Errorf("%w: OAUTHBEARER auth is not \"Bearer <token>\"", ErrAuthentication)
			}
			m.Token = tok
			continue
		}
		if m.Extensions == nil {
			m.Extensions = map[string]string{}
		}
		if _, dup := m.Extensions[k]; dup {
			return m, fmt.Errorf("%w: OAUTHBEARER repeats key %q", ErrAuthentication, k)
		}
		m.Extensions[k] = v
	}
	if m.Token == "" {
		return m, fmt.Errorf("%w: OAUTHBEARER message has no auth pair", ErrAuthentication)
	}
	return m, nil
}

// validKey is RFC 7628's key: 1*(ALPHA).
func validKey(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') {
			return false
		}
	}
	return true
}

// validValue is RFC 7628's value: *(VCHAR / SP / HTAB / CR / LF).
func validValue(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if (c < 0x21 || c > 0x7e) && c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

// OAuthBearer authenticates OAUTHBEARER tokens with a TokenValidator.
type OAuthBearer struct{ v TokenValidator }

// NewOAuthBearer returns an OAUTHBEARER authenticator.
func NewOAuthBearer(v TokenValidator) *OAuthBearer { return &OAuthBearer{v: v} }

// Start begins an exchange.
func (o *OAuthBearer) Start() Exchange { return &oauthExchange{o: o} }

type oauthExchange struct {
	o    *OAuthBearer
	user string
	exp  time.Time
}

func (e *oauthExchange) Principal() string { return Principal(e.user) }

// Expiry is when the token the exchange accepted expires (KIP-368's
// session lifetime).
func (e *oauthExchange) Expiry() time.Time { return e.exp }

// Step takes the client-first message; an accepted token ends the
// exchange with an empty server message. A refused one fails at once (the
// broker answers SASL_AUTHENTICATION_FAILED) rather than through RFC 7628's
// error challenge, which every Kafka client also handles.
func (e *oauthExchange) Step(ctx context.Context, in []byte) ([]byte, bool, error) {
	if e.user != "" {
		return nil, false, fmt.Errorf("%w: OAUTHBEARER exchange already finished", ErrAuthentication)
	}
	m, err := ParseOAuthBearer(in)
	if err != nil {
		return nil, false, err
	}
	user, exp, err := e.o.v.Validate(ctx, m.Token)
	if err != nil {
		return nil, false, fmt.Errorf("%w: %w", ErrAuthentication, err)
	}
	if m.Authzid != "" && m.Authzid != user {
		return nil, false, fmt.Errorf("%w: authorization id differs from the token's principal", ErrAuthentication)
	}
	e.user, e.exp = user, exp
	return nil, true, nil
}

// Expiring is an Exchange whose session ends (OAUTHBEARER: the token's
// expiry).
type Expiring interface{ Expiry() time.Time }
