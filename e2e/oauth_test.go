package e2e

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/oauth"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/node"
)

const (
	testIssuer   = "https://idp.test.invalid/"
	testAudience = "tributary"
)

// testIdP is a throwaway identity provider: an RSA key whose public half
// is in a JWKS file, signing tokens for the tests.
type testIdP struct {
	key      *rsa.PrivateKey
	kid      string
	jwksPath string
}

func newTestIdP(t testing.TB, kid string) *testIdP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	idp := &testIdP{key: key, kid: kid}
	b64 := func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
	jwks, err := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
		"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes()),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	idp.jwksPath = filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(idp.jwksPath, jwks, 0o600); err != nil {
		t.Fatal(err)
	}
	return idp
}

// token signs a token for sub, expiring in ttl (negative: already
// expired), for aud from iss.
func (p *testIdP) token(t testing.TB, sub, aud, iss string, ttl time.Duration) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"sub": sub, "aud": aud, "iss": iss, "iat": time.Now().Unix(), "exp": time.Now().Add(ttl).Unix(),
	})
	tok.Header["kid"] = p.kid
	s, err := tok.SignedString(p.key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// oauthConfig is saslConfig with OAUTHBEARER against idp's JWKS file too.
func oauthConfig(t testing.TB, idp *testIdP, authorize bool) config.Config {
	t.Helper()
	cfg := saslConfig(t, authorize)
	cfg.Kafka.Listeners[0].Authentication.SASL.OAuthBearer = &config.SASLOAuthBearer{
		Static: config.FileSource(idp.jwksPath), Issuer: testIssuer, Audience: testAudience,
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func oauthOpt(token string) kgo.Opt { return kgo.SASL(oauth.Auth{Token: token}.AsMechanism()) }

// TestOAuthBearerFranz: franz-go authenticates with OAUTHBEARER (a JWT
// signed by the test's key, checked against the JWKS file), produces and
// consumes as User:<sub>; an expired token, a wrong audience or issuer, a
// token signed by another key and an unsigned one ("alg": "none") each get
// SASL_AUTHENTICATION_FAILED, whose message does not hold the token; the
// good client keeps working.
func TestOAuthBearerFranz(t *testing.T) {
	idp := newTestIdP(t, "k1")
	n := startNode(t, oauthConfig(t, idp, false), node.Hooks{})
	addr := n.KafkaAddr()
	good := authClient(t, addr, oauthOpt(idp.token(t, "carol", testAudience, testIssuer, time.Hour)))
	roundTripRecords(t, good, "oauth-topic", 3)

	other := newTestIdP(t, "k1") // same kid, another key
	unsigned, err := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{
		"sub": "carol", "aud": testAudience, "iss": testIssuer, "exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]string{
		"expired":        idp.token(t, "carol", testAudience, testIssuer, -time.Minute),
		"wrong audience": idp.token(t, "carol", "someone-else", testIssuer, time.Hour),
		"wrong issuer":   idp.token(t, "carol", testAudience, "https://evil.test.invalid/", time.Hour),
		"other key":      other.token(t, "carol", testAudience, testIssuer, time.Hour),
		"unsigned":       unsigned,
		"not a jwt":      "garbage.token.here",
	} {
		cl := newClient(t, addr, oauthOpt(tok), kgo.RequestRetries(0))
		err := cl.Ping(ctxTimeout(t, 10*time.Second))
		if !errors.Is(err, kerr.SaslAuthenticationFailed) {
			t.Errorf("%s: ping %v, want SASL_AUTHENTICATION_FAILED", name, err)
		}
		if err != nil && strings.Contains(err.Error(), tok) {
			t.Errorf("%s: the error shows the token: %v", name, err)
		}
	}

	// Garbage OAUTHBEARER messages, and a 100 MiB frame after the
	// handshake: refused and closed; the good client goes on.
	for _, msg := range []string{"", "garbage", "n,,\x01auth=Basic abc\x01\x01", "n,a=,\x01auth=Bearer x\x01\x01", "n,,\x01auth=Bearer \x00\x01\x01"} {
		raw := dialRaw(t, addr)
		if r := oauthRaw(t, raw, "", msg); r.ErrorCode != kerr.SaslAuthenticationFailed.Code {
			t.Errorf("OAUTHBEARER message %q: error %d, want SASL_AUTHENTICATION_FAILED", msg, r.ErrorCode)
		}
		raw.expectClosed("after a garbage OAUTHBEARER message")
	}
	raw := dialRaw(t, addr)
	h := kmsg.NewPtrSASLHandshakeRequest()
	h.Version, h.Mechanism = 1, "OAUTHBEARER"
	raw.roundTrip(h)
	raw.write([]byte{0x06, 0x40, 0x00, 0x00}) // 100 MiB
	raw.expectClosed("a 100 MiB frame before authentication")
	roundTripRecords(t, good, "oauth-topic-after", 2)
}

// oauthRaw authenticates a raw connection with OAUTHBEARER (SaslAuthenticate
// v2) and returns the answer; msg, when set, is sent instead of the
// client-first message carrying token.
func oauthRaw(t *testing.T, raw *rawConn, token string, msg ...string) *kmsg.SASLAuthenticateResponse {
	t.Helper()
	h := kmsg.NewPtrSASLHandshakeRequest()
	h.Version, h.Mechanism = 1, "OAUTHBEARER"
	if r := raw.roundTrip(h).(*kmsg.SASLHandshakeResponse); r.ErrorCode != 0 {
		t.Fatalf("handshake: %d", r.ErrorCode)
	}
	a := kmsg.NewPtrSASLAuthenticateRequest()
	a.Version, a.SASLAuthBytes = 2, []byte("n,,\x01auth=Bearer "+token+"\x01\x01")
	if len(msg) > 0 {
		a.SASLAuthBytes = []byte(msg[0])
	}
	return raw.roundTrip(a).(*kmsg.SASLAuthenticateResponse)
}

// TestOAuthBearerReauthentication (KIP-368): SaslAuthenticate answers
// session_lifetime_ms from the token's expiry; re-authenticating on the
// same connection with a fresh token of the same principal extends the
// session; one naming another principal fails and closes the connection;
// a connection that lets its session pass is closed, at its next request
// or, idle, when the session ends;
// and franz-go, given 3-second tokens, keeps producing over 8 seconds by
// re-authenticating.
func TestOAuthBearerReauthentication(t *testing.T) {
	idp := newTestIdP(t, "k1")
	n := startNode(t, oauthConfig(t, idp, false), node.Hooks{})
	addr := n.KafkaAddr()
	metadata := func(raw *rawConn) {
		t.Helper()
		md := kmsg.NewPtrMetadataRequest()
		md.Version = 12
		raw.roundTrip(md)
	}

	raw := dialRaw(t, addr)
	r := oauthRaw(t, raw, idp.token(t, "carol", testAudience, testIssuer, 30*time.Second))
	if r.ErrorCode != 0 || r.SessionLifetimeMillis <= 25_000 || r.SessionLifetimeMillis > 30_000 {
		t.Fatalf("authenticate: error %d, session lifetime %d ms, want (25000, 30000]", r.ErrorCode, r.SessionLifetimeMillis)
	}
	metadata(raw)
	r = oauthRaw(t, raw, idp.token(t, "carol", testAudience, testIssuer, time.Hour))
	if r.ErrorCode != 0 || r.SessionLifetimeMillis < 3_500_000 {
		t.Fatalf("re-authenticate: error %d, session lifetime %d ms, want about an hour", r.ErrorCode, r.SessionLifetimeMillis)
	}
	metadata(raw)
	if r := oauthRaw(t, raw, idp.token(t, "mallory", testAudience, testIssuer, time.Hour)); r.ErrorCode != kerr.SaslAuthenticationFailed.Code {
		t.Fatalf("re-authenticate as another principal: error %d, want SASL_AUTHENTICATION_FAILED", r.ErrorCode)
	}
	raw.expectClosed("after a re-authentication that changed the principal")

	short := dialRaw(t, addr)
	if r := oauthRaw(t, short, idp.token(t, "carol", testAudience, testIssuer, 2*time.Second)); r.ErrorCode != 0 || r.SessionLifetimeMillis > 2000 {
		t.Fatalf("authenticate with a 2s token: %d, lifetime %d", r.ErrorCode, r.SessionLifetimeMillis)
	}
	metadata(short)
	idle := dialRaw(t, addr)
	if r := oauthRaw(t, idle, idp.token(t, "carol", testAudience, testIssuer, 2*time.Second)); r.ErrorCode != 0 {
		t.Fatalf("authenticate the idle connection: %d", r.ErrorCode)
	}
	time.Sleep(2500 * time.Millisecond) // past the sessions' end
	md := kmsg.NewPtrMetadataRequest()
	md.Version = 12
	b, _ := short.encode(md)
	short.write(b)
	short.expectClosed("Metadata after the session expired")
	idle.expectClosed("a connection idle past its session's end") // closed without sending anything

	var tokens atomic.Int32
	cl := authClient(t, addr, kgo.SASL(oauth.Oauth(func(ctx context.Context) (oauth.Auth, error) {
		tokens.Add(1)
		return oauth.Auth{Token: idp.token(t, "carol", testAudience, testIssuer, 3*time.Second)}, nil
	})))
	ctx := ctxTimeout(t, 30*time.Second)
	for end := time.Now().Add(8 * time.Second); time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "reauth", Value: []byte("x")}).FirstErr(); err != nil {
			t.Fatalf("produce with expiring tokens: %v", err)
		}
	}
	if got := tokens.Load(); got < 3 {
		t.Fatalf("franz-go fetched %d tokens over 8s of 3s sessions, want at least 3 (re-authentication)", got)
	}
}
