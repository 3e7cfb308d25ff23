package catalog

// Commits: POST /v1/{prefix}/namespaces/{namespace}/tables/{table} (spec
// operation updateTable), and the per-table half of /transactions/commit.
//
// A commit loads the table's current metadata, checks every requirement
// against it (assert-create, assert-table-uuid, assert-ref-snapshot-id,
// assert-last-assigned-field-id, assert-current-schema-id,
// assert-last-assigned-partition-id, assert-default-spec-id,
// assert-default-sort-order-id: a failure is 409 CommitFailedException),
// applies the updates with iceberg-go's metadata builder (every action of
// the spec: assign-uuid, upgrade-format-version, add-schema,
// set-current-schema, add-spec, set-default-spec, add-sort-order,
// set-default-sort-order, add-snapshot, set-snapshot-ref, remove-snapshots,
// remove-snapshot-ref, set-location, set-properties, remove-properties,
// set-statistics, remove-statistics, set-partition-statistics,
// remove-partition-statistics, remove-partition-specs, remove-schemas,
// add-encryption-key, remove-encryption-key; an unknown one is 400), writes
// the new metadata file, and swaps the table's metadata location in the
// metadata store with a compare-and-swap on the version it read.
//
// Commits to one table through one server take turns (in arrival order,
// tableLocks). When the swap finds the table changed since the load (a
// commit through another server on the same store), the file is deleted
// and the whole commit runs again on the fresh metadata — the
// requirements say what the client relied on, so if they still hold the
// updates apply as well to the new state (the Java reference server does
// the same) — after a short jittered backoff (1ms doubling to 20ms: only
// servers race, so a loser should try again soon), until it lands or
// Options.CommitRetryTimeout (10s) has passed: a commit without
// requirements does not fail for contention the server can absorb. A
// requirement that no longer holds on the fresh metadata is 409 at once,
// "Requirement failed: …"; a commit still losing races at the deadline is
// 409 "Commit failed: table ns.t changed concurrently (N attempts)". When
// the store fails during the swap, the commit may or may not have landed:
// 500 CommitStateUnknownException, and the file is left in place since it
// may be the table's current metadata. Error messages name tables, never
// the store's keys or versions.
//
// When the table sets write.metadata.delete-after-commit.enabled, the
// metadata files a landed commit drops from the metadata log (beyond
// write.metadata.previous-versions-max) are deleted, as Java's catalogs do.
//
// A commit with assert-create on a table that does not exist creates it
// (the second half of a stage-create): the metadata is built from empty by
// the updates.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/apache/iceberg-go/table"
	"github.com/google/uuid"
	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/wait"
)

// restIdent is the spec's TableIdentifier.
type restIdent struct {
	Namespace []string `json:"namespace"`
	Name      string   `json:"name"`
}

// commitRequest is the spec's CommitTableRequest.
type commitRequest struct {
	Identifier   *restIdent         `json:"identifier"`
	Requirements table.Requirements `json:"requirements"`
	Updates      table.Updates      `json:"updates"`
}

// pending is a prepared commit: the new metadata file is written, the ops
// that make it current are to be applied.
type pending struct {
	id     ident
	newLoc string
	raw    []byte // the new metadata's JSON
	meta   table.Metadata
	ops    []metastore.KVOp
	// unchanged: the updates changed nothing and nothing was written;
	// ops only checks that the table is still as the requirements saw
	// it, which matters when other tables of a transaction change.
	unchanged bool
	// expired are the metadata files the commit drops from the metadata
	// log, deleted once it lands when the table sets
	// write.metadata.delete-after-commit.enabled.
	expired []string
	// overridden are the notes of set-location updates outside the
	// warehouse that the commit overrode (location.go).
	overridden []string
}

func (s *Server) updateTable(w http.ResponseWriter, r *http.Request, p params) error {
	id := p.ident()
	if err := checkIdent(id); err != nil {
		return err
	}
	var req commitRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if req.Identifier != nil && (req.Identifier.Name != id.name || !equalNS(req.Identifier.Namespace, id.ns)) {
		return fmt.Errorf("%w: commit body names %s, path names %s", ErrBadRequest, ident{req.Identifier.Namespace, req.Identifier.Name}, id)
	}
	ps, err := s.commit(r.Context(), []tableChange{{id, req.Requirements, req.Updates}})
	if err != nil {
		return err
	}
	s.warnOverridden(w, r, ps[0].overridden)
	writeJSON(w, http.StatusOK, struct {
		MetadataLocation string          `json:"metadata-location"`
		Metadata         json.RawMessage `json:"metadata"`
	}{ps[0].newLoc, ps[0].raw})
	return nil
}

// tableChange is one table's part of a commit.
type tableChange struct {
	id      ident
	reqs    []table.Requirement
	updates []table.Update
}

// commit prepares every change, then makes them current in one KVApply:
// all or none. It runs after this server's earlier commits to the same
// tables (tableLocks). When the swap loses a race (the table changed since the
// load) it deletes the files and starts over on the fresh metadata after
// a jittered backoff, until it lands or Options.CommitRetryTimeout has
// passed since the first attempt; then 409.
func (s *Server) commit(ctx context.Context, changes []tableChange) (ps []*pending, err error) {
	defer func() { s.m.commits.WithLabelValues(commitResult(err)).Inc() }()
	keys := make([]string, len(changes))
	for i, c := range changes {
		keys[i] = tableKey(c.id)
	}
	unlock, err := s.locks.lock(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("commit %s: wait for this server's other commits: %w", names(changes), err)
	}
	defer unlock()
	deadline := time.Now().Add(s.opts.CommitRetryTimeout)
	backoff := commitBackoffMin
	for attempt := 1; ; attempt++ {
		ps, err := s.prepareAll(ctx, changes)
		if err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(ps, func(p *pending) bool { return !p.unchanged }) {
			return ps, nil
		}
		_, err = s.kv.KVApply(ctx, commitOps(ps))
		if err == nil {
			s.deleteExpired(ctx, ps)
			return ps, nil
		}
		if !errors.Is(err, metastore.ErrConflict) {
			return nil, fmt.Errorf("commit %s: %w: %w", names(changes), &clientError{ErrCommitStateUnknown,
				fmt.Sprintf("Commit state unknown: the catalog's store failed while committing %s; the commit may or may not have landed", names(changes))}, err)
		}
		s.discard(ps)
		pause := jitter(backoff)
		if s.opts.CommitRetryTimeout < 0 || time.Now().Add(pause).After(deadline) {
			s.log.Info("catalog commit gave up: the table kept changing", "tables", names(changes), "attempts", attempt, "err", err)
			return nil, fmt.Errorf("commit %s: %w", names(changes), &clientError{ErrCommitFailed,
				fmt.Sprintf("Commit failed: %s changed concurrently (%d attempts)", tableWord(changes), attempt)})
		}
		s.m.conflicts.Inc()
		s.log.Debug("catalog commit conflict, retrying", "tables", names(changes), "attempt", attempt, "err", err)
		if err := wait.Sleep(ctx, pause); err != nil {
			return nil, fmt.Errorf("commit %s: %w", names(changes), err)
		}
		backoff = min(2*backoff, commitBackoffMax)
	}
}

// The backoff between attempts of a commit that lost a race: doubling
// from commitBackoffMin to commitBackoffMax, each wait drawn from its
// upper half so that racing writers spread out.
const (
	commitBackoffMin = time.Millisecond
	commitBackoffMax = 20 * time.Millisecond
)

func jitter(d time.Duration) time.Duration {
	return d/2 + rand.N(d/2+1)
}

// tableWord names the tables of a commit for a client message: "table
// ns.t", or "tables ns.a, ns.b".
func tableWord(changes []tableChange) string {
	if len(changes) == 1 {
		return "table " + changes[0].id.String()
	}
	return "tables " + names(changes)
}

// requirementFailed is a requirement that did not hold, in the reference
// wording of Iceberg's UpdateRequirement ("Requirement failed: current
// schema changed: expected id 0 != 1", which clients match on), reworded
// from iceberg-go's ("... current schema id has changed: expected 0,
// found 1"); others keep iceberg-go's text, capitalized.
func requirementFailed(req table.Requirement, err error) error {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "requirement failed"); ok {
		msg = "Requirement failed" + rest
	}
	if what, ok := requirementWords[req.GetType()]; ok {
		if m := expectedFound.FindStringSubmatch(msg); m != nil {
			msg = fmt.Sprintf("Requirement failed: %s changed: expected id %s != %s", what, m[1], m[2])
		}
	}
	if m := uuidMismatch.FindStringSubmatch(msg); m != nil && req.GetType() == "assert-table-uuid" {
		msg = fmt.Sprintf("Requirement failed: UUID does not match: expected %s != %s", m[2], m[1])
	}
	return &clientError{ErrCommitFailed, msg}
}

// requirementWords names what each requirement asserts, as the reference
// does in its failure.
var requirementWords = map[string]string{
	"assert-current-schema-id":          "current schema",
	"assert-last-assigned-field-id":     "last assigned field id",
	"assert-last-assigned-partition-id": "last assigned partition id",
	"assert-default-spec-id":            "default partition spec",
	"assert-default-sort-order-id":      "default sort order",
}

var (
	// expectedFound is iceberg-go's "expected 1, found 3".
	expectedFound = regexp.MustCompile(`expected (-?\d+), found (-?\d+)$`)
	// uuidMismatch is iceberg-go's "UUID mismatch: <table's> != <asserted>".
	uuidMismatch = regexp.MustCompile(`UUID mismatch: (\S+) != (\S+)$`)
)

// prepareAll prepares each change; if one fails, the files of the others
// are deleted.
func (s *Server) prepareAll(ctx context.Context, changes []tableChange) ([]*pending, error) {
	ps := make([]*pending, 0, len(changes))
	for _, c := range changes {
		p, err := s.prepare(ctx, c)
		if err != nil {
			s.discard(ps)
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, nil
}

// discard deletes the metadata files of prepared commits that did not
// land.
func (s *Server) discard(ps []*pending) {
	for _, p := range ps {
		if !p.unchanged {
			s.files.remove(context.Background(), p.newLoc)
		}
	}
}

// commitOps gathers the ops of prepared commits, keeping one touch per
// namespace when several creates share it.
func commitOps(ps []*pending) []metastore.KVOp {
	var ops []metastore.KVOp
	seen := map[string]bool{}
	for _, p := range ps {
		for _, op := range p.ops {
			if !seen[op.Key] {
				seen[op.Key] = true
				ops = append(ops, op)
			}
		}
	}
	return ops
}

// prepare checks one change against the table's current metadata, applies
// it and writes the new metadata file.
func (s *Server) prepare(ctx context.Context, c tableChange) (*pending, error) {
	rec, e, err := s.getTable(ctx, c.id)
	if isErr(err, ErrNoSuchTable) && hasAssertCreate(c.reqs) {
		return s.prepareCreate(ctx, c)
	}
	if err != nil {
		return nil, err
	}
	base, raw, err := s.files.load(ctx, rec.MetadataLocation)
	if err != nil {
		return nil, fmt.Errorf("commit %s: load current metadata: %w", c.id, err)
	}
	for _, req := range c.reqs {
		if err := req.Validate(base); err != nil {
			return nil, fmt.Errorf("commit %s: %w", c.id, requirementFailed(req, err))
		}
	}
	b, err := table.MetadataBuilderFromBase(base, rec.MetadataLocation)
	if err != nil {
		return nil, fmt.Errorf("commit %s: %w", c.id, err)
	}
	updates, notes := s.overrideLocations(c.updates, base.Location())
	if err := applyUpdates(b, updates); err != nil {
		return nil, fmt.Errorf("commit %s: %w", c.id, err)
	}
	if !b.HasChanges() {
		return &pending{id: c.id, newLoc: rec.MetadataLocation, raw: raw, unchanged: true, ops: []metastore.KVOp{touch(e)}, overridden: notes}, nil
	}
	p, err := s.writeNew(ctx, c.id, b, nextVersion(rec.MetadataLocation),
		metastore.KVOp{Key: e.Key, Expect: e.Version})
	if err != nil {
		return nil, err
	}
	p.overridden = notes
	p.expired = expiredFiles(base, rec.MetadataLocation, p)
	return p, nil
}

// expiredFiles returns the metadata files of base (its log and itself)
// that the new metadata no longer logs, when the new metadata asks for
// them to be deleted.
func expiredFiles(base table.Metadata, baseLoc string, p *pending) []string {
	if !p.meta.Properties().GetBool(table.MetadataDeleteAfterCommitEnabledKey, table.MetadataDeleteAfterCommitEnabledDefault) {
		return nil
	}
	kept := map[string]bool{p.newLoc: true}
	for e := range p.meta.PreviousFiles() {
		kept[e.MetadataFile] = true
	}
	var out []string
	for e := range base.PreviousFiles() {
		if !kept[e.MetadataFile] {
			out = append(out, e.MetadataFile)
		}
	}
	if !kept[baseLoc] {
		out = append(out, baseLoc)
	}
	return out
}

// deleteExpired deletes the metadata files landed commits expired. Best
// effort: a leftover file is garbage, not an inconsistency.
func (s *Server) deleteExpired(ctx context.Context, ps []*pending) {
	for _, p := range ps {
		for _, loc := range p.expired {
			s.files.remove(context.WithoutCancel(ctx), loc)
		}
	}
}

// prepareCreate builds a table's first metadata from its updates (a
// stage-create's commit). The format version is the one its
// upgrade-format-version asks for, as the Java reference server does.
func (s *Server) prepareCreate(ctx context.Context, c tableChange) (*pending, error) {
	nsRec, nsEntry, err := s.getNamespace(ctx, c.id.ns)
	if err != nil {
		return nil, err
	}
	if err := s.checkNoView(ctx, c.id); err != nil {
		return nil, err
	}
	for _, req := range c.reqs {
		if err := req.Validate(nil); err != nil {
			return nil, fmt.Errorf("create %s: %w", c.id, requirementFailed(req, err))
		}
	}
	version := table.DefaultFormatVersion
	for _, u := range c.updates {
		if v, ok := formatVersion(u); ok {
			version = v
			break
		}
	}
	b, err := table.NewMetadataBuilder(version)
	if err != nil {
		return nil, fmt.Errorf("%w: create %s: %v", ErrBadRequest, c.id, err)
	}
	tableUUID := uuid.New()
	if err := b.SetUUID(tableUUID); err != nil {
		return nil, fmt.Errorf("create %s: %w", c.id, err)
	}
	fallback := s.defaultLocation(nsRec, c.id, tableUUID)
	if err := b.SetLoc(fallback); err != nil {
		return nil, fmt.Errorf("create %s: %w", c.id, err)
	}
	updates, notes := s.overrideLocations(c.updates, fallback)
	if err := applyUpdates(b, updates); err != nil {
		return nil, fmt.Errorf("create %s: %w", c.id, err)
	}
	p, err := s.writeNew(ctx, c.id, b, 0,
		metastore.KVOp{Key: tableKey(c.id), Expect: metastore.KVAbsent}, touch(nsEntry))
	if err != nil {
		return nil, err
	}
	p.overridden = notes
	return p, nil
}

// writeNew builds the metadata, writes its file and completes op (the
// table's swap) with the new location; extra ops go with it.
func (s *Server) writeNew(ctx context.Context, id ident, b *table.MetadataBuilder, version int, op metastore.KVOp, extra ...metastore.KVOp) (*pending, error) {
	meta, err := b.Build()
	if err != nil {
		return nil, fmt.Errorf("commit %s: %w", id, applyError(err))
	}
	if _, _, err := s.files.locate(meta.Location()); err != nil {
		return nil, fmt.Errorf("commit %s: %w", id, err)
	}
	loc, err := newMetadataLocation(meta, version)
	if err != nil {
		return nil, err
	}
	raw, err := s.files.write(ctx, loc, meta)
	if err != nil {
		return nil, fmt.Errorf("commit %s: %w", id, err)
	}
	op.Value = mustJSON(tableRecord{MetadataLocation: loc})
	return &pending{id: id, newLoc: loc, raw: raw, meta: meta, ops: append([]metastore.KVOp{op}, extra...)}, nil
}

// applyUpdates applies updates in order.
func applyUpdates(b *table.MetadataBuilder, updates []table.Update) error {
	for _, u := range updates {
		if err := u.Apply(b); err != nil {
			return fmt.Errorf("%s: %w", u.Action(), applyError(err))
		}
	}
	return nil
}

// applyError classifies an update the metadata refused: one made stale by
// a concurrent commit (its snapshot's sequence number or first row ID is
// behind the table's, its snapshot ID taken) is 409, so the client
// refreshes and retries; anything else is the client's mistake, 400.
func applyError(err error) error {
	msg := err.Error()
	for _, stale := range []string{"must be > than last sequence number", "is behind table next-row-id", "can't add snapshot with id"} {
		if strings.Contains(msg, stale) {
			return &clientError{ErrCommitFailed, "Commit failed: " + err.Error()}
		}
	}
	return fmt.Errorf("%w: %v", ErrBadRequest, err)
}

func hasAssertCreate(reqs []table.Requirement) bool {
	for _, r := range reqs {
		if r.GetType() == "assert-create" {
			return true
		}
	}
	return false
}

// formatVersion returns the version an upgrade-format-version asks for.
func formatVersion(u table.Update) (int, bool) {
	if u.Action() != table.UpdateUpgradeFormatVersion {
		return 0, false
	}
	var v struct {
		FormatVersion int `json:"format-version"`
	}
	b, err := json.Marshal(u)
	if err != nil || json.Unmarshal(b, &v) != nil || v.FormatVersion == 0 {
		return 0, false
	}
	return v.FormatVersion, true
}

func equalNS(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func names(changes []tableChange) string {
	var b strings.Builder
	for i, c := range changes {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.id.String())
	}
	return b.String()
}
