package catalog

// Vended credentials: a request with the header
// X-Iceberg-Access-Delegation: vended-credentials (on loadTable,
// createTable, registerTable) gets, beside the table's "config", a
// "storage-credentials" list with one entry for the warehouse: its
// location as the prefix, and what a client needs to read and write the
// table's files (endpoint, region, path style and the keys of
// Options.Credentials). GET /v1/{prefix}/namespaces/{namespace}/tables/
// {table}/credentials (spec operation loadCredentials) answers the same
// list, so a client can refresh them. The keys are the static ones of the
// server's own S3 configuration, for the whole warehouse; or, with
// Options.STS, an STS session's scoped to the table's location, with a
// session token (sts.go). Without the header the static keys are in
// "config" too, unless Options.VendedCredentialsOnly or Options.STS.

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"strings"
)

// accessDelegationHeader is the spec's AccessDelegation header: a comma
// separated list of "vended-credentials" and "remote-signing".
const accessDelegationHeader = "X-Iceberg-Access-Delegation"

// storageCredential is the spec's StorageCredential.
type storageCredential struct {
	Prefix string            `json:"prefix"`
	Config map[string]string `json:"config"`
}

// wantsVended reports whether r asks for vended credentials.
func wantsVended(r *http.Request) bool {
	for _, v := range r.Header.Values(accessDelegationHeader) {
		for _, mech := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(mech), "vended-credentials") {
				return true
			}
		}
	}
	return false
}

// vended returns the credentials handed out with the table at loc, to a
// request that asked for them: STS's for it (sts.go), or
// Options.Credentials.
func (s *Server) vended(ctx context.Context, loc string) (map[string]string, error) {
	if s.sts != nil {
		creds, err := s.sts.vend(ctx, loc)
		if err != nil {
			return nil, fmt.Errorf("%w: vend credentials: %v", ErrUnavailable, err)
		}
		return creds, nil
	}
	return s.opts.Credentials, nil
}

// tableConfig is a table answer's "config": Options.TableConfig and the
// vended credentials; for an answer that did not ask for them (nil),
// Options.Credentials unless they are kept for vending only (or STS
// mints the vended ones: the static keys are never handed out then).
func (s *Server) tableConfig(vended map[string]string) map[string]string {
	if vended == nil && !s.opts.VendedCredentialsOnly && s.sts == nil {
		vended = s.opts.Credentials
	}
	if len(vended) == 0 {
		return s.opts.TableConfig
	}
	out := maps.Clone(s.opts.TableConfig)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, vended)
	return out
}

// storageCredentials is the one credential vended with the table at loc:
// for the warehouse (static keys) or the table's own location (STS's,
// scoped to it); none when there are no keys to hand out (a local
// warehouse, or S3 keys from the environment).
func (s *Server) storageCredentials(loc string, vended map[string]string) []storageCredential {
	if len(vended) == 0 {
		return nil
	}
	prefix := s.wh.uri
	if s.sts != nil {
		prefix = loc
	}
	return []storageCredential{{Prefix: prefix, Config: s.tableConfig(vended)}}
}

// loadCredentials answers a LoadCredentialsResponse for an existing table.
func (s *Server) loadCredentials(w http.ResponseWriter, r *http.Request, p params) error {
	id := p.ident()
	if err := checkIdent(id); err != nil {
		return err
	}
	rec, _, err := s.getTable(r.Context(), id)
	if err != nil {
		return err
	}
	meta, _, err := s.files.load(r.Context(), rec.MetadataLocation)
	if err != nil {
		return fmt.Errorf("load credentials %s: %w", id, err)
	}
	vended, err := s.vended(r.Context(), meta.Location())
	if err != nil {
		return fmt.Errorf("load credentials %s: %w", id, err)
	}
	creds := s.storageCredentials(meta.Location(), vended)
	if creds == nil {
		creds = []storageCredential{}
	}
	writeJSON(w, http.StatusOK, struct {
		StorageCredentials []storageCredential `json:"storage-credentials"`
	}{creds})
	return nil
}
