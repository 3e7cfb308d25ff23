package catalog

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/apache/iceberg-go/table"
)

// TestMetricsValidatesReportAndTable: the metrics endpoint answered 204 to
// malformed JSON and to a report on a missing table; it checks the report
// (spec ReportMetricsRequest) and the table now, and takes the reports
// Iceberg's Java client sends.
func TestMetricsValidatesReportAndTable(t *testing.T) {
	f := newFixture(t, nil, Options{})
	createEvents(t, f.client(t), table.Identifier{"ns", "t"})
	scan := map[string]any{
		"report-type": "scan-report", "table-name": "tributary.ns.t", "snapshot-id": 1, "filter": true,
		"schema-id": 0, "projected-field-ids": []int{1}, "projected-field-names": []string{"id"},
		"metrics": map[string]any{"total-planning-duration": map[string]any{"count": 1, "time-unit": "nanoseconds", "total-duration": 10}},
	}
	commit := map[string]any{
		"report-type": "commit-report", "table-name": "tributary.ns.t", "snapshot-id": 1, "sequence-number": 1,
		"operation": "append", "metrics": map[string]any{}, "metadata": map[string]string{"engine": "spark"},
	}
	without := func(m map[string]any, k string) map[string]any {
		out := map[string]any{}
		for kk, v := range m {
			if kk != k {
				out[kk] = v
			}
		}
		return out
	}
	with := func(m map[string]any, k string, v any) map[string]any {
		out := without(m, k)
		out[k] = v
		return out
	}
	path := "/v1/namespaces/ns/tables/t/metrics"
	for _, c := range []struct {
		what   string
		path   string
		body   any // a string is sent as it is
		status int
		typ    string
	}{
		{"scan report", path, scan, 204, ""},
		{"commit report", path, commit, 204, ""},
		{"missing table", "/v1/namespaces/ns/tables/none/metrics", scan, 404, "NoSuchTableException"},
		{"missing namespace", "/v1/namespaces/none/tables/t/metrics", commit, 404, "NoSuchTableException"},
		{"not JSON", path, "{not json", 400, "BadRequestException"},
		{"not an object", path, "[1,2]", 400, "BadRequestException"},
		{"null", path, "null", 400, "BadRequestException"},
		{"empty object", path, "{}", 400, "BadRequestException"},
		{"unknown type", path, with(scan, "report-type", "x-report"), 400, "BadRequestException"},
		{"type not a string", path, with(scan, "report-type", 1), 400, "BadRequestException"},
		{"scan without metrics", path, without(scan, "metrics"), 400, "BadRequestException"},
		{"scan without filter", path, without(scan, "filter"), 400, "BadRequestException"},
		{"scan, ids not an array", path, with(scan, "projected-field-ids", 1), 400, "BadRequestException"},
		{"commit without operation", path, without(commit, "operation"), 400, "BadRequestException"},
		{"commit, snapshot id a string", path, with(commit, "snapshot-id", "1"), 400, "BadRequestException"},
	} {
		var raw string
		if s, ok := c.body.(string); ok {
			raw = s
		} else {
			b, err := json.Marshal(c.body)
			if err != nil {
				t.Fatal(err)
			}
			raw = string(b)
		}
		rsp, err := http.Post(f.url+c.path, "application/json", strings.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		_ = json.NewDecoder(rsp.Body).Decode(&body)
		rsp.Body.Close()
		if rsp.StatusCode != c.status || errType(body) != c.typ {
			t.Errorf("%s: %d %v, want %d %s", c.what, rsp.StatusCode, body, c.status, c.typ)
		}
	}
}

// FuzzCheckReport: any body is either a report or a reason it is not;
// never a panic.
func FuzzCheckReport(f *testing.F) {
	f.Add(`{"report-type":"scan-report","table-name":"a","snapshot-id":1,"filter":true,"schema-id":0,"projected-field-ids":[],"projected-field-names":[],"metrics":{}}`)
	f.Add(`{"report-type":"commit-report"}`)
	f.Add(`null`)
	f.Fuzz(func(t *testing.T, s string) {
		var report map[string]json.RawMessage
		if json.Unmarshal([]byte(s), &report) != nil {
			return
		}
		_ = checkReport(report)
	})
}
