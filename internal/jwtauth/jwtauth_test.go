package jwtauth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tributary-io/tributary/internal/jwtauth"
)

// ecJWKS is a JWKS document holding key's public half under kid.
func ecJWKS(t *testing.T, key *ecdsa.PrivateKey, kid string) []byte {
	t.Helper()
	pad := func(b []byte) string {
		out := make([]byte, 32)
		copy(out[32-len(b):], b)
		return base64.RawURLEncoding.EncodeToString(out)
	}
	b, err := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "EC", "crv": "P-256", "kid": kid, "alg": "ES256", "use": "sig",
		"x": pad(key.X.Bytes()), "y": pad(key.Y.Bytes()),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sign(t *testing.T, key *ecdsa.PrivateKey, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestValidatorRemoteJWKS: a key set served over HTTP (a remote JWKS URL)
// validates tokens; principal_claim picks the user; a token without that
// claim, without exp, for another audience, or signed by a key the set
// does not hold is refused, and the error does not hold the token.
func TestValidatorRemoteJWKS(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwks := ecJWKS(t, key, "k1")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(jwks)
	}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	v, err := jwtauth.New(ctx, jwtauth.Options{URL: srv.URL, Audience: "kafka", PrincipalClaim: "preferred_username"})
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(time.Hour).Truncate(time.Second)
	good := sign(t, key, "k1", jwt.MapClaims{"sub": "id-1", "preferred_username": "dana", "aud": "kafka", "exp": exp.Unix()})
	user, got, err := v.Validate(ctx, good)
	if err != nil || user != "dana" || !got.Equal(exp) {
		t.Fatalf("Validate: %q %v %v, want dana %v", user, got, err, exp)
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for name, tok := range map[string]string{
		"no principal claim": sign(t, key, "k1", jwt.MapClaims{"sub": "id-1", "aud": "kafka", "exp": exp.Unix()}),
		"no exp":             sign(t, key, "k1", jwt.MapClaims{"preferred_username": "dana", "aud": "kafka"}),
		"other audience":     sign(t, key, "k1", jwt.MapClaims{"preferred_username": "dana", "aud": "web", "exp": exp.Unix()}),
		"unknown key":        sign(t, other, "k2", jwt.MapClaims{"preferred_username": "dana", "aud": "kafka", "exp": exp.Unix()}),
	} {
		_, _, err := v.Validate(ctx, tok)
		if !errors.Is(err, jwtauth.ErrInvalidToken) {
			t.Errorf("%s: %v, want ErrInvalidToken", name, err)
		}
		if err != nil && strings.Contains(err.Error(), tok) {
			t.Errorf("%s: the error holds the token", name)
		}
	}
	if _, err := jwtauth.New(ctx, jwtauth.Options{}); err == nil {
		t.Error("New with neither a static set nor a url succeeded")
	}
}

func issuerKey(t *testing.T) []byte {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// TestIssuerAndChain: an Issuer's tokens validate with it (and with
// another Issuer on the same key: every broker of the cluster), not with
// one on another key or for another cluster name; an expired one is
// refused; Chain accepts what any of its validators accepts.
func TestIssuerAndChain(t *testing.T) {
	key := issuerKey(t)
	a, err := jwtauth.NewIssuer(key, "tributary:c1")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := jwtauth.NewIssuer(key, "tributary:c1")
	other, _ := jwtauth.NewIssuer(issuerKey(t), "tributary:c1")
	otherName, _ := jwtauth.NewIssuer(key, "tributary:c2")
	tok, err := a.Issue("writer", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if user, _, err := b.Validate(ctx, tok); err != nil || user != "writer" {
		t.Fatalf("same key: %q %v", user, err)
	}
	for name, v := range map[string]*jwtauth.Issuer{"other key": other, "other cluster": otherName} {
		if _, _, err := v.Validate(ctx, tok); !errors.Is(err, jwtauth.ErrInvalidToken) {
			t.Errorf("%s: %v, want ErrInvalidToken", name, err)
		}
	}
	expired, _ := a.Issue("writer", -time.Minute)
	if _, _, err := a.Validate(ctx, expired); !errors.Is(err, jwtauth.ErrInvalidToken) {
		t.Errorf("expired: %v", err)
	}
	c := jwtauth.Chain(other, a)
	if user, _, err := c.Validate(ctx, tok); err != nil || user != "writer" {
		t.Errorf("chain: %q %v", user, err)
	}
	if _, _, err := jwtauth.Chain(other).Validate(ctx, tok); err == nil {
		t.Error("a chain without the issuer accepted its token")
	}
}
