package catalog

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/apache/iceberg-go/catalog/rest"
	"github.com/apache/iceberg-go/table"
)

var authOpts = Options{Auth: AuthOptions{
	Clients: map[string]string{"spark": "s3cret", "trino": "other"},
	Tokens:  []string{"static-token"},
}}

// Our server as an external catalog with auth on, through iceberg-go's
// client: the client-credentials flow, then bearer tokens on every call.
func TestAuthThroughIcebergGo(t *testing.T) {
	f := newFixture(t, nil, authOpts)
	ctx := context.Background()
	cat := f.client(t, rest.WithCredential("spark:s3cret"))
	tbl := createEvents(t, cat, table.Identifier{"secure", "t"})
	rows := eventRows(0, 3)
	if _, err := appendRows(t, tbl, rows); err != nil {
		t.Fatal(err)
	}
	static := f.client(t, rest.WithOAuthToken("static-token"))
	back, err := static.LoadTable(ctx, table.Identifier{"secure", "t"})
	if err != nil {
		t.Fatal(err)
	}
	if got := scanRows(t, back); strings.Join(got, "\n") != strings.Join(wantRows(t, back, rows), "\n") {
		t.Fatalf("scan with a static token: %v", got)
	}

	if _, err := rest.NewCatalog(ctx, "anon", f.url); !errors.Is(err, rest.ErrUnauthorized) {
		t.Errorf("no credentials: %v, want ErrUnauthorized", err)
	}
	if _, err := rest.NewCatalog(ctx, "bad", f.url, rest.WithCredential("spark:wrong")); !errors.Is(err, rest.ErrOAuthError) {
		t.Errorf("wrong secret: %v, want ErrOAuthError", err)
	}
	if _, err := rest.NewCatalog(ctx, "bad", f.url, rest.WithOAuthToken("forged")); !errors.Is(err, rest.ErrUnauthorized) {
		t.Errorf("unknown token: %v, want ErrUnauthorized", err)
	}
}

func TestTokenEndpoint(t *testing.T) {
	f := newFixture(t, nil, authOpts)
	cc := url.Values{"grant_type": {"client_credentials"}, "client_id": {"spark"}, "client_secret": {"s3cret"}, "scope": {"catalog"}}
	status, body := f.form(t, cc)
	if status != 200 || body["token_type"] != "bearer" || body["scope"] != "catalog" || body["expires_in"].(float64) != 3600 ||
		body["issued_token_type"] != "urn:ietf:params:oauth:token-type:access_token" {
		t.Fatalf("client credentials: %d %v", status, body)
	}
	tok := body["access_token"].(string)
	if status, _ := f.do(t, "GET", "/v1/namespaces", nil, "Authorization", "Bearer "+tok); status != 200 {
		t.Errorf("issued token refused: %d", status)
	}

	// Refresh by token exchange.
	status, body = f.form(t, url.Values{"grant_type": {grantTokenExchange}, "subject_token": {tok}, "subject_token_type": {tokenTypeAccess}})
	if status != 200 || body["access_token"] == "" {
		t.Fatalf("token exchange: %d %v", status, body)
	}
	// Basic auth carries the client credentials too.
	if status, _ := f.form(t, url.Values{"grant_type": {"client_credentials"}}, "trino", "other"); status != 200 {
		t.Errorf("basic auth: %d", status)
	}

	for name, tc := range map[string]struct {
		form   url.Values
		status int
		code   string
	}{
		"wrong secret":  {url.Values{"grant_type": {"client_credentials"}, "client_id": {"spark"}, "client_secret": {"x"}}, 401, "invalid_client"},
		"unknown":       {url.Values{"grant_type": {"client_credentials"}, "client_id": {"nobody"}, "client_secret": {"s3cret"}}, 401, "invalid_client"},
		"grant":         {url.Values{"grant_type": {"password"}}, 400, "unsupported_grant_type"},
		"forged":        {url.Values{"grant_type": {grantTokenExchange}, "subject_token": {tokenPrefix + "eA.eA"}}, 400, "invalid_grant"},
		"static no sig": {url.Values{"grant_type": {grantTokenExchange}, "subject_token": {"nope"}}, 400, "invalid_grant"},
	} {
		status, body := f.form(t, tc.form)
		if status != tc.status || body["error"] != tc.code {
			t.Errorf("%s: %d %v, want %d %s", name, status, body, tc.status, tc.code)
		}
	}

	// An expired token is 419; one of a client no longer configured, 401.
	old := newAuthenticator(authOpts.withDefaults(nil).Auth)
	old.now = func() time.Time { return time.Now().Add(-2 * time.Hour) }
	status, body = f.do(t, "GET", "/v1/config", nil, "Authorization", "Bearer "+old.issue("spark"))
	if status != 419 || errType(body) != "AuthenticationTimeoutException" {
		t.Errorf("expired token: %d %v", status, body)
	}
	status, _ = f.do(t, "GET", "/v1/config", nil, "Authorization", "Basic c3Bhcms6czNjcmV0")
	if status != 401 {
		t.Errorf("basic auth on a catalog route: %d", status)
	}
	other := newAuthenticator(AuthOptions{Clients: map[string]string{"spark": "rotated"}})
	if status, _ := f.do(t, "GET", "/v1/config", nil, "Authorization", "Bearer "+other.issue("spark")); status != 401 {
		t.Errorf("token signed with another key: %d", status)
	}
}

// With auth off, the token endpoint still answers, so clients configured
// with a credential work.
func TestTokenEndpointWithoutAuth(t *testing.T) {
	f := newFixture(t, nil, Options{})
	cat := f.client(t, rest.WithCredential("any:thing"))
	if _, err := cat.ListNamespaces(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if status, _ := f.do(t, "GET", "/v1/oauth/tokens", nil); status != 405 {
		t.Errorf("GET tokens: %d", status)
	}
}
