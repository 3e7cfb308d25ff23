package enforce

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/sr"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/schema/protobuf"
)

// maxReferenceDepth bounds how deep schema references are followed, so a
// registry answering a reference cycle cannot keep a lookup going.
const maxReferenceDepth = 64

// registryClient is one Confluent-compatible registry: franz-go's sr
// client, the compiled schemas by id (schema/protobuf's Cache: descriptors,
// message types and validators, each id loaded once), and which subjects
// each id is a version of. Safe for concurrent use.
//
// Every registry call runs under its own timeout, detached from the
// caller's context, and its failure is remembered for ErrorTTL (the Cache
// does not remember cancellations, so a timeout is reported as a plain
// ErrInternal): a registry that is down or hangs costs one Timeout per id
// per ErrorTTL, not one per record.
type registryClient struct {
	name    string
	url     string
	cl      *sr.Client
	timeout time.Duration
	ttl     time.Duration
	schemas *protobuf.Cache
	subj    *subjectCache
	now     func() time.Time
}

// newRegistryClient is a client of rc; rt, when set, carries its requests
// (the node's own registry, in process) instead of the network.
func newRegistryClient(name string, rc *config.ConfluentRegistry, cfg Config, rt http.RoundTripper) (*registryClient, error) {
	hc := httpClient(rc, cfg.Timeout)
	if rt != nil {
		hc.Transport = rt
	}
	opts := []sr.ClientOpt{sr.URLs(rc.URL), sr.UserAgent("tributary"), sr.HTTPClient(hc)}
	if ba := rc.BasicAuth; ba != nil {
		user, err := ba.Username.Resolve()
		if err != nil {
			return nil, fmt.Errorf("registry %s: basic_auth.username: %w", name, err)
		}
		pass, err := ba.Password.Resolve()
		if err != nil {
			return nil, fmt.Errorf("registry %s: basic_auth.password: %w", name, err)
		}
		opts = append(opts, sr.BasicAuth(string(user), string(pass)))
	}
	if !rc.BearerToken.IsZero() {
		tok, err := rc.BearerToken.Resolve()
		if err != nil {
			return nil, fmt.Errorf("registry %s: bearer_token: %w", name, err)
		}
		opts = append(opts, sr.BearerToken(string(tok)))
	}
	cl, err := sr.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", name, err)
	}
	r := &registryClient{name: name, url: rc.URL, cl: cl, timeout: cfg.Timeout, ttl: cfg.ErrorTTL, now: time.Now}
	r.schemas = protobuf.NewCache(r.load, protobuf.CacheConfig{MaxSchemas: cfg.MaxSchemas, ErrorTTL: cfg.ErrorTTL})
	r.subj = &subjectCache{entries: map[int]*subjEntry{}, max: max(cfg.MaxSchemas, 1000)}
	return r, nil
}

// httpClient bounds every request by timeout and applies the registry's
// TLS settings.
func httpClient(rc *config.ConfluentRegistry, timeout time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if rc.TLS != nil && rc.TLS.InsecureSkipVerify {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	}
	return &http.Client{Transport: tr, Timeout: timeout}
}

// codec returns the codec for a record framed with schema id and a
// message-index path. Failures wrap ErrParse or ErrInternal.
func (r *registryClient) codec(ctx context.Context, id int, indexes []int) (*protobuf.Codec, error) {
	s, err := r.schemas.Schema(ctx, id)
	if err != nil {
		if errors.Is(err, ErrParse) || errors.Is(err, ErrInternal) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: schema id %d: %v", ErrInternal, id, err) // the caller's context ended
	}
	c, err := s.Codec(indexes)
	switch {
	case errors.Is(err, protobuf.ErrNoMessage):
		return nil, fmt.Errorf("%w: message indexes %v name no message of schema id %d", ErrParse, indexes, id)
	case err != nil:
		return nil, fmt.Errorf("%w: schema id %d: %v", ErrInternal, id, err)
	}
	return c, nil
}

// load is the Cache's Loader: the schema's text and, recursively, its
// references, compiled. Its errors wrap ErrParse (the id is not a
// Protobuf schema this registry knows) or ErrInternal, never a context
// error, so the Cache remembers them.
func (r *registryClient) load(ctx context.Context, id int) (protoreflect.FileDescriptor, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.timeout)
	defer cancel()
	s, err := r.cl.SchemaByID(ctx, id)
	if err != nil {
		return nil, r.classify(err, fmt.Sprintf("schema id %d", id))
	}
	if s.Type != sr.TypeProtobuf {
		return nil, fmt.Errorf("%w: schema id %d is %s, not PROTOBUF", ErrParse, id, s.Type)
	}
	imports := map[string]string{}
	if err := r.resolve(ctx, s.References, imports, 1); err != nil {
		return nil, err
	}
	fd, err := protobuf.Compile(ctx, "", s.Schema, protobuf.MapImports(imports))
	if err != nil {
		return nil, fmt.Errorf("%w: schema id %d from registry %s does not compile: %v", ErrInternal, id, r.name, err)
	}
	return native(fd), nil
}

// resolve fetches the text of every reference, recursively, into imports
// (import path → text).
func (r *registryClient) resolve(ctx context.Context, refs []sr.SchemaReference, imports map[string]string, depth int) error {
	if depth > maxReferenceDepth && len(refs) > 0 {
		return fmt.Errorf("%w: references nest deeper than %d in registry %s", ErrInternal, maxReferenceDepth, r.name)
	}
	for _, ref := range refs {
		if _, ok := imports[ref.Name]; ok {
			continue
		}
		ss, err := r.cl.SchemaByVersion(ctx, ref.Subject, ref.Version)
		if err != nil {
			return r.classify(err, fmt.Sprintf("reference %q (subject %s version %d)", ref.Name, ref.Subject, ref.Version))
		}
		imports[ref.Name] = ss.Schema.Schema
		if err := r.resolve(ctx, ss.References, imports, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// classify turns a registry failure into ErrParse (the registry says the
// schema does not exist) or ErrInternal (anything else: down, slow,
// refusing our credentials, answering garbage). The cause is kept as text
// only, so no context error is wrapped.
func (r *registryClient) classify(err error, what string) error {
	var re *sr.ResponseError
	if errors.As(err, &re) && (re.ErrorCode == sr.ErrSchemaNotFound.Code || re.ErrorCode == sr.ErrSubjectNotFound.Code ||
		re.ErrorCode == sr.ErrVersionNotFound.Code) {
		return fmt.Errorf("%w: %s is not registered in registry %s", ErrParse, what, r.name)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: registry %s did not answer for %s within %v", ErrInternal, r.name, what, r.timeout)
	}
	return fmt.Errorf("%w: registry %s: %s: %v", ErrInternal, r.name, what, err)
}

// inSubject reports whether schema id is a version of subject. Subjects
// an id was seen in are kept; an id not (yet) seen in the subject is
// asked again after ErrorTTL, as are failures, which wrap ErrInternal.
func (r *registryClient) inSubject(ctx context.Context, id int, subject string) (bool, error) {
	e, loader := r.subj.lookup(id, subject, r.now(), r.ttl)
	if e == nil {
		return true, nil // seen in the subject before
	}
	if loader {
		r.fillSubjects(ctx, e)
	}
	select {
	case <-e.done:
	case <-ctx.Done():
		return false, fmt.Errorf("%w: subjects of schema id %d: %v", ErrInternal, id, ctx.Err())
	}
	if e.err != nil {
		return false, e.err
	}
	return e.subjects[subject], nil
}

func (r *registryClient) fillSubjects(ctx context.Context, e *subjEntry) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.timeout)
	defer cancel()
	vs, err := r.cl.SchemaVersionsByID(ctx, e.id)
	subjects := make(map[string]bool, len(vs))
	for _, v := range vs {
		subjects[v.Subject] = true
	}
	if err != nil {
		err = r.classify(err, fmt.Sprintf("subjects of schema id %d", e.id))
		if errors.Is(err, ErrParse) {
			err, subjects = nil, map[string]bool{} // an unknown id is in no subject
		}
	}
	r.subj.finish(e, subjects, err, r.now())
}

// subjectCache maps schema ids to the subjects they are versions of.
// mu guards entries; a loading entry's fields are written before its done
// channel closes and read only after.
type subjectCache struct {
	mu      sync.Mutex
	entries map[int]*subjEntry
	max     int
}

type subjEntry struct {
	id       int
	done     chan struct{}
	subjects map[string]bool
	err      error
	at       time.Time
	// asked are the subjects a lookup wanted when this entry (or one it
	// replaced) was loaded: for them a miss is an answer until the entry
	// is ttl old; any other subject missing from a fresh entry is asked
	// again, as the id may have joined it since.
	asked map[string]bool
}

// lookup returns nil when id is known to be in subject; otherwise the
// entry to wait on, and loader true when the caller must fill it.
func (c *subjectCache) lookup(id int, subject string, now time.Time, ttl time.Duration) (*subjEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.entries[id]
	asked := map[string]bool{subject: true}
	if old != nil {
		select {
		case <-old.done:
			if old.err == nil && old.subjects[subject] {
				return nil, false
			}
			if now.Sub(old.at) < ttl && (old.err != nil || old.asked[subject]) {
				return old, false
			}
			if now.Sub(old.at) < ttl {
				for s := range old.asked {
					asked[s] = true
				}
			}
		default:
			return old, false // loading
		}
	} else if len(c.entries) >= c.max {
		for k := range c.entries { // drop one at random: ids are cheap to reload
			delete(c.entries, k)
			break
		}
	}
	e := &subjEntry{id: id, done: make(chan struct{}), asked: asked}
	c.entries[id] = e
	return e, true
}

func (c *subjectCache) finish(e *subjEntry, subjects map[string]bool, err error, now time.Time) {
	c.mu.Lock()
	e.subjects, e.err, e.at = subjects, err, now
	close(e.done)
	c.mu.Unlock()
}
