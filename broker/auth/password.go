package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"sync"

	"github.com/xdg-go/scram"
)

// Passwords checks a user's password against PLAIN's users and the SCRAM
// credentials in the store, for the HTTP servers' basic authentication:
// the same users and passwords as the Kafka listener.
//
// A SCRAM check derives the salted password (PBKDF2 at the credential's
// iterations, milliseconds of CPU), so successes are remembered by a hash
// of user, password and the credential's StoredKey: a changed password
// misses, and the cache never holds a password.
type Passwords struct {
	plain  *Plain // may be nil
	store  *Store // may be nil
	mu     sync.Mutex
	passed map[[32]byte]bool
}

// NewPasswords checks PLAIN's users (nil: none) and SCRAM credentials in
// store (nil: none).
func NewPasswords(plain *Plain, store *Store) *Passwords {
	return &Passwords{plain: plain, store: store, passed: map[[32]byte]bool{}}
}

// maxPassed bounds the remembered successes; the set is cleared when full.
const maxPassed = 4096

// Check returns nil when pass is user's PLAIN password or matches one of
// its SCRAM credentials; else an error wrapping ErrAuthentication that
// holds no password.
func (p *Passwords) Check(ctx context.Context, user, pass string) error {
	if p.plain != nil {
		if want, ok := p.plain.users[user]; ok {
			if subtle.ConstantTimeCompare([]byte(pass), want) == 1 {
				return nil
			}
			return fmt.Errorf("%w: invalid username or password", ErrAuthentication)
		}
	}
	if p.store == nil {
		return fmt.Errorf("%w: invalid username or password", ErrAuthentication)
	}
	for _, m := range []Mechanism{ScramSHA512, ScramSHA256} {
		c, err := p.store.Scram(ctx, user, m)
		if errors.Is(err, ErrNoCredential) {
			continue
		}
		if err != nil {
			return err
		}
		ok, err := p.scramMatches(user, pass, c)
		if err != nil || ok {
			return err
		}
		return fmt.Errorf("%w: invalid username or password", ErrAuthentication)
	}
	return fmt.Errorf("%w: invalid username or password", ErrAuthentication)
}

func (p *Passwords) scramMatches(user, pass string, c ScramCredential) (bool, error) {
	k := sha256.Sum256(fmt.Appendf(nil, "%d:%s%d:%s%x", len(user), user, len(pass), pass, c.StoredKey))
	p.mu.Lock()
	hit := p.passed[k]
	p.mu.Unlock()
	if hit {
		return true, nil
	}
	h, err := c.Mechanism.hash()
	if err != nil {
		return false, err
	}
	cl, err := h.NewClient(user, pass, "")
	if err != nil {
		return false, fmt.Errorf("%w: invalid username or password", ErrAuthentication) // SASLprep refused it
	}
	got, err := cl.GetStoredCredentialsWithError(scram.KeyFactors{Salt: string(c.Salt), Iters: int(c.Iterations)})
	if err != nil {
		return false, fmt.Errorf("%w: stored credential of %q: %w", ErrAuthentication, user, err)
	}
	if subtle.ConstantTimeCompare(got.StoredKey, c.StoredKey) != 1 {
		return false, nil
	}
	p.mu.Lock()
	if len(p.passed) >= maxPassed {
		clear(p.passed)
	}
	p.passed[k] = true
	p.mu.Unlock()
	return true, nil
}
