package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/internal/metastore"
)

// ErrInvalidBinding: an ACL binding CreateAcls must refuse.
var ErrInvalidBinding = errors.New("auth: invalid ACL binding")

// Binding is one ACL: who (Principal, Host) may or may not (Permission) do
// what (Operation) to which resources (ResourceType, Pattern, Name).
type Binding struct {
	ResourceType kmsg.ACLResourceType        `json:"resource_type"`
	Name         string                      `json:"name"`
	Pattern      kmsg.ACLResourcePatternType `json:"pattern"`
	Principal    string                      `json:"principal"`
	Host         string                      `json:"host"`
	Operation    kmsg.ACLOperation           `json:"operation"`
	Permission   kmsg.ACLPermissionType      `json:"permission"`
}

// Validate refuses what Kafka's CreateAcls refuses: ANY/MATCH/unknown
// values, an empty name, a principal that is not "Type:name", a cluster
// resource not named kafka-cluster.
func (b Binding) Validate() error {
	switch {
	case b.ResourceType < kmsg.ACLResourceTypeTopic || b.ResourceType > kmsg.ACLResourceTypeUser:
		return fmt.Errorf("%w: resource type %s", ErrInvalidBinding, b.ResourceType)
	case b.Pattern != kmsg.ACLResourcePatternTypeLiteral && b.Pattern != kmsg.ACLResourcePatternTypePrefixed:
		return fmt.Errorf("%w: pattern type %s", ErrInvalidBinding, b.Pattern)
	case b.Operation < kmsg.ACLOperationAll || b.Operation > kmsg.ACLOperationDescribeTokens:
		return fmt.Errorf("%w: operation %s", ErrInvalidBinding, b.Operation)
	case b.Permission != kmsg.ACLPermissionTypeAllow && b.Permission != kmsg.ACLPermissionTypeDeny:
		return fmt.Errorf("%w: permission %s", ErrInvalidBinding, b.Permission)
	case b.Name == "":
		return fmt.Errorf("%w: empty resource name", ErrInvalidBinding)
	case b.Host == "":
		return fmt.Errorf("%w: empty host", ErrInvalidBinding)
	case b.ResourceType == kmsg.ACLResourceTypeCluster && b.Name != "kafka-cluster":
		return fmt.Errorf("%w: the cluster resource is named kafka-cluster", ErrInvalidBinding)
	case b.Pattern == kmsg.ACLResourcePatternTypePrefixed && b.Name == "*":
		return fmt.Errorf("%w: a prefixed pattern may not be *", ErrInvalidBinding)
	}
	if typ, name, ok := strings.Cut(b.Principal, ":"); !ok || typ == "" || name == "" {
		return fmt.Errorf("%w: principal %q is not of the form Type:name", ErrInvalidBinding, b.Principal)
	}
	return nil
}

// Filter selects bindings, as DescribeAcls and DeleteAcls give it: ANY
// values and nil strings match everything; Pattern MATCH selects the
// bindings that apply to Name (literal equal, literal "*", prefixes).
type Filter struct {
	ResourceType kmsg.ACLResourceType
	Name         *string
	Pattern      kmsg.ACLResourcePatternType
	Principal    *string
	Host         *string
	Operation    kmsg.ACLOperation
	Permission   kmsg.ACLPermissionType
}

// Matches reports whether the filter selects b.
func (f Filter) Matches(b Binding) bool {
	if f.ResourceType != kmsg.ACLResourceTypeAny && f.ResourceType != b.ResourceType {
		return false
	}
	switch f.Pattern {
	case kmsg.ACLResourcePatternTypeAny:
		if f.Name != nil && *f.Name != b.Name {
			return false
		}
	case kmsg.ACLResourcePatternTypeMatch:
		if f.Name != nil && !patternMatches(b, *f.Name) {
			return false
		}
	default:
		if f.Pattern != b.Pattern || (f.Name != nil && *f.Name != b.Name) {
			return false
		}
	}
	return (f.Principal == nil || *f.Principal == b.Principal) &&
		(f.Host == nil || *f.Host == b.Host) &&
		(f.Operation == kmsg.ACLOperationAny || f.Operation == b.Operation) &&
		(f.Permission == kmsg.ACLPermissionTypeAny || f.Permission == b.Permission)
}

// patternMatches reports whether b's resource pattern covers name.
func patternMatches(b Binding, name string) bool {
	if b.Pattern == kmsg.ACLResourcePatternTypePrefixed {
		return strings.HasPrefix(name, b.Name)
	}
	return b.Name == name || b.Name == "*"
}

const aclPrefix = "auth/acl/"

// key names a binding by its content, so equal bindings share one entry.
func (b Binding) key() string {
	j, _ := json.Marshal(b)
	sum := sha256.Sum256(j)
	return aclPrefix + hex.EncodeToString(sum[:16])
}

// CreateACLs stores bindings (each Validate'd by the caller); one already
// stored is left as it is.
func (s *Store) CreateACLs(ctx context.Context, bs []Binding) error {
	ops := make([]metastore.KVOp, 0, len(bs))
	seen := map[string]bool{}
	for _, b := range bs {
		k := b.key()
		if seen[k] {
			continue
		}
		seen[k] = true
		v, err := json.Marshal(b)
		if err != nil {
			return fmt.Errorf("encode acl: %w", err)
		}
		ops = append(ops, metastore.KVOp{Key: k, Expect: metastore.KVAny, Value: v})
	}
	if _, err := s.kv.KVApply(ctx, ops); err != nil {
		return fmt.Errorf("store acls: %w", err)
	}
	return nil
}

// ACLs returns every stored binding.
func (s *Store) ACLs(ctx context.Context) ([]Binding, error) {
	var out []Binding
	err := s.list(ctx, aclPrefix, func(e metastore.KVEntry) error {
		var b Binding
		if err := json.Unmarshal(e.Value, &b); err != nil {
			return fmt.Errorf("decode acl %s: %w", e.Key, err)
		}
		out = append(out, b)
		return nil
	})
	return out, err
}

// DeleteACLs deletes, for each filter, the bindings it matches, and returns
// them per filter (a binding matched by two filters is listed under both,
// as Kafka does).
func (s *Store) DeleteACLs(ctx context.Context, fs []Filter) ([][]Binding, error) {
	all, err := s.ACLs(ctx)
	if err != nil {
		return nil, err
	}
	out := make([][]Binding, len(fs))
	var ops []metastore.KVOp
	seen := map[string]bool{}
	for i, f := range fs {
		for _, b := range all {
			if !f.Matches(b) {
				continue
			}
			out[i] = append(out[i], b)
			if k := b.key(); !seen[k] {
				seen[k] = true
				ops = append(ops, metastore.KVOp{Key: k, Expect: metastore.KVAny, Delete: true})
			}
		}
	}
	if _, err := s.kv.KVApply(ctx, ops); err != nil {
		return nil, fmt.Errorf("delete acls: %w", err)
	}
	return out, nil
}
