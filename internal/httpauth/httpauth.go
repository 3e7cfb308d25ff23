package httpauth

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

var (
	// ErrNoCredentials: the request carries none (401).
	ErrNoCredentials = errors.New("no credentials")
	// ErrBadCredentials: a wrong password, a refused token (401).
	ErrBadCredentials = errors.New("invalid credentials")
	// ErrForbidden: the principal lacks the role (403).
	ErrForbidden = errors.New("forbidden")
)

// Access is what a request does.
type Access int

// The accesses, each implying those before it.
const (
	Read Access = iota
	Write
	Admin
)

func (a Access) String() string {
	switch a {
	case Read:
		return "read"
	case Write:
		return "write"
	}
	return "admin"
}

// Node is the principal of requests a node part sends in process.
const Node = "User:__tributary_node"

// PasswordChecker checks a user's password.
type PasswordChecker func(ctx context.Context, user, pass string) error

// TokenValidator checks a bearer token (jwtauth.Validator).
type TokenValidator interface {
	Validate(ctx context.Context, token string) (user string, exp time.Time, err error)
}

// Roles map principals ("User:alice", or "*" for every authenticated
// one) to accesses.
type Roles struct {
	Readers, Writers, Admins []string
}

// Options configure a Guard.
type Options struct {
	// Passwords checks HTTP basic credentials; nil refuses basic.
	Passwords PasswordChecker
	// Tokens checks bearer JWTs; nil refuses them.
	Tokens TokenValidator
	// MTLSSource names the principal of a verified client certificate:
	// subject_common_name (default), san_dns, san_uri, anonymous.
	MTLSSource string
	Roles      Roles
	// OpenPaths need no credentials (exact paths, e.g. "/metrics").
	OpenPaths []string
}

// Guard authenticates and authorizes requests; immutable, safe for
// concurrent use.
type Guard struct{ o Options }

// New returns a Guard.
func New(o Options) *Guard { return &Guard{o: o} }

// Open reports whether path needs no credentials.
func (g *Guard) Open(path string) bool { return slices.Contains(g.o.OpenPaths, path) }

// Check authenticates r and authorizes access; it returns the principal,
// or the HTTP status (401 or 403) and an error saying why.
func (g *Guard) Check(r *http.Request, a Access) (principal string, status int, err error) {
	p, err := g.Authenticate(r)
	if err != nil {
		return "", http.StatusUnauthorized, err
	}
	if !g.Allowed(p, a) {
		return p, http.StatusForbidden, fmt.Errorf("%w: %s may not %s", ErrForbidden, p, a)
	}
	return p, http.StatusOK, nil
}

// Authenticate returns the request's principal: in process, basic,
// bearer, then a verified client certificate.
func (g *Guard) Authenticate(r *http.Request) (string, error) {
	if FromNode(r.Context()) {
		return Node, nil
	}
	if h := r.Header.Get("Authorization"); h != "" {
		return g.header(r.Context(), r, h)
	}
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && len(r.TLS.PeerCertificates) > 0 {
		if name := CertName(r.TLS.PeerCertificates[0], g.o.MTLSSource); name != "" {
			return "User:" + name, nil
		}
	}
	return "", ErrNoCredentials
}

func (g *Guard) header(ctx context.Context, r *http.Request, h string) (string, error) {
	scheme, rest, _ := strings.Cut(h, " ")
	switch {
	case strings.EqualFold(scheme, "basic"):
		user, pass, ok := r.BasicAuth()
		if !ok || user == "" {
			return "", fmt.Errorf("%w: malformed basic credentials", ErrBadCredentials)
		}
		if err := g.CheckPassword(ctx, user, pass); err != nil {
			return "", err
		}
		return "User:" + user, nil
	case strings.EqualFold(scheme, "bearer"):
		user, err := g.ValidateToken(ctx, strings.TrimSpace(rest))
		if err != nil {
			return "", err
		}
		return "User:" + user, nil
	}
	return "", fmt.Errorf("%w: unknown authorization scheme", ErrBadCredentials)
}

// CheckPassword checks a user's password as HTTP basic does.
func (g *Guard) CheckPassword(ctx context.Context, user, pass string) error {
	if g.o.Passwords == nil {
		return fmt.Errorf("%w: passwords are not accepted here", ErrBadCredentials)
	}
	if err := g.o.Passwords(ctx, user, pass); err != nil {
		return fmt.Errorf("%w: user %q: wrong password or unknown user", ErrBadCredentials, user)
	}
	return nil
}

// ValidateToken checks a bearer JWT and returns its user name.
func (g *Guard) ValidateToken(ctx context.Context, tok string) (string, error) {
	if g.o.Tokens == nil {
		return "", fmt.Errorf("%w: bearer tokens are not accepted here", ErrBadCredentials)
	}
	user, _, err := g.o.Tokens.Validate(ctx, tok)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrBadCredentials, err)
	}
	return user, nil
}

// Allowed reports whether principal has a role granting a.
func (g *Guard) Allowed(principal string, a Access) bool {
	if principal == Node {
		return true
	}
	in := func(list []string) bool { return slices.Contains(list, principal) || slices.Contains(list, "*") }
	switch {
	case in(g.o.Roles.Admins):
		return true
	case in(g.o.Roles.Writers):
		return a <= Write
	case in(g.o.Roles.Readers):
		return a == Read
	}
	return false
}

// CertName is a verified client certificate's name by source
// (subject_common_name, the default; san_dns; san_uri; anonymous): ""
// means anonymous.
func CertName(cert *x509.Certificate, source string) string {
	switch source {
	case "san_dns":
		if len(cert.DNSNames) > 0 {
			return cert.DNSNames[0]
		}
	case "san_uri":
		if len(cert.URIs) > 0 {
			return cert.URIs[0].String()
		}
	case "anonymous":
	default:
		return cert.Subject.CommonName
	}
	return ""
}
