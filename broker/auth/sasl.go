package auth

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"time"

	"github.com/xdg-go/scram"
)

// ErrAuthentication is every failed SASL exchange: bad credentials, an
// unknown user, a malformed message. Its messages never hold a password.
var ErrAuthentication = errors.New("authentication failed")

// Exchange is one SASL authentication in progress on a connection.
// Step takes the client's next message and returns the server's answer;
// once done is true, Principal names the authenticated user.
type Exchange interface {
	Step(ctx context.Context, in []byte) (out []byte, done bool, err error)
	Principal() string
}

// Principal returns a user's principal, "User:<name>".
func Principal(user string) string { return "User:" + user }

// Anonymous is the principal of a client on a listener without
// authentication.
const Anonymous = "User:ANONYMOUS"

// ParsePlain splits a PLAIN message (RFC 4616): authzid NUL authcid NUL
// passwd. authzid may be empty; authcid and passwd may not.
func ParsePlain(msg []byte) (authzid, user, pass string, err error) {
	parts := bytes.Split(msg, []byte{0})
	if len(parts) != 3 {
		return "", "", "", fmt.Errorf("%w: PLAIN message has %d NUL-separated fields, want 3", ErrAuthentication, len(parts))
	}
	if len(parts[1]) == 0 || len(parts[2]) == 0 {
		return "", "", "", fmt.Errorf("%w: PLAIN username and password must not be empty", ErrAuthentication)
	}
	return string(parts[0]), string(parts[1]), string(parts[2]), nil
}

// Plain authenticates PLAIN against a fixed user list.
type Plain struct{ users map[string][]byte }

// NewPlain returns a PLAIN authenticator for users (name → password).
func NewPlain(users map[string][]byte) *Plain { return &Plain{users: users} }

// Start begins a PLAIN exchange.
func (p *Plain) Start() Exchange { return &plainExchange{p: p} }

type plainExchange struct {
	p    *Plain
	user string
}

func (e *plainExchange) Principal() string { return Principal(e.user) }

func (e *plainExchange) Step(_ context.Context, in []byte) ([]byte, bool, error) {
	authzid, user, pass, err := ParsePlain(in)
	if err != nil {
		return nil, false, err
	}
	if authzid != "" && authzid != user {
		return nil, false, fmt.Errorf("%w: authorization id differs from username", ErrAuthentication)
	}
	want, ok := e.p.users[user]
	// Compare even for an unknown user, so timing does not tell users apart.
	if subtle.ConstantTimeCompare([]byte(pass), want) != 1 || !ok {
		return nil, false, fmt.Errorf("%w: invalid username or password", ErrAuthentication)
	}
	e.user = user
	return nil, true, nil
}

// Scram authenticates SCRAM-SHA-256/512 against a Store's credentials.
type Scram struct{ store *Store }

// NewScram returns a SCRAM authenticator on store.
func NewScram(store *Store) *Scram { return &Scram{store: store} }

// Start begins an exchange of mechanism m; ctx bounds the credential look-up.
func (s *Scram) Start(m Mechanism) (Exchange, error) {
	h, err := m.hash()
	if err != nil {
		return nil, err
	}
	x := &scramExchange{m: m}
	srv, err := h.NewServer(func(user string) (scram.StoredCredentials, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := s.store.Scram(ctx, user, m)
		if err != nil {
			return scram.StoredCredentials{}, err
		}
		return scram.StoredCredentials{
			KeyFactors: scram.KeyFactors{Salt: string(c.Salt), Iters: int(c.Iterations)},
			StoredKey:  c.StoredKey, ServerKey: c.ServerKey,
		}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", m, err)
	}
	x.conv = srv.NewConversation()
	return x, nil
}

type scramExchange struct {
	m    Mechanism
	conv *scram.ServerConversation
}

func (e *scramExchange) Principal() string { return Principal(e.conv.Username()) }

func (e *scramExchange) Step(_ context.Context, in []byte) ([]byte, bool, error) {
	if e.conv.Done() {
		return nil, false, fmt.Errorf("%w: %s exchange already finished", ErrAuthentication, e.m)
	}
	out, err := e.conv.Step(string(in))
	if err != nil {
		// The library's errors name the protocol step, never a secret;
		// Kafka answers every SCRAM failure alike.
		return nil, false, fmt.Errorf("%w during authentication due to invalid credentials with SASL mechanism %s", ErrAuthentication, e.m)
	}
	if !e.conv.Done() {
		return []byte(out), false, nil
	}
	if !e.conv.Valid() {
		return nil, false, fmt.Errorf("%w during authentication due to invalid credentials with SASL mechanism %s", ErrAuthentication, e.m)
	}
	return []byte(out), true, nil
}
