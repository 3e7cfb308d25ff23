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
// server's own S3 configuration: no short-lived keys are minted (no STS).
// Without the header the keys are in "config" too, unless
// Options.VendedCredentialsOnly.

import (
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

// tableConfig is a table answer's "config": Options.TableConfig, and the
// keys when vended or when they are not kept for vending only.
func (s *Server) tableConfig(vended bool) map[string]string {
	if len(s.opts.Credentials) == 0 || (!vended && s.opts.VendedCredentialsOnly) {
		return s.opts.TableConfig
	}
	out := maps.Clone(s.opts.TableConfig)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, s.opts.Credentials)
	return out
}

// storageCredentials is the warehouse's one credential, or none when the
// server has no keys to hand out (a local warehouse, or S3 keys from the
// environment).
func (s *Server) storageCredentials() []storageCredential {
	if len(s.opts.Credentials) == 0 {
		return nil
	}
	return []storageCredential{{Prefix: s.wh.uri, Config: s.tableConfig(true)}}
}

// loadCredentials answers a LoadCredentialsResponse for an existing table.
func (s *Server) loadCredentials(w http.ResponseWriter, r *http.Request, p params) error {
	id := p.ident()
	if err := checkIdent(id); err != nil {
		return err
	}
	if _, _, err := s.getTable(r.Context(), id); err != nil {
		return err
	}
	creds := s.storageCredentials()
	if creds == nil {
		creds = []storageCredential{}
	}
	writeJSON(w, http.StatusOK, struct {
		StorageCredentials []storageCredential `json:"storage-credentials"`
	}{creds})
	return nil
}
