package catalog

// Authentication. With Options.Auth on, every route but /v1/oauth/tokens
// needs "Authorization: Bearer <token>": a static token (AuthOptions.
// Tokens) or one the token endpoint issued. Issued tokens carry their
// client and expiry, signed with HMAC-SHA256, so they are checked without
// state and any server with the same signing key accepts them.
//
// POST /v1/oauth/tokens (spec operation getToken, RFC 6749 section 4.4 and
// RFC 8693) serves the client-credentials grant (client_id and
// client_secret in the form or in HTTP Basic auth) and the token-exchange
// grant clients use to refresh a token (the subject_token must be a valid
// token). With auth off it issues a token to any client, so clients
// configured with a credential work against an open server too.

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	grantClientCredentials = "client_credentials"
	grantTokenExchange     = "urn:ietf:params:oauth:grant-type:token-exchange"
	tokenTypeAccess        = "urn:ietf:params:oauth:token-type:access_token"
	// tokenPrefix starts every issued token, naming its format.
	tokenPrefix = "tbc1."
)

// authenticator checks bearer tokens and issues them. Immutable after
// construction; safe for concurrent use.
type authenticator struct {
	enabled bool
	clients map[string]string
	static  []string
	key     []byte
	ttl     time.Duration
	now     func() time.Time
}

func newAuthenticator(o AuthOptions) *authenticator {
	a := &authenticator{
		enabled: o.enabled(),
		clients: maps.Clone(o.Clients),
		static:  slices.Clone(o.Tokens),
		key:     slices.Clone(o.SigningKey),
		ttl:     o.TokenTTL,
		now:     time.Now,
	}
	if len(a.key) == 0 {
		a.key = deriveKey(o.Clients)
	}
	return a
}

// deriveKey derives the signing key from the clients, so servers with the
// same configuration agree without a shared secret of their own. Without
// clients it is random: tokens then only matter to this process.
func deriveKey(clients map[string]string) []byte {
	if len(clients) == 0 {
		k := make([]byte, 32)
		_, _ = rand.Read(k)
		return k
	}
	h := sha256.New()
	h.Write([]byte("tributary catalog token key\x00"))
	for _, id := range slices.Sorted(maps.Keys(clients)) {
		_, _ = fmt.Fprintf(h, "%d:%s%d:%s", len(id), id, len(clients[id]), clients[id]) // hash.Hash writes never fail
	}
	return h.Sum(nil)
}

// check authenticates a request: nil, ErrUnauthorized or ErrTokenExpired.
func (a *authenticator) check(r *http.Request) error {
	if !a.enabled {
		return nil
	}
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "bearer") || tok == "" {
		return fmt.Errorf("%w: no bearer token", ErrUnauthorized)
	}
	_, err := a.verify(strings.TrimSpace(tok))
	return err
}

// verify returns the client a token was issued to ("" for a static one).
func (a *authenticator) verify(tok string) (string, error) {
	for _, s := range a.static {
		if subtle.ConstantTimeCompare([]byte(s), []byte(tok)) == 1 {
			return "", nil
		}
	}
	body, ok := strings.CutPrefix(tok, tokenPrefix)
	payload, sig, ok2 := strings.Cut(body, ".")
	if !ok || !ok2 {
		return "", fmt.Errorf("%w: unknown token", ErrUnauthorized)
	}
	want := a.sign(payload)
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, want) {
		return "", fmt.Errorf("%w: bad token signature", ErrUnauthorized)
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return "", fmt.Errorf("%w: bad token", ErrUnauthorized)
	}
	expStr, client, ok := strings.Cut(string(raw), ":")
	exp, err := strconv.ParseInt(expStr, 10, 64)
	if !ok || err != nil {
		return "", fmt.Errorf("%w: bad token", ErrUnauthorized)
	}
	if a.now().Unix() >= exp {
		return "", fmt.Errorf("%w: token of %q expired at %s", ErrTokenExpired, client, time.Unix(exp, 0).UTC().Format(time.RFC3339))
	}
	if _, known := a.clients[client]; client != "" && !known {
		return "", fmt.Errorf("%w: token of unknown client %q", ErrUnauthorized, client)
	}
	return client, nil
}

func (a *authenticator) sign(payload string) []byte {
	m := hmac.New(sha256.New, a.key)
	m.Write([]byte(tokenPrefix + payload))
	return m.Sum(nil)
}

// issue returns a token for client.
func (a *authenticator) issue(client string) string {
	exp := a.now().Add(a.ttl).Unix()
	payload := base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(exp, 10) + ":" + client))
	return tokenPrefix + payload + "." + base64.RawURLEncoding.EncodeToString(a.sign(payload))
}

// oauthError is RFC 6749's error response.
type oauthError struct {
	status int
	code   string
	desc   string
}

func (e oauthError) Error() string { return e.code + ": " + e.desc }

// serveTokens is POST /v1/oauth/tokens.
func (s *Server) serveTokens(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.fail(w, r, fmt.Errorf("%w: %s %s", ErrMethodNotAllowed, r.Method, r.URL.Path))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	client, err := s.grant(r)
	var oe oauthError
	if errors.As(err, &oe) {
		s.log.Debug("catalog token refused", "err", err)
		writeJSON(w, oe.status, map[string]string{"error": oe.code, "error_description": oe.desc})
		return
	}
	out := map[string]any{
		"access_token":      s.auth.issue(client),
		"token_type":        "bearer",
		"expires_in":        int64(s.auth.ttl / time.Second),
		"issued_token_type": tokenTypeAccess,
	}
	if scope := r.PostForm.Get("scope"); scope != "" {
		out["scope"] = scope
	}
	writeJSON(w, http.StatusOK, out)
}

// grant checks a token request and returns the client to issue for.
func (s *Server) grant(r *http.Request) (string, error) {
	if err := r.ParseForm(); err != nil {
		return "", oauthError{http.StatusBadRequest, "invalid_request", err.Error()}
	}
	switch gt := r.PostForm.Get("grant_type"); gt {
	case grantClientCredentials:
		id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		if bid, bsecret, ok := r.BasicAuth(); ok && id == "" {
			id, secret = bid, bsecret
		}
		if !s.auth.enabled {
			return id, nil
		}
		want, known := s.auth.clients[id]
		if !known || subtle.ConstantTimeCompare([]byte(want), []byte(secret)) != 1 {
			return "", oauthError{http.StatusUnauthorized, "invalid_client", "unknown client or wrong secret"}
		}
		return id, nil
	case grantTokenExchange:
		subject := r.PostForm.Get("subject_token")
		if !s.auth.enabled {
			return "", nil
		}
		client, err := s.auth.verify(subject)
		if err != nil {
			return "", oauthError{http.StatusBadRequest, "invalid_grant", err.Error()}
		}
		return client, nil
	default:
		return "", oauthError{http.StatusBadRequest, "unsupported_grant_type", fmt.Sprintf("grant_type %q", gt)}
	}
}
