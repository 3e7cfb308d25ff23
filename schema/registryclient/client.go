package registryclient

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/tributary-io/tributary/schema/protobuf"
)

// MaxReferenceDepth bounds how deep schema references are followed, so a
// registry answering a reference cycle cannot keep a lookup going.
const MaxReferenceDepth = 64

// Config tunes a Client. The zero value of each field is its default.
type Config struct {
	// Timeout bounds one lookup (a schema and its references, or a
	// schema's subjects), detached from the caller's context. Default 2s.
	Timeout time.Duration
	// ErrorTTL is how long a failed lookup is remembered, and how long an
	// id found not to be in a subject stays so. Default 5s.
	ErrorTTL time.Duration
	// SubjectTTL is how long HasVersions trusts an answer. Default 10s.
	SubjectTTL time.Duration
	// MaxSchemas bounds the compiled schemas kept (least recently used
	// out). Default 1000.
	MaxSchemas int
}

func (c Config) withDefaults() Config {
	if c.Timeout <= 0 {
		c.Timeout = 2 * time.Second
	}
	if c.ErrorTTL <= 0 {
		c.ErrorTTL = 5 * time.Second
	}
	if c.SubjectTTL <= 0 {
		c.SubjectTTL = 10 * time.Second
	}
	if c.MaxSchemas <= 0 {
		c.MaxSchemas = 1000
	}
	return c
}

// Client reads one registry through a Source: compiled schemas by id,
// which subjects an id is in, whether a subject has versions. See the
// package doc for its error contract.
type Client struct {
	name    string
	src     Source
	cfg     Config
	schemas *protobuf.Cache
	ids     *subjectCache
	subs    *versionsCache
	now     func() time.Time
}

// New returns a client named name (in errors) reading src.
func New(name string, src Source, cfg Config) *Client {
	cfg = cfg.withDefaults()
	c := &Client{name: name, src: src, cfg: cfg, now: time.Now,
		ids:  &subjectCache{entries: map[int]*subjEntry{}, max: max(cfg.MaxSchemas, 1000)},
		subs: &versionsCache{entries: map[string]versionsEntry{}, max: 10000}}
	c.schemas = protobuf.NewCache(c.load, protobuf.CacheConfig{MaxSchemas: cfg.MaxSchemas, ErrorTTL: cfg.ErrorTTL})
	return c
}

// Name is the registry's name, as given to New.
func (c *Client) Name() string { return c.name }

// Schema is the compiled schema registered under id.
func (c *Client) Schema(ctx context.Context, id int) (*protobuf.Schema, error) {
	s, err := c.schemas.Schema(ctx, id)
	if err != nil && !isKnown(err) {
		return nil, failure(ErrUnavailable, "schema id %d: %v", id, err) // the caller's context ended
	}
	return s, err
}

func isKnown(err error) bool {
	return errors.Is(err, ErrNotFound) || errors.Is(err, ErrNotProtobuf) || errors.Is(err, ErrCompile) || errors.Is(err, ErrUnavailable)
}

// load is the Cache's Loader: the schema's text and, recursively, its
// references, compiled into runtime descriptors.
func (c *Client) load(ctx context.Context, id int) (protoreflect.FileDescriptor, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.Timeout)
	defer cancel()
	s, err := c.src.SchemaByID(ctx, id)
	if err != nil {
		return nil, c.classify(err, fmt.Sprintf("schema id %d", id))
	}
	if s.Type != TypeProtobuf {
		typ := s.Type
		if typ == "" {
			typ = "AVRO"
		}
		return nil, failure(ErrNotProtobuf, "schema id %d is %s, not PROTOBUF", id, typ)
	}
	imports := map[string]string{}
	if err := c.resolve(ctx, s.References, imports, 1); err != nil {
		return nil, fmt.Errorf("schema id %d: %w", id, err)
	}
	fd, err := protobuf.Compile(ctx, "", s.Text, protobuf.MapImports(imports))
	if err != nil {
		return nil, failure(ErrCompile, "schema id %d from registry %s does not compile: %v", id, c.name, err)
	}
	return native(fd), nil
}

// resolve fetches the text of every reference, recursively, into imports
// (import path → text).
func (c *Client) resolve(ctx context.Context, refs []Reference, imports map[string]string, depth int) error {
	if depth > MaxReferenceDepth && len(refs) > 0 {
		return failure(ErrCompile, "references nest deeper than %d in registry %s", MaxReferenceDepth, c.name)
	}
	for _, ref := range refs {
		if _, ok := imports[ref.Name]; ok {
			continue
		}
		s, err := c.src.SchemaByVersion(ctx, ref.Subject, ref.Version)
		if err != nil {
			return c.classify(err, fmt.Sprintf("reference %q (subject %s version %d)", ref.Name, ref.Subject, ref.Version))
		}
		imports[ref.Name] = s.Text
		if err := c.resolve(ctx, s.References, imports, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// classify keeps ErrNotFound and turns anything else into ErrUnavailable,
// the cause kept as text only so that no context error is wrapped.
func (c *Client) classify(err error, what string) error {
	if errors.Is(err, ErrNotFound) {
		return failure(ErrNotFound, "%s not found in registry %s", what, c.name)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return failure(ErrUnavailable, "registry %s did not answer for %s within %v", c.name, what, c.cfg.Timeout)
	}
	return failure(ErrUnavailable, "registry %s: %s: %v", c.name, what, err)
}
