package catalog

// Namespaces: GET/POST /v1/{prefix}/namespaces, GET/HEAD/DELETE
// /v1/{prefix}/namespaces/{namespace}, POST .../properties (spec operations
// listNamespaces, createNamespace, loadNamespaceMetadata, namespaceExists,
// dropNamespace, updateProperties).
//
// Namespaces nest. Creating a.b.c creates a and a.b when they are missing
// (with no properties), so every namespace is listed under its parent;
// dropping a namespace that holds tables or namespaces is 409
// NamespaceNotEmptyException.

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/tributary-io/tributary/internal/metastore"
)

type namespaceBody struct {
	Namespace  []string          `json:"namespace"`
	Properties map[string]string `json:"properties"`
}

func (s *Server) listNamespaces(w http.ResponseWriter, r *http.Request, _ params) error {
	var parent []string
	if q := r.URL.Query().Get("parent"); q != "" {
		parent = strings.Split(q, nsSep)
		if err := checkNamespace(parent); err != nil {
			return err
		}
		if _, _, err := s.getNamespace(r.Context(), parent); err != nil {
			return err
		}
	}
	prefix := childPrefix(parent)
	pg, err := parsePage(r, prefix)
	if err != nil {
		return err
	}
	es, next, err := s.list(r.Context(), prefix, pg)
	if err != nil {
		return err
	}
	out := struct {
		Namespaces    [][]string `json:"namespaces"`
		NextPageToken *string    `json:"next-page-token,omitempty"`
	}{Namespaces: make([][]string, 0, len(es))}
	for _, e := range es {
		out.Namespaces = append(out.Namespaces, nsFromKey(e.Key))
	}
	if next != "" {
		out.NextPageToken = &next
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) createNamespace(w http.ResponseWriter, r *http.Request, _ params) error {
	var req namespaceBody
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if err := checkNamespace(req.Namespace); err != nil {
		return err
	}
	if req.Properties == nil {
		req.Properties = map[string]string{}
	}
	if err := s.checkNSLocation(req.Properties); err != nil {
		return err
	}
	ctx := r.Context()
	err := retryConflicts("create namespace", func() error {
		ops, err := s.createNamespaceOps(ctx, req.Namespace, req.Properties)
		if err != nil {
			return err
		}
		return s.apply(ctx, "create namespace "+joinNS(req.Namespace), ops)
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, req)
	return nil
}

// createNamespaceOps returns the ops that create ns and its missing
// ancestors, and touch its nearest existing one (so that a concurrent drop
// of it conflicts).
func (s *Server) createNamespaceOps(ctx context.Context, ns []string, props map[string]string) ([]metastore.KVOp, error) {
	_, _, err := s.getNamespace(ctx, ns)
	if err == nil {
		return nil, namespaceExists(ns)
	}
	if !isErr(err, ErrNoSuchNamespace) {
		return nil, err
	}
	ops := []metastore.KVOp{{Key: nsKey(ns), Expect: metastore.KVAbsent, Value: mustJSON(nsRecord{Properties: props})}}
	for anc := parentOf(ns); len(anc) > 0; anc = parentOf(anc) {
		_, e, err := s.getNamespace(ctx, anc)
		if err == nil {
			ops = append(ops, touch(e))
			break
		}
		if !isErr(err, ErrNoSuchNamespace) {
			return nil, err
		}
		ops = append(ops, metastore.KVOp{Key: nsKey(anc), Expect: metastore.KVAbsent, Value: mustJSON(nsRecord{Properties: map[string]string{}})})
	}
	return ops, nil
}

func (s *Server) loadNamespace(w http.ResponseWriter, r *http.Request, p params) error {
	if err := checkNamespace(p.ns); err != nil {
		return err
	}
	rec, _, err := s.getNamespace(r.Context(), p.ns)
	if err != nil {
		return err
	}
	props := maps.Clone(rec.Properties)
	if props == nil {
		props = map[string]string{}
	}
	props["location"] = s.nsLocation(rec, p.ns)
	writeJSON(w, http.StatusOK, namespaceBody{Namespace: p.ns, Properties: props})
	return nil
}

// nsLocation is the directory a namespace's new tables go under: its
// "location" property, or <warehouse>/<namespace levels>. Loading a
// namespace always answers it as the "location" property, because Trino
// decides from it how to create a table: with a location it stages the
// create (stage-create, nothing stored until the commit), without one it
// creates the table at once and then refuses its own CREATE TABLE AS on
// the now non-empty directory ("Cannot create a table on a non-empty
// location"), leaving the table behind.
func (s *Server) nsLocation(rec nsRecord, ns []string) string {
	if base := rec.Properties["location"]; base != "" {
		return strings.TrimSuffix(base, "/")
	}
	segs := make([]string, 0, len(ns))
	for _, l := range ns {
		segs = append(segs, safeSegment(l))
	}
	return s.wh.location(strings.Join(segs, "/"))
}

func (s *Server) namespaceExists(w http.ResponseWriter, r *http.Request, p params) error {
	if err := checkNamespace(p.ns); err != nil {
		return err
	}
	if _, _, err := s.getNamespace(r.Context(), p.ns); err != nil {
		return err
	}
	noContent(w)
	return nil
}

func (s *Server) dropNamespace(w http.ResponseWriter, r *http.Request, p params) error {
	if err := checkNamespace(p.ns); err != nil {
		return err
	}
	ctx := r.Context()
	err := retryConflicts("drop namespace", func() error {
		_, e, err := s.getNamespace(ctx, p.ns)
		if err != nil {
			return err
		}
		for _, prefix := range []string{childPrefix(p.ns), tablesPrefix(p.ns), viewsPrefix(p.ns)} {
			es, err := s.kv.KVList(ctx, prefix, "", 1)
			if err != nil {
				return kvErr("list "+prefix, err)
			}
			if len(es) > 0 {
				return namespaceNotEmpty(p.ns)
			}
		}
		return s.apply(ctx, "drop namespace "+joinNS(p.ns), []metastore.KVOp{{Key: e.Key, Expect: e.Version, Delete: true}})
	})
	if err != nil {
		return err
	}
	noContent(w)
	return nil
}

func (s *Server) updateNamespaceProperties(w http.ResponseWriter, r *http.Request, p params) error {
	if err := checkNamespace(p.ns); err != nil {
		return err
	}
	var req struct {
		Removals []string          `json:"removals"`
		Updates  map[string]string `json:"updates"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	for _, k := range req.Removals {
		if _, ok := req.Updates[k]; ok {
			return fmt.Errorf("%w: property %q both removed and updated", ErrUnprocessable, k)
		}
	}
	if err := s.checkNSLocation(req.Updates); err != nil {
		return err
	}
	type summary struct {
		Updated []string `json:"updated"`
		Removed []string `json:"removed"`
		Missing []string `json:"missing,omitempty"`
	}
	var out summary
	ctx := r.Context()
	err := retryConflicts("update namespace properties", func() error {
		rec, e, err := s.getNamespace(ctx, p.ns)
		if err != nil {
			return err
		}
		out = summary{Updated: slices.Sorted(maps.Keys(req.Updates)), Removed: []string{}}
		for _, k := range req.Removals {
			if _, ok := rec.Properties[k]; ok {
				delete(rec.Properties, k)
				out.Removed = append(out.Removed, k)
			} else {
				out.Missing = append(out.Missing, k)
			}
		}
		maps.Copy(rec.Properties, req.Updates)
		return s.apply(ctx, "update namespace "+joinNS(p.ns), []metastore.KVOp{{Key: e.Key, Expect: e.Version, Value: mustJSON(rec)}})
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// checkNSLocation refuses a namespace "location" property outside the
// warehouse: the tables created in the namespace would live there.
func (s *Server) checkNSLocation(props map[string]string) error {
	loc, ok := props["location"]
	if !ok {
		return nil
	}
	if _, _, err := s.files.locate(strings.TrimSuffix(loc, "/")); err != nil {
		return fmt.Errorf("namespace location: %w", err)
	}
	return nil
}
