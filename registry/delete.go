package registry

import (
	"context"

	"github.com/tributary-io/tributary/internal/metastore"
)

// Deletes follow Confluent's two steps: a soft delete hides a version (or
// every version of a subject) but keeps its id resolvable; a permanent
// (hard) delete, allowed only after the soft one, forgets it. A schema id
// whose last version is hard-deleted is forgotten too. A version another
// subject's schema references cannot be deleted (42206): softly while a
// live version references it, permanently while any version does.

// deleteVersion deletes one version ("latest": the latest live one) and
// returns its number.
func (s *Server) deleteVersion(ctx context.Context, subject, versionStr string, permanent bool) (int, error) {
	want, err := parseVersion(versionStr)
	if err != nil {
		return 0, err
	}
	if err := s.checkWritable(ctx, subject); err != nil {
		return 0, err
	}
	var deleted int
	err = s.retry(ctx, func() error {
		subj, subjVer, err := s.kv.subject(ctx, subject)
		if err != nil {
			return err
		}
		if subjVer == 0 {
			return errSubjectNotFound(subject)
		}
		i := pickVersion(subj, want, permanent)
		if i < 0 {
			return errVersionNotFound(want)
		}
		v := subj.Versions[i]
		switch {
		case !permanent && v.Deleted:
			return errVersionSoftDeleted(subject, v.Version)
		case permanent && !v.Deleted:
			return errVersionNotSoftDeleted(subject, v.Version)
		}
		if err := s.checkUnreferenced(ctx, subject, []versionRec{v}, permanent, false); err != nil {
			return err
		}
		ops, err := s.deleteOps(ctx, subject, subj, subjVer, []versionRec{v}, permanent)
		if err != nil {
			return err
		}
		if _, err := s.kv.KVApply(ctx, ops); err != nil {
			return err
		}
		deleted = v.Version
		return nil
	})
	if err == nil {
		s.log.Info("deleted schema version", "subject", subject, "version", deleted, "permanent", permanent)
	}
	return deleted, err
}

// pickVersion finds the version to delete: -1 is the latest live one, or
// for a permanent delete the latest soft-deleted one if none is live.
func pickVersion(subj subjectRec, want int, permanent bool) int {
	if want != -1 {
		return subj.find(want)
	}
	for i := len(subj.Versions) - 1; i >= 0; i-- {
		if !subj.Versions[i].Deleted {
			return i
		}
	}
	if permanent && len(subj.Versions) > 0 {
		return len(subj.Versions) - 1
	}
	return -1
}

// deleteSubject deletes every version of a subject and returns their
// numbers: the live ones (soft), or all of them, which must all be
// soft-deleted already (permanent).
func (s *Server) deleteSubject(ctx context.Context, subject string, permanent bool) ([]int, error) {
	if err := s.checkWritable(ctx, subject); err != nil {
		return nil, err
	}
	var deleted []int
	err := s.retry(ctx, func() error {
		subj, subjVer, err := s.kv.subject(ctx, subject)
		if err != nil {
			return err
		}
		if subjVer == 0 {
			return errSubjectNotFound(subject)
		}
		live := subj.live()
		switch {
		case !permanent && len(live) == 0:
			return errSubjectSoftDeleted(subject)
		case permanent && len(live) > 0:
			return errSubjectNotSoftDeleted(subject)
		}
		victims := live
		if permanent {
			victims = subj.Versions
		}
		if err := s.checkUnreferenced(ctx, subject, victims, permanent, true); err != nil {
			return err
		}
		ops, err := s.deleteOps(ctx, subject, subj, subjVer, victims, permanent)
		if err != nil {
			return err
		}
		if _, err := s.kv.KVApply(ctx, ops); err != nil {
			return err
		}
		deleted = deleted[:0]
		for _, v := range victims {
			deleted = append(deleted, v.Version)
		}
		return nil
	})
	if err == nil {
		s.log.Info("deleted subject", "subject", subject, "versions", deleted, "permanent", permanent)
	}
	return deleted, err
}

// checkUnreferenced refuses to delete versions that schemas of other
// subjects reference: live referrers block any delete, soft-deleted ones
// a permanent delete. References from within the subject do not count
// when the whole subject goes.
func (s *Server) checkUnreferenced(ctx context.Context, subject string, victims []versionRec, permanent, wholeSubject bool) error {
	for _, v := range victims {
		ids, err := s.kv.referrers(ctx, subject, v.Version)
		if err != nil {
			return err
		}
		for _, id := range ids {
			uses, err := s.kv.uses(ctx, id)
			if err != nil {
				return err
			}
			for _, u := range uses {
				if (u.Deleted && !permanent) || (wholeSubject && u.Subject == subject) {
					continue
				}
				return errReferenceExists(subject, v.Version)
			}
		}
	}
	return nil
}

// deleteOps builds the transaction deleting victims from subj.
func (s *Server) deleteOps(ctx context.Context, subject string, subj subjectRec, subjVer int64,
	victims []versionRec, permanent bool) ([]metastore.KVOp, error) {
	gone := map[int]bool{}
	for _, v := range victims {
		gone[v.Version] = true
	}
	var keep []versionRec
	var ops []metastore.KVOp
	for _, v := range subj.Versions {
		switch {
		case !gone[v.Version]:
			keep = append(keep, v)
		case permanent:
			ops = append(ops, metastore.KVOp{Key: keyUse(v.ID, subject, v.Version), Expect: metastore.KVAny, Delete: true})
		default:
			v.Deleted = true
			keep = append(keep, v)
			ops = append(ops, metastore.KVOp{Key: keyUse(v.ID, subject, v.Version), Expect: metastore.KVAny, Value: mustJSON(useRec{Deleted: true})})
		}
	}
	if len(keep) == 0 {
		// The subject is gone: so are its settings (as in Confluent's).
		ops = append(ops,
			metastore.KVOp{Key: keySubject(subject), Expect: subjVer, Delete: true},
			metastore.KVOp{Key: keyConfig(subject), Expect: metastore.KVAny, Delete: true},
			metastore.KVOp{Key: keyMode(subject), Expect: metastore.KVAny, Delete: true},
		)
	} else {
		ops = append(ops, metastore.KVOp{Key: keySubject(subject), Expect: subjVer, Value: mustJSON(subjectRec{Versions: keep})})
	}
	if !permanent {
		return ops, nil
	}
	collected := map[int]bool{}
	for _, v := range victims {
		if collected[v.ID] {
			continue
		}
		collected[v.ID] = true
		gc, err := s.collectOps(ctx, v.ID, subject, gone)
		if err != nil {
			return nil, err
		}
		ops = append(ops, gc...)
	}
	return ops, nil
}

// collectOps forgets schema id if the versions being hard-deleted (of
// subject, in gone) were its last uses: its record, its fingerprint and
// its reference keys go. The record is deleted under compare-and-swap, and
// every registration reusing the id rewrites it, so the two conflict.
func (s *Server) collectOps(ctx context.Context, id int, subject string, gone map[int]bool) ([]metastore.KVOp, error) {
	rec, recVer, err := s.kv.schema(ctx, id)
	if err != nil || recVer == 0 {
		return nil, err
	}
	uses, err := s.kv.uses(ctx, id)
	if err != nil {
		return nil, err
	}
	for _, u := range uses {
		if u.Subject != subject || !gone[u.Version] {
			return nil, nil // still used elsewhere
		}
	}
	ops := []metastore.KVOp{{Key: keySchema(id), Expect: recVer, Delete: true}}
	if fpID, fpVer, err := s.kv.idByFP(ctx, rec.FP); err != nil {
		return nil, err
	} else if fpID == id {
		ops = append(ops, metastore.KVOp{Key: keyFP(rec.FP), Expect: fpVer, Delete: true})
	}
	for _, r := range rec.References {
		ops = append(ops, metastore.KVOp{Key: keyRef(r.Subject, r.Version, id), Expect: metastore.KVAny, Delete: true})
	}
	return ops, nil
}
