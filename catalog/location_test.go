package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
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
// warehouse is taken as asked. (The allowed locations outside it are
// narrowed here to one that does not hold the one asked for; by default a
// local warehouse allows the whole file system, see
// TestAllowedLocationTaken.)
func TestRequestedLocationOutsideWarehouseOverridden(t *testing.T) {
	f := newFixture(t, nil, Options{AllowedLocations: []string{"file:///tmp/allowed-elsewhere"}})
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

// TestAllowedLocationTaken: by default a local warehouse allows a table
// anywhere on the node's file system: a table asked to live in another
// directory is created there (its metadata files written there, no
// Warning), takes commits, loads, and a purge deletes its files there. A
// prefix outside the warehouse's file system or bucket is refused as
// configuration.
func TestAllowedLocationTaken(t *testing.T) {
	f := newFixture(t, nil, Options{})
	cat := f.client(t)
	elsewhere := t.TempDir()
	want := "file://" + elsewhere + "/t"
	if err := cat.CreateNamespace(context.Background(), table.Identifier{"ns"}, nil); err != nil {
		t.Fatal(err)
	}
	status, hdr, body := f.rawPost(t, "/v1/namespaces/ns/tables", map[string]any{"name": "t", "schema": eventSchema(), "location": want})
	loc := metadataLocation(t, status, body)
	if loc != want || len(hdr.Values("Warning")) != 0 {
		t.Fatalf("create at %s: location %s, Warning %v; want it taken as asked", want, loc, hdr.Values("Warning"))
	}
	tbl, err := cat.LoadTable(context.Background(), table.Identifier{"ns", "t"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := appendRows(t, tbl, eventRows(0, 3)); err != nil {
		t.Fatalf("append at an allowed location: %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(elsewhere, "t", "metadata", "*.metadata.json"))
	if len(files) != 2 {
		t.Errorf("metadata files in %s: %v, want the create's and the append's", elsewhere, files)
	}
	if err := cat.PurgeTable(context.Background(), table.Identifier{"ns", "t"}); err != nil {
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(elsewhere, "t", "metadata", "*.json"))
	if len(left) != 0 {
		t.Errorf("after the purge: %v left", left)
	}
	if err := (Options{Warehouse: "file://" + f.dir, AllowedLocations: []string{"s3://b/x"}}).Validate(); err == nil {
		t.Error("an s3:// allowed location for a local warehouse validated")
	}
}

// TestPurgeOutsideKeepsOtherFiles: purging a table at an allowed location
// outside the warehouse deletes its own files only. A metadata file that
// names a file elsewhere on the node's file system (as a statistics file
// here; a manifest could name a data file the same way) leaves that file
// alone: the default allow-list is the whole file system, and a client
// must not be able to make the server delete what it likes.
func TestPurgeOutsideKeepsOtherFiles(t *testing.T) {
	f := newFixture(t, nil, Options{})
	cat := f.client(t)
	elsewhere, victim := t.TempDir(), filepath.Join(t.TempDir(), "keep.puffin")
	if err := os.WriteFile(victim, []byte("not the table's"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := cat.CreateNamespace(context.Background(), table.Identifier{"ns"}, nil); err != nil {
		t.Fatal(err)
	}
	status, _, body := f.rawPost(t, "/v1/namespaces/ns/tables", map[string]any{"name": "t", "schema": eventSchema(), "location": "file://" + elsewhere + "/t"})
	metadataLocation(t, status, body)
	tbl, err := cat.LoadTable(context.Background(), table.Identifier{"ns", "t"})
	if err != nil {
		t.Fatal(err)
	}
	tbl, err = appendRows(t, tbl, eventRows(0, 2))
	if err != nil {
		t.Fatal(err)
	}
	stats := map[string]any{"snapshot-id": tbl.CurrentSnapshot().SnapshotID, "statistics-path": "file://" + victim,
		"file-size-in-bytes": 15, "file-footer-size-in-bytes": 1, "blob-metadata": []any{}}
	if status, body := f.do(t, "POST", "/v1/namespaces/ns/tables/t", map[string]any{
		"updates": []any{map[string]any{"action": "set-statistics", "snapshot-id": stats["snapshot-id"], "statistics": stats}},
	}); status != 200 {
		t.Fatalf("set-statistics: %d %v", status, body)
	}
	if err := cat.PurgeTable(context.Background(), table.Identifier{"ns", "t"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(victim); err != nil {
		t.Errorf("the purge of a table outside the warehouse deleted a file it only named: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(elsewhere, "t", "metadata", "*.json")); len(left) != 0 {
		t.Errorf("the purge left the table's own metadata files: %v", left)
	}
}
