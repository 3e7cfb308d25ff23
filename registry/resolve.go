package registry

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
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
	src := source{Text: text, Deps: res.deps}
	key := sourceKey(t, src, normalize)
	c, ok := s.sources.get(key)
	if !ok {
		c, err = f.compile(ctx, src, normalize)
		if v, ok := f.(validator); ok && err == nil {
			err = v.validate(c)
		}
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, errFormatFailed) {
				return candidate{}, err
			}
			return candidate{}, errInvalidSchema("Invalid schema of type %s, details: %v", t, err)
		}
		s.sources.put(key, c)
	}
	return candidate{typ: t, f: f, c: c, res: res, fp: fingerprint(t, c.identity(), res.refs)}, nil
}

// sourceKey identifies what a compile depends on: the type, the text,
// normalize, and the name, type and text of every dependency.
func sourceKey(typ string, src source, normalize bool) [32]byte {
	h := sha256.New()
	field := func(s string) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	field(typ)
	field(strconv.FormatBool(normalize))
	field(src.Text)
	for _, d := range src.Deps {
		field(d.Name)
		field(d.Type)
		field(d.Text)
	}
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// boundedCache is a map that starts over when full: crude, but the
// entries are cheap to rebuild and never wrong. Safe for concurrent use.
type boundedCache[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]V
}

const boundedCacheSize = 1024

func (c *boundedCache[K, V]) get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}

func (c *boundedCache[K, V]) put(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= boundedCacheSize {
		c.m = make(map[K]V)
	}
	c.m[k] = v
}

// cachedSchema is a stored schema compiled. An entry is good while the
// id's record has the same fingerprint (an id forgotten and imported again
// with another schema has another).
type cachedSchema struct {
	fp string
	c  compiled
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
	if c, ok := s.cache.get(id); ok && c.fp == rec.FP {
		return rec, c.c, nil
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
	s.cache.put(id, cachedSchema{fp: rec.FP, c: c})
	return rec, c, nil
}
