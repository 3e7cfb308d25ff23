package registry

import "net/http"

// The /schemas resource: schemas by global id.

// schemaByID is GET /schemas/ids/{id}'s answer.
type schemaByID struct {
	SchemaType string      `json:"schemaType,omitempty"`
	References []Reference `json:"references,omitempty"`
	Schema     string      `json:"schema"`
	MaxID      *int        `json:"maxId,omitempty"`
}

// subjectVersion is one entry of GET /schemas/ids/{id}/versions.
type subjectVersion struct {
	Subject string `json:"subject"`
	Version int    `json:"version"`
}

// GET /schemas/ids/{id} (?format, ?fetchMaxId). A schema stays readable
// by id while any version of it exists, soft-deleted or not.
func (s *Server) handleSchemaByID(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	rec, ver, err := s.kv.schema(ctx, id)
	if err == nil && ver == 0 {
		err = errSchemaIDNotFound(id)
	}
	out := schemaByID{SchemaType: apiType(rec.Type), References: rec.References, Schema: rec.Schema}
	if err == nil {
		err = s.renderFormat(r, &out.Schema, id)
	}
	if err == nil && flag(r, "fetchMaxId") {
		var maxID int
		maxID, _, err = s.kv.maxID(ctx)
		out.MaxID = &maxID
	}
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// GET /schemas/ids/{id}/schema: the text alone (?format).
func (s *Server) handleSchemaTextByID(w http.ResponseWriter, r *http.Request) {
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	rec, ver, err := s.kv.schema(r.Context(), id)
	if err == nil && ver == 0 {
		err = errSchemaIDNotFound(id)
	}
	text := rec.Schema
	if err == nil {
		err = s.renderFormat(r, &text, id)
	}
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeRaw(w, text)
}

// idUses lists the subject versions of id that the request's ?deleted
// keeps; the schema must exist.
func (s *Server) idUses(r *http.Request) ([]use, error) {
	ctx := r.Context()
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	_, ver, err := s.kv.schema(ctx, id)
	if err != nil {
		return nil, err
	}
	if ver == 0 {
		return nil, errSchemaNotFound()
	}
	uses, err := s.kv.uses(ctx, id)
	if err != nil {
		return nil, err
	}
	deleted := flag(r, "deleted")
	out := uses[:0]
	for _, u := range uses {
		if deleted || !u.Deleted {
			out = append(out, u)
		}
	}
	return out, nil
}

// GET /schemas/ids/{id}/versions (?deleted): [{subject, version}].
func (s *Server) handleVersionsByID(w http.ResponseWriter, r *http.Request) {
	uses, err := s.idUses(r)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	out := []subjectVersion{}
	for _, u := range uses {
		out = append(out, subjectVersion{u.Subject, u.Version})
	}
	writeJSON(w, http.StatusOK, page(r, out))
}

// GET /schemas/ids/{id}/subjects (?deleted): the subjects using id.
func (s *Server) handleSubjectsByID(w http.ResponseWriter, r *http.Request) {
	uses, err := s.idUses(r)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	out := []string{}
	for _, u := range uses {
		if len(out) == 0 || out[len(out)-1] != u.Subject {
			out = append(out, u.Subject)
		}
	}
	writeJSON(w, http.StatusOK, page(r, out))
}

// GET /schemas (?subjectPrefix, ?deleted, ?latestOnly): every version of
// every subject, with its schema.
func (s *Server) handleListSchemas(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f := liveOrAll(flag(r, "deleted"))
	subjects, err := s.subjects(ctx, r.URL.Query().Get("subjectPrefix"), f)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	out := []subjectSchema{}
	for _, sub := range subjects {
		vs := sub.rec.versions(f)
		if flag(r, "latestOnly") {
			vs = vs[len(vs)-1:]
		}
		for _, v := range vs {
			rec, ver, err := s.kv.schema(ctx, v.ID)
			if err != nil {
				s.writeErr(w, r, err)
				return
			}
			if ver != 0 {
				out = append(out, toSubjectSchema(sub.name, v, rec))
			}
		}
	}
	writeJSON(w, http.StatusOK, page(r, out))
}
