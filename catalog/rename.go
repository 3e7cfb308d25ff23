package catalog

// Renames: POST /v1/{prefix}/tables/rename (spec operation renameTable).
// One KVApply deletes the old key, creates the new one with the same
// metadata location and touches the destination namespace. The table's
// files stay where they are. 204 on success; 404 NoSuchTableException or
// NoSuchNamespaceException, 409 AlreadyExistsException.

import (
	"fmt"
	"net/http"

	"github.com/tributary-io/tributary/internal/metastore"
)

// decodeRename reads a rename request (tables and views alike): its
// source and destination, each a valid identifier.
func decodeRename(r *http.Request) (from, to ident, err error) {
	var req struct {
		Source      *restIdent `json:"source"`
		Destination *restIdent `json:"destination"`
	}
	if err := decodeBody(r, &req); err != nil {
		return from, to, err
	}
	if req.Source == nil || req.Destination == nil {
		return from, to, fmt.Errorf("%w: rename needs a source and a destination", ErrBadRequest)
	}
	from = ident{ns: req.Source.Namespace, name: req.Source.Name}
	to = ident{ns: req.Destination.Namespace, name: req.Destination.Name}
	for _, id := range []ident{from, to} {
		if err := checkIdent(id); err != nil {
			return from, to, err
		}
	}
	return from, to, nil
}

func (s *Server) renameTable(w http.ResponseWriter, r *http.Request, _ params) error {
	from, to, err := decodeRename(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	err = retryConflicts("rename table", func() error {
		_, src, err := s.getTable(ctx, from)
		if err != nil {
			return err
		}
		if tableKey(from) == tableKey(to) {
			return nil
		}
		_, nsEntry, err := s.getNamespace(ctx, to.ns)
		if err != nil {
			return err
		}
		if _, _, err := s.getTable(ctx, to); err == nil {
			return tableExists(to)
		} else if !isErr(err, ErrNoSuchTable) {
			return err
		}
		if _, _, err := s.getView(ctx, to); err == nil {
			return renameTaken(from, to, "View")
		} else if !isErr(err, ErrNoSuchView) {
			return err
		}
		return s.apply(ctx, fmt.Sprintf("rename %s to %s", from, to), []metastore.KVOp{
			{Key: src.Key, Expect: src.Version, Delete: true},
			{Key: tableKey(to), Expect: metastore.KVAbsent, Value: src.Value},
			touch(nsEntry),
		})
	})
	if err != nil {
		return err
	}
	noContent(w)
	return nil
}
