package catalog

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/apache/iceberg-go/table"
)

// TestRequestedLocationOutsideWarehouseOverridden: a table asked to live
// outside the warehouse (create-table's location, a commit's set-location
// as Java's replace and create transactions send) is placed where the
// server would have put it, or keeps its own, and the answer says so in a
// Warning header; before, the request was refused with 400, which failed
// seven of the REST compatibility kit's tests. A location inside the
// warehouse is taken as asked.
func TestRequestedLocationOutsideWarehouseOverridden(t *testing.T) {
	f := newFixture(t, nil, Options{})
	createEvents(t, f.client(t), table.Identifier{"ns", "existing"})
	outside := "file:///tmp/not-the-warehouse/ns/t"

	status, hdr, body := f.rawPost(t, "/v1/namespaces/ns/tables", map[string]any{"name": "out", "schema": eventSchema(), "location": outside})
	loc := metadataLocation(t, status, body)
	if want := "file://" + f.dir + "/ns/out-"; !strings.HasPrefix(loc, want) {
		t.Errorf("create outside: location %s, want %s<uuid>", loc, want)
	}
	checkWarning(t, "create outside", hdr, outside)

	inside := "file://" + f.dir + "/custom/in"
	status, hdr, body = f.rawPost(t, "/v1/namespaces/ns/tables", map[string]any{"name": "in", "schema": eventSchema(), "location": inside + "/"})
	if loc := metadataLocation(t, status, body); loc != inside {
		t.Errorf("create inside: location %s, want %s", loc, inside)
	}
	if w := hdr.Values("Warning"); len(w) != 0 {
		t.Errorf("create inside: Warning %q", w)
	}

	// A replace transaction's commit moves the table outside: it stays.
	before := f.location(t, "ns", "existing")
	status, hdr, body = f.rawPost(t, "/v1/namespaces/ns/tables/existing", map[string]any{"requirements": []any{}, "updates": []any{
		map[string]any{"action": "set-location", "location": outside},
		map[string]any{"action": "set-properties", "updates": map[string]string{"k": "v"}},
	}})
	if loc := metadataLocation(t, status, body); loc != before {
		t.Errorf("commit outside: location %s, want %s kept", loc, before)
	}
	checkWarning(t, "commit outside", hdr, outside)

	// A staged create committed with its location moved outside.
	status, _, body = f.rawPost(t, "/v1/namespaces/ns/tables", map[string]any{"name": "staged", "schema": eventSchema(), "stage-create": true})
	if status != 200 {
		t.Fatalf("stage create: %d %s", status, body)
	}
	status, hdr, body = f.rawPost(t, "/v1/transactions/commit", map[string]any{"table-changes": []any{map[string]any{
		"identifier":   map[string]any{"namespace": []string{"ns"}, "name": "staged"},
		"requirements": []any{map[string]any{"type": "assert-create"}},
		"updates": []any{
			map[string]any{"action": "assign-uuid", "uuid": "ff7b19ea-df42-46f8-9d84-ff1022555901"},
			map[string]any{"action": "upgrade-format-version", "format-version": 2},
			map[string]any{"action": "add-schema", "schema": eventSchema()},
			map[string]any{"action": "set-current-schema", "schema-id": -1},
			map[string]any{"action": "add-spec", "spec": map[string]any{"spec-id": 0, "fields": []any{}}},
			map[string]any{"action": "set-default-spec", "spec-id": -1},
			map[string]any{"action": "add-sort-order", "sort-order": map[string]any{"order-id": 0, "fields": []any{}}},
			map[string]any{"action": "set-default-sort-order", "sort-order-id": -1},
			map[string]any{"action": "set-location", "location": outside},
		},
	}}})
	if status != http.StatusNoContent {
		t.Fatalf("staged create commit: %d %s", status, body)
	}
	checkWarning(t, "staged create outside", hdr, outside)
	if loc, want := f.location(t, "ns", "staged"), "file://"+f.dir+"/ns/staged-"; !strings.HasPrefix(loc, want) {
		t.Errorf("staged create outside: location %s, want %s<uuid>", loc, want)
	}
}

// rawPost posts body as JSON and returns the status, headers and body.
func (f *fixture) rawPost(t *testing.T, path string, body any) (int, http.Header, []byte) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	rsp, err := http.Post(f.url+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer rsp.Body.Close()
	out, err := io.ReadAll(rsp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return rsp.StatusCode, rsp.Header, out
}

// location is a table's location, as loadTable answers it.
func (f *fixture) location(t *testing.T, ns, name string) string {
	t.Helper()
	status, body := f.do(t, "GET", "/v1/namespaces/"+ns+"/tables/"+name, nil)
	if status != 200 {
		t.Fatalf("load %s.%s: %d %v", ns, name, status, body)
	}
	return body["metadata"].(map[string]any)["location"].(string)
}

// metadataLocation is the location of the table metadata in a 200 answer.
func metadataLocation(t *testing.T, status int, body []byte) string {
	t.Helper()
	if status != 200 {
		t.Fatalf("status %d: %s", status, body)
	}
	var res struct {
		Metadata struct {
			Location string `json:"location"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatal(err)
	}
	return res.Metadata.Location
}

func checkWarning(t *testing.T, what string, hdr http.Header, requested string) {
	t.Helper()
	w := hdr.Values("Warning")
	if len(w) != 1 || !strings.HasPrefix(w[0], "299 tributary ") || !strings.Contains(w[0], requested) {
		t.Errorf("%s: Warning %q, want one 299 naming %s", what, w, requested)
	}
}
