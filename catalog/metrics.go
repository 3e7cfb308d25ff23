package catalog

// Metrics: POST /v1/{prefix}/namespaces/{namespace}/tables/{table}/metrics
// (spec operation reportMetrics). Engines send a ScanReport after every
// scan and a CommitReport after every commit when the route is advertised.
// The server keeps none, but it checks what it is sent as the spec's
// ReportMetricsRequest (its report-type and the fields that type
// requires) and that the table exists: a malformed report is 400
// BadRequestException, a report on a missing table 404 NoSuchTableException.

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// reportFields are the fields each report type requires, and the JSON
// kind each must be.
var reportFields = map[string]map[string]string{
	"scan-report": {
		"table-name": "string", "snapshot-id": "number", "filter": "any", "schema-id": "number",
		"projected-field-ids": "array", "projected-field-names": "array", "metrics": "object",
	},
	"commit-report": {
		"table-name": "string", "snapshot-id": "number", "sequence-number": "number",
		"operation": "string", "metrics": "object",
	},
}

// reportMetrics checks a report and the table it is on, and keeps nothing.
func (s *Server) reportMetrics(w http.ResponseWriter, r *http.Request, p params) error {
	id := p.ident()
	if err := checkIdent(id); err != nil {
		return err
	}
	var report map[string]json.RawMessage
	if err := decodeBody(r, &report); err != nil {
		return err
	}
	if err := checkReport(report); err != nil {
		return fmt.Errorf("%w: metrics report on %s: %v", ErrBadRequest, id, err)
	}
	if _, _, err := s.getTable(r.Context(), id); err != nil {
		return err
	}
	noContent(w)
	return nil
}

// checkReport checks a ReportMetricsRequest's type and required fields.
func checkReport(report map[string]json.RawMessage) error {
	if report == nil {
		return errors.New("not a JSON object")
	}
	var typ string
	if err := json.Unmarshal(report["report-type"], &typ); err != nil {
		return errors.New("report-type: want scan-report or commit-report")
	}
	fields, ok := reportFields[typ]
	if !ok {
		return fmt.Errorf("report-type %q: want scan-report or commit-report", typ)
	}
	for name, kind := range fields {
		raw, ok := report[name]
		if !ok {
			return fmt.Errorf("%s: %s is required", typ, name)
		}
		if got := jsonKind(raw); kind != "any" && got != kind {
			return fmt.Errorf("%s: %s is %s, want %s", typ, name, got, kind)
		}
	}
	return nil
}

// jsonKind names the kind of a JSON value: object, array, string, number,
// bool or null.
func jsonKind(raw json.RawMessage) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "invalid"
	}
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	}
	return "null"
}
