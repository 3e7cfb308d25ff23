package catalog

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/iceberg-go"
	icecat "github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"
	"github.com/apache/iceberg-go/view"
	"github.com/google/uuid"
	"github.com/tributary-io/tributary/internal/objstore"
)

// TestViewLifecycle: views through iceberg-go's REST client, which finds
// the view endpoints in /v1/config: create, load, list, replace (a second
// version, in the version log), rename, drop; a view and a table never
// share a name; a namespace holding only a view is not empty. Before, no
// view endpoint existed (45 of the REST compatibility kit's tests failed).
func TestViewLifecycle(t *testing.T) {
	f := newFixture(t, nil, Options{})
	ctx := context.Background()
	cat := f.client(t)
	createEvents(t, cat, table.Identifier{"ns", "events"})
	schema := iceberg.NewSchema(0, iceberg.NestedField{ID: 1, Name: "id", Type: iceberg.PrimitiveTypes.Int64, Required: false})
	v1, err := view.NewVersionFromSQL(1, 0, "SELECT id FROM ns.events", table.Identifier{"ns"})
	if err != nil {
		t.Fatal(err)
	}
	id := table.Identifier{"ns", "v"}
	created, err := cat.CreateView(ctx, id, v1, schema, icecat.WithViewProperties(iceberg.Properties{"owner": "test"}))
	if err != nil {
		t.Fatal(err)
	}
	if want := "file://" + f.dir + "/ns/v-"; !strings.HasPrefix(created.Location(), want) || !strings.HasPrefix(created.MetadataLocation(), created.Location()+"/metadata/00000-") {
		t.Errorf("view at %s, metadata %s; want %s<uuid>", created.Location(), created.MetadataLocation(), want)
	}
	if _, err := cat.CreateView(ctx, id, v1, schema); !errors.Is(err, icecat.ErrViewAlreadyExists) {
		t.Errorf("create over a view: %v", err)
	}
	if ok, err := cat.CheckViewExists(ctx, id); err != nil || !ok {
		t.Errorf("view exists: %v %v", ok, err)
	}

	// replace: a second version, current, both in the version log
	v2, err := view.NewVersionFromSQL(2, 0, "SELECT id FROM ns.events WHERE id > 0", table.Identifier{"ns"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cat.UpdateView(ctx, id, []view.Requirement{view.AssertViewUUID(created.Metadata().ViewUUID())},
		[]view.Update{view.NewAddViewVersionUpdate(v2), view.NewSetCurrentVersionUpdate(-1)})
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := cat.LoadView(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got := loaded.CurrentVersion().Representations[0].Sql; got != "SELECT id FROM ns.events WHERE id > 0" {
		t.Errorf("current version's SQL %q", got)
	}
	if n, log := len(loaded.Versions()), loaded.Metadata().VersionLog(); n != 2 || len(log) != 2 {
		t.Errorf("%d versions, version log %v; want 2 and 2", n, log)
	}
	if !strings.HasPrefix(loaded.MetadataLocation(), created.Location()+"/metadata/00001-") || loaded.Properties()["owner"] != "test" {
		t.Errorf("replaced view: metadata %s, properties %v", loaded.MetadataLocation(), loaded.Properties())
	}
	_, err = cat.UpdateView(ctx, id, []view.Requirement{view.AssertViewUUID(uuid.New())},
		[]view.Update{view.NewSetPropertiesUpdate(iceberg.Properties{"k": "v"})})
	if err == nil || !strings.Contains(err.Error(), "Requirement failed: UUID does not match") {
		t.Errorf("replace with a stale UUID: %v", err)
	}

	// a table and a view never share a name
	status, body := f.do(t, "POST", "/v1/namespaces/ns/tables", map[string]any{"name": "v", "schema": eventSchema()})
	if msg, _ := body["error"].(map[string]any)["message"].(string); status != 409 || msg != "View with same name already exists: ns.v" {
		t.Errorf("table over a view: %d %v", status, body)
	}
	if _, err := cat.CreateView(ctx, table.Identifier{"ns", "events"}, v1, schema); err == nil || !strings.Contains(err.Error(), "Table with same name already exists: ns.events") {
		t.Errorf("view over a table: %v", err)
	}
	if _, err := cat.RenameView(ctx, id, table.Identifier{"ns", "events"}); err == nil || !strings.Contains(err.Error(), "Cannot rename ns.v to ns.events. Table already exists") {
		t.Errorf("rename a view onto a table: %v", err)
	}

	// rename across namespaces, list, drop
	if err := cat.CreateNamespace(ctx, table.Identifier{"other"}, nil); err != nil {
		t.Fatal(err)
	}
	moved := table.Identifier{"other", "w"}
	if _, err := cat.RenameView(ctx, id, moved); err != nil {
		t.Fatal(err)
	}
	var names []string
	for vid, err := range cat.ListViews(ctx, table.Identifier{"other"}) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, strings.Join(vid, "."))
	}
	if !slices.Equal(names, []string{"other.w"}) {
		t.Errorf("views in other: %v", names)
	}
	if _, err := cat.LoadView(ctx, id); !errors.Is(err, icecat.ErrNoSuchView) {
		t.Errorf("load the old name: %v", err)
	}
	status, body = f.do(t, "DELETE", "/v1/namespaces/other", nil)
	if status != 409 || errType(body) != "NamespaceNotEmptyException" {
		t.Errorf("drop a namespace holding a view: %d %v", status, body)
	}
	if err := cat.DropView(ctx, moved); err != nil {
		t.Fatal(err)
	}
	if err := cat.DropView(ctx, moved); !errors.Is(err, icecat.ErrNoSuchView) {
		t.Errorf("drop again: %v", err)
	}
	status, body = f.do(t, "GET", "/v1/namespaces/other/views/w", nil)
	if msg, _ := body["error"].(map[string]any)["message"].(string); status != 404 || errType(body) != "NoSuchViewException" || msg != "View does not exist: other.w" {
		t.Errorf("load a dropped view: %d %v", status, body)
	}
	if status, body := f.do(t, "DELETE", "/v1/namespaces/other", nil); status != 204 {
		t.Errorf("drop the emptied namespace: %d %v", status, body)
	}
}

// TestViewMetadataOnLocalPathWithS3Warehouse: an S3 warehouse that lists
// a file:// prefix in AllowedLocations takes a view's write.metadata.path
// there (the RCK's createViewWithCustomMetadataLocation asks for a
// directory of its own machine): the metadata file is written on the
// node's file system under the path asked for, the answer names it, and
// the view loads and takes a new version there. A path not allowed is
// still overridden (the view's own metadata directory in the bucket).
// Before, a file:// allowed location on an S3 warehouse was refused as
// configuration, so that test failed on S3.
func TestViewMetadataOnLocalPathWithS3Warehouse(t *testing.T) {
	warehouse, err := objstore.NewLocal(t.TempDir()) // stands in for s3://b/wh
	if err != nil {
		t.Fatal(err)
	}
	bucket, err := objstore.NewLocal(t.TempDir()) // the bucket from its root
	if err != nil {
		t.Fatal(err)
	}
	local := t.TempDir()
	f := newFixtureOn(t, newBolt(t), warehouse, Options{Warehouse: "s3://b/wh", Outside: bucket,
		AllowedLocations: []string{"s3://b/", "file://" + local + "/"}})
	ctx := context.Background()
	cat := f.client(t)
	if err := cat.CreateNamespace(ctx, table.Identifier{"ns"}, nil); err != nil {
		t.Fatal(err)
	}
	schema := iceberg.NewSchema(0, iceberg.NestedField{ID: 1, Name: "id", Type: iceberg.PrimitiveTypes.Int64})
	v1, err := view.NewVersionFromSQL(1, 0, "SELECT 1 AS id", table.Identifier{"ns"})
	if err != nil {
		t.Fatal(err)
	}
	custom := "file:" + local + "/custom-location" // java.nio's form of a file URI, as the RCK sends it
	created, err := cat.CreateView(ctx, table.Identifier{"ns", "v"}, v1, schema,
		icecat.WithViewProperties(iceberg.Properties{viewMetadataPath: custom}))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(created.MetadataLocation(), custom+"/00000-") || created.Properties()[viewMetadataPath] != custom {
		t.Errorf("view metadata at %s, properties %v; want under %s", created.MetadataLocation(), created.Properties(), custom)
	}
	if files, _ := filepath.Glob(filepath.Join(local, "custom-location", "00000-*.metadata.json")); len(files) != 1 {
		t.Errorf("metadata files in %s: %v, want one", local, files)
	}
	v2, err := view.NewVersionFromSQL(2, 0, "SELECT 2 AS id", table.Identifier{"ns"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cat.UpdateView(ctx, table.Identifier{"ns", "v"}, nil,
		[]view.Update{view.NewAddViewVersionUpdate(v2), view.NewSetCurrentVersionUpdate(-1)}); err != nil {
		t.Fatal(err)
	}
	loaded, err := cat.LoadView(ctx, table.Identifier{"ns", "v"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(loaded.MetadataLocation(), custom+"/00001-") || loaded.CurrentVersion().VersionID != 2 {
		t.Errorf("replaced view: metadata %s, version %d", loaded.MetadataLocation(), loaded.CurrentVersion().VersionID)
	}

	// a path outside every allowed prefix: the view's own directory
	other := "file://" + t.TempDir() + "/x"
	w, err := cat.CreateView(ctx, table.Identifier{"ns", "w"}, v1, schema,
		icecat.WithViewProperties(iceberg.Properties{viewMetadataPath: other}))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(w.MetadataLocation(), "s3://b/wh/ns/w-") {
		t.Errorf("view asking for %s: metadata at %s, want in the warehouse", other, w.MetadataLocation())
	}
	if err := (Options{Warehouse: "s3://b/wh", AllowedLocations: []string{"s3://other/x"}}).Validate(); err == nil {
		t.Error("an allowed location in another bucket validated")
	}
}
