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
//
// With AuthOptions.Guard (the node's http_auth), a request may instead
// authenticate as one of the node's principals (HTTP basic, a JWT, a
// client certificate), the token endpoint also takes those users'
// passwords as client credentials, and every request is authorized by
// the principal's role (Access): 401 without credentials, 403 without
// the role. Requests the node sends in process are the node itself.

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

	"github.com/tributary-io/tributary/internal/httpauth"
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
	guard   *httpauth.Guard
}

func newAuthenticator(o AuthOptions) *authenticator {
	a := &authenticator{
		enabled: o.enabled(),
		clients: maps.Clone(o.Clients),
		static:  slices.Clone(o.Tokens),
		key:     slices.Clone(o.SigningKey),
		ttl:     o.TokenTTL,
		now:     time.Now,
		guard:   o.Guard,
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

// principal authenticates a request: its principal ("" when auth is off,
// or for a static token: allowed everything), or ErrUnauthorized or
// ErrTokenExpired.
func (a *authenticator) principal(r *http.Request) (string, error) {
	if !a.enabled || httpauth.FromNode(r.Context()) {
		return "", nil
	}
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	tok = strings.TrimSpace(tok)
	bearer := ok && strings.EqualFold(scheme, "bearer") && tok != ""
	if a.guard == nil || bearer && (strings.HasPrefix(tok, tokenPrefix) || a.isStatic(tok)) {
		if !bearer {
			return "", fmt.Errorf("%w: no bearer token", ErrUnauthorized)
		}
		client, err := a.verify(tok)
		if err != nil || client == "" {
			return "", err
		}
		return "User:" + client, nil
	}
	p, err := a.guard.Authenticate(r)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrUnauthorized, err)
	}
	return p, nil
}

func (a *authenticator) isStatic(tok string) bool {
	for _, s := range a.static {
		if subtle.ConstantTimeCompare([]byte(s), []byte(tok)) == 1 {
			return true
		}
	}
	return false
}

// authorize authenticates r and checks its principal's role for the
// route (segs: the path after /v1/).
func (s *Server) authorize(r *http.Request, segs []string) error {
	if g := s.auth.guard; g != nil && g.Open(r.URL.Path) {
		return nil
	}
	p, err := s.auth.principal(r)
	if err != nil || p == "" || s.auth.guard == nil {
		return err
	}
	if acc := Access(r.Method, segs); !s.auth.guard.Allowed(p, acc) {
		s.log.Info("catalog request forbidden", "principal", p, "method", r.Method, "path", r.URL.Path)
		return fmt.Errorf("%w: %s may not %s %s", ErrForbidden, p, r.Method, r.URL.Path)
	}
	return nil
}

// Access classifies a catalog request for the Guard's roles (segs: the
// path after /v1/): GET and HEAD are Read; DELETE (drop a table, view or
// namespace) and renames are Admin; every other POST (create or commit a
// table, view or namespace, update properties, register, multi-table
// transactions) is Write.
func Access(method string, segs []string) httpauth.Access {
	switch method {
	case http.MethodGet, http.MethodHead:
		return httpauth.Read
	case http.MethodPost:
		if len(segs) > 0 && segs[len(segs)-1] == "rename" {
			return httpauth.Admin
		}
		return httpauth.Write
	}
	return httpauth.Admin
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
	if _, known := a.clients[client]; client != "" && !known && a.guard == nil {
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
	tok := s.auth.issue(client)
	if iss := s.opts.Auth.Issuer; iss != nil && s.auth.guard != nil && client != "" {
		if tok, err = iss.Issue(client, s.auth.ttl); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	out := map[string]any{
		"access_token":      tok,
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
		if known && subtle.ConstantTimeCompare([]byte(want), []byte(secret)) == 1 {
			return id, nil
		}
		if g := s.auth.guard; !known && g != nil && id != "" && g.CheckPassword(r.Context(), id, secret) == nil {
			return id, nil
		}
		return "", oauthError{http.StatusUnauthorized, "invalid_client", "unknown client or wrong secret"}
	case grantTokenExchange:
		subject := r.PostForm.Get("subject_token")
		if !s.auth.enabled {
			return "", nil
		}
		client, err := s.auth.verify(subject)
		if err != nil && s.auth.guard != nil && !strings.HasPrefix(subject, tokenPrefix) {
			// A JWT the node accepts is exchanged for a catalog token of
			// its principal.
			var user string
			if user, err = s.auth.guard.ValidateToken(r.Context(), subject); err == nil {
				client = user
			}
		}
		if err != nil {
			return "", oauthError{http.StatusBadRequest, "invalid_grant", err.Error()}
		}
		return client, nil
	default:
		return "", oauthError{http.StatusBadRequest, "unsupported_grant_type", fmt.Sprintf("grant_type %q", gt)}
	}
}
