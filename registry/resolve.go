package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"sync"
)

// resolved is what resolving a schema's references found.
type resolved struct {
	// deps: every schema the references reach, dependencies first.
	deps []dep
	// refs are the references with "latest" (-1) replaced by the version
	// it named at the time.
	refs []Reference
}

// resolveRefs looks every reference up, recursively. A reference may
// name a soft-deleted version (it still exists); a missing one is an
// invalid schema.
func (s *Server) resolveRefs(ctx context.Context, refs []Reference) (resolved, error) {
	var r resolved
	seen := map[string]bool{}
	for _, ref := range refs {
		if ref.Name == "" || ref.Subject == "" {
			return r, errInvalidSchema("Invalid schema: a reference needs a name and a subject: %+v", ref)
		}
		subj, _, err := s.kv.subject(ctx, ref.Subject)
		if err != nil {
			return r, err
		}
		v, err := refVersion(subj, ref)
		if err != nil {
			return r, err
		}
		ref.Version = v.Version
		r.refs = append(r.refs, ref)
		if err := s.addDep(ctx, &r, seen, ref.Name, v.ID, 1); err != nil {
			return r, err
		}
	}
	return r, nil
}

// refVersion finds the version a reference names (-1: the latest live).
func refVersion(subj subjectRec, ref Reference) (versionRec, error) {
	if ref.Version == -1 {
		if live := subj.live(); len(live) > 0 {
			return live[len(live)-1], nil
		}
	} else if i := subj.find(ref.Version); i >= 0 {
		return subj.Versions[i], nil
	}
	return versionRec{}, errInvalidSchema("Invalid schema: reference %q to subject %q version %d not found",
		ref.Name, ref.Subject, ref.Version)
}

// addDep adds schema id under name after its own dependencies.
func (s *Server) addDep(ctx context.Context, r *resolved, seen map[string]bool, name string, id, depth int) error {
	if depth > s.opts.MaxReferenceDepth {
		return errInvalidSchema("Invalid schema: references nest deeper than %d (a cycle?)", s.opts.MaxReferenceDepth)
	}
	if seen[name] {
		return nil
	}
	seen[name] = true
	rec, ver, err := s.kv.schema(ctx, id)
	if err != nil {
		return err
	}
	if ver == 0 {
		return errInvalidSchema("Invalid schema: reference %q names schema id %d, which no longer exists", name, id)
	}
	for _, ref := range rec.References {
		subj, _, err := s.kv.subject(ctx, ref.Subject)
		if err != nil {
			return err
		}
		v, err := refVersion(subj, ref)
		if err != nil {
			return err
		}
		if err := s.addDep(ctx, r, seen, ref.Name, v.ID, depth+1); err != nil {
			return err
		}
	}
	r.deps = append(r.deps, dep{Name: name, Type: rec.Type, Text: rec.Schema})
	return nil
}

// fingerprint identifies a schema: its type, its format's identity (for
// Protobuf the compiled descriptor's fingerprint, else the canonical
// text) and its references. Equal fingerprints get the same id.
func fingerprint(typ, identity string, refs []Reference) string {
	h := sha256.New()
	h.Write([]byte(typ))
	h.Write([]byte{0})
	h.Write([]byte(identity))
	for _, r := range refs {
		h.Write([]byte{0})
		h.Write([]byte(r.Name))
		h.Write([]byte{0})
		h.Write([]byte(r.Subject))
		h.Write([]byte{0})
		h.Write([]byte(strconv.Itoa(r.Version)))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// schemaType reads a request's schemaType: empty is AVRO; any letter case.
func (s *Server) schemaType(t string) (string, format, error) {
	if t == "" {
		t = typeAvro
	}
	t = strings.ToUpper(t)
	f, ok := s.formats[t]
	if !ok {
		return "", nil, errInvalidSchema("Invalid schema type %s", t)
	}
	return t, f, nil
}

// candidate is a schema compiled for registration, lookup or a check.
type candidate struct {
	typ string
	f   format
	c   compiled
	res resolved
	fp  string
}

// compile resolves and compiles a schema from a request.
func (s *Server) compile(ctx context.Context, typ, text string, refs []Reference, normalize bool) (candidate, error) {
	t, f, err := s.schemaType(typ)
	if err != nil {
		return candidate{}, err
	}
	if strings.TrimSpace(text) == "" {
		return candidate{}, errInvalidSchema("Empty schema")
	}
	res, err := s.resolveRefs(ctx, refs)
	if err != nil {
		return candidate{}, err
	}
	c, err := f.compile(ctx, source{Text: text, Deps: res.deps}, normalize)
	if err != nil {
		if ctx.Err() != nil || errors.Is(err, errFormatFailed) {
			return candidate{}, err
		}
		return candidate{}, errInvalidSchema("Invalid schema of type %s, details: %v", t, err)
	}
	return candidate{typ: t, f: f, c: c, res: res, fp: fingerprint(t, c.identity(), res.refs)}, nil
}

// compiledCache keeps compiled stored schemas by id. An entry is good
// while the id's record has the same fingerprint (an id forgotten and
// imported again with another schema has another). It is bounded
// crudely: full, it starts over. Safe for concurrent use.
type compiledCache struct {
	mu sync.Mutex
	m  map[int]cachedSchema
}

type cachedSchema struct {
	fp string
	c  compiled
}

const compiledCacheSize = 1024

func (c *compiledCache) get(id int, fp string) (compiled, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[id]
	return v.c, ok && v.fp == fp
}

func (c *compiledCache) put(id int, fp string, v compiled) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= compiledCacheSize {
		c.m = make(map[int]cachedSchema)
	}
	c.m[id] = cachedSchema{fp: fp, c: v}
}

// load compiles the stored schema id (through the cache).
func (s *Server) load(ctx context.Context, id int) (schemaRec, compiled, error) {
	rec, ver, err := s.kv.schema(ctx, id)
	if err != nil {
		return rec, nil, err
	}
	if ver == 0 {
		return rec, nil, errSchemaIDNotFound(id)
	}
	if c, ok := s.cache.get(id, rec.FP); ok {
		return rec, c, nil
	}
	_, f, err := s.schemaType(rec.Type)
	if err != nil {
		return rec, nil, err
	}
	res, err := s.resolveRefs(ctx, rec.References)
	if err != nil {
		return rec, nil, err
	}
	// The stored text is already canonical (normalized if it was asked).
	c, err := f.compile(ctx, source{Text: rec.Schema, Deps: res.deps}, false)
	if err != nil {
		if ctx.Err() != nil {
			return rec, nil, err
		}
		return rec, nil, errInvalidSchema("stored schema %d no longer compiles: %v", id, err)
	}
	s.cache.put(id, rec.FP, c)
	return rec, c, nil
}
