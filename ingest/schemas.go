package ingest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/sr"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/tributary-io/tributary/schema/protobuf"
)

// registryTimeout bounds one schema load (references included).
const registryTimeout = 10 * time.Second

// subjectTTL is how long whether a subject has a schema is trusted: a
// schema registered for a topic already flowing is seen within it.
const subjectTTL = 10 * time.Second

// schemas resolves schema ids to message descriptors through a
// Confluent-compatible registry, each id compiled once (schema/protobuf's
// cache). Safe for concurrent use: every pipeline shares one.
type schemas struct {
	cl    *sr.Client
	cache *protobuf.Cache

	mu       sync.Mutex
	msgs     map[string]protoreflect.MessageDescriptor // "id/indexes"
	subjects map[string]subjectState
}

// subjectState is whether a subject had a live version, and when that
// was asked.
type subjectState struct {
	has bool
	at  time.Time
}

func newSchemas(cl *sr.Client) *schemas {
	s := &schemas{cl: cl, msgs: map[string]protoreflect.MessageDescriptor{}, subjects: map[string]subjectState{}}
	s.cache = protobuf.NewCache(s.load, protobuf.CacheConfig{})
	return s
}

// message returns the message designated by a schema id and a Confluent
// message-index path.
func (s *schemas) message(ctx context.Context, id int, indexes []int) (protoreflect.MessageDescriptor, error) {
	key := msgKey(id, indexes)
	s.mu.Lock()
	md, ok := s.msgs[key]
	s.mu.Unlock()
	if ok {
		return md, nil
	}
	sc, err := s.cache.Schema(ctx, id)
	if err != nil {
		return nil, err
	}
	md, err = protobuf.MessageByIndexes(sc.File, indexes)
	if err != nil {
		return nil, fmt.Errorf("schema id %d message indexes %v: %w", id, indexes, err)
	}
	s.mu.Lock()
	if len(s.msgs) > 10000 {
		clear(s.msgs)
	}
	s.msgs[key] = md
	s.mu.Unlock()
	return md, nil
}

func msgKey(id int, indexes []int) string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(id))
	for _, i := range indexes {
		b.WriteByte('/')
		b.WriteString(strconv.Itoa(i))
	}
	return b.String()
}

// load fetches a schema and its references, recursively, and compiles it.
func (s *schemas) load(ctx context.Context, id int) (protoreflect.FileDescriptor, error) {
	ctx, cancel := context.WithTimeout(ctx, registryTimeout)
	defer cancel()
	sch, err := s.cl.SchemaByID(ctx, id)
	if notFound(err) {
		return nil, fmt.Errorf("schema id %d not found in registry", id)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: schema id %d: %w", errRegistry, id, err)
	}
	if sch.Type != sr.TypeProtobuf {
		return nil, fmt.Errorf("%w: schema id %d is %s", ErrNotProtobuf, id, sch.Type)
	}
	imports := map[string]string{}
	if err := s.references(ctx, sch.References, imports, 0); err != nil {
		return nil, fmt.Errorf("schema id %d: %w", id, err)
	}
	fd, err := protobuf.Compile(ctx, "", sch.Schema, protobuf.MapImports(imports))
	if err != nil {
		return nil, fmt.Errorf("schema id %d: %w", id, err)
	}
	return fd, nil
}

func (s *schemas) references(ctx context.Context, refs []sr.SchemaReference, imports map[string]string, depth int) error {
	if depth > 64 && len(refs) > 0 {
		return fmt.Errorf("references nest deeper than 64")
	}
	for _, ref := range refs {
		if _, ok := imports[ref.Name]; ok {
			continue
		}
		ss, err := s.cl.SchemaByVersion(ctx, ref.Subject, ref.Version)
		if notFound(err) {
			return fmt.Errorf("reference %q (subject %s version %d) not found in registry", ref.Name, ref.Subject, ref.Version)
		}
		if err != nil {
			return fmt.Errorf("%w: reference %q (subject %s version %d): %w", errRegistry, ref.Name, ref.Subject, ref.Version, err)
		}
		imports[ref.Name] = ss.Schema.Schema
		if err := s.references(ctx, ss.Schema.References, imports, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// hasSchema reports whether subject has a live version (Confluent's
// TopicNameStrategy names a topic's subjects <topic>-key and
// <topic>-value). A registry that fails is errRegistry: the answer
// decides whether a row gets __err__, so it is not guessed.
func (s *schemas) hasSchema(ctx context.Context, subject string) (bool, error) {
	s.mu.Lock()
	st, ok := s.subjects[subject]
	s.mu.Unlock()
	if ok && time.Since(st.at) < subjectTTL {
		return st.has, nil
	}
	ctx, cancel := context.WithTimeout(ctx, registryTimeout)
	defer cancel()
	vs, err := s.cl.SubjectVersions(ctx, subject)
	if err != nil && !notFound(err) {
		return false, fmt.Errorf("%w: versions of subject %s: %w", errRegistry, subject, err)
	}
	st = subjectState{has: err == nil && len(vs) > 0, at: time.Now()}
	s.mu.Lock()
	if len(s.subjects) > 10000 {
		clear(s.subjects)
	}
	s.subjects[subject] = st
	s.mu.Unlock()
	return st.has, nil
}

// notFound: the registry answered 404 (no such schema id, subject or
// version), an answer about the record rather than a failure.
func notFound(err error) bool {
	var re *sr.ResponseError
	return errors.As(err, &re) && re.StatusCode == http.StatusNotFound
}
