package catalog

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/tributary-io/tributary/internal/metastore"
)

// page is one page of a listing (the spec's pageToken and pageSize query
// parameters). Without pageSize every entry is answered at once: clients
// that predate pagination never send one, and never follow a token.
type page struct {
	after string // the key to list after, "" for the first page
	size  int    // 0: no limit
}

// parsePage reads pageToken and pageSize. A token is the base64 of the
// last name the previous page answered; it is only meaningful with the
// same prefix.
func parsePage(r *http.Request, prefix string) (page, error) {
	q := r.URL.Query()
	var p page
	if s := q.Get("pageSize"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return p, fmt.Errorf("%w: pageSize %q: want a positive integer", ErrBadRequest, s)
		}
		p.size = n
	}
	if t := q.Get("pageToken"); t != "" {
		last, err := base64.RawURLEncoding.DecodeString(t)
		if err != nil || len(last) == 0 || !utf8.Valid(last) || bytes.IndexByte(last, 0) >= 0 || len(prefix)+len(last) > maxKeyLen {
			return p, fmt.Errorf("%w: pageToken %q", ErrBadRequest, t)
		}
		p.after = prefix + string(last)
	}
	return p, nil
}

// list returns a page of the entries under prefix and the token of the
// next page ("" when this one is the last).
func (s *Server) list(ctx context.Context, prefix string, p page) ([]metastore.KVEntry, string, error) {
	limit := 0
	if p.size > 0 {
		limit = p.size + 1
	}
	es, err := s.kv.KVList(ctx, prefix, p.after, limit)
	if err != nil {
		return nil, "", kvErr("list "+prefix, err)
	}
	if p.size == 0 || len(es) <= p.size {
		return es, "", nil
	}
	es = es[:p.size]
	last := es[len(es)-1].Key[len(prefix):]
	return es, base64.RawURLEncoding.EncodeToString([]byte(last)), nil
}
