package catalog

// Multi-table commits: POST /v1/{prefix}/transactions/commit (spec
// operation commitTransaction). Each table change is prepared as a single
// commit is (commit.go); then one KVApply swaps every table's metadata
// location, so all changes land or none does. 204 on success.

import (
	"fmt"
	"net/http"
)

func (s *Server) commitTransaction(w http.ResponseWriter, r *http.Request, _ params) error {
	var req struct {
		TableChanges []commitRequest `json:"table-changes"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if len(req.TableChanges) == 0 {
		return fmt.Errorf("%w: transaction without table changes", ErrBadRequest)
	}
	changes := make([]tableChange, 0, len(req.TableChanges))
	seen := map[string]bool{}
	for _, c := range req.TableChanges {
		if c.Identifier == nil {
			return fmt.Errorf("%w: transaction: a table change without identifier", ErrBadRequest)
		}
		id := ident{ns: c.Identifier.Namespace, name: c.Identifier.Name}
		if err := checkIdent(id); err != nil {
			return err
		}
		if seen[tableKey(id)] {
			return fmt.Errorf("%w: transaction: table %s changed twice", ErrBadRequest, id)
		}
		seen[tableKey(id)] = true
		changes = append(changes, tableChange{id, c.Requirements, c.Updates})
	}
	ps, err := s.commit(r.Context(), changes)
	if err != nil {
		return err
	}
	for _, p := range ps {
		s.warnOverridden(w, r, p.overridden)
	}
	noContent(w)
	return nil
}
