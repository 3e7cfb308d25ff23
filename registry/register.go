package registry

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"
	"unicode"

	"github.com/tributary-io/tributary/internal/metastore"
)

// registerRequest is the body of POST /subjects/{s}/versions (and of
// lookups and compatibility checks, which ignore id and version).
type registerRequest struct {
	Schema     string      `json:"schema"`
	SchemaType string      `json:"schemaType"`
	References []Reference `json:"references"`
	// ID and Version are honoured in IMPORT mode only (Version also
	// outside it if it is the next version).
	ID      *int `json:"id"`
	Version *int `json:"version"`
	// Data contracts (Confluent 7.4+) are refused, not dropped silently.
	Metadata any `json:"metadata"`
	RuleSet  any `json:"ruleSet"`
}

// validSubject applies Confluent's rule (no control characters, not a
// reserved name) and the store's key limit.
func validSubject(subject string) error {
	if subject == "" || subject == "__GLOBAL" || subject == "__EMPTY" || len(subject) > maxSubjectBytes {
		return errInvalidSubject(subject)
	}
	for _, r := range subject {
		if unicode.IsControl(r) {
			return errInvalidSubject(subject)
		}
	}
	return nil
}

// emptyJSON: absent, null, or {}.
func emptyJSON(v any) bool {
	m, isMap := v.(map[string]any)
	return v == nil || isMap && len(m) == 0
}

// register adds a schema to a subject and returns its id. The same schema
// (same fingerprint) keeps its id across subjects; registering the
// subject's live schema again changes nothing.
//
// Concurrency: every read the outcome depends on is re-checked by the
// closing KVApply (compare-and-swap on the subject record, the id
// counter, the fingerprint and schema records, and the referenced
// subjects' records). A lost race retries from the reads, so two brokers
// never give one id two schemas, nor one subject two schemas at one
// version, nor skip a version.
func (s *Server) register(ctx context.Context, subject string, req registerRequest, normalize bool) (int, error) {
	if err := validSubject(subject); err != nil {
		return 0, err
	}
	if !emptyJSON(req.Metadata) || !emptyJSON(req.RuleSet) {
		return 0, errInvalidSchema("Invalid schema: metadata and ruleSet (data contracts) are not supported by this registry")
	}
	m, err := s.modeInScope(ctx, subject)
	if err != nil {
		return 0, err
	}
	explicitID := req.ID != nil && *req.ID > 0
	switch {
	case m == modeReadOnly:
		return 0, errNotPermitted("Subject %s in context . is in read-only mode", subject)
	case explicitID && m != modeImport:
		return 0, errNotPermitted("Subject %s in context . is not in import mode", subject)
	case !explicitID && m != modeReadWrite:
		return 0, errNotPermitted("Subject %s in context . is not in read-write mode", subject)
	}
	cfg, err := s.configInScope(ctx, subject)
	if err != nil {
		return 0, err
	}
	cand, err := s.compile(ctx, req.SchemaType, req.Schema, req.References, normalize || cfg.normalize)
	if err != nil {
		return 0, err
	}
	if len(cand.c.canonical()) > 15<<20 {
		return 0, errSchemaTooLarge()
	}
	p := registerPlan{subject: subject, cand: cand, mode: m, level: cfg.level, explicit: explicitID}
	if explicitID {
		p.id = *req.ID
	}
	if req.Version != nil && *req.Version > 0 {
		p.version = *req.Version
	}
	var id int
	err = s.retry(ctx, func() error {
		var err error
		id, err = s.registerOnce(ctx, p)
		return err
	})
	return id, err
}

// registerPlan is one registration, checked and compiled.
type registerPlan struct {
	subject  string
	cand     candidate
	mode     mode
	level    compatLevel
	explicit bool // the client chose the id (IMPORT mode)
	id       int  // that id
	version  int  // chosen by the client; 0: the next one
}

// target is the schema id a registration lands on.
type target struct {
	id      int
	rec     schemaRec // its record, when it exists
	recVer  int64     // the record's version; 0: a new schema
	fpID    int       // the id the fingerprint names (0: none)
	fpVer   int64
	subj    subjectRec
	subjVer int64
}

// registerOnce is one attempt: reads, decisions, one KVApply.
func (s *Server) registerOnce(ctx context.Context, p registerPlan) (int, error) {
	t, err := s.readTarget(ctx, p)
	if err != nil {
		return 0, err
	}
	if p.version == 0 && t.recVer != 0 {
		for _, v := range t.subj.live() {
			if v.ID == t.id {
				return t.id, nil // already registered here
			}
		}
	}
	version, done, err := chooseVersion(t, p)
	if err != nil || done {
		return t.id, err
	}
	if p.mode != modeImport {
		if err := s.checkCompat(ctx, p.subject, p.cand, t.subj.live(), p.level); err != nil {
			return 0, err
		}
	}
	ops, id, err := s.registerOps(ctx, p, t, version)
	if err != nil {
		return 0, err
	}
	if _, err := s.kv.KVApply(ctx, ops); err != nil {
		return 0, err
	}
	s.m.registered.Inc()
	s.log.Info("registered schema", "subject", p.subject, "version", version, "id", id, "type", p.cand.typ)
	return id, nil
}

// readTarget reads the subject and finds the id the schema has, if any.
func (s *Server) readTarget(ctx context.Context, p registerPlan) (target, error) {
	var t target
	var err error
	if t.subj, t.subjVer, err = s.kv.subject(ctx, p.subject); err != nil {
		return t, err
	}
	if t.fpID, t.fpVer, err = s.kv.idByFP(ctx, p.cand.fp); err != nil {
		return t, err
	}
	t.id = t.fpID
	if p.explicit {
		t.id = p.id
	}
	if t.id == 0 && !p.explicit {
		return t, nil
	}
	if t.rec, t.recVer, err = s.kv.schema(ctx, t.id); err != nil {
		return t, err
	}
	switch {
	case t.recVer != 0 && t.rec.FP != p.cand.fp:
		return t, errNotPermitted("Overwrite new schema with id %d in context . is not permitted.", t.id)
	case t.recVer == 0 && !p.explicit:
		t.id = 0 // the fingerprint outlived its schema: a new id
	}
	return t, nil
}

// chooseVersion picks the new version number. done: the version exists
// already with this schema (an IMPORT repeated).
func chooseVersion(t target, p registerPlan) (int, bool, error) {
	next := t.subj.nextVersion()
	if p.version == 0 {
		return next, false, nil
	}
	if p.mode != modeImport {
		if p.version != next {
			return 0, false, errInvalidSchema("Invalid schema: version %d is not one more than the previous version", p.version)
		}
		return next, false, nil
	}
	if i := t.subj.find(p.version); i >= 0 {
		if t.recVer != 0 && t.subj.Versions[i].ID == t.id {
			return p.version, true, nil
		}
		return 0, false, errNotPermitted("Subject %s version %d already exists with another schema", p.subject, p.version)
	}
	return p.version, false, nil
}

// registerOps builds the transaction that registers p as version of the
// target (allocating the id of a new schema) and returns it with the id.
func (s *Server) registerOps(ctx context.Context, p registerPlan, t target, version int) ([]metastore.KVOp, int, error) {
	var ops []metastore.KVOp
	id := t.id
	if t.recVer != 0 {
		// Reusing an id: rewrite its record unchanged, so that a hard
		// delete collecting the id at the same time conflicts with us.
		ops = append(ops, metastore.KVOp{Key: keySchema(id), Expect: t.recVer, Value: mustJSON(t.rec)})
	} else {
		maxID, idsVer, err := s.kv.maxID(ctx)
		if err != nil {
			return nil, 0, err
		}
		if id == 0 {
			id = maxID + 1
		}
		if id > maxID {
			ops = append(ops, metastore.KVOp{Key: keyIDs, Expect: idsVer, Value: []byte(strconv.Itoa(id))})
		}
		rec := schemaRec{Type: p.cand.typ, Schema: p.cand.c.canonical(), References: p.cand.res.refs, FP: p.cand.fp}
		ops = append(ops, metastore.KVOp{Key: keySchema(id), Expect: metastore.KVAbsent, Value: mustJSON(rec)})
		switch {
		case t.fpID == 0:
			ops = append(ops, metastore.KVOp{Key: keyFP(p.cand.fp), Expect: metastore.KVAbsent, Value: []byte(strconv.Itoa(id))})
		case !p.explicit:
			// The fingerprint names an id whose record is gone: repoint it.
			ops = append(ops, metastore.KVOp{Key: keyFP(p.cand.fp), Expect: t.fpVer, Value: []byte(strconv.Itoa(id))})
		}
		for _, r := range p.cand.res.refs {
			ops = append(ops, metastore.KVOp{Key: keyRef(r.Subject, r.Version, id), Expect: metastore.KVAny, Value: []byte{}})
		}
	}
	subj := t.subj
	subj.Versions = append([]versionRec(nil), subj.Versions...)
	subj.insert(versionRec{Version: version, ID: id})
	ops = append(ops,
		metastore.KVOp{Key: keySubject(p.subject), Expect: t.subjVer, Value: mustJSON(subj)},
		metastore.KVOp{Key: keyUse(id, p.subject, version), Expect: metastore.KVAbsent, Value: mustJSON(useRec{})},
	)
	ops, err := s.touchReferenced(ctx, ops, p.subject, t.subj, p.cand.res.refs)
	return ops, id, err
}

// touchReferenced rewrites, unchanged, the records of the subjects the
// schema references, after checking the referenced versions are still
// there: a concurrent hard delete of one of them conflicts with us. The
// registering subject's own record (selfRec, as read) is written by the
// caller under compare-and-swap already; its referenced versions are
// checked here.
func (s *Server) touchReferenced(ctx context.Context, ops []metastore.KVOp, self string, selfRec subjectRec, refs []Reference) ([]metastore.KVOp, error) {
	done := map[string]bool{}
	for _, r := range refs {
		if done[r.Subject] {
			continue
		}
		done[r.Subject] = true
		subj, b, ver := selfRec, []byte(nil), int64(0)
		if r.Subject != self {
			var err error
			if b, ver, err = s.kv.get(ctx, keySubject(r.Subject)); err != nil {
				return nil, err
			}
			subj = subjectRec{}
			if ver != 0 {
				if err := decode(keySubject(r.Subject), b, &subj); err != nil {
					return nil, err
				}
			}
		}
		for _, r2 := range refs {
			if r2.Subject == r.Subject && subj.find(r2.Version) < 0 {
				return nil, errInvalidSchema("Invalid schema: reference %q to subject %q version %d not found",
					r2.Name, r2.Subject, r2.Version)
			}
		}
		if r.Subject != self {
			ops = append(ops, metastore.KVOp{Key: keySubject(r.Subject), Expect: ver, Value: b})
		}
	}
	return ops, nil
}

// retry runs once until it does not lose a compare-and-swap race, at most
// Options.MaxRetries times, with a short random pause between tries.
// Everything once depends on must be read inside it.
func (s *Server) retry(ctx context.Context, once func() error) error {
	for attempt := 0; ; attempt++ {
		err := once()
		if !errors.Is(err, metastore.ErrConflict) {
			return err
		}
		s.conflicts.Add(1)
		if attempt >= s.opts.MaxRetries {
			return fmt.Errorf("%w: %w", ErrContention, err)
		}
		pause := time.Duration(rand.IntN(1+min(attempt, 10))) * time.Millisecond
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
	}
}
