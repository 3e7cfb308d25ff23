package catalog

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	icecat "github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"
)

// filesUnder lists the files below a file:// location.
func filesUnder(t *testing.T, loc string) []string {
	t.Helper()
	var out []string
	_ = filepath.WalkDir(strings.TrimPrefix(loc, "file://"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func TestRenameDropRegister(t *testing.T) {
	f := newFixture(t, nil, Options{})
	ctx := context.Background()
	cat := f.client(t)
	src, dst := table.Identifier{"a", "t"}, table.Identifier{"b", "moved"}
	tbl := createEvents(t, cat, src)
	rows := eventRows(0, 4)
	tbl, err := appendRows(t, tbl, rows)
	if err != nil {
		t.Fatal(err)
	}

	if _, err := cat.RenameTable(ctx, src, dst); !errors.Is(err, icecat.ErrNoSuchNamespace) && err == nil {
		t.Fatal("rename into a missing namespace succeeded")
	}
	if err := cat.CreateNamespace(ctx, table.Identifier{"b"}, nil); err != nil {
		t.Fatal(err)
	}
	moved, err := cat.RenameTable(ctx, src, dst)
	if err != nil {
		t.Fatal(err)
	}
	if moved.MetadataLocation() != tbl.MetadataLocation() {
		t.Errorf("renamed table at %s, was %s", moved.MetadataLocation(), tbl.MetadataLocation())
	}
	for id, want := range map[string]bool{"a.t": false, "b.moved": true} {
		if ok, err := cat.CheckTableExists(ctx, strings.Split(id, ".")); ok != want || err != nil {
			t.Errorf("exists %s = %v %v", id, ok, err)
		}
	}
	if _, err := cat.RenameTable(ctx, src, dst); !errors.Is(err, icecat.ErrNoSuchTable) {
		t.Errorf("rename of a missing table: %v", err)
	}
	createEvents(t, cat, src)
	if status, body := f.do(t, "POST", "/v1/tables/rename", map[string]any{
		"source":      map[string]any{"namespace": []string{"a"}, "name": "t"},
		"destination": map[string]any{"namespace": []string{"b"}, "name": "moved"},
	}); status != 409 || errType(body) != "AlreadyExistsException" {
		t.Errorf("rename onto an existing table: %d %v", status, body)
	}
	if err := cat.DropNamespace(ctx, table.Identifier{"b"}); !errors.Is(err, icecat.ErrNamespaceNotEmpty) {
		t.Errorf("drop a namespace with a table: %v", err)
	}

	// Drop without purge keeps the files; register brings the table back.
	if err := cat.DropTable(ctx, dst); err != nil {
		t.Fatal(err)
	}
	if err := cat.DropTable(ctx, dst); !errors.Is(err, icecat.ErrNoSuchTable) {
		t.Errorf("second drop: %v", err)
	}
	kept := filesUnder(t, tbl.Location())
	if len(kept) < 5 {
		t.Fatalf("drop without purge left %d files", len(kept))
	}
	back, err := cat.RegisterTable(ctx, table.Identifier{"b", "back"}, tbl.MetadataLocation())
	if err != nil {
		t.Fatal(err)
	}
	if got := scanRows(t, back); strings.Join(got, "\n") != strings.Join(wantRows(t, back, rows), "\n") {
		t.Fatalf("registered table scans %v", got)
	}
	if _, err := cat.RegisterTable(ctx, table.Identifier{"b", "back"}, tbl.MetadataLocation()); !errors.Is(err, icecat.ErrTableAlreadyExists) {
		t.Errorf("register over a table: %v", err)
	}
	if status, body := f.do(t, "POST", "/v1/namespaces/b/register", map[string]any{
		"name": "back", "metadata-location": tbl.MetadataLocation(), "overwrite": true,
	}); status != 200 {
		t.Errorf("register with overwrite: %d %v", status, body)
	}
	var parquet string
	for _, p := range kept {
		if strings.HasSuffix(p, ".parquet") {
			parquet = "file://" + p
		}
	}
	for name, loc := range map[string]string{
		"outside":  "file:///etc/passwd",
		"missing":  tbl.Location() + "/metadata/99999-x.metadata.json",
		"not json": parquet,
	} {
		if status, body := f.do(t, "POST", "/v1/namespaces/b/register", map[string]any{"name": "x", "metadata-location": loc}); status != 400 {
			t.Errorf("register %s (%s): %d %v", name, loc, status, body)
		}
	}

	// Purge deletes every file of the table, data and metadata.
	if _, err := appendRows(t, back, eventRows(10, 2)); err != nil {
		t.Fatal(err)
	}
	if err := cat.PurgeTable(ctx, table.Identifier{"b", "back"}); err != nil {
		t.Fatal(err)
	}
	if left := filesUnder(t, tbl.Location()); len(left) != 0 {
		t.Errorf("purge left %v", left)
	}
	// The other table, created under a.t after the rename, is untouched.
	if other, err := cat.LoadTable(ctx, src); err != nil || len(filesUnder(t, other.Location())) != 1 {
		t.Errorf("a.t after the purge of its old files: %v", err)
	}
}

// The default location of a table keeps names engines and stores take as
// they are, and a namespace's location property wins.
func TestDefaultLocation(t *testing.T) {
	// allowed outside the warehouse: only a directory none of these use
	f := newFixture(t, nil, Options{AllowedLocations: []string{"file:///tmp/allowed-elsewhere"}})
	ctx := context.Background()
	status, body := f.do(t, "POST", "/v1/namespaces", map[string]any{"namespace": []string{".hidden", "a b/c"}})
	if status != 200 {
		t.Fatal(status, body)
	}
	status, body = f.do(t, "POST", "/v1/namespaces/.hidden%1Fa%20b%2Fc/tables", map[string]any{"name": "Ünï cödé", "schema": eventSchema()})
	if status != 200 {
		t.Fatal(status, body)
	}
	loc := body["metadata"].(map[string]any)["location"].(string)
	if want := "file://" + f.dir + "/_hidden/a_b_c/_n__c_d_-"; !strings.HasPrefix(loc, want) {
		t.Errorf("location %s, want %s<uuid>", loc, want)
	}
	cat := f.client(t)
	if err := cat.CreateNamespace(ctx, table.Identifier{"placed"}, map[string]string{"location": "file://" + f.dir + "/elsewhere/"}); err != nil {
		t.Fatal(err)
	}
	if err := cat.CreateNamespace(ctx, table.Identifier{"outside"}, map[string]string{"location": "file:///tmp/x"}); err == nil {
		t.Error("namespace located outside the warehouse created")
	}
	if status, body := f.do(t, "POST", "/v1/namespaces/placed/properties", map[string]any{"updates": map[string]string{"location": "s3://b/x"}}); status != 400 {
		t.Errorf("namespace moved outside the warehouse: %d %v", status, body)
	}
	tbl := createEvents(t, cat, table.Identifier{"placed", "t"})
	if !strings.HasPrefix(tbl.Location(), "file://"+f.dir+"/elsewhere/t-") {
		t.Errorf("location in a placed namespace: %s", tbl.Location())
	}
	if status, body := f.do(t, "POST", "/v1/namespaces/placed/tables", map[string]any{"name": "t", "schema": eventSchema()}); status != 409 || errType(body) != "AlreadyExistsException" {
		t.Errorf("create over a table: %d %v", status, body)
	}
	if status, body := f.do(t, "POST", "/v1/namespaces/none/tables", map[string]any{"name": "t", "schema": eventSchema()}); status != 404 || errType(body) != "NoSuchNamespaceException" {
		t.Errorf("create in a missing namespace: %d %v", status, body)
	}
}

// With write.metadata.delete-after-commit.enabled, metadata files beyond
// write.metadata.previous-versions-max are deleted as commits land.
func TestMetadataDeleteAfterCommit(t *testing.T) {
	f := newFixture(t, nil, Options{})
	ctx := context.Background()
	cat := f.client(t)
	createEvents(t, cat, table.Identifier{"ns", "t"})
	tbl, err := cat.UpdateTable(ctx, table.Identifier{"ns", "t"}, nil, []table.Update{table.NewSetPropertiesUpdate(map[string]string{
		"write.metadata.delete-after-commit.enabled": "true", "write.metadata.previous-versions-max": "2",
	})})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if tbl, err = appendRows(t, tbl, eventRows(i, 1)); err != nil {
			t.Fatal(err)
		}
	}
	var metas []string
	for _, p := range filesUnder(t, tbl.Location()+"/metadata") {
		if strings.HasSuffix(p, ".metadata.json") {
			metas = append(metas, filepath.Base(p))
		}
	}
	if len(metas) != 3 || !strings.HasPrefix(metas[0], "00003-") || !strings.HasPrefix(metas[2], "00005-") {
		t.Errorf("metadata files %v, want versions 3 to 5", metas)
	}
	if got := len(scanRows(t, tbl)); got != 4 {
		t.Errorf("scanned %d rows", got)
	}
}
