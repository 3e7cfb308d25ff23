package registry

import (
	"context"
	"net/http"
	"sort"
	"strings"
)

// The /subjects resource: registration, lookup, listing, reading and
// deleting subject versions.

// subjectSchema is a subject version as the API shows it; schemaType is
// omitted for AVRO (Confluent's rule).
type subjectSchema struct {
	Subject    string      `json:"subject"`
	Version    int         `json:"version"`
	ID         int         `json:"id"`
	SchemaType string      `json:"schemaType,omitempty"`
	References []Reference `json:"references,omitempty"`
	Schema     string      `json:"schema"`
}

func apiType(t string) string {
	if t == typeAvro {
		return ""
	}
	return t
}

// filter is the ?deleted / ?deletedOnly choice of the list endpoints.
type filter int

const (
	filterLive filter = iota
	filterAll
	filterDeletedOnly
)

// liveOrAll is the filter of endpoints that take only ?deleted.
func liveOrAll(deleted bool) filter {
	if deleted {
		return filterAll
	}
	return filterLive
}

func listFilter(r *http.Request) filter {
	switch {
	case flag(r, "deletedOnly"):
		return filterDeletedOnly
	case flag(r, "deleted"):
		return filterAll
	}
	return filterLive
}

func (f filter) keep(deleted bool) bool {
	switch f {
	case filterAll:
		return true
	case filterDeletedOnly:
		return deleted
	}
	return !deleted
}

// versions lists the versions f keeps.
func (subj subjectRec) versions(f filter) []versionRec {
	var out []versionRec
	for _, v := range subj.Versions {
		if f.keep(v.Deleted) {
			out = append(out, v)
		}
	}
	return out
}

// POST /subjects/{subject}/versions: register; answers {"id": n}.
func (s *Server) handleRegister(w http.ResponseWriter, r *http.Request) {
	var req registerRequest
	if !readJSON(w, r, &req) {
		return
	}
	id, err := s.register(r.Context(), r.PathValue("subject"), req, flag(r, "normalize"))
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"id": id})
}

// POST /subjects/{subject}: is this schema registered under the subject?
func (s *Server) handleLookup(w http.ResponseWriter, r *http.Request) {
	var req registerRequest
	if !readJSON(w, r, &req) {
		return
	}
	ss, err := s.lookup(r.Context(), r.PathValue("subject"), req, flag(r, "normalize"), flag(r, "deleted"))
	if err == nil {
		err = s.renderFormat(r, &ss.Schema, ss.ID)
	}
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ss)
}

// lookup finds the latest version of subject holding the schema of req
// (soft-deleted ones too when deleted).
func (s *Server) lookup(ctx context.Context, subject string, req registerRequest, normalize, deleted bool) (subjectSchema, error) {
	cfg, err := s.configInScope(ctx, subject)
	if err != nil {
		return subjectSchema{}, err
	}
	cand, err := s.compile(ctx, req.SchemaType, req.Schema, req.References, normalize || cfg.normalize)
	if err != nil {
		return subjectSchema{}, err
	}
	subj, _, err := s.kv.subject(ctx, subject)
	if err != nil {
		return subjectSchema{}, err
	}
	vs := subj.versions(liveOrAll(deleted))
	if len(vs) == 0 {
		return subjectSchema{}, errSubjectNotFound(subject)
	}
	// The fingerprint's id first; then, as IMPORT may give one schema
	// several ids, every version.
	fpID, _, err := s.kv.idByFP(ctx, cand.fp)
	if err != nil {
		return subjectSchema{}, err
	}
	for pass := 0; pass < 2; pass++ {
		for i := len(vs) - 1; i >= 0; i-- {
			if pass == 0 && vs[i].ID != fpID {
				continue
			}
			rec, ver, err := s.kv.schema(ctx, vs[i].ID)
			if err != nil {
				return subjectSchema{}, err
			}
			if ver != 0 && rec.FP == cand.fp {
				return toSubjectSchema(subject, vs[i], rec), nil
			}
		}
	}
	return subjectSchema{}, errSchemaNotFound()
}

func toSubjectSchema(subject string, v versionRec, rec schemaRec) subjectSchema {
	return subjectSchema{Subject: subject, Version: v.Version, ID: v.ID, SchemaType: apiType(rec.Type),
		References: rec.References, Schema: rec.Schema}
}

// GET /subjects: sorted subject names (?subjectPrefix, ?deleted,
// ?deletedOnly, ?offset, ?limit).
func (s *Server) handleListSubjects(w http.ResponseWriter, r *http.Request) {
	subjects, err := s.subjects(r.Context(), r.URL.Query().Get("subjectPrefix"), listFilter(r))
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	names := make([]string, 0, len(subjects))
	for _, sv := range subjects {
		names = append(names, sv.name)
	}
	writeJSON(w, http.StatusOK, page(r, names))
}

type namedSubject struct {
	name string
	rec  subjectRec
}

// subjects lists, sorted, the subjects with a name starting with prefix
// and a version f keeps.
func (s *Server) subjects(ctx context.Context, prefix string, f filter) ([]namedSubject, error) {
	es, err := s.kv.list(ctx, keySubjectPrefix)
	if err != nil {
		return nil, err
	}
	var out []namedSubject
	for _, e := range es {
		name := unescSubject(e.Key[len(keySubjectPrefix):])
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		var rec subjectRec
		if err := decode(e.Key, e.Value, &rec); err != nil {
			return nil, err
		}
		if len(rec.versions(f)) > 0 {
			out = append(out, namedSubject{name, rec})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// GET /subjects/{subject}/versions: version numbers (?deleted,
// ?deletedOnly).
func (s *Server) handleListVersions(w http.ResponseWriter, r *http.Request) {
	subject := r.PathValue("subject")
	subj, _, err := s.kv.subject(r.Context(), subject)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	f := listFilter(r)
	// Confluent: the subject must exist in the widest view asked for.
	exists := subj.versions(filterLive)
	if f != filterLive {
		exists = subj.Versions
	}
	if len(exists) == 0 {
		writeAPIError(w, errSubjectNotFound(subject))
		return
	}
	nums := []int{}
	for _, v := range subj.versions(f) {
		nums = append(nums, v.Version)
	}
	writeJSON(w, http.StatusOK, page(r, nums))
}

// version reads one version of a subject ("latest": the latest live one,
// or with deleted the latest of all).
func (s *Server) version(ctx context.Context, subject, versionStr string, deleted bool) (subjectSchema, error) {
	want, err := parseVersion(versionStr)
	if err != nil {
		return subjectSchema{}, err
	}
	subj, _, err := s.kv.subject(ctx, subject)
	if err != nil {
		return subjectSchema{}, err
	}
	f := liveOrAll(deleted)
	vs := subj.versions(f)
	if len(vs) == 0 {
		return subjectSchema{}, errSubjectNotFound(subject)
	}
	var v versionRec
	found := false
	if want == -1 {
		v, found = vs[len(vs)-1], true
	} else if i := subj.find(want); i >= 0 && f.keep(subj.Versions[i].Deleted) {
		v, found = subj.Versions[i], true
	}
	if !found {
		return subjectSchema{}, errVersionNotFound(want)
	}
	rec, ver, err := s.kv.schema(ctx, v.ID)
	if err != nil {
		return subjectSchema{}, err
	}
	if ver == 0 {
		return subjectSchema{}, errSchemaIDNotFound(v.ID)
	}
	return toSubjectSchema(subject, v, rec), nil
}

// GET /subjects/{subject}/versions/{version} (?deleted, ?format).
func (s *Server) handleGetVersion(w http.ResponseWriter, r *http.Request) {
	ss, err := s.version(r.Context(), r.PathValue("subject"), r.PathValue("version"), flag(r, "deleted"))
	if err == nil {
		err = s.renderFormat(r, &ss.Schema, ss.ID)
	}
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ss)
}

// GET /subjects/{subject}/versions/{version}/schema: the text alone.
func (s *Server) handleGetVersionText(w http.ResponseWriter, r *http.Request) {
	ss, err := s.version(r.Context(), r.PathValue("subject"), r.PathValue("version"), flag(r, "deleted"))
	if err == nil {
		err = s.renderFormat(r, &ss.Schema, ss.ID)
	}
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeRaw(w, ss.Schema)
}

// GET /subjects/{subject}/versions/{version}/referencedby: the ids of the
// live schemas that reference the version.
func (s *Server) handleReferencedBy(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ss, err := s.version(ctx, r.PathValue("subject"), r.PathValue("version"), true)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	ids, err := s.kv.referrers(ctx, ss.Subject, ss.Version)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	out := []int{}
	for _, id := range ids {
		uses, err := s.kv.uses(ctx, id)
		if err != nil {
			s.writeErr(w, r, err)
			return
		}
		for _, u := range uses {
			if !u.Deleted {
				out = append(out, id)
				break
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// DELETE /subjects/{subject} (?permanent): the versions deleted.
func (s *Server) handleDeleteSubject(w http.ResponseWriter, r *http.Request) {
	vs, err := s.deleteSubject(r.Context(), r.PathValue("subject"), flag(r, "permanent"))
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, vs)
}

// DELETE /subjects/{subject}/versions/{version} (?permanent): the version.
func (s *Server) handleDeleteVersion(w http.ResponseWriter, r *http.Request) {
	v, err := s.deleteVersion(r.Context(), r.PathValue("subject"), r.PathValue("version"), flag(r, "permanent"))
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// renderFormat rewrites the text of schema id into the ?format the
// request asks for, if any.
func (s *Server) renderFormat(r *http.Request, text *string, id int) error {
	name := r.URL.Query().Get("format")
	if name == "" {
		return nil
	}
	rec, c, err := s.load(r.Context(), id)
	if err != nil {
		return err
	}
	out, ok := s.formats[rec.Type].render(c, name)
	if !ok {
		return errInvalidSchema("Unsupported format %q for %s schemas", name, rec.Type)
	}
	*text = out
	return nil
}
