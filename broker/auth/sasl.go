package auth

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
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
//
// The first step (client-first: GS2 header, SASLprep'd username, credential
// look-up, server nonce) is xdg-go/scram's server conversation. The final
// step is checked here, because xdg-go requires the client-final nonce to
// equal the server's while Kafka's ScramSaslServer only requires it to end
// with it, and librdkafka relies on that: it sends client nonce + server
// nonce (which already starts with the client nonce). The proof is checked
// over the AuthMessage as the client sent it, so this tolerance weakens
// nothing.
type Scram struct{ store *Store }

// NewScram returns a SCRAM authenticator on store.
func NewScram(store *Store) *Scram { return &Scram{store: store} }

// Start begins an exchange of mechanism m.
func (s *Scram) Start(m Mechanism) (Exchange, error) {
	h, err := m.hash()
	if err != nil {
		return nil, err
	}
	x := &scramExchange{m: m, hash: h}
	srv, err := h.NewServer(func(user string) (scram.StoredCredentials, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := s.store.Scram(ctx, user, m)
		if err != nil {
			return scram.StoredCredentials{}, err
		}
		x.cred = c
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
	hash scram.HashGeneratorFcn
	conv *scram.ServerConversation
	cred ScramCredential
	// After the first step: the GS2 header and client-first-message-bare
	// the client sent, the server-first-message and the server nonce.
	gs2, c1bare, s1, nonce string
	user                   string
	step                   int
}

func (e *scramExchange) Principal() string { return Principal(e.user) }

func (e *scramExchange) failed() error {
	return fmt.Errorf("%w during authentication due to invalid credentials with SASL mechanism %s", ErrAuthentication, e.m)
}

func (e *scramExchange) Step(_ context.Context, in []byte) ([]byte, bool, error) {
	e.step++
	switch e.step {
	case 1:
		return e.first(string(in))
	case 2:
		return e.final(string(in))
	}
	return nil, false, fmt.Errorf("%w: %s exchange already finished", ErrAuthentication, e.m)
}

// first answers client-first with server-first (xdg-go).
func (e *scramExchange) first(c1 string) ([]byte, bool, error) {
	out, err := e.conv.Step(c1)
	if err != nil || e.conv.Done() {
		// The library's errors name the protocol step, never a secret;
		// Kafka answers every SCRAM failure alike.
		return nil, false, e.failed()
	}
	// The GS2 header is "flag,[a=authzid]," (xdg-go has parsed and
	// accepted it; channel binding "p=" is refused without TLS).
	i := strings.IndexByte(c1, ',')
	j := strings.IndexByte(c1[i+1:], ',')
	if i < 0 || j < 0 {
		return nil, false, e.failed()
	}
	e.gs2, e.c1bare, e.s1, e.user = c1[:i+j+2], c1[i+j+2:], out, e.conv.Username()
	nonce, _, _ := strings.Cut(strings.TrimPrefix(out, "r="), ",")
	e.nonce = nonce
	return []byte(out), false, nil
}

// final checks client-final (RFC 5802 section 3, with Kafka's nonce rule)
// and answers server-final.
func (e *scramExchange) final(c2 string) ([]byte, bool, error) {
	wop, proofB64, ok := strings.Cut(c2, ",p=")
	if !ok || strings.Contains(proofB64, ",") {
		return nil, false, e.failed()
	}
	attrs := strings.Split(wop, ",")
	if len(attrs) < 2 || !strings.HasPrefix(attrs[0], "c=") || !strings.HasPrefix(attrs[1], "r=") {
		return nil, false, e.failed()
	}
	cbind, err := base64.StdEncoding.DecodeString(attrs[0][2:])
	if err != nil || string(cbind) != e.gs2 {
		return nil, false, e.failed()
	}
	if !strings.HasSuffix(attrs[1][2:], e.nonce) {
		return nil, false, e.failed()
	}
	proof, err := base64.StdEncoding.DecodeString(proofB64)
	if err != nil || len(proof) != len(e.cred.StoredKey) {
		return nil, false, e.failed()
	}
	authMsg := []byte(e.c1bare + "," + e.s1 + "," + wop)
	sig := hmacSum(e.hash, e.cred.StoredKey, authMsg)
	clientKey := make([]byte, len(proof))
	for i := range proof {
		clientKey[i] = proof[i] ^ sig[i]
	}
	h := e.hash()
	h.Write(clientKey)
	if subtle.ConstantTimeCompare(h.Sum(nil), e.cred.StoredKey) != 1 {
		return nil, false, e.failed()
	}
	return []byte("v=" + base64.StdEncoding.EncodeToString(hmacSum(e.hash, e.cred.ServerKey, authMsg))), true, nil
}

func hmacSum(h scram.HashGeneratorFcn, key, msg []byte) []byte {
	m := hmac.New(h, key)
	m.Write(msg)
	return m.Sum(nil)
}
