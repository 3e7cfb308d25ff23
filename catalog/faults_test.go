package catalog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog/rest"
	"github.com/apache/iceberg-go/table"
	"github.com/tributary-io/tributary/internal/objstore"
)

// A metadata file that cannot be written fails the commit before anything
// changed: 503, and the table is as it was.
func TestMetadataWriteFails(t *testing.T) {
	local, err := objstore.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	objects := objstore.NewFaulty(local)
	f := newFixtureOn(t, newBolt(t), objects, Options{Warehouse: "file://" + local.Root()})
	ctx := context.Background()
	cat := f.client(t)
	tbl := createEvents(t, cat, table.Identifier{"ns", "t"})

	objects.FailNext(objstore.OpPut, 1, errors.New("disk full"))
	status, body := f.do(t, "POST", "/v1/namespaces/ns/tables/t", map[string]any{
		"updates": []any{map[string]any{"action": "set-properties", "updates": map[string]string{"a": "1"}}},
	})
	if status != 503 || errType(body) != "ServiceUnavailableException" {
		t.Fatalf("commit with the warehouse failing: %d %v", status, body)
	}
	_, err = cat.UpdateTable(ctx, table.Identifier{"ns", "t"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	now, err := cat.LoadTable(ctx, table.Identifier{"ns", "t"})
	if err != nil || now.MetadataLocation() != tbl.MetadataLocation() {
		t.Fatalf("after the failed commit: %v %v", now.MetadataLocation(), err)
	}

	objects.FailNext(objstore.OpPut, 1, errors.New("disk full"))
	_, err = cat.UpdateTable(ctx, table.Identifier{"ns", "t"}, nil, []table.Update{table.NewSetPropertiesUpdate(iceberg.Properties{"a": "1"})})
	if !errors.Is(err, rest.ErrCommitStateUnknown) {
		t.Errorf("iceberg-go sees a 503 commit as: %v", err)
	}
}

// A table created while its namespace is dropped either lands (and the
// drop fails, not empty) or does not (and the drop succeeds): never a
// table in a dropped namespace. The create touches the namespace's key in
// the same KVApply.
func TestCreateRacesDropNamespace(t *testing.T) {
	f := newFixture(t, nil, Options{})
	ctx := context.Background()
	for i := range 20 {
		ns := fmt.Sprintf("race%d", i)
		if status, body := f.do(t, "POST", "/v1/namespaces", map[string]any{"namespace": []string{ns}}); status != 200 {
			t.Fatal(status, body)
		}
		var wg sync.WaitGroup
		var created, dropped int
		wg.Go(func() {
			created, _ = f.do(t, "POST", "/v1/namespaces/"+ns+"/tables", map[string]any{"name": "t", "schema": eventSchema()})
		})
		wg.Go(func() { dropped, _ = f.do(t, "DELETE", "/v1/namespaces/"+ns, nil) })
		wg.Wait()
		tables, err := f.kv.KVList(ctx, tablesPrefix([]string{ns}), "", 0)
		if err != nil {
			t.Fatal(err)
		}
		_, _, nsErr := f.srv.getNamespace(ctx, []string{ns})
		switch {
		case created == 200 && dropped == 409 && nsErr == nil && len(tables) == 1:
		case created == 404 && dropped == 204 && len(tables) == 0:
		case created == 200 && dropped == 204:
			t.Fatalf("%s: both the create and the drop succeeded (tables %d)", ns, len(tables))
		default:
			t.Fatalf("%s: create %d, drop %d, namespace %v, tables %d", ns, created, dropped, nsErr, len(tables))
		}
	}
}

// FuzzWarehouseKey: never panics; a key it returns is a valid object key
// inside the warehouse, and its location maps back to it.
func FuzzWarehouseKey(f *testing.F) {
	for _, s := range []string{
		"file:///wh/ns/t/metadata/v1.metadata.json", "file:/wh/a", "/wh/a/../b", "file:///wh/%2e%2e/x",
		"s3://b/p/ns/t", "s3a://b/p/../q", "file://host/wh/a", "", "file:", "s3://", "/wh/.x", "file:///wh/a%00b",
	} {
		f.Add(s)
	}
	local, _ := parseWarehouse("file:///wh")
	s3, _ := parseWarehouse("s3://b/p")
	f.Fuzz(func(t *testing.T, loc string) {
		for _, w := range []warehouse{local, s3} {
			key, err := w.key(loc)
			if err != nil {
				if !errors.Is(err, ErrBadRequest) {
					t.Fatalf("key(%q): %v, not ErrBadRequest", loc, err)
				}
				continue
			}
			if objstore.ValidateKey(key) != nil || strings.Contains("/"+key+"/", "/../") {
				t.Fatalf("key(%q) = %q: invalid", loc, key)
			}
			if back, err := w.key(w.location(key)); err != nil || back != key {
				t.Fatalf("key(location(%q)) = %q, %v", key, back, err)
			}
		}
	})
}

// FuzzSplitPath: never panics; a path it accepts yields segments that
// escape back to an equivalent path.
func FuzzSplitPath(f *testing.F) {
	for _, s := range []string{"/v1/namespaces/a%1Fb/tables/t", "/v1/", "/v1/x%2Fy", "/v1/%ZZ", "/v2/config", "/v1//"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		segs, err := splitPath(p)
		if err != nil {
			if !errors.Is(err, ErrBadRequest) && !errors.Is(err, ErrNotFound) {
				t.Fatalf("splitPath(%q): %v", p, err)
			}
			return
		}
		for _, s := range segs {
			if strings.Contains(s, "/") && !strings.Contains(p, "%2F") && !strings.Contains(p, "%2f") {
				t.Fatalf("splitPath(%q): segment %q holds a slash the path did not escape", p, s)
			}
		}
	})
}
