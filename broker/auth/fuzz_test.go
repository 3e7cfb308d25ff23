package auth_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/tributary-io/tributary/broker/auth"
	"github.com/tributary-io/tributary/internal/metastore/boltstore"
)

// FuzzSASL feeds arbitrary client messages to the PLAIN exchange and to
// both steps of a SCRAM exchange (client-first, client-final): none may
// panic, PLAIN may succeed only with the configured password, and a SCRAM
// exchange may succeed only as the stored user.
func FuzzSASL(f *testing.F) {
	st, err := boltstore.Open(filepath.Join(f.TempDir(), "meta.db"), boltstore.Options{NoSync: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	s := auth.NewStore(st)
	for _, m := range []auth.Mechanism{auth.ScramSHA256, auth.ScramSHA512} {
		if err := s.PutScram(context.Background(), "alice", credential(f, m, "pw")); err != nil {
			f.Fatal(err)
		}
	}
	plain := auth.NewPlain(map[string][]byte{"alice": []byte("pw")})
	f.Add([]byte("\x00alice\x00pw"), []byte("n,,n=alice,r=abcdef"), []byte("c=biws,r=abcdef,p=AAAA"), false)
	f.Add([]byte("alice\x00alice\x00pw"), []byte("y,,n=alice,r=x"), []byte("c=eSws,r=x,p=="), true)
	f.Add([]byte("\x00\x00"), []byte("p=tls-unique,a=alice,n=al=2Cice,r=1,e=x"), []byte(""), false)
	f.Fuzz(func(t *testing.T, p, first, final []byte, sha512 bool) {
		x := plain.Start()
		if _, done, err := x.Step(context.Background(), p); err == nil && done {
			_, user, pass, _ := auth.ParsePlain(p)
			if user != "alice" || pass != "pw" || x.Principal() != "User:alice" {
				t.Fatalf("PLAIN accepted %q", p)
			}
		}
		m := auth.ScramSHA256
		if sha512 {
			m = auth.ScramSHA512
		}
		sx, err := auth.NewScram(s).Start(m)
		if err != nil {
			t.Fatal(err)
		}
		out, done, err := sx.Step(context.Background(), first)
		if err != nil {
			return
		}
		if done || !bytes.HasPrefix(out, []byte("r=")) {
			t.Fatalf("server-first %q, done %v", out, done)
		}
		if _, done, err := sx.Step(context.Background(), final); err == nil && done && sx.Principal() != "User:alice" {
			t.Fatalf("SCRAM accepted %s", sx.Principal())
		}
	})
}
