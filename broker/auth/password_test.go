package auth_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tributary-io/tributary/broker/auth"
	"github.com/tributary-io/tributary/internal/metastore/boltstore"
)

// TestPasswordsCheck: the HTTP servers' basic authentication takes PLAIN's
// users and SCRAM users' passwords (checked against the stored
// credential, twice to go through the cache); a wrong password, an unknown
// user, or a SCRAM password changed since are refused without the
// password in the error.
func TestPasswordsCheck(t *testing.T) {
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "meta.db"), boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	store := auth.NewStore(st)
	ctx := context.Background()
	if err := store.PutScram(ctx, "alice", credential(t, auth.ScramSHA256, "alice-pw")); err != nil {
		t.Fatal(err)
	}
	p := auth.NewPasswords(auth.NewPlain(map[string][]byte{"admin": []byte("admin-pw")}), store)
	for range 2 {
		if err := p.Check(ctx, "admin", "admin-pw"); err != nil {
			t.Errorf("PLAIN admin: %v", err)
		}
		if err := p.Check(ctx, "alice", "alice-pw"); err != nil {
			t.Errorf("SCRAM alice: %v", err)
		}
	}
	for _, c := range [][2]string{{"admin", "wrong-pw"}, {"alice", "wrong-pw"}, {"mallory", "wrong-pw"}, {"alice", ""}} {
		err := p.Check(ctx, c[0], c[1])
		if !errors.Is(err, auth.ErrAuthentication) {
			t.Errorf("%s/%s: %v, want ErrAuthentication", c[0], c[1], err)
		}
		if err != nil && strings.Contains(err.Error(), "wrong-pw") {
			t.Errorf("the error shows the password: %v", err)
		}
	}
	if err := store.PutScram(ctx, "alice", credential(t, auth.ScramSHA256, "new-pw")); err != nil {
		t.Fatal(err)
	}
	if err := p.Check(ctx, "alice", "alice-pw"); err == nil {
		t.Error("the old SCRAM password still passes after a change (stale cache)")
	}
	if err := p.Check(ctx, "alice", "new-pw"); err != nil {
		t.Errorf("the new SCRAM password: %v", err)
	}
}
