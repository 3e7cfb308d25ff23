package registry

import (
	"net/http"

	"github.com/tributary-io/tributary/internal/metastore"
)

// The /mode resource: READWRITE (the default), READONLY (no registration
// or deletion), IMPORT (clients choose ids and versions; compatibility
// is not checked), global and per subject.

type modeBody struct {
	Mode string `json:"mode"`
}

func modeKey(r *http.Request) (key, subject string) {
	if subject = r.PathValue("subject"); subject != "" {
		return keyMode(subject), subject
	}
	return keyGlobalMode, ""
}

// GET /mode and /mode/{subject} (?defaultToGlobal).
func (s *Server) handleGetMode(w http.ResponseWriter, r *http.Request) {
	key, subject := modeKey(r)
	m, ok, err := s.kv.mode(r.Context(), key)
	if err == nil && !ok {
		if subject != "" && !flag(r, "defaultToGlobal") {
			writeAPIError(w, errSubjectModeNotConfigured(subject))
			return
		}
		m, err = s.modeInScope(r.Context(), "")
	}
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, modeBody{string(m)})
}

// PUT /mode and /mode/{subject} (?force). Switching to IMPORT while the
// scope has live subjects needs force (Confluent's rule: imports must not
// collide with ids and versions handed out already).
func (s *Server) handlePutMode(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var req modeBody
	if !readJSON(w, r, &req) {
		return
	}
	key, subject := modeKey(r)
	if subject != "" {
		if err := validSubject(subject); err != nil {
			s.writeErr(w, r, err)
			return
		}
	}
	m, ok := parseMode(req.Mode)
	if !ok {
		writeAPIError(w, errInvalidMode())
		return
	}
	if m == modeImport && !flag(r, "force") {
		cur, err := s.modeInScope(ctx, subject)
		if err != nil {
			s.writeErr(w, r, err)
			return
		}
		if cur != modeImport {
			if busy, err := s.hasLiveSubjects(r, subject); err != nil || busy {
				if err == nil {
					err = errNotPermitted("Cannot import since found existing subjects")
				}
				s.writeErr(w, r, err)
				return
			}
		}
	}
	_, err := s.kv.KVApply(ctx, []metastore.KVOp{{Key: key, Expect: metastore.KVAny, Value: []byte(m)}})
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	s.log.Info("schema registry mode set", "subject", subject, "mode", m)
	writeJSON(w, http.StatusOK, modeBody{string(m)})
}

// hasLiveSubjects: does subject ("": any subject) have a live version?
func (s *Server) hasLiveSubjects(r *http.Request, subject string) (bool, error) {
	if subject != "" {
		subj, _, err := s.kv.subject(r.Context(), subject)
		return len(subj.live()) > 0, err
	}
	subs, err := s.subjects(r.Context(), "", filterLive)
	return len(subs) > 0, err
}

// DELETE /mode and /mode/{subject}: answers the mode removed (the global
// one: what was in effect).
func (s *Server) handleDeleteMode(w http.ResponseWriter, r *http.Request) {
	key, subject := modeKey(r)
	m, ok, err := deleteKey(r.Context(), s, key, func(b []byte) (mode, error) { return mode(b), nil })
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	if !ok {
		if subject != "" {
			writeAPIError(w, errSubjectNotFound(subject))
			return
		}
		m = modeReadWrite
	}
	writeJSON(w, http.StatusOK, modeBody{string(m)})
}
