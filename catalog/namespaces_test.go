package catalog

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/apache/iceberg-go"
	icecat "github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"
)

func TestNamespacesThroughIcebergGo(t *testing.T) {
	f := newFixture(t, nil, Options{})
	testNamespaces(t, f)
}

// testNamespaces runs the namespace checks on a fixture (any store).
func testNamespaces(t *testing.T, f *fixture) {
	ctx := context.Background()
	cat := f.client(t)

	if err := cat.CreateNamespace(ctx, table.Identifier{"sales"}, iceberg.Properties{"owner": "ann", "comment": "x"}); err != nil {
		t.Fatal(err)
	}
	// a.b.c creates a and a.b, which then list under their parents.
	if err := cat.CreateNamespace(ctx, table.Identifier{"a", "b", "c"}, iceberg.Properties{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	if err := cat.CreateNamespace(ctx, table.Identifier{"a", "b", "c"}, nil); !errors.Is(err, icecat.ErrNamespaceAlreadyExists) {
		t.Fatalf("second create: %v, want ErrNamespaceAlreadyExists", err)
	}
	for _, tc := range []struct {
		parent table.Identifier
		want   []table.Identifier
	}{
		{nil, []table.Identifier{{"a"}, {"sales"}}},
		{table.Identifier{"a"}, []table.Identifier{{"a", "b"}}},
		{table.Identifier{"a", "b"}, []table.Identifier{{"a", "b", "c"}}},
		{table.Identifier{"a", "b", "c"}, nil},
	} {
		got, err := cat.ListNamespaces(ctx, tc.parent)
		if err != nil {
			t.Fatalf("list under %v: %v", tc.parent, err)
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("list under %v = %v, want %v", tc.parent, got, tc.want)
		}
	}
	if _, err := cat.ListNamespaces(ctx, table.Identifier{"nope"}); !errors.Is(err, icecat.ErrNoSuchNamespace) {
		t.Errorf("list under a missing parent: %v, want ErrNoSuchNamespace", err)
	}

	props, err := cat.LoadNamespaceProperties(ctx, table.Identifier{"a", "b", "c"})
	if err != nil || props["k"] != "v" {
		t.Fatalf("load a.b.c: %v %v", props, err)
	}
	sum, err := cat.UpdateNamespaceProperties(ctx, table.Identifier{"sales"}, []string{"comment", "absent"}, iceberg.Properties{"owner": "bob", "tier": "1"})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(sum.Updated, sum.Removed, sum.Missing) != "[owner tier] [comment] [absent]" {
		t.Errorf("update summary = %+v", sum)
	}
	props, _ = cat.LoadNamespaceProperties(ctx, table.Identifier{"sales"})
	// the default location is answered though never set (namespaces.go's nsLocation)
	if loc := props["location"]; !strings.HasPrefix(loc, "file:///") || !strings.HasSuffix(loc, "/sales") {
		t.Errorf("location of sales = %q, want <warehouse>/sales", loc)
	}
	delete(props, "location")
	if fmt.Sprint(props) != "map[owner:bob tier:1]" {
		t.Errorf("properties after update = %v", props)
	}

	for ns, want := range map[string]bool{"a": true, "a.b.c": true, "a.x": false} {
		ok, err := cat.CheckNamespaceExists(ctx, strings.Split(ns, "."))
		if err != nil || ok != want {
			t.Errorf("exists %s = %v %v, want %v", ns, ok, err, want)
		}
	}

	if err := cat.DropNamespace(ctx, table.Identifier{"a", "b"}); !errors.Is(err, icecat.ErrNamespaceNotEmpty) {
		t.Fatalf("drop a.b with a child: %v, want ErrNamespaceNotEmpty", err)
	}
	if err := cat.DropNamespace(ctx, table.Identifier{"a", "b", "c"}); err != nil {
		t.Fatal(err)
	}
	if err := cat.DropNamespace(ctx, table.Identifier{"a", "b", "c"}); !errors.Is(err, icecat.ErrNoSuchNamespace) {
		t.Fatalf("second drop: %v, want ErrNoSuchNamespace", err)
	}
	if err := cat.DropNamespace(ctx, table.Identifier{"a", "b"}); err != nil {
		t.Fatal(err)
	}
}

func TestNamespacePagination(t *testing.T) {
	f := newFixture(t, nil, Options{})
	ctx := context.Background()
	cat := f.client(t)
	var want []table.Identifier
	for i := range 7 {
		ns := table.Identifier{"p", fmt.Sprintf("n%d", i)}
		if err := cat.CreateNamespace(ctx, ns, nil); err != nil {
			t.Fatal(err)
		}
		want = append(want, ns)
	}

	// By hand: pages of 3, each with a token but the last.
	var got [][]string
	token := ""
	for pages := 1; ; pages++ {
		q := url.Values{"parent": {"p"}, "pageSize": {"3"}}
		if token != "" {
			q.Set("pageToken", token)
		}
		status, body := f.do(t, "GET", "/v1/namespaces?"+q.Encode(), nil)
		if status != 200 {
			t.Fatalf("page %d: %d %v", pages, status, body)
		}
		for _, ns := range body["namespaces"].([]any) {
			var levels []string
			for _, l := range ns.([]any) {
				levels = append(levels, l.(string))
			}
			got = append(got, levels)
		}
		next, _ := body["next-page-token"].(string)
		if next == "" {
			if pages != 3 {
				t.Errorf("%d pages, want 3", pages)
			}
			break
		}
		token = next
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("paged = %v, want %v", got, want)
	}

	// Through iceberg-go, which follows the tokens.
	all, err := cat.ListNamespaces(cat.SetPageSize(ctx, 2), table.Identifier{"p"})
	if err != nil || fmt.Sprint(all) != fmt.Sprint(want) {
		t.Errorf("iceberg-go paged = %v %v, want %v", all, err, want)
	}
	// Without pageSize everything comes at once.
	status, body := f.do(t, "GET", "/v1/namespaces?parent=p", nil)
	if status != 200 || len(body["namespaces"].([]any)) != 7 || body["next-page-token"] != nil {
		t.Errorf("unpaged: %d %v", status, body)
	}
	if status, body := f.do(t, "GET", "/v1/namespaces?pageToken=%25%25", nil); status != 400 {
		t.Errorf("bad token: %d %v", status, body)
	}
}

// Namespace levels travel in one path segment joined by %1F; a level may
// hold an escaped slash.
func TestNamespaceEncoding(t *testing.T) {
	f := newFixture(t, nil, Options{})
	status, body := f.do(t, "POST", "/v1/namespaces", map[string]any{"namespace": []string{"x/y", "z"}})
	if status != 200 {
		t.Fatalf("create: %d %v", status, body)
	}
	status, body = f.do(t, "GET", "/v1/namespaces/x%2Fy%1Fz", nil)
	if status != 200 || fmt.Sprint(body["namespace"]) != "[x/y z]" {
		t.Fatalf("load: %d %v", status, body)
	}
	status, _ = f.do(t, "HEAD", "/v1/namespaces/x%2Fy%1Fq", nil)
	if status != 404 {
		t.Errorf("head missing: %d", status)
	}
	for _, bad := range []any{
		map[string]any{"namespace": []string{}},
		map[string]any{"namespace": []string{"a", ""}},
		map[string]any{"namespace": []string{"a\x1fb"}},
		"not an object",
	} {
		if status, body := f.do(t, "POST", "/v1/namespaces", bad); status != 400 || errType(body) != "BadRequestException" {
			t.Errorf("create %v: %d %v", bad, status, body)
		}
	}
	status, body = f.do(t, "POST", "/v1/namespaces/x%2Fy%1Fz/properties", map[string]any{"removals": []string{"a"}, "updates": map[string]string{"a": "1"}})
	if status != 422 {
		t.Errorf("remove and update one key: %d %v", status, body)
	}
}
