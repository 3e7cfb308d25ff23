// Package jwtauth validates bearer tokens (JWTs) against a JSON Web Key
// Set: the Kafka listeners' OAUTHBEARER mechanism and the HTTP servers'
// "Authorization: Bearer" both use one Validator, so one identity provider
// serves every door of a node.
//
// Contracts:
//   - A token is accepted only when its signature verifies with a key of
//     the set (alg as the key says; "none" never), it has an expiry ("exp")
//     in the future (with Leeway), a "nbf" if any in the past, and, when
//     configured, the issuer ("iss") and an audience ("aud") asked for.
//   - The principal is "User:" + the string claim PrincipalClaim ("sub" by
//     default); a token without it is refused.
//   - The key set comes from a static JWKS document (a file, read once at
//     start) or a URL refreshed every RefreshInterval (keyfunc/jwkset).
//   - Errors say why a token was refused and never hold the token.
package jwtauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// ErrInvalidToken is every refused token; the wrapped message says why.
var ErrInvalidToken = errors.New("invalid token")

// Leeway is the clock skew allowed on exp and nbf.
const Leeway = 5 * time.Second

// Options configure a Validator. One of JWKS and URL is required.
type Options struct {
	// JWKS is a JSON Web Key Set document.
	JWKS []byte
	// URL serves a JWKS, fetched at start and every RefreshInterval
	// (default 1h). Client, when set, fetches it (TLS settings).
	URL             string
	RefreshInterval time.Duration
	Client          *http.Client
	// Issuer and Audience, when set, must match "iss" and be among "aud".
	Issuer, Audience string
	// PrincipalClaim names the claim holding the user name; default "sub".
	PrincipalClaim string
	Logger         *slog.Logger
}

// Validator checks tokens; safe for concurrent use.
type Validator struct {
	kf    keyfunc.Keyfunc
	opts  Options
	parse *jwt.Parser
}

// validMethods are the signing algorithms accepted (Bufstream's list).
var validMethods = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
	"ES256", "ES384", "ES512", "HS256", "HS384", "HS512", "EdDSA"}

// New returns a validator; ctx ends a URL key set's refreshing.
func New(ctx context.Context, o Options) (*Validator, error) {
	if o.PrincipalClaim == "" {
		o.PrincipalClaim = "sub"
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	kf, err := keySet(ctx, o)
	if err != nil {
		return nil, err
	}
	popts := []jwt.ParserOption{jwt.WithValidMethods(validMethods), jwt.WithExpirationRequired(), jwt.WithLeeway(Leeway)}
	if o.Issuer != "" {
		popts = append(popts, jwt.WithIssuer(o.Issuer))
	}
	if o.Audience != "" {
		popts = append(popts, jwt.WithAudience(o.Audience))
	}
	return &Validator{kf: kf, opts: o, parse: jwt.NewParser(popts...)}, nil
}

func keySet(ctx context.Context, o Options) (keyfunc.Keyfunc, error) {
	switch {
	case len(o.JWKS) > 0 && o.URL != "":
		return nil, errors.New("jwks: give a static set or a url, not both")
	case len(o.JWKS) > 0:
		kf, err := keyfunc.NewJWKSetJSON(json.RawMessage(o.JWKS))
		if err != nil {
			return nil, fmt.Errorf("parse static jwks: %w", err)
		}
		return kf, nil
	case o.URL != "":
		refresh := o.RefreshInterval
		if refresh == 0 {
			refresh = time.Hour
		}
		log := o.Logger
		kf, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{o.URL}, keyfunc.Override{
			Client: o.Client, RefreshInterval: refresh,
			RefreshErrorHandlerFunc: func(u string) func(context.Context, error) {
				return func(_ context.Context, err error) { log.Warn("jwks refresh failed", "url", u, "err", err) }
			},
		})
		if err != nil {
			return nil, fmt.Errorf("jwks url %s: %w", o.URL, err)
		}
		return kf, nil
	}
	return nil, errors.New("jwks: neither a static set nor a url")
}

// Validate checks tok and returns its user name (the principal claim) and
// expiry.
func (v *Validator) Validate(ctx context.Context, tok string) (user string, exp time.Time, err error) {
	claims := jwt.MapClaims{}
	if _, err := v.parse.ParseWithClaims(tok, claims, v.kf.KeyfuncCtx(ctx)); err != nil {
		return "", time.Time{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	name, ok := claims[v.opts.PrincipalClaim].(string)
	if !ok || name == "" {
		return "", time.Time{}, fmt.Errorf("%w: no string claim %q", ErrInvalidToken, v.opts.PrincipalClaim)
	}
	e, err := claims.GetExpirationTime()
	if err != nil || e == nil {
		return "", time.Time{}, fmt.Errorf("%w: no expiry", ErrInvalidToken)
	}
	return name, e.Time, nil
}
