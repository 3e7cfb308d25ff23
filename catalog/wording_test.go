package catalog

import (
	"strings"
	"testing"

	"github.com/apache/iceberg-go/table"
)

// TestErrorWordingIsTheReference: the failures clients match on by text
// (Iceberg's REST compatibility kit among them) are worded as the
// reference implementation words them, with nothing of this package's
// sentinels ("catalog: no such table: ns.t" failed the RCK).
func TestErrorWordingIsTheReference(t *testing.T) {
	f := newFixture(t, nil, Options{})
	tbl := createEvents(t, f.client(t), table.Identifier{"ns", "t"})
	uuid := tbl.Metadata().TableUUID().String()
	commit := func(req map[string]any) map[string]any {
		return map[string]any{"requirements": []any{req}, "updates": []any{
			map[string]any{"action": "set-properties", "updates": map[string]string{"k": "v"}},
		}}
	}
	createBody := map[string]any{"name": "t", "schema": map[string]any{"type": "struct", "schema-id": 0, "fields": []any{
		map[string]any{"id": 1, "name": "a", "type": "long", "required": false},
	}}}
	for _, c := range []struct {
		what, method, path string
		body               any
		status             int
		want               string // the whole message, or its prefix when it ends in "…"
	}{
		{"load namespace", "GET", "/v1/namespaces/nope", nil, 404, "Namespace does not exist: nope"},
		{"list tables", "GET", "/v1/namespaces/nope/tables", nil, 404, "Namespace does not exist: nope"},
		{"load table", "GET", "/v1/namespaces/ns/tables/nope", nil, 404, "Table does not exist: ns.nope"},
		{"load table, no namespace", "GET", "/v1/namespaces/nope/tables/t", nil, 404, "Table does not exist: nope.t"},
		{"create namespace", "POST", "/v1/namespaces", map[string]any{"namespace": []string{"ns"}}, 409, "Namespace already exists: ns"},
		{"create table", "POST", "/v1/namespaces/ns/tables", createBody, 409, "Table already exists: ns.t"},
		{"drop namespace", "DELETE", "/v1/namespaces/ns", nil, 409, "Namespace ns is not empty"},
		{"rename onto a table", "POST", "/v1/tables/rename", map[string]any{
			"source": map[string]any{"namespace": []string{"ns"}, "name": "t"}, "destination": map[string]any{"namespace": []string{"ns"}, "name": "t2"},
		}, 204, ""},
		{"rename, no source", "POST", "/v1/tables/rename", map[string]any{
			"source": map[string]any{"namespace": []string{"ns"}, "name": "t"}, "destination": map[string]any{"namespace": []string{"ns"}, "name": "t3"},
		}, 404, "Table does not exist: ns.t"},
		{"schema", "POST", "/v1/namespaces/ns/tables/t2", commit(map[string]any{"type": "assert-current-schema-id", "current-schema-id": 7}),
			409, "Requirement failed: current schema changed: expected id 7 != 0"},
		{"field id", "POST", "/v1/namespaces/ns/tables/t2", commit(map[string]any{"type": "assert-last-assigned-field-id", "last-assigned-field-id": 1}),
			409, "Requirement failed: last assigned field id changed: expected id 1 != …"},
		{"partition id", "POST", "/v1/namespaces/ns/tables/t2", commit(map[string]any{"type": "assert-last-assigned-partition-id", "last-assigned-partition-id": 999}),
			409, "Requirement failed: last assigned partition id changed: expected id 999 != 1000"},
		{"spec", "POST", "/v1/namespaces/ns/tables/t2", commit(map[string]any{"type": "assert-default-spec-id", "default-spec-id": 5}),
			409, "Requirement failed: default partition spec changed: expected id 5 != 0"},
		{"uuid", "POST", "/v1/namespaces/ns/tables/t2", commit(map[string]any{"type": "assert-table-uuid", "uuid": "ff7b19ea-df42-46f8-9d84-ff1022555901"}),
			409, "Requirement failed: UUID does not match: expected ff7b19ea-df42-46f8-9d84-ff1022555901 != " + uuid},
		{"bad request", "POST", "/v1/namespaces/ns/tables/t2", map[string]any{"updates": []any{map[string]any{"action": "no-such-action"}}},
			400, "…"},
	} {
		status, body := f.do(t, c.method, c.path, c.body)
		if status != c.status {
			t.Errorf("%s: status %d, want %d (%v)", c.what, status, c.status, body)
			continue
		}
		if c.want == "" {
			continue
		}
		e, _ := body["error"].(map[string]any)
		msg, _ := e["message"].(string)
		if prefix, ok := strings.CutSuffix(c.want, "…"); ok {
			if !strings.HasPrefix(msg, prefix) {
				t.Errorf("%s: message %q, want it to start with %q", c.what, msg, prefix)
			}
		} else if msg != c.want {
			t.Errorf("%s: message %q, want %q", c.what, msg, c.want)
		}
		if strings.Contains(msg, "catalog:") {
			t.Errorf("%s: message %q names the package's sentinel", c.what, msg)
		}
	}
}
