package auth_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tributary-io/tributary/broker/auth"
)

// fixedTokens accepts only the token "good-token", as User:carol.
type fixedTokens struct{}

func (fixedTokens) Validate(_ context.Context, tok string) (string, time.Time, error) {
	if tok != "good-token" {
		return "", time.Time{}, errors.New("unknown token")
	}
	return "carol", time.Now().Add(time.Hour), nil
}

// encodeOAuthBearer is the client-first message Kafka's clients send.
func encodeOAuthBearer(m auth.OAuthBearerMessage) []byte {
	var b strings.Builder
	b.WriteString("n,")
	if m.Authzid != "" {
		b.WriteString("a=" + m.Authzid)
	}
	b.WriteString(",\x01auth=Bearer " + m.Token + "\x01")
	for _, k := range slices.Sorted(maps.Keys(m.Extensions)) {
		b.WriteString(k + "=" + m.Extensions[k] + "\x01")
	}
	b.WriteString("\x01")
	return []byte(b.String())
}

// FuzzOAuthBearer feeds arbitrary client-first messages to the OAUTHBEARER
// parser and exchange. Invariants: neither panics; a message that parses
// re-encodes to one that parses the same; the exchange succeeds only with
// the one valid token, as User:carol, and only with no authzid or
// "carol"; an error never holds the token.
func FuzzOAuthBearer(f *testing.F) {
	f.Add([]byte("n,,\x01auth=Bearer good-token\x01\x01"))
	f.Add([]byte("n,a=carol,\x01auth=Bearer good-token\x01traceId=abc\x01\x01"))
	f.Add([]byte("y,a=mallory,\x01auth=bearer good-token\x01\x01"))
	f.Add([]byte("n,,\x01auth=Bearer \x01\x01"))
	f.Add([]byte("n,,\x01\x01"))
	f.Add([]byte("p=tls,,\x01auth=Bearer x\x01\x01"))
	f.Add([]byte("n,,\x01auth=Bearer a\x01auth=Bearer b\x01\x01"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		m, err := auth.ParseOAuthBearer(msg)
		if err == nil {
			again, err := auth.ParseOAuthBearer(encodeOAuthBearer(m))
			if err != nil || again.Token != m.Token || again.Authzid != m.Authzid || !maps.Equal(again.Extensions, m.Extensions) {
				t.Fatalf("%q parsed as %+v, re-encoded as %+v, %v", msg, m, again, err)
			}
		}
		x := auth.NewOAuthBearer(fixedTokens{}).Start()
		_, done, err := x.Step(context.Background(), msg)
		if err != nil {
			if m.Token != "" && len(m.Token) > 8 && strings.Contains(err.Error(), m.Token) {
				t.Fatalf("error shows the token: %v", err)
			}
			return
		}
		if !done || x.Principal() != "User:carol" || m.Token != "good-token" || (m.Authzid != "" && m.Authzid != "carol") {
			t.Fatalf("accepted %q as %s (done %v)", msg, x.Principal(), done)
		}
	})
}
