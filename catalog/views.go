package catalog

// Views: GET/POST /v1/{prefix}/namespaces/{namespace}/views, GET/HEAD/
// POST/DELETE .../views/{view}, POST /v1/{prefix}/views/rename (spec
// operations listViews, createView, loadView, viewExists, replaceView,
// dropView, renameView).
//
// A view is stored as a table is: a key (catalog/view/...) holding the
// location of its current metadata file, a new file per change (version
// log and all, built by iceberg-go's view.MetadataBuilder), swapped in by
// compare-and-swap. A view lives at <warehouse>/<namespace>/<name>-<uuid>
// unless it asks for a location inside the warehouse; one outside is
// overridden (location.go). A table and a view never share a name: each
// create and rename checks the other kind. That check and the write are
// two steps, so a table and a view created at the same moment under one
// name can both land; nothing else can.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/view"
	"github.com/google/uuid"
	"github.com/tributary-io/tributary/internal/metastore"
)

const (
	keyViews = "catalog/view/"
	// viewMetadataPath is the view property that places its metadata
	// files (Iceberg's ViewProperties.WRITE_METADATA_LOCATION); taken
	// when inside the warehouse.
	viewMetadataPath = "write.metadata.path"
)

func viewKey(id ident) string { return viewsPrefix(id.ns) + id.name }

func viewsPrefix(ns []string) string { return keyViews + strings.Join(ns, nsSep) + tblSep }

func noSuchView(id ident) error {
	return &clientError{ErrNoSuchView, "View does not exist: " + id.String()}
}

func viewExists(id ident) error {
	return &clientError{ErrAlreadyExists, "View already exists: " + id.String()}
}

// getView reads a view's record and entry. An absent view is ErrNoSuchView.
func (s *Server) getView(ctx context.Context, id ident) (tableRecord, metastore.KVEntry, error) {
	e, err := s.kv.KVGet(ctx, viewKey(id))
	if errors.Is(err, metastore.ErrUnknownKey) {
		return tableRecord{}, e, noSuchView(id)
	}
	if err != nil {
		return tableRecord{}, e, kvErr("read view "+id.String(), err)
	}
	var rec tableRecord
	if err := json.Unmarshal(e.Value, &rec); err != nil {
		return tableRecord{}, e, fmt.Errorf("decode view %s: %w", id, err)
	}
	return rec, e, nil
}

// checkNoView fails with AlreadyExists (in the reference wording) when a
// view holds the name a table is about to take.
func (s *Server) checkNoView(ctx context.Context, id ident) error {
	if _, _, err := s.getView(ctx, id); err == nil {
		return &clientError{ErrAlreadyExists, "View with same name already exists: " + id.String()}
	} else if !isErr(err, ErrNoSuchView) {
		return err
	}
	return nil
}

// renameTaken is a rename onto a name a view or table holds, in the
// reference wording.
func renameTaken(from, to ident, kind string) error {
	return &clientError{ErrAlreadyExists, fmt.Sprintf("Cannot rename %s to %s. %s already exists", from, to, kind)}
}

// checkNoTable is checkNoView for a view about to take a table's name.
func (s *Server) checkNoTable(ctx context.Context, id ident) error {
	if _, _, err := s.getTable(ctx, id); err == nil {
		return &clientError{ErrAlreadyExists, "Table with same name already exists: " + id.String()}
	} else if !isErr(err, ErrNoSuchTable) {
		return err
	}
	return nil
}

// loadViewResult is the spec's LoadViewResult.
type loadViewResult struct {
	MetadataLocation string            `json:"metadata-location"`
	Metadata         json.RawMessage   `json:"metadata"`
	Config           map[string]string `json:"config,omitempty"`
}

func (s *Server) listViews(w http.ResponseWriter, r *http.Request, p params) error {
	return s.listIdents(w, r, p.ns, viewsPrefix)
}

// createViewRequest is the spec's CreateViewRequest.
type createViewRequest struct {
	Name        string             `json:"name"`
	Location    string             `json:"location"`
	Schema      *iceberg.Schema    `json:"schema"`
	ViewVersion *view.Version      `json:"view-version"`
	Properties  iceberg.Properties `json:"properties"`
}

func (s *Server) createView(w http.ResponseWriter, r *http.Request, p params) error {
	var req createViewRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	id := ident{ns: p.ns, name: req.Name}
	if err := checkIdent(id); err != nil {
		return err
	}
	if req.Schema == nil || req.ViewVersion == nil {
		return fmt.Errorf("%w: create view %s: a schema and a view-version are required", ErrBadRequest, id)
	}
	ctx := r.Context()
	var res loadViewResult
	var note string
	err := retryConflicts("create view", func() error {
		nsRec, nsEntry, err := s.getNamespace(ctx, id.ns)
		if err != nil {
			return err
		}
		if _, _, err := s.getView(ctx, id); err == nil {
			return viewExists(id)
		} else if !isErr(err, ErrNoSuchView) {
			return err
		}
		if err := s.checkNoTable(ctx, id); err != nil {
			return err
		}
		viewUUID := uuid.New()
		var loc string
		loc, note = s.placeLocation(req.Location, s.defaultLocation(nsRec, id, viewUUID))
		b, err := view.NewMetadataBuilder()
		if err != nil {
			return err
		}
		props := req.Properties
		if props == nil {
			props = iceberg.Properties{}
		}
		b.SetUUID(viewUUID).SetLoc(loc).SetProperties(props).SetCurrentVersion(req.ViewVersion, req.Schema)
		metaLoc, raw, err := s.writeView(ctx, id, b, 0)
		if err != nil {
			return err
		}
		err = s.apply(ctx, "create view "+id.String(), []metastore.KVOp{
			{Key: viewKey(id), Expect: metastore.KVAbsent, Value: mustJSON(tableRecord{MetadataLocation: metaLoc})},
			touch(nsEntry),
		})
		if err != nil {
			s.files.remove(ctx, metaLoc)
			return err
		}
		res = loadViewResult{MetadataLocation: metaLoc, Metadata: raw}
		return nil
	})
	if err != nil {
		return err
	}
	if note != "" {
		s.warnOverridden(w, r, []string{note})
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// writeView builds a view's metadata and writes it as the view's
// version-th metadata file; it returns the file's location and JSON.
func (s *Server) writeView(ctx context.Context, id ident, b *view.MetadataBuilder, version int) (string, []byte, error) {
	res, err := b.Build()
	if err != nil {
		return "", nil, fmt.Errorf("view %s: %w", id, &clientError{ErrInvalidArgument, strings.TrimPrefix(err.Error(), "invalid view metadata: ")})
	}
	meta := res.Metadata
	if _, _, err := s.files.locate(meta.Location()); err != nil {
		return "", nil, fmt.Errorf("view %s: %w", id, err)
	}
	dir := meta.Location() + "/metadata"
	if p := strings.TrimSuffix(meta.Properties()[viewMetadataPath], "/"); p != "" {
		if _, _, err := s.files.locate(p); err == nil { // not allowed: the default
			dir = p
		}
	}
	loc := fmt.Sprintf("%s/%05d-%s.metadata.json", dir, version, uuid.New())
	raw, err := json.Marshal(meta)
	if err != nil {
		return "", nil, fmt.Errorf("encode view %s: %w", id, err)
	}
	if err := s.files.writeRaw(ctx, loc, raw); err != nil {
		return "", nil, fmt.Errorf("view %s: %w", id, err)
	}
	return loc, raw, nil
}

func (s *Server) loadView(w http.ResponseWriter, r *http.Request, p params) error {
	id := p.ident()
	if err := checkIdent(id); err != nil {
		return err
	}
	rec, _, err := s.getView(r.Context(), id)
	if err != nil {
		return err
	}
	raw, err := s.files.read(r.Context(), rec.MetadataLocation)
	if err != nil {
		return fmt.Errorf("load view %s: %w", id, err)
	}
	writeJSON(w, http.StatusOK, loadViewResult{MetadataLocation: rec.MetadataLocation, Metadata: raw})
	return nil
}

func (s *Server) viewExistsHandler(w http.ResponseWriter, r *http.Request, p params) error {
	id := p.ident()
	if err := checkIdent(id); err != nil {
		return err
	}
	if _, _, err := s.getView(r.Context(), id); err != nil {
		return err
	}
	noContent(w)
	return nil
}

func (s *Server) dropView(w http.ResponseWriter, r *http.Request, p params) error {
	id := p.ident()
	if err := checkIdent(id); err != nil {
		return err
	}
	ctx := r.Context()
	err := retryConflicts("drop view", func() error {
		_, e, err := s.getView(ctx, id)
		if err != nil {
			return err
		}
		return s.apply(ctx, "drop view "+id.String(), []metastore.KVOp{{Key: e.Key, Expect: e.Version, Delete: true}})
	})
	if err != nil {
		return err
	}
	noContent(w)
	return nil
}

// commitViewRequest is the spec's CommitViewRequest.
type commitViewRequest struct {
	Identifier   *restIdent        `json:"identifier"`
	Requirements view.Requirements `json:"requirements"`
	Updates      view.Updates      `json:"updates"`
}

// replaceView applies a commit to a view: its requirements checked on the
// current metadata, its updates applied, a new metadata file swapped in.
// A lost race is retried on the fresh metadata.
func (s *Server) replaceView(w http.ResponseWriter, r *http.Request, p params) error {
	id := p.ident()
	if err := checkIdent(id); err != nil {
		return err
	}
	var req commitViewRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	var res loadViewResult
	var notes []string
	err := retryConflicts("replace view", func() error {
		rec, e, err := s.getView(ctx, id)
		if err != nil {
			return err
		}
		base, err := s.loadViewMetadata(ctx, rec.MetadataLocation)
		if err != nil {
			return fmt.Errorf("replace view %s: %w", id, err)
		}
		for _, rq := range req.Requirements {
			if err := rq.Validate(base); err != nil {
				return viewRequirementFailed(err)
			}
		}
		b, err := view.MetadataBuilderFromBase(base)
		if err != nil {
			return err
		}
		notes = nil
		for _, u := range req.Updates {
			if u.Action() == view.UpdateSetLocation {
				var set struct {
					Location string `json:"location"`
				}
				if err := json.Unmarshal(mustJSON(u), &set); err == nil {
					loc, note := s.placeLocation(set.Location, base.Location())
					if note != "" {
						notes = append(notes, note)
						u = view.NewSetLocationUpdate(loc)
					}
				}
			}
			if err := u.Apply(b); err != nil {
				return fmt.Errorf("%w: replace view %s: %s: %v", ErrBadRequest, id, u.Action(), err)
			}
		}
		metaLoc, raw, err := s.writeView(ctx, id, b, nextVersion(rec.MetadataLocation))
		if err != nil {
			return err
		}
		if err := s.apply(ctx, "replace view "+id.String(), []metastore.KVOp{{Key: e.Key, Expect: e.Version, Value: mustJSON(tableRecord{MetadataLocation: metaLoc})}}); err != nil {
			s.files.remove(ctx, metaLoc)
			return err
		}
		res = loadViewResult{MetadataLocation: metaLoc, Metadata: raw}
		return nil
	})
	if err != nil {
		return err
	}
	s.warnOverridden(w, r, notes)
	writeJSON(w, http.StatusOK, res)
	return nil
}

// loadViewMetadata reads and parses the view metadata file at loc.
func (s *Server) loadViewMetadata(ctx context.Context, loc string) (view.Metadata, error) {
	raw, err := s.files.read(ctx, loc)
	if err != nil {
		return nil, err
	}
	meta, err := view.ParseMetadataBytes(raw)
	if err != nil {
		return nil, fmt.Errorf("parse view metadata %s: %w", loc, err)
	}
	return meta, nil
}

// viewRequirementFailed is a view requirement that did not hold, in the
// reference wording ("Requirement failed: UUID does not match: expected
// <asserted> != <view's>").
func viewRequirementFailed(err error) error {
	msg := "Requirement failed: " + err.Error()
	if m := uuidMismatch.FindStringSubmatch(err.Error()); m != nil {
		msg = fmt.Sprintf("Requirement failed: UUID does not match: expected %s != %s", m[2], m[1])
	}
	return &clientError{ErrCommitFailed, msg}
}

// renameView moves a view to another name (and namespace): one KVApply.
func (s *Server) renameView(w http.ResponseWriter, r *http.Request, _ params) error {
	from, to, err := decodeRename(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	err = retryConflicts("rename view", func() error {
		_, src, err := s.getView(ctx, from)
		if err != nil {
			return err
		}
		if viewKey(from) == viewKey(to) {
			return nil
		}
		_, nsEntry, err := s.getNamespace(ctx, to.ns)
		if err != nil {
			return err
		}
		if _, _, err := s.getView(ctx, to); err == nil {
			return renameTaken(from, to, "View")
		} else if !isErr(err, ErrNoSuchView) {
			return err
		}
		if _, _, err := s.getTable(ctx, to); err == nil {
			return renameTaken(from, to, "Table")
		} else if !isErr(err, ErrNoSuchTable) {
			return err
		}
		return s.apply(ctx, fmt.Sprintf("rename view %s to %s", from, to), []metastore.KVOp{
			{Key: src.Key, Expect: src.Version, Delete: true},
			{Key: viewKey(to), Expect: metastore.KVAbsent, Value: src.Value},
			touch(nsEntry),
		})
	})
	if err != nil {
		return err
	}
	noContent(w)
	return nil
}
