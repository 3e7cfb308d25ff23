package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/tributary-io/tributary/schema/registryclient"
)

// Lookup is the registry's read API in process, for the broker's own
// enforcement and Iceberg ingest: the same answers as GET
// /schemas/ids/{id}, /subjects/{s}/versions/{v}, /schemas/ids/{id}/versions
// and /subjects/{s}/versions (live versions only), read straight from the
// metadata store, so a node that serves no registry listener (or one on a
// port chosen at bind time) still resolves schemas. Not-found answers
// wrap registryclient.ErrNotFound.
func (s *Server) Lookup() registryclient.Source { return lookup{s} }

type lookup struct{ s *Server }

func (l lookup) SchemaByID(ctx context.Context, id int) (registryclient.Schema, error) {
	rec, ver, err := l.s.kv.schema(ctx, id)
	if err != nil {
		return registryclient.Schema{}, fmt.Errorf("read schema id %d: %w", id, err)
	}
	if ver == 0 {
		return registryclient.Schema{}, notFound(errSchemaIDNotFound(id))
	}
	return toClientSchema(rec), nil
}

func (l lookup) SchemaByVersion(ctx context.Context, subject string, version int) (registryclient.Schema, error) {
	ss, err := l.s.version(ctx, subject, strconv.Itoa(version), false)
	if err != nil {
		return registryclient.Schema{}, notFound(err)
	}
	rec, ver, err := l.s.kv.schema(ctx, ss.ID)
	if err != nil {
		return registryclient.Schema{}, fmt.Errorf("read schema id %d: %w", ss.ID, err)
	}
	if ver == 0 {
		return registryclient.Schema{}, notFound(errSchemaIDNotFound(ss.ID))
	}
	return toClientSchema(rec), nil
}

func (l lookup) SubjectsOfID(ctx context.Context, id int) ([]string, error) {
	_, ver, err := l.s.kv.schema(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("read schema id %d: %w", id, err)
	}
	if ver == 0 {
		return nil, notFound(errSchemaNotFound())
	}
	uses, err := l.s.kv.uses(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("read the versions of schema id %d: %w", id, err)
	}
	var out []string
	for _, u := range uses {
		if !u.Deleted && (len(out) == 0 || out[len(out)-1] != u.Subject) {
			out = append(out, u.Subject)
		}
	}
	return out, nil
}

func (l lookup) SubjectVersions(ctx context.Context, subject string) ([]int, error) {
	subj, _, err := l.s.kv.subject(ctx, subject)
	if err != nil {
		return nil, fmt.Errorf("read subject %s: %w", subject, err)
	}
	live := subj.versions(filterLive)
	if len(live) == 0 {
		return nil, notFound(errSubjectNotFound(subject))
	}
	out := make([]int, len(live))
	for i, v := range live {
		out[i] = v.Version
	}
	return out, nil
}

func toClientSchema(rec schemaRec) registryclient.Schema {
	typ := rec.Type
	if typ == "" {
		typ = typeAvro
	}
	out := registryclient.Schema{Type: typ, Text: rec.Schema}
	for _, r := range rec.References {
		out.References = append(out.References, registryclient.Reference{Name: r.Name, Subject: r.Subject, Version: r.Version})
	}
	return out
}

// notFound marks the registry's 404 answers with registryclient.ErrNotFound.
func notFound(err error) error {
	var ae *apiError
	if errors.As(err, &ae) && ae.status == http.StatusNotFound {
		return fmt.Errorf("%w: %w", registryclient.ErrNotFound, err)
	}
	return err
}
