package registry

import (
	"context"
	"net/http"

	"github.com/tributary-io/tributary/internal/metastore"
)

// The /config resource: compatibility levels, global and per subject.
// GET answers {"compatibilityLevel": …}; PUT takes and echoes
// {"compatibility": …} (Confluent's asymmetry, kept).

// configAnswer is GET's and DELETE's answer.
type configAnswer struct {
	CompatibilityLevel string `json:"compatibilityLevel"`
	Normalize          *bool  `json:"normalize,omitempty"`
}

// configUpdate is PUT's body and answer.
type configUpdate struct {
	Compatibility string `json:"compatibility,omitempty"`
	Normalize     *bool  `json:"normalize,omitempty"`
}

// configKey is the key of the path's subject config, or the global one.
func configKey(r *http.Request) (key, subject string) {
	if subject = r.PathValue("subject"); subject != "" {
		return keyConfig(subject), subject
	}
	return keyGlobalConfig, ""
}

// GET /config and /config/{subject} (?defaultToGlobal).
func (s *Server) handleGetConfig(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	key, subject := configKey(r)
	c, ok, err := s.kv.config(ctx, key)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	if !ok && subject != "" && !flag(r, "defaultToGlobal") {
		writeAPIError(w, errSubjectCompatNotConfigured(subject))
		return
	}
	if !ok || c.Compatibility == "" {
		eff, err := s.configInScope(ctx, "")
		if err != nil {
			s.writeErr(w, r, err)
			return
		}
		if c.Compatibility == "" {
			c.Compatibility = string(eff.level)
		}
		if !ok && eff.normalize {
			c.Normalize = &eff.normalize
		}
	}
	writeJSON(w, http.StatusOK, configAnswer{CompatibilityLevel: c.Compatibility, Normalize: c.Normalize})
}

// PUT /config and /config/{subject}: fields left out keep their value.
func (s *Server) handlePutConfig(w http.ResponseWriter, r *http.Request) {
	var req configUpdate
	if !readJSON(w, r, &req) {
		return
	}
	key, subject := configKey(r)
	if subject != "" {
		if err := validSubject(subject); err != nil {
			s.writeErr(w, r, err)
			return
		}
	}
	if req.Compatibility != "" {
		l, ok := parseCompat(req.Compatibility)
		if !ok {
			writeAPIError(w, errInvalidCompatibility())
			return
		}
		req.Compatibility = string(l)
	}
	var out configRec
	err := s.retry(r.Context(), func() error {
		var cur configRec
		ver, err := s.kv.getJSON(r.Context(), key, &cur)
		if err != nil {
			return err
		}
		if req.Compatibility != "" {
			cur.Compatibility = req.Compatibility
		}
		if req.Normalize != nil {
			cur.Normalize = req.Normalize
		}
		_, err = s.kv.KVApply(r.Context(), []metastore.KVOp{{Key: key, Expect: ver, Value: mustJSON(cur)}})
		out = cur
		return err
	})
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	if out.Compatibility == "" {
		eff, err := s.configInScope(r.Context(), subject)
		if err != nil {
			s.writeErr(w, r, err)
			return
		}
		out.Compatibility = string(eff.level)
	}
	s.log.Info("schema registry config set", "subject", subject, "compatibility", out.Compatibility)
	writeJSON(w, http.StatusOK, configUpdate(out))
}

// DELETE /config and /config/{subject}: answers the config removed (the
// global one: what was in effect, which falls back to the default).
func (s *Server) handleDeleteConfig(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	key, subject := configKey(r)
	c, ok, err := deleteKey(ctx, s, key, func(b []byte) (configRec, error) {
		var c configRec
		return c, decode(key, b, &c)
	})
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	if !ok {
		if subject != "" {
			writeAPIError(w, errSubjectNotFound(subject))
			return
		}
		c.Compatibility = s.opts.DefaultCompatibility
	}
	if c.Compatibility == "" {
		c.Compatibility = s.opts.DefaultCompatibility
	}
	writeJSON(w, http.StatusOK, configAnswer{CompatibilityLevel: c.Compatibility, Normalize: c.Normalize})
}

// deleteKey removes key under compare-and-swap and returns what it held
// (ok false: it was absent).
func deleteKey[T any](ctx context.Context, s *Server, key string, dec func([]byte) (T, error)) (T, bool, error) {
	var v T
	var ok bool
	err := s.retry(ctx, func() error {
		var err error
		v, ok, err = deleteKeyOnce(ctx, s.kv, key, dec)
		return err
	})
	return v, ok, err
}

func deleteKeyOnce[T any](ctx context.Context, k kv, key string, dec func([]byte) (T, error)) (T, bool, error) {
	var zero T
	b, ver, err := k.get(ctx, key)
	if err != nil || ver == 0 {
		return zero, false, err
	}
	v, err := dec(b)
	if err != nil {
		return zero, false, err
	}
	_, err = k.KVApply(ctx, []metastore.KVOp{{Key: key, Expect: ver, Delete: true}})
	return v, true, err
}
