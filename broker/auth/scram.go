package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"net/url"
	"strings"

	"github.com/xdg-go/scram"

	"github.com/tributary-io/tributary/internal/metastore"
)

// Mechanism is a SCRAM mechanism as Kafka numbers it in
// Describe/AlterUserScramCredentials.
type Mechanism int8

const (
	ScramSHA256 Mechanism = 1
	ScramSHA512 Mechanism = 2
)

// MinIterations and MaxIterations bound a SCRAM credential's iteration
// count, as Kafka does (4096 is the least it accepts; 16384 the most).
const (
	MinIterations = 4096
	MaxIterations = 16384
)

// ErrUnsupportedMechanism, ErrBadIterations: refused credentials.
var (
	ErrUnsupportedMechanism = errors.New("auth: unsupported SCRAM mechanism")
	ErrBadIterations        = errors.New("auth: iterations out of range")
	ErrNoCredential         = errors.New("auth: no such credential")
)

// MechanismNamed returns the mechanism of a SASL name ("SCRAM-SHA-256").
func MechanismNamed(name string) (Mechanism, bool) {
	switch name {
	case "SCRAM-SHA-256":
		return ScramSHA256, true
	case "SCRAM-SHA-512":
		return ScramSHA512, true
	}
	return 0, false
}

// String is the SASL name.
func (m Mechanism) String() string {
	switch m {
	case ScramSHA256:
		return "SCRAM-SHA-256"
	case ScramSHA512:
		return "SCRAM-SHA-512"
	}
	return fmt.Sprintf("SCRAM(%d)", int8(m))
}

func (m Mechanism) hash() (scram.HashGeneratorFcn, error) {
	switch m {
	case ScramSHA256:
		return func() hash.Hash { return sha256.New() }, nil
	case ScramSHA512:
		return func() hash.Hash { return sha512.New() }, nil
	}
	return nil, fmt.Errorf("%w: %d", ErrUnsupportedMechanism, m)
}

// ScramCredential is what the broker keeps of a SCRAM password (RFC 5802).
type ScramCredential struct {
	Mechanism  Mechanism `json:"mechanism"`
	Salt       []byte    `json:"salt"`
	Iterations int32     `json:"iterations"`
	StoredKey  []byte    `json:"stored_key"`
	ServerKey  []byte    `json:"server_key"`
}

// NewScramCredential derives the stored credential from the salted password
// a client sends in AlterUserScramCredentials (Hi(password, salt, i)).
func NewScramCredential(m Mechanism, salt, saltedPassword []byte, iterations int32) (ScramCredential, error) {
	h, err := m.hash()
	if err != nil {
		return ScramCredential{}, err
	}
	if iterations < MinIterations || iterations > MaxIterations {
		return ScramCredential{}, fmt.Errorf("%w: %d not in [%d, %d]", ErrBadIterations, iterations, MinIterations, MaxIterations)
	}
	mac := func(key []byte, s string) []byte {
		x := hmac.New(h, key)
		x.Write([]byte(s))
		return x.Sum(nil)
	}
	clientKey := mac(saltedPassword, "Client Key")
	sum := h()
	sum.Write(clientKey)
	return ScramCredential{
		Mechanism: m, Salt: append([]byte(nil), salt...), Iterations: iterations,
		StoredKey: sum.Sum(nil), ServerKey: mac(saltedPassword, "Server Key"),
	}, nil
}

const scramPrefix = "auth/scram/"

func scramKey(user string, m Mechanism) string {
	return scramPrefix + url.PathEscape(user) + "/" + m.String()
}

// Store keeps SCRAM credentials and ACLs in the metadata store's KV space.
type Store struct{ kv metastore.KV }

// NewStore returns a store on kv.
func NewStore(kv metastore.KV) *Store { return &Store{kv: kv} }

// PutScram sets (creates or replaces) a user's credential for one mechanism.
func (s *Store) PutScram(ctx context.Context, user string, c ScramCredential) error {
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode scram credential: %w", err)
	}
	if _, err := s.kv.KVApply(ctx, []metastore.KVOp{{Key: scramKey(user, c.Mechanism), Expect: metastore.KVAny, Value: b}}); err != nil {
		return fmt.Errorf("store scram credential: %w", err)
	}
	return nil
}

// DeleteScram removes a user's credential for one mechanism;
// ErrNoCredential if there is none.
func (s *Store) DeleteScram(ctx context.Context, user string, m Mechanism) error {
	if _, err := s.Scram(ctx, user, m); err != nil {
		return err
	}
	if _, err := s.kv.KVApply(ctx, []metastore.KVOp{{Key: scramKey(user, m), Expect: metastore.KVAny, Delete: true}}); err != nil {
		return fmt.Errorf("delete scram credential: %w", err)
	}
	return nil
}

// Scram returns a user's credential for one mechanism; ErrNoCredential if
// there is none.
func (s *Store) Scram(ctx context.Context, user string, m Mechanism) (ScramCredential, error) {
	e, err := s.kv.KVGet(ctx, scramKey(user, m))
	if errors.Is(err, metastore.ErrUnknownKey) {
		return ScramCredential{}, fmt.Errorf("%w: %s for %q", ErrNoCredential, m, user)
	}
	if err != nil {
		return ScramCredential{}, fmt.Errorf("read scram credential: %w", err)
	}
	var c ScramCredential
	if err := json.Unmarshal(e.Value, &c); err != nil {
		return ScramCredential{}, fmt.Errorf("decode scram credential: %w", err)
	}
	return c, nil
}

// ScramUsers lists every user with a credential and its mechanisms with
// their iteration counts, in user order.
func (s *Store) ScramUsers(ctx context.Context) (map[string][]ScramCredential, error) {
	out := map[string][]ScramCredential{}
	err := s.list(ctx, scramPrefix, func(e metastore.KVEntry) error {
		rest := strings.TrimPrefix(e.Key, scramPrefix)
		i := strings.LastIndexByte(rest, '/')
		if i < 0 {
			return nil
		}
		user, err := url.PathUnescape(rest[:i])
		if err != nil {
			return nil
		}
		var c ScramCredential
		if err := json.Unmarshal(e.Value, &c); err != nil {
			return fmt.Errorf("decode scram credential of %q: %w", user, err)
		}
		out[user] = append(out[user], c)
		return nil
	})
	return out, err
}

// list calls fn for every entry under prefix, a page at a time.
func (s *Store) list(ctx context.Context, prefix string, fn func(metastore.KVEntry) error) error {
	after := ""
	for {
		es, err := s.kv.KVList(ctx, prefix, after, 500)
		if err != nil {
			return fmt.Errorf("list %s: %w", prefix, err)
		}
		for _, e := range es {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(es) < 500 {
			return nil
		}
		after = es[len(es)-1].Key
	}
}
