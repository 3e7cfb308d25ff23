package catalog

// Tables: GET/POST /v1/{prefix}/namespaces/{namespace}/tables, GET/HEAD/
// DELETE .../tables/{table}, POST .../register, POST .../tables/{table}/
// metrics (spec operations listTables, createTable, loadTable,
// tableExists, dropTable, registerTable; reportMetrics is in metrics.go).
// Commits (POST .../tables/{table}) are in commit.go, renames in rename.go.
//
// A table is a key holding the location of its current metadata file.
// Every location is inside the warehouse or allowed (outside.go); a table
// created without one gets
// <warehouse>/<namespace levels>/<name>-<uuid> (or <namespace location>/
// <name>-<uuid> when the namespace has a "location" property): the uuid
// keeps a dropped and recreated table, or a renamed one and a new one of
// its old name, out of each other's files, so a purge of one never
// deletes another's.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
	"github.com/google/uuid"
	"github.com/tributary-io/tributary/internal/metastore"
)

// loadTableResult is the spec's LoadTableResult (also CreateTableResponse).
type loadTableResult struct {
	// MetadataLocation is absent for a staged create: nothing is stored.
	MetadataLocation   string              `json:"metadata-location,omitempty"`
	Metadata           json.RawMessage     `json:"metadata"`
	Config             map[string]string   `json:"config,omitempty"`
	StorageCredentials []storageCredential `json:"storage-credentials,omitempty"`
}

// tableResult is the answer to r about the table whose metadata file loc
// holds raw: with the table config, and the vended credentials when r
// asks for them (credentials.go).
func (s *Server) tableResult(r *http.Request, loc string, raw []byte) (loadTableResult, error) {
	res := loadTableResult{MetadataLocation: loc, Metadata: raw, Config: s.tableConfig(nil)}
	if !wantsVended(r) {
		return res, nil
	}
	var meta struct {
		Location string `json:"location"`
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		return res, fmt.Errorf("read table location: %w", err)
	}
	creds, err := s.vended(r.Context(), meta.Location)
	if err != nil {
		return res, err
	}
	res.Config, res.StorageCredentials = s.tableConfig(creds), s.storageCredentials(meta.Location, creds)
	return res, nil
}

func (s *Server) listTables(w http.ResponseWriter, r *http.Request, p params) error {
	return s.listIdents(w, r, p.ns, tablesPrefix)
}

// listIdents answers a ListTablesResponse (views answer the same shape):
// the identifiers stored under prefixOf(ns), a page at a time.
func (s *Server) listIdents(w http.ResponseWriter, r *http.Request, ns []string, prefixOf func([]string) string) error {
	if err := checkNamespace(ns); err != nil {
		return err
	}
	if _, _, err := s.getNamespace(r.Context(), ns); err != nil {
		return err
	}
	prefix := prefixOf(ns)
	pg, err := parsePage(r, prefix)
	if err != nil {
		return err
	}
	es, next, err := s.list(r.Context(), prefix, pg)
	if err != nil {
		return err
	}
	out := struct {
		Identifiers   []restIdent `json:"identifiers"`
		NextPageToken *string     `json:"next-page-token,omitempty"`
	}{Identifiers: make([]restIdent, 0, len(es))}
	for _, e := range es {
		out.Identifiers = append(out.Identifiers, restIdent{Namespace: ns, Name: e.Key[len(prefix):]})
	}
	if next != "" {
		out.NextPageToken = &next
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// createTableRequest is the spec's CreateTableRequest.
type createTableRequest struct {
	Name          string                 `json:"name"`
	Location      string                 `json:"location"`
	Schema        *iceberg.Schema        `json:"schema"`
	PartitionSpec *iceberg.PartitionSpec `json:"partition-spec"`
	WriteOrder    *table.SortOrder       `json:"write-order"`
	StageCreate   bool                   `json:"stage-create"`
	Properties    iceberg.Properties     `json:"properties"`
}

// createTable creates a table, or with stage-create answers the metadata a
// create would have without storing anything: the client commits it later
// with assert-create (commit.go).
func (s *Server) createTable(w http.ResponseWriter, r *http.Request, p params) error {
	var req createTableRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	id := ident{ns: p.ns, name: req.Name}
	if err := checkIdent(id); err != nil {
		return err
	}
	if req.Schema == nil {
		return fmt.Errorf("%w: create table %s: no schema", ErrBadRequest, id)
	}
	ctx := r.Context()
	var resLoc string // the metadata file's location ("" for a staged create)
	var resRaw []byte // its JSON
	var note string   // a requested location overridden
	err := retryConflicts("create table", func() error {
		nsRec, nsEntry, err := s.getNamespace(ctx, id.ns)
		if err != nil {
			return err
		}
		if _, _, err := s.getTable(ctx, id); err == nil {
			return tableExists(id)
		} else if !isErr(err, ErrNoSuchTable) {
			return err
		}
		if err := s.checkNoView(ctx, id); err != nil {
			return err
		}
		meta, n, err := s.newTableMetadata(req, nsRec, id)
		if err != nil {
			return err
		}
		note = n
		if req.StageCreate {
			if err := s.makeStagedDirs(meta, req.Location == "" || n != ""); err != nil {
				return err
			}
			resLoc, resRaw = "", mustJSON(meta)
			return nil
		}
		loc, err := newMetadataLocation(meta, 0)
		if err != nil {
			return err
		}
		raw, err := s.files.write(ctx, loc, meta)
		if err != nil {
			return err
		}
		err = s.apply(ctx, "create table "+id.String(), []metastore.KVOp{
			{Key: tableKey(id), Expect: metastore.KVAbsent, Value: mustJSON(tableRecord{MetadataLocation: loc})},
			touch(nsEntry),
		})
		if err != nil {
			s.files.remove(ctx, loc)
			return err
		}
		resLoc, resRaw = loc, raw
		return nil
	})
	if err != nil {
		return err
	}
	res, err := s.tableResult(r, resLoc, resRaw)
	if err != nil {
		return err
	}
	if note != "" {
		s.warnOverridden(w, r, []string{note})
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// newTableMetadata builds a new table's first metadata: fresh field, spec
// and sort-order IDs, as every catalog assigns them. A requested location
// outside the warehouse is overridden; the note says so (location.go).
func (s *Server) newTableMetadata(req createTableRequest, nsRec nsRecord, id ident) (table.Metadata, string, error) {
	tableUUID := uuid.New()
	loc, note := s.placeLocation(req.Location, s.defaultLocation(nsRec, id, tableUUID))
	if _, _, err := s.files.locate(loc); err != nil { // a namespace location not allowed
		return nil, "", fmt.Errorf("create table %s: %w", id, err)
	}
	order := table.UnsortedSortOrder
	if req.WriteOrder != nil {
		order = *req.WriteOrder
	}
	meta, err := table.NewMetadataWithUUID(req.Schema, req.PartitionSpec, order, loc, req.Properties, tableUUID)
	if err != nil {
		return nil, "", fmt.Errorf("%w: create table %s: %v", ErrBadRequest, id, err)
	}
	return meta, note, nil
}

// defaultLocation is where a table created without a location lives.
func (s *Server) defaultLocation(nsRec nsRecord, id ident, u uuid.UUID) string {
	return s.nsLocation(nsRec, id.ns) + "/" + safeSegment(id.name) + "-" + u.String()
}

// safeSegment makes a name a path segment every object store and engine
// takes as it is, with nothing to escape in a URI: ASCII letters and
// digits, '-', '_' and '.' stay, any other character becomes '_', and so
// does a leading dot.
func safeSegment(name string) string {
	b := make([]byte, 0, len(name))
	for i, c := range name {
		ok := c < 0x80 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_.", c))
		if !ok || (i == 0 && c == '.') {
			c = '_'
		}
		b = append(b, byte(c))
	}
	return string(b)
}

// newMetadataLocation names the metadata file of a table's version-th
// metadata: <metadata dir>/<version>-<uuid>[.gz].metadata.json, the dir
// being write.metadata.path or <location>/metadata.
func newMetadataLocation(meta table.Metadata, version int) (string, error) {
	prov, err := table.LoadLocationProvider(meta.Location(), meta.Properties())
	if err != nil {
		return "", fmt.Errorf("%w: table location %s: %v", ErrBadRequest, meta.Location(), err)
	}
	loc, err := prov.NewTableMetadataFileLocation(version)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	return loc, nil
}

var metadataVersion = regexp.MustCompile(`^v?(\d+)[-.]`)

// nextVersion is the version of the metadata file after the one at loc
// (names from any engine: 00012-<uuid>.metadata.json, v12.metadata.json),
// or 1 when loc's name carries none. Names stay unique either way: they
// hold a fresh uuid.
func nextVersion(loc string) int {
	m := metadataVersion.FindStringSubmatch(path.Base(loc))
	if m == nil {
		return 1
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return 1
	}
	return n + 1
}

func (s *Server) loadTable(w http.ResponseWriter, r *http.Request, p params) error {
	id := p.ident()
	if err := checkIdent(id); err != nil {
		return err
	}
	rec, _, err := s.getTable(r.Context(), id)
	if err != nil {
		return err
	}
	mode := r.URL.Query().Get("snapshots")
	if mode != "" && mode != "all" && mode != "refs" {
		return fmt.Errorf("%w: snapshots=%q: want all or refs", ErrBadRequest, mode)
	}
	tag := etag(rec.MetadataLocation, mode+"\x00"+strconv.FormatBool(wantsVended(r)))
	w.Header().Set("ETag", tag)
	if r.Header.Get("If-None-Match") == tag {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	raw, err := s.files.read(r.Context(), rec.MetadataLocation)
	if err != nil {
		return fmt.Errorf("load table %s: %w", id, err)
	}
	if mode == "refs" {
		if raw, err = referencedSnapshots(raw); err != nil {
			return fmt.Errorf("load table %s: %w", id, err)
		}
	}
	res, err := s.tableResult(r, rec.MetadataLocation, raw)
	if err != nil {
		return fmt.Errorf("load table %s: %w", id, err)
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// etag names one answer of loadTable: a metadata file and a snapshots mode.
func etag(loc, mode string) string {
	sum := sha256.Sum256([]byte(loc + "\x00" + mode))
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// referencedSnapshots drops from metadata JSON the snapshots no branch or
// tag references (loadTable's snapshots=refs).
func referencedSnapshots(raw []byte) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	var refs map[string]struct {
		SnapshotID int64 `json:"snapshot-id"`
	}
	var snaps []json.RawMessage
	if err := json.Unmarshal(m["refs"], &refs); len(m["refs"]) > 0 && err != nil {
		return nil, err
	}
	if err := json.Unmarshal(m["snapshots"], &snaps); len(m["snapshots"]) > 0 && err != nil {
		return nil, err
	}
	keep := map[int64]bool{}
	for _, ref := range refs {
		keep[ref.SnapshotID] = true
	}
	kept := make([]json.RawMessage, 0, len(keep))
	for _, sn := range snaps {
		var h struct {
			ID int64 `json:"snapshot-id"`
		}
		if err := json.Unmarshal(sn, &h); err != nil {
			return nil, err
		}
		if keep[h.ID] {
			kept = append(kept, sn)
		}
	}
	m["snapshots"] = mustJSON(kept)
	return json.Marshal(m)
}

func (s *Server) tableExists(w http.ResponseWriter, r *http.Request, p params) error {
	id := p.ident()
	if err := checkIdent(id); err != nil {
		return err
	}
	if _, _, err := s.getTable(r.Context(), id); err != nil {
		return err
	}
	noContent(w)
	return nil
}

// dropTable removes the table from the catalog; with purgeRequested=true
// it then deletes the table's files (purge.go).
func (s *Server) dropTable(w http.ResponseWriter, r *http.Request, p params) error {
	id := p.ident()
	if err := checkIdent(id); err != nil {
		return err
	}
	purge, _ := strconv.ParseBool(r.URL.Query().Get("purgeRequested"))
	ctx := r.Context()
	var rec tableRecord
	err := retryConflicts("drop table", func() error {
		var e metastore.KVEntry
		var err error
		if rec, e, err = s.getTable(ctx, id); err != nil {
			return err
		}
		return s.apply(ctx, "drop table "+id.String(), []metastore.KVOp{{Key: e.Key, Expect: e.Version, Delete: true}})
	})
	if err != nil {
		return err
	}
	if purge {
		s.purge(ctx, id, rec.MetadataLocation)
	}
	noContent(w)
	return nil
}

// registerTable adds a table whose metadata file already exists in the
// warehouse; with overwrite it replaces the table of that name.
func (s *Server) registerTable(w http.ResponseWriter, r *http.Request, p params) error {
	var req struct {
		Name             string `json:"name"`
		MetadataLocation string `json:"metadata-location"`
		Overwrite        bool   `json:"overwrite"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	id := ident{ns: p.ns, name: req.Name}
	if err := checkIdent(id); err != nil {
		return err
	}
	ctx := r.Context()
	_, raw, err := s.files.load(ctx, req.MetadataLocation)
	if isNotFound(err) {
		return fmt.Errorf("%w: register %s: no metadata file at %s", ErrBadRequest, id, req.MetadataLocation)
	}
	if err != nil {
		if !isErr(err, ErrBadRequest) && !isErr(err, ErrUnavailable) {
			err = fmt.Errorf("%w: register %s: %v", ErrBadRequest, id, err)
		}
		return err
	}
	err = retryConflicts("register table", func() error {
		_, nsEntry, err := s.getNamespace(ctx, id.ns)
		if err != nil {
			return err
		}
		expect := metastore.KVAbsent
		if _, e, err := s.getTable(ctx, id); err == nil {
			if !req.Overwrite {
				return tableExists(id)
			}
			expect = e.Version
		} else if !isErr(err, ErrNoSuchTable) {
			return err
		}
		return s.apply(ctx, "register table "+id.String(), []metastore.KVOp{
			{Key: tableKey(id), Expect: expect, Value: mustJSON(tableRecord{MetadataLocation: req.MetadataLocation})},
			touch(nsEntry),
		})
	})
	if err != nil {
		return err
	}
	res, err := s.tableResult(r, req.MetadataLocation, raw)
	if err != nil {
		return fmt.Errorf("register table %s: %w", id, err)
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
