package jwtauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Issuer signs JWTs for the node's own principals (the catalog's OAuth2
// token endpoint) with an ES256 key the cluster shares, and validates
// them: tokens it issued are accepted wherever the node accepts JWTs (the
// HTTP servers, and OAUTHBEARER on the Kafka listeners), so a Kafka client
// can get its token from the catalog with OAuth2 client credentials.
// Safe for concurrent use.
type Issuer struct {
	key    *ecdsa.PrivateKey
	kid    string
	issuer string
	parse  *jwt.Parser
}

// NewIssuer returns an issuer whose tokens carry "iss": issuer and are
// signed with key (PKCS#8 DER of an ECDSA P-256 key).
func NewIssuer(pkcs8 []byte, issuer string) (*Issuer, error) {
	k, err := x509.ParsePKCS8PrivateKey(pkcs8)
	if err != nil {
		return nil, fmt.Errorf("parse issuer key: %w", err)
	}
	ec, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, errors.New("issuer key is not an ECDSA key")
	}
	pub, err := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("issuer key: %w", err)
	}
	sum := sha256.Sum256(pub)
	return &Issuer{key: ec, kid: base64.RawURLEncoding.EncodeToString(sum[:12]), issuer: issuer,
		parse: jwt.NewParser(jwt.WithValidMethods([]string{"ES256"}), jwt.WithExpirationRequired(),
			jwt.WithIssuer(issuer), jwt.WithLeeway(Leeway))}, nil
}

// Issue signs a token for user, valid for ttl.
func (i *Issuer) Issue(user string, ttl time.Duration) (string, error) {
	now := time.Now()
	t := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"iss": i.issuer, "sub": user, "iat": now.Unix(), "exp": now.Add(ttl).Unix(), "scope": "catalog kafka",
	})
	t.Header["kid"] = i.kid
	s, err := t.SignedString(i.key)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return s, nil
}

// Validate accepts the tokens this issuer (or another with the same key)
// signed.
func (i *Issuer) Validate(_ context.Context, tok string) (string, time.Time, error) {
	claims := jwt.MapClaims{}
	_, err := i.parse.ParseWithClaims(tok, claims, func(t *jwt.Token) (any, error) {
		if kid, _ := t.Header["kid"].(string); kid != i.kid {
			return nil, errors.New("not signed by this cluster's key")
		}
		return &i.key.PublicKey, nil
	})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	sub, _ := claims["sub"].(string)
	exp, err := claims.GetExpirationTime()
	if sub == "" || err != nil || exp == nil {
		return "", time.Time{}, fmt.Errorf("%w: no sub or exp", ErrInvalidToken)
	}
	return sub, exp.Time, nil
}

// TokenValidator is what Chain combines (Validator, Issuer).
type TokenValidator interface {
	Validate(ctx context.Context, tok string) (string, time.Time, error)
}

// Chain accepts a token any of vs accepts (nil entries skipped); the
// error is the first validator's.
func Chain(vs ...TokenValidator) TokenValidator { return chain(vs) }

type chain []TokenValidator

func (c chain) Validate(ctx context.Context, tok string) (string, time.Time, error) {
	var first error
	for _, v := range c {
		if v == nil {
			continue
		}
		user, exp, err := v.Validate(ctx, tok)
		if err == nil {
			return user, exp, nil
		}
		if first == nil {
			first = err
		}
	}
	if first == nil {
		first = fmt.Errorf("%w: no validator", ErrInvalidToken)
	}
	return "", time.Time{}, first
}
