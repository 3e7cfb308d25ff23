package auth_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"hash"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/xdg-go/scram"
	"golang.org/x/crypto/pbkdf2"

	"github.com/tributary-io/tributary/broker/auth"
	"github.com/tributary-io/tributary/internal/metastore/boltstore"
	"github.com/tributary-io/tributary/internal/metastore/postgres"
	"github.com/tributary-io/tributary/internal/testpg"
)

func TestMain(m *testing.M) { testpg.Main(m) }

// stores runs fn on a Store over each metadata-store backend.
func stores(t *testing.T, fn func(t *testing.T, s *auth.Store)) {
	t.Run("bolt", func(t *testing.T) {
		st, err := boltstore.Open(filepath.Join(t.TempDir(), "meta.db"), boltstore.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		fn(t, auth.NewStore(st))
	})
	t.Run("postgres", func(t *testing.T) {
		st, err := postgres.Open(context.Background(), testpg.DSN(t), postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		fn(t, auth.NewStore(st))
	})
}

// credential makes a stored credential as AlterUserScramCredentials
// carries it: the client salts and hashes the password itself.
func credential(t testing.TB, m auth.Mechanism, password string) auth.ScramCredential {
	t.Helper()
	h := func() hash.Hash { return sha256.New() }
	size := sha256.Size
	if m == auth.ScramSHA512 {
		h, size = func() hash.Hash { return sha512.New() }, sha512.Size
	}
	salt := []byte("0123456789abcdef")
	c, err := auth.NewScramCredential(m, salt, pbkdf2.Key([]byte(password), salt, 4096, size, h), 4096)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// scramLogin runs a whole SCRAM exchange with xdg-go's client against the
// broker side, returning the principal or the error.
func scramLogin(t *testing.T, s *auth.Store, m auth.Mechanism, user, password string) (string, error) {
	t.Helper()
	gen := scram.SHA256
	if m == auth.ScramSHA512 {
		gen = scram.SHA512
	}
	cl, err := gen.NewClient(user, password, "")
	if err != nil {
		t.Fatal(err)
	}
	conv := cl.NewConversation()
	x, err := auth.NewScram(s).Start(m)
	if err != nil {
		t.Fatal(err)
	}
	in := ""
	for range 3 {
		msg, err := conv.Step(in)
		if err != nil {
			return "", err
		}
		if conv.Done() {
			return x.Principal(), nil
		}
		out, _, err := x.Step(context.Background(), []byte(msg))
		if err != nil {
			return "", err
		}
		in = string(out)
	}
	t.Fatal("SCRAM exchange did not finish in 3 steps")
	return "", nil
}

// TestScramCredentialsStored: credentials set through the store
// authenticate with both mechanisms on both backends; a wrong password, an
// unknown user and a deleted credential do not; the stored value holds no
// password.
func TestScramCredentialsStored(t *testing.T) {
	stores(t, func(t *testing.T, s *auth.Store) {
		ctx := context.Background()
		for _, m := range []auth.Mechanism{auth.ScramSHA256, auth.ScramSHA512} {
			if err := s.PutScram(ctx, "al/ice", credential(t, m, "pw-"+m.String())); err != nil {
				t.Fatal(err)
			}
		}
		for _, m := range []auth.Mechanism{auth.ScramSHA256, auth.ScramSHA512} {
			if p, err := scramLogin(t, s, m, "al/ice", "pw-"+m.String()); err != nil || p != "User:al/ice" {
				t.Fatalf("%s login: %q, %v", m, p, err)
			}
			if _, err := scramLogin(t, s, m, "al/ice", "wrong"); !errors.Is(err, auth.ErrAuthentication) {
				t.Fatalf("%s wrong password: %v", m, err)
			}
			if _, err := scramLogin(t, s, m, "bob", "pw"); !errors.Is(err, auth.ErrAuthentication) {
				t.Fatalf("%s unknown user: %v", m, err)
			}
		}
		users, err := s.ScramUsers(ctx)
		if err != nil || len(users["al/ice"]) != 2 {
			t.Fatalf("users %v, %v", users, err)
		}
		if err := s.DeleteScram(ctx, "al/ice", auth.ScramSHA256); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteScram(ctx, "al/ice", auth.ScramSHA256); !errors.Is(err, auth.ErrNoCredential) {
			t.Fatalf("second delete: %v", err)
		}
		if _, err := scramLogin(t, s, auth.ScramSHA256, "al/ice", "pw-SCRAM-SHA-256"); !errors.Is(err, auth.ErrAuthentication) {
			t.Fatalf("login after delete: %v", err)
		}
		if p, err := scramLogin(t, s, auth.ScramSHA512, "al/ice", "pw-SCRAM-SHA-512"); err != nil || p != "User:al/ice" {
			t.Fatalf("the other mechanism after delete: %q, %v", p, err)
		}
	})
}

// TestScramIterationsBounded: iteration counts outside Kafka's range are
// refused.
func TestScramIterationsBounded(t *testing.T) {
	for _, it := range []int32{0, 4095, 16385} {
		if _, err := auth.NewScramCredential(auth.ScramSHA256, []byte("s"), make([]byte, 32), it); !errors.Is(err, auth.ErrBadIterations) {
			t.Errorf("%d iterations: %v", it, err)
		}
	}
}

// TestPlain: PLAIN accepts the configured users only, refuses an authzid
// differing from the user, and malformed messages, without echoing the
// password.
func TestPlain(t *testing.T) {
	p := auth.NewPlain(map[string][]byte{"alice": []byte("secret-a")})
	for msg, ok := range map[string]bool{
		"\x00alice\x00secret-a":      true,
		"alice\x00alice\x00secret-a": true,
		"bob\x00alice\x00secret-a":   false,
		"\x00alice\x00secret-b":      false,
		"\x00bob\x00secret-a":        false,
		"\x00alice\x00":              false,
		"alice\x00secret-a":          false,
		"":                           false,
		"\x00\x00\x00\x00":           false,
	} {
		x := p.Start()
		_, done, err := x.Step(context.Background(), []byte(msg))
		if ok != (err == nil && done) {
			t.Errorf("%q: done %v, %v", msg, done, err)
		}
		if ok && x.Principal() != "User:alice" {
			t.Errorf("%q: principal %q", msg, x.Principal())
		}
		if err != nil && (strings.Contains(err.Error(), "secret") || !errors.Is(err, auth.ErrAuthentication)) {
			t.Errorf("%q: error %v", msg, err)
		}
	}
}

func lit(rt kmsg.ACLResourceType, name, principal string, op kmsg.ACLOperation, perm kmsg.ACLPermissionType) auth.Binding {
	return auth.Binding{ResourceType: rt, Name: name, Pattern: kmsg.ACLResourcePatternTypeLiteral, Principal: principal, Host: "*", Operation: op, Permission: perm}
}

// TestAuthorizerSemantics: Kafka's rules, against ACLs in each backend.
func TestAuthorizerSemantics(t *testing.T) {
	const topic = kmsg.ACLResourceTypeTopic
	allow, deny := kmsg.ACLPermissionTypeAllow, kmsg.ACLPermissionTypeDeny
	stores(t, func(t *testing.T, s *auth.Store) {
		ctx := context.Background()
		pre := lit(topic, "orders-", "User:bob", kmsg.ACLOperationRead, allow)
		pre.Pattern = kmsg.ACLResourcePatternTypePrefixed
		bs := []auth.Binding{
			lit(topic, "events", "User:alice", kmsg.ACLOperationRead, allow),
			lit(topic, "events", "User:*", kmsg.ACLOperationWrite, allow),
			lit(topic, "events", "User:mallory", kmsg.ACLOperationAll, deny),
			lit(topic, "events", "User:mallory", kmsg.ACLOperationAll, allow),
			pre,
			lit(topic, "orders-secret", "User:bob", kmsg.ACLOperationRead, deny),
			lit(topic, "*", "User:carol", kmsg.ACLOperationDescribe, allow),
		}
		for _, b := range bs {
			if err := b.Validate(); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.CreateACLs(ctx, append(bs, bs[0])); err != nil {
			t.Fatal(err)
		}
		if got, err := s.ACLs(ctx); err != nil || len(got) != len(bs) {
			t.Fatalf("stored %d acls (%v), want %d: a duplicate is stored once", len(got), err, len(bs))
		}
		for _, allowEveryone := range []bool{false, true} {
			a := auth.NewAuthorizer(s, []string{"User:admin"}, allowEveryone)
			for _, c := range []struct {
				who  string
				op   kmsg.ACLOperation
				name string
				want bool
			}{
				{"User:alice", kmsg.ACLOperationRead, "events", true},
				{"User:alice", kmsg.ACLOperationDescribe, "events", true}, // READ implies DESCRIBE
				{"User:alice", kmsg.ACLOperationDelete, "events", false},
				{"User:dave", kmsg.ACLOperationWrite, "events", true}, // User:*
				{"User:dave", kmsg.ACLOperationRead, "events", false},
				{"User:mallory", kmsg.ACLOperationWrite, "events", false}, // deny wins
				{"User:bob", kmsg.ACLOperationRead, "orders-eu", true},    // prefixed
				{"User:bob", kmsg.ACLOperationRead, "orders-secret", false},
				{"User:bob", kmsg.ACLOperationRead, "orders", false},
				{"User:carol", kmsg.ACLOperationDescribe, "anything", true}, // literal *
				{"User:carol", kmsg.ACLOperationRead, "anything", false},
				{"User:admin", kmsg.ACLOperationDelete, "events", true}, // super user
				{"User:dave", kmsg.ACLOperationRead, "unnamed", allowEveryone},
			} {
				// carol's wildcard names every topic, so "unnamed" is named by an ACL.
				want := c.want
				if c.name == "unnamed" {
					want = false
				}
				if got := a.Authorize(c.who, "127.0.0.1", c.op, topic, c.name); got != want {
					t.Errorf("allow_everyone %v: %s %s %s = %v, want %v", allowEveryone, c.who, c.op, c.name, got, want)
				}
			}
			if got := a.Authorize("User:dave", "127.0.0.1", kmsg.ACLOperationRead, kmsg.ACLResourceTypeGroup, "g"); got != allowEveryone {
				t.Errorf("a group no ACL names: %v, want %v", got, allowEveryone)
			}
		}
		name := "events"
		gone, err := s.DeleteACLs(ctx, []auth.Filter{{ResourceType: topic, Name: &name, Pattern: kmsg.ACLResourcePatternTypeMatch,
			Operation: kmsg.ACLOperationAny, Permission: deny}})
		if err != nil || len(gone) != 1 || len(gone[0]) != 1 || gone[0][0].Principal != "User:mallory" {
			t.Fatalf("delete mallory's deny: %v, %v", gone, err)
		}
		a := auth.NewAuthorizer(s, nil, false)
		if !a.Authorize("User:mallory", "127.0.0.1", kmsg.ACLOperationWrite, topic, "events") {
			t.Fatal("mallory still denied after the deny is deleted")
		}
	})
}

// TestBindingValidate: what CreateAcls refuses.
func TestBindingValidate(t *testing.T) {
	good := lit(kmsg.ACLResourceTypeTopic, "t", "User:a", kmsg.ACLOperationRead, kmsg.ACLPermissionTypeAllow)
	bad := []func(b *auth.Binding){
		func(b *auth.Binding) { b.ResourceType = kmsg.ACLResourceTypeAny },
		func(b *auth.Binding) { b.Pattern = kmsg.ACLResourcePatternTypeMatch },
		func(b *auth.Binding) { b.Operation = kmsg.ACLOperationAny },
		func(b *auth.Binding) { b.Permission = kmsg.ACLPermissionTypeAny },
		func(b *auth.Binding) { b.Principal = "alice" },
		func(b *auth.Binding) { b.Name = "" },
		func(b *auth.Binding) { b.ResourceType = kmsg.ACLResourceTypeCluster },
	}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for i, f := range bad {
		b := good
		f(&b)
		if err := b.Validate(); !errors.Is(err, auth.ErrInvalidBinding) {
			t.Errorf("case %d: %v", i, err)
		}
	}
}

// librdkafkaFinal builds a client-final-message as librdkafka does: its
// nonce is the client nonce followed by the whole server nonce (which
// already starts with the client nonce). Kafka accepts it (the nonce only
// has to end with the server's); the proof covers the message as sent.
func librdkafkaFinal(t *testing.T, c1bare, s1, cnonce, password string, tamper bool) string {
	t.Helper()
	var snonce, saltB64 string
	for _, a := range strings.Split(s1, ",") {
		switch {
		case strings.HasPrefix(a, "r="):
			snonce = a[2:]
		case strings.HasPrefix(a, "s="):
			saltB64 = a[2:]
		}
	}
	salt, err := base64.StdEncoding.DecodeString(saltB64)
	if err != nil {
		t.Fatal(err)
	}
	salted := pbkdf2.Key([]byte(password), salt, 4096, sha256.Size, sha256.New)
	mac := func(k []byte, s string) []byte { m := hmac.New(sha256.New, k); m.Write([]byte(s)); return m.Sum(nil) }
	clientKey := mac(salted, "Client Key")
	stored := sha256.Sum256(clientKey)
	nonce := cnonce + snonce
	if tamper {
		nonce = snonce + "x"
	}
	wop := "c=biws,r=" + nonce
	sig := mac(stored[:], c1bare+","+s1+","+wop)
	for i := range sig {
		sig[i] ^= clientKey[i]
	}
	return wop + ",p=" + base64.StdEncoding.EncodeToString(sig)
}

// TestScramLibrdkafkaNonce: the regression kcat found: librdkafka's
// client-final nonce (client nonce + server nonce) is accepted as Kafka
// accepts it; a nonce that does not end with the server's is refused.
func TestScramLibrdkafkaNonce(t *testing.T) {
	stores(t, func(t *testing.T, s *auth.Store) {
		if err := s.PutScram(context.Background(), "alice", credential(t, auth.ScramSHA256, "pw")); err != nil {
			t.Fatal(err)
		}
		for _, tamper := range []bool{false, true} {
			x, err := auth.NewScram(s).Start(auth.ScramSHA256)
			if err != nil {
				t.Fatal(err)
			}
			const cnonce = "rOprNGfwEbeRWgbNEkqO"
			s1, _, err := x.Step(context.Background(), []byte("n,,n=alice,r="+cnonce))
			if err != nil {
				t.Fatal(err)
			}
			out, done, err := x.Step(context.Background(), []byte(librdkafkaFinal(t, "n=alice,r="+cnonce, string(s1), cnonce, "pw", tamper)))
			if tamper != (err != nil) || done == tamper {
				t.Fatalf("tampered %v: done %v, %v", tamper, done, err)
			}
			if !tamper && (!strings.HasPrefix(string(out), "v=") || x.Principal() != "User:alice") {
				t.Fatalf("server-final %q, principal %q", out, x.Principal())
			}
		}
	})
}
