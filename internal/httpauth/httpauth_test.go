package httpauth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tributary-io/tributary/internal/httpauth"
)

type oneToken struct{}

func (oneToken) Validate(_ context.Context, tok string) (string, time.Time, error) {
	if tok != "jwt-for-carol" {
		return "", time.Time{}, errors.New("bad token")
	}
	return "carol", time.Now().Add(time.Hour), nil
}

func guard() *httpauth.Guard {
	return httpauth.New(httpauth.Options{
		Passwords: func(_ context.Context, user, pass string) error {
			if user == "alice" && pass == "pw" || user == "root" && pass == "rootpw" {
				return nil
			}
			return errors.New("no")
		},
		Tokens:    oneToken{},
		Roles:     httpauth.Roles{Readers: []string{"*"}, Writers: []string{"User:alice"}, Admins: []string{"User:root"}},
		OpenPaths: []string{"/-/status"},
	})
}

// TestGuardRoles: credentials map to principals, roles to accesses (writers
// read, admins do everything, "*" readers), no or bad credentials are 401,
// a missing role 403, requests sent in process are the node.
func TestGuardRoles(t *testing.T) {
	g := guard()
	req := func(auth string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/x", nil)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		return r
	}
	basic := func(u, p string) string {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.SetBasicAuth(u, p)
		return r.Header.Get("Authorization")
	}
	for _, c := range []struct {
		auth   string
		access httpauth.Access
		status int
	}{
		{"", httpauth.Read, 401},
		{basic("alice", "nope"), httpauth.Read, 401},
		{"Bearer wrong", httpauth.Read, 401},
		{"Digest x", httpauth.Read, 401},
		{basic("alice", "pw"), httpauth.Write, 200},
		{basic("alice", "pw"), httpauth.Admin, 403},
		{"Bearer jwt-for-carol", httpauth.Read, 200},
		{"Bearer jwt-for-carol", httpauth.Write, 403},
		{basic("root", "rootpw"), httpauth.Admin, 200},
	} {
		_, status, err := g.Check(req(c.auth), c.access)
		if status != c.status {
			t.Errorf("%.20q %s: %d (%v), want %d", c.auth, c.access, status, err, c.status)
		}
		if err != nil && strings.Contains(err.Error(), "nope") {
			t.Errorf("the error shows the password: %v", err)
		}
	}
	if !g.Open("/-/status") || g.Open("/metrics") {
		t.Error("open paths")
	}
	var seen string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, status, _ := g.Check(r, httpauth.Admin)
		seen = p
		w.WriteHeader(status)
	})
	resp, err := (&http.Client{Transport: httpauth.InProcess(h)}).Get("http://node.invalid/x")
	if err != nil || resp.StatusCode != 200 || seen != httpauth.Node {
		t.Fatalf("in process: %v %v %q", resp, err, seen)
	}
	resp.Body.Close()
}
