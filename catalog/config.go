package catalog

// GET /v1/config (spec operation getConfig): the client configuration
// (Options.Defaults and Overrides) and the list of endpoints served, so
// clients never call one that is not (views, scan planning, credential
// vending). A client that asks for warehouse=<Options.Name> is told to use
// the path prefix <Name>; any other warehouse, or none, gets no prefix.
// Both serve the one warehouse.

import (
	"maps"
	"net/http"
)

func (s *Server) getConfig(w http.ResponseWriter, r *http.Request, _ params) error {
	out := struct {
		Defaults  map[string]string `json:"defaults"`
		Overrides map[string]string `json:"overrides"`
		Endpoints []string          `json:"endpoints"`
	}{Defaults: map[string]string{}, Overrides: map[string]string{}, Endpoints: s.endpoints()}
	maps.Copy(out.Defaults, s.opts.Defaults)
	maps.Copy(out.Overrides, s.opts.Overrides)
	if wh := r.URL.Query().Get("warehouse"); wh != "" && wh == s.opts.Name {
		out.Overrides["prefix"] = s.opts.Name
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
