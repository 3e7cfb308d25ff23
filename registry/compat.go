package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// compatMessages checks cand against prev (live versions, ascending) at
// level: against the latest only, or every one for the _TRANSITIVE
// levels. It returns why cand is incompatible (none: compatible), in
// Confluent's words: the reasons, then the old version and schema each
// conflicts with, then the level.
func (s *Server) compatMessages(ctx context.Context, cand candidate, prev []versionRec, level compatLevel) ([]string, error) {
	if level == compatNone || len(prev) == 0 {
		return nil, nil
	}
	if !level.transitive() {
		prev = prev[len(prev)-1:]
	}
	var msgs []string
	var same []compiled
	var sameAt []int // index in prev of same[i]
	recs := make([]schemaRec, len(prev))
	for i, v := range prev {
		rec, old, err := s.load(ctx, v.ID)
		if err != nil {
			return nil, err
		}
		recs[i] = rec
		if rec.Type != cand.typ {
			msgs = append(msgs, fmt.Sprintf("Incompatible because of different schema type: %s is not %s", cand.typ, rec.Type),
				fmt.Sprintf("{oldSchemaVersion: %d}", v.Version))
			continue
		}
		same, sameAt = append(same, old), append(sameAt, i)
	}
	if len(same) > 0 {
		found, err := cand.f.check(level, cand.c, same)
		if errors.Is(err, errCompatUnchecked) {
			return nil, errNotPermitted("Compatibility of %s schemas is not checked by this registry: "+
				"set the subject's compatibility to NONE to register without a check", cand.typ)
		}
		if err != nil {
			return nil, err
		}
		byPrev := map[int][]string{}
		for _, in := range found {
			byPrev[sameAt[in.prev]] = append(byPrev[sameAt[in.prev]], in.msg)
		}
		for i := len(prev) - 1; i >= 0; i-- {
			if m := byPrev[i]; len(m) > 0 {
				msgs = append(msgs, m...)
				msgs = append(msgs, fmt.Sprintf("{oldSchemaVersion: %d}", prev[i].Version),
					fmt.Sprintf("{oldSchema: '%s'}", recs[i].Schema))
			}
		}
	}
	if len(msgs) > 0 {
		msgs = append(msgs, fmt.Sprintf("{compatibility: '%s'}", level))
	}
	return msgs, nil
}

// checkCompat is compatMessages for a registration: incompatible is 409.
func (s *Server) checkCompat(ctx context.Context, subject string, cand candidate, prev []versionRec, level compatLevel) error {
	msgs, err := s.compatMessages(ctx, cand, prev, level)
	if err != nil {
		return err
	}
	if len(msgs) > 0 {
		return errIncompatible(subject, msgs)
	}
	return nil
}

// compatAnswer is the compatibility endpoint's answer; messages only
// with ?verbose.
type compatAnswer struct {
	IsCompatible bool     `json:"is_compatible"`
	Messages     []string `json:"messages,omitempty"`
}

// POST /compatibility/subjects/{subject}/versions/{version} checks the
// posted schema against one version ("latest": the latest live one;
// none is compatible); without {version}, against the live versions the
// subject's level names (the latest, or all for _TRANSITIVE). ?verbose
// adds the reasons; ?normalize normalizes first.
func (s *Server) handleCompatibility(w http.ResponseWriter, r *http.Request) {
	var req registerRequest
	if !readJSON(w, r, &req) {
		return
	}
	ans, err := s.compatibility(r, req)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	if !flag(r, "verbose") {
		ans.Messages = nil
	}
	writeJSON(w, http.StatusOK, ans)
}

func (s *Server) compatibility(r *http.Request, req registerRequest) (compatAnswer, error) {
	ctx := r.Context()
	subject := r.PathValue("subject")
	subj, _, err := s.kv.subject(ctx, subject)
	if err != nil {
		return compatAnswer{}, err
	}
	prev := subj.live()
	if vs := r.PathValue("version"); vs != "" {
		want, err := parseVersion(vs)
		if err != nil {
			return compatAnswer{}, err
		}
		if want != -1 {
			i := subj.find(want)
			if i < 0 || subj.Versions[i].Deleted {
				return compatAnswer{}, errVersionNotFound(want)
			}
			prev = subj.Versions[i : i+1]
		} else if len(prev) > 0 {
			prev = prev[len(prev)-1:]
		}
	}
	if len(prev) == 0 {
		return compatAnswer{IsCompatible: true}, nil
	}
	cfg, err := s.configInScope(ctx, subject)
	if err != nil {
		return compatAnswer{}, err
	}
	cand, err := s.compile(ctx, req.SchemaType, req.Schema, req.References, flag(r, "normalize") || cfg.normalize)
	if err != nil {
		var ae *apiError
		if flag(r, "verbose") && errors.As(err, &ae) && ae.code == codeInvalidSchema {
			return compatAnswer{Messages: []string{ae.msg}}, nil
		}
		return compatAnswer{}, err
	}
	msgs, err := s.compatMessages(ctx, cand, prev, cfg.level)
	if err != nil {
		return compatAnswer{}, err
	}
	return compatAnswer{IsCompatible: len(msgs) == 0, Messages: msgs}, nil
}
