package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"

	"github.com/tributary-io/tributary/internal/metastore"
)

// Reference names another subject's version that a schema uses (a
// Protobuf import, an Avro named type, a JSON Schema $ref).
type Reference struct {
	Name    string `json:"name"`
	Subject string `json:"subject"`
	Version int    `json:"version"`
}

// schemaRec is one schema id's record. It never changes once written;
// it is removed when the last version using it is hard-deleted.
type schemaRec struct {
	Type       string      `json:"schemaType"`
	Schema     string      `json:"schema"`
	References []Reference `json:"references,omitempty"`
	// FP is the fingerprint: equal fingerprints, same schema.
	FP string `json:"fp"`
}

// subjectRec is a subject: its versions in ascending order. A subject
// whose versions are all soft-deleted is itself soft-deleted; one with no
// versions left has no record.
type subjectRec struct {
	Versions []versionRec `json:"versions"`
}

type versionRec struct {
	Version int  `json:"version"`
	ID      int  `json:"id"`
	Deleted bool `json:"deleted,omitempty"`
}

// useRec mirrors a version's deleted flag under its schema id, so that the
// versions of an id can be listed without reading every subject.
type useRec struct {
	Deleted bool `json:"deleted,omitempty"`
}

// configRec is a subject's or the global config.
type configRec struct {
	Compatibility string `json:"compatibilityLevel,omitempty"`
	Normalize     *bool  `json:"normalize,omitempty"`
}

// live reports the versions not soft-deleted, ascending.
func (s subjectRec) live() []versionRec {
	var out []versionRec
	for _, v := range s.Versions {
		if !v.Deleted {
			out = append(out, v)
		}
	}
	return out
}

// find returns the index of version v, or -1.
func (s subjectRec) find(v int) int {
	i := sort.Search(len(s.Versions), func(i int) bool { return s.Versions[i].Version >= v })
	if i < len(s.Versions) && s.Versions[i].Version == v {
		return i
	}
	return -1
}

// nextVersion is one more than the highest version, soft-deleted or not
// (hard-deleted versions are forgotten, as in Confluent's registry).
func (s subjectRec) nextVersion() int {
	if len(s.Versions) == 0 {
		return 1
	}
	return s.Versions[len(s.Versions)-1].Version + 1
}

// insert adds v keeping the order (v.Version must be new).
func (s *subjectRec) insert(v versionRec) {
	i := sort.Search(len(s.Versions), func(i int) bool { return s.Versions[i].Version >= v.Version })
	s.Versions = append(s.Versions, versionRec{})
	copy(s.Versions[i+1:], s.Versions[i:])
	s.Versions[i] = v
}

// kv wraps the store with the registry's record codecs. An entry read
// with version 0 is absent.
type kv struct{ metastore.KV }

func (k kv) get(ctx context.Context, key string) ([]byte, int64, error) {
	e, err := k.KVGet(ctx, key)
	if errors.Is(err, metastore.ErrUnknownKey) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read %s: %w", key, err)
	}
	return e.Value, e.Version, nil
}

// getJSON decodes key into v; it returns the entry's version (0: absent,
// v untouched).
func (k kv) getJSON(ctx context.Context, key string, v any) (int64, error) {
	b, ver, err := k.get(ctx, key)
	if err != nil || ver == 0 {
		return ver, err
	}
	return ver, decode(key, b, v)
}

// decode reads a record stored under key.
func decode(key string, b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %s: %w", key, err)
	}
	return nil
}

// list returns every entry under prefix, in key order.
func (k kv) list(ctx context.Context, prefix string) ([]metastore.KVEntry, error) {
	es, err := k.KVList(ctx, prefix, "", 0)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", prefix, err)
	}
	return es, nil
}

func (k kv) subject(ctx context.Context, s string) (subjectRec, int64, error) {
	var r subjectRec
	ver, err := k.getJSON(ctx, keySubject(s), &r)
	return r, ver, err
}

func (k kv) schema(ctx context.Context, id int) (schemaRec, int64, error) {
	var r schemaRec
	ver, err := k.getJSON(ctx, keySchema(id), &r)
	return r, ver, err
}

// idByFP returns the id registered for a fingerprint (0: none).
func (k kv) idByFP(ctx context.Context, fp string) (int, int64, error) {
	b, ver, err := k.get(ctx, keyFP(fp))
	if err != nil || ver == 0 {
		return 0, ver, err
	}
	id, err := strconv.Atoi(string(b))
	if err != nil {
		return 0, 0, fmt.Errorf("decode %s: %w", keyFP(fp), err)
	}
	return id, ver, nil
}

// maxID returns the highest id handed out so far.
func (k kv) maxID(ctx context.Context) (int, int64, error) {
	b, ver, err := k.get(ctx, keyIDs)
	if err != nil || ver == 0 {
		return 0, ver, err
	}
	n, err := strconv.Atoi(string(b))
	if err != nil {
		return 0, 0, fmt.Errorf("decode %s: %w", keyIDs, err)
	}
	return n, ver, nil
}

// use is one subject version of a schema id.
type use struct {
	Subject string
	Version int
	Deleted bool
}

// uses lists the subject versions of schema id, ordered by subject then
// version.
func (k kv) uses(ctx context.Context, id int) ([]use, error) {
	prefix := keyUses(id)
	es, err := k.list(ctx, prefix)
	if err != nil {
		return nil, err
	}
	out := make([]use, 0, len(es))
	for _, e := range es {
		s, v, ok := parseUseKey(e.Key[len(prefix):])
		if !ok {
			return nil, fmt.Errorf("decode key %s", e.Key)
		}
		var u useRec
		if err := json.Unmarshal(e.Value, &u); err != nil {
			return nil, fmt.Errorf("decode %s: %w", e.Key, err)
		}
		out = append(out, use{Subject: s, Version: v, Deleted: u.Deleted})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Subject != out[j].Subject {
			return out[i].Subject < out[j].Subject
		}
		return out[i].Version < out[j].Version
	})
	return out, nil
}

// referrers lists the ids of the schemas that reference subject version.
func (k kv) referrers(ctx context.Context, subject string, version int) ([]int, error) {
	es, err := k.list(ctx, keyRefs(subject, version))
	if err != nil {
		return nil, err
	}
	ids := make([]int, 0, len(es))
	for _, e := range es {
		id, ok := parseIDTail(e.Key)
		if !ok {
			return nil, fmt.Errorf("decode key %s", e.Key)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func (k kv) config(ctx context.Context, key string) (configRec, bool, error) {
	var c configRec
	ver, err := k.getJSON(ctx, key, &c)
	return c, ver != 0, err
}

func (k kv) mode(ctx context.Context, key string) (mode, bool, error) {
	b, ver, err := k.get(ctx, key)
	return mode(b), ver != 0, err
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("registry: encode %T: %v", v, err))
	}
	return b
}
