package auth

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// RefreshInterval bounds how stale a broker's view of ACLs changed through
// another broker may be.
const RefreshInterval = time.Second

// Authorizer decides requests from the stored ACLs, cached for
// RefreshInterval. A nil *Authorizer allows everything (no
// kafka.authorization configured).
type Authorizer struct {
	store        *Store
	superUsers   []string
	allowIfNoACL bool

	mu      sync.Mutex
	acls    []Binding
	loaded  time.Time
	loadErr error
}

// NewAuthorizer returns an authorizer on store.
func NewAuthorizer(store *Store, superUsers []string, allowEveryoneIfNoACLFound bool) *Authorizer {
	return &Authorizer{store: store, superUsers: superUsers, allowIfNoACL: allowEveryoneIfNoACLFound}
}

// Invalidate makes the next decision reload the ACLs (after a change made
// through this broker).
func (a *Authorizer) Invalidate() {
	a.mu.Lock()
	a.loaded = time.Time{}
	a.mu.Unlock()
}

// current returns the cached ACLs, reloading them when stale. A failed
// reload keeps the last good set; with none, nothing is allowed but to
// super users.
func (a *Authorizer) current() ([]Binding, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if time.Since(a.loaded) >= RefreshInterval {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		acls, err := a.store.ACLs(ctx)
		cancel()
		if err == nil {
			a.acls, a.loaded, a.loadErr = acls, time.Now(), nil
		} else if a.loaded.IsZero() && a.acls == nil {
			a.loadErr = err
		}
	}
	return a.acls, a.loadErr == nil
}

// SuperUser reports whether principal is a configured super user.
func (a *Authorizer) SuperUser(principal string) bool {
	return a == nil || slices.Contains(a.superUsers, principal)
}

// Authorize decides whether principal, connecting from host, may do op on
// the resource of type rt named name, with Kafka's StandardAuthorizer
// rules (see the package doc).
func (a *Authorizer) Authorize(principal, host string, op kmsg.ACLOperation, rt kmsg.ACLResourceType, name string) bool {
	if a == nil || a.SuperUser(principal) {
		return true
	}
	acls, ok := a.current()
	if !ok {
		return false
	}
	any, allowed := false, false
	for _, b := range acls {
		if b.ResourceType != rt || !patternMatches(b, name) {
			continue
		}
		any = true
		if b.Principal != principal && b.Principal != "User:*" {
			continue
		}
		if b.Host != "*" && b.Host != host {
			continue
		}
		switch b.Permission {
		case kmsg.ACLPermissionTypeDeny:
			if b.Operation == op || b.Operation == kmsg.ACLOperationAll {
				return false
			}
		case kmsg.ACLPermissionTypeAllow:
			if implies(b.Operation, op) {
				allowed = true
			}
		}
	}
	if !any {
		return a.allowIfNoACL
	}
	return allowed
}

// implies reports whether an ALLOW of have grants want.
func implies(have, want kmsg.ACLOperation) bool {
	if have == want || have == kmsg.ACLOperationAll {
		return true
	}
	switch want {
	case kmsg.ACLOperationDescribe:
		return have == kmsg.ACLOperationRead || have == kmsg.ACLOperationWrite ||
			have == kmsg.ACLOperationDelete || have == kmsg.ACLOperationAlter
	case kmsg.ACLOperationDescribeConfigs:
		return have == kmsg.ACLOperationAlterConfigs
	}
	return false
}
