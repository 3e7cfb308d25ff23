package catalog

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/apache/iceberg-go"
	icecat "github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/catalog/rest"
	"github.com/apache/iceberg-go/table"
	"github.com/tributary-io/tributary/internal/metastore"
)

func TestCommitConflict(t *testing.T) {
	f := newFixture(t, nil, Options{})
	testCommitConflict(t, f)
}

// testCommitConflict: two transactions from the same base; the second
// gets CommitFailed (409) and nothing of the first is lost; redone on the
// fresh table it lands.
func testCommitConflict(t *testing.T, f *fixture) {
	ctx := context.Background()
	cat := f.client(t)
	id := table.Identifier{"ns", "conflict"}
	base := createEvents(t, cat, id)
	a, b := eventRows(0, 3), eventRows(100, 2)
	if _, err := appendRows(t, base, a); err != nil {
		t.Fatal(err)
	}
	_, err := appendRows(t, base, b)
	if !errors.Is(err, table.ErrCommitFailed) || !errors.Is(err, rest.ErrCommitFailed) {
		t.Fatalf("stale append: %v, want CommitFailed", err)
	}
	fresh, err := cat.LoadTable(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got := scanRows(t, fresh); strings.Join(got, "\n") != strings.Join(wantRows(t, fresh, a), "\n") {
		t.Fatalf("after the refused commit: %v", got)
	}
	if fresh, err = appendRows(t, fresh, b); err != nil {
		t.Fatal(err)
	}
	if got := scanRows(t, fresh); strings.Join(got, "\n") != strings.Join(wantRows(t, fresh, a, b), "\n") {
		t.Fatalf("after the retried commit: %v", got)
	}
}

// Commits that require nothing of each other all land: the server retries
// a swap that lost a race on the fresh metadata.
func TestConcurrentCommitsAllLand(t *testing.T) {
	f := newFixture(t, nil, Options{})
	ctx := context.Background()
	cat := f.client(t)
	id := table.Identifier{"ns", "busy"}
	createEvents(t, cat, id)
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			_, err := cat.UpdateTable(ctx, id, nil, []table.Update{
				table.NewSetPropertiesUpdate(iceberg.Properties{fmt.Sprintf("p%d", i): "x"}),
			})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	tbl, err := cat.LoadTable(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if tbl.Properties()[fmt.Sprintf("p%d", i)] != "x" {
			t.Errorf("property p%d lost: %v", i, tbl.Properties())
		}
	}
	if got := nextVersion(tbl.MetadataLocation()); got != n+1 {
		t.Errorf("metadata version %d after %d commits", got-1, n)
	}
}

// A store failure while swapping the metadata location is 500
// CommitStateUnknownException, never 409: the commit may have landed.
func TestCommitStateUnknown(t *testing.T) {
	faulty := metastore.NewFaulty(newBolt(t))
	f := newFixture(t, faulty, Options{})
	ctx := context.Background()
	cat := f.client(t)
	id := table.Identifier{"ns", "unknown"}
	createEvents(t, cat, id)

	faulty.FailAfterNext(metastore.MethodKVApply, 1, metastore.ErrUnavailable)
	_, err := cat.UpdateTable(ctx, id, nil, []table.Update{table.NewSetPropertiesUpdate(iceberg.Properties{"a": "1"})})
	if !errors.Is(err, rest.ErrCommitStateUnknown) || errors.Is(err, table.ErrCommitFailed) {
		t.Fatalf("lost reply: %v, want CommitStateUnknown", err)
	}
	tbl, err := cat.LoadTable(ctx, id)
	if err != nil || tbl.Properties()["a"] != "1" {
		t.Fatalf("the commit whose reply was lost did land: %v %v", tbl.Properties(), err)
	}

	// Refused before anything changed: still unknown to the client, and
	// the table is as it was.
	faulty.FailNext(metastore.MethodKVApply, 1, metastore.ErrUnavailable)
	_, err = cat.UpdateTable(ctx, id, nil, []table.Update{table.NewSetPropertiesUpdate(iceberg.Properties{"b": "1"})})
	if !errors.Is(err, rest.ErrCommitStateUnknown) {
		t.Fatalf("refused swap: %v, want CommitStateUnknown", err)
	}
	status, body := f.do(t, "GET", "/v1/namespaces/ns/tables/unknown", nil)
	if status != 200 || strings.Contains(fmt.Sprint(body["metadata"]), "b:1") {
		t.Fatalf("load: %d %v", status, body)
	}

	// The store down before the commit began: 503.
	faulty.FailNext(metastore.MethodKVGet, 1, metastore.ErrUnavailable)
	status, body = f.do(t, "POST", "/v1/namespaces/ns/tables/unknown", map[string]any{"requirements": []any{}, "updates": []any{}})
	if status != 503 || errType(body) != "ServiceUnavailableException" {
		t.Fatalf("store down: %d %v", status, body)
	}
}

// Requirements are checked on the server: each failing one is 409
// CommitFailedException and changes nothing; unknown updates or
// requirements are 400.
func TestRequirements(t *testing.T) {
	f := newFixture(t, nil, Options{})
	cat := f.client(t)
	tbl := createEvents(t, cat, table.Identifier{"ns", "req"})
	meta := tbl.Metadata()
	path := "/v1/namespaces/ns/tables/req"
	setProp := []any{map[string]any{"action": "set-properties", "updates": map[string]string{"x": "1"}}}
	for _, req := range []map[string]any{
		{"type": "assert-create"},
		{"type": "assert-table-uuid", "uuid": "00000000-0000-0000-0000-000000000001"},
		{"type": "assert-ref-snapshot-id", "ref": "main", "snapshot-id": 42},
		{"type": "assert-last-assigned-field-id", "last-assigned-field-id": meta.LastColumnID() + 1},
		{"type": "assert-current-schema-id", "current-schema-id": 7},
		{"type": "assert-last-assigned-partition-id", "last-assigned-partition-id": 5},
		{"type": "assert-default-spec-id", "default-spec-id": 3},
		{"type": "assert-default-sort-order-id", "default-sort-order-id": 9},
	} {
		status, body := f.do(t, "POST", path, map[string]any{"requirements": []any{req}, "updates": setProp})
		if status != 409 || errType(body) != "CommitFailedException" {
			t.Errorf("%v: %d %v", req["type"], status, body)
		}
	}
	ok := []any{
		map[string]any{"type": "assert-table-uuid", "uuid": meta.TableUUID().String()},
		map[string]any{"type": "assert-ref-snapshot-id", "ref": "main", "snapshot-id": nil},
		map[string]any{"type": "assert-last-assigned-field-id", "last-assigned-field-id": meta.LastColumnID()},
		map[string]any{"type": "assert-current-schema-id", "current-schema-id": meta.CurrentSchema().ID},
		map[string]any{"type": "assert-last-assigned-partition-id", "last-assigned-partition-id": *meta.LastPartitionSpecID()},
		map[string]any{"type": "assert-default-spec-id", "default-spec-id": meta.DefaultPartitionSpec()},
		map[string]any{"type": "assert-default-sort-order-id", "default-sort-order-id": meta.DefaultSortOrder()},
	}
	status, body := f.do(t, "POST", path, map[string]any{"identifier": map[string]any{"namespace": []string{"ns"}, "name": "req"}, "requirements": ok, "updates": setProp})
	if status != 200 || !strings.Contains(fmt.Sprint(body["metadata-location"]), "/metadata/00001-") {
		t.Fatalf("all requirements holding: %d %v", status, body)
	}
	for name, req := range map[string]map[string]any{
		"unknown update":      {"requirements": []any{}, "updates": []any{map[string]any{"action": "make-coffee"}}},
		"unknown requirement": {"requirements": []any{map[string]any{"type": "assert-mood"}}, "updates": setProp},
		"bad update":          {"requirements": []any{}, "updates": []any{map[string]any{"action": "set-current-schema", "schema-id": 99}}},
		"other table":         {"identifier": map[string]any{"namespace": []string{"ns"}, "name": "other"}, "updates": setProp},
	} {
		if status, body := f.do(t, "POST", path, req); status != 400 || errType(body) != "BadRequestException" {
			t.Errorf("%s: %d %v", name, status, body)
		}
	}
	if status, body := f.do(t, "POST", "/v1/namespaces/ns/tables/none", map[string]any{"updates": setProp}); status != 404 || errType(body) != "NoSuchTableException" {
		t.Errorf("commit to a missing table: %d %v", status, body)
	}
}

// A stage-create stores nothing; its commit (assert-create and the
// table's initial updates) creates the table.
func TestStageCreate(t *testing.T) {
	f := newFixture(t, nil, Options{})
	ctx := context.Background()
	cat := f.client(t)
	if err := cat.CreateNamespace(ctx, table.Identifier{"ns"}, nil); err != nil {
		t.Fatal(err)
	}
	status, body := f.do(t, "POST", "/v1/namespaces/ns/tables", map[string]any{
		"name": "staged", "schema": eventSchema(), "stage-create": true, "properties": map[string]string{"a": "1"},
	})
	if status != 200 || body["metadata-location"] != nil || body["metadata"] == nil {
		t.Fatalf("stage-create: %d %v", status, body)
	}
	if ok, err := cat.CheckTableExists(ctx, table.Identifier{"ns", "staged"}); ok || err != nil {
		t.Fatalf("staged table exists before its commit: %v %v", ok, err)
	}

	// iceberg-go's two-phase create: stage-create, then commit the
	// metadata the server answered, plus the staged updates.
	spec := daySpec()
	tbl, err := cat.CreateTable(ctx, table.Identifier{"ns", "two"}, eventSchema(), icecat.WithPartitionSpec(&spec),
		icecat.WithStagedUpdates(table.NewSetPropertiesUpdate(iceberg.Properties{"staged": "yes"})))
	if err != nil {
		t.Fatal(err)
	}
	if tbl.Properties()["staged"] != "yes" || !strings.Contains(tbl.MetadataLocation(), "/metadata/00000-") {
		t.Fatalf("staged create: %v at %s", tbl.Properties(), tbl.MetadataLocation())
	}
	if len(tbl.Metadata().Schemas()) != 1 || tbl.Metadata().Version() != 2 {
		t.Errorf("staged create made %d schemas, v%d", len(tbl.Metadata().Schemas()), tbl.Metadata().Version())
	}
	if _, err := appendRows(t, tbl, eventRows(0, 2)); err != nil {
		t.Fatal(err)
	}
	// A second assert-create for the same table: 409.
	_, _, err = cat.CommitTable(ctx, table.Identifier{"ns", "two"}, []table.Requirement{table.AssertCreate()},
		[]table.Update{table.NewAssignUUIDUpdate(tbl.Metadata().TableUUID())})
	if !errors.Is(err, table.ErrCommitFailed) {
		t.Fatalf("second create: %v", err)
	}
	// Into a namespace that does not exist: 404.
	_, _, err = cat.CommitTable(ctx, table.Identifier{"nope", "t"}, []table.Requirement{table.AssertCreate()}, nil)
	if err == nil {
		t.Fatal("create in a missing namespace succeeded")
	}
}

// Every change of a multi-table transaction lands, or none does.
func TestMultiTableTransaction(t *testing.T) {
	f := newFixture(t, nil, Options{})
	ctx := context.Background()
	cat := f.client(t)
	t1 := createEvents(t, cat, table.Identifier{"ns", "t1"})
	t2 := createEvents(t, cat, table.Identifier{"ns", "t2"})

	stage := func(tbl *table.Table, rows string) *table.Transaction {
		tx := tbl.NewTransaction()
		if err := tx.SetProperties(iceberg.Properties{"rows": rows[:12]}); err != nil {
			t.Fatal(err)
		}
		return tx
	}
	mt, err := icecat.NewMultiTableTransaction(cat)
	if err != nil {
		t.Fatal(err)
	}
	for _, tx := range []*table.Transaction{stage(t1, eventRows(0, 1)), stage(t2, eventRows(1, 1))} {
		if err := mt.AddTransaction(tx); err != nil {
			t.Fatal(err)
		}
	}
	if err := mt.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"t1", "t2"} {
		tbl, err := cat.LoadTable(ctx, table.Identifier{"ns", name})
		if err != nil || tbl.Properties()["rows"] == "" {
			t.Fatalf("%s after the transaction: %v %v", name, tbl.Properties(), err)
		}
	}

	// t1's base is now stale: the transaction fails and t2 is untouched.
	t2now, _ := cat.LoadTable(ctx, table.Identifier{"ns", "t2"})
	fresh1, _ := cat.LoadTable(ctx, table.Identifier{"ns", "t1"})
	tx1 := fresh1.NewTransaction()
	_ = tx1.SetProperties(iceberg.Properties{"late": "1"})
	if err := tx1.AssertRefSnapshotID(""); err != nil {
		t.Fatal(err)
	}
	// Move t1 on after tx1 was staged.
	if _, err := appendRows(t, fresh1, eventRows(0, 1)); err != nil {
		t.Fatal(err)
	}
	tx2 := t2now.NewTransaction()
	_ = tx2.SetProperties(iceberg.Properties{"late": "1"})
	mt, _ = icecat.NewMultiTableTransaction(cat)
	_ = mt.AddTransaction(tx1)
	_ = mt.AddTransaction(tx2)
	if err := mt.Commit(ctx); !errors.Is(err, table.ErrCommitFailed) {
		t.Fatalf("transaction with a stale table: %v, want CommitFailed", err)
	}
	after, _ := cat.LoadTable(ctx, table.Identifier{"ns", "t2"})
	if after.Properties()["late"] != "" || after.MetadataLocation() != t2now.MetadataLocation() {
		t.Fatalf("t2 changed by a failed transaction: %v", after.Properties())
	}

	for name, req := range map[string]map[string]any{
		"empty":    {"table-changes": []any{}},
		"no ident": {"table-changes": []any{map[string]any{"updates": []any{}}}},
		"twice": {"table-changes": []any{
			map[string]any{"identifier": map[string]any{"namespace": []string{"ns"}, "name": "t1"}, "updates": []any{}},
			map[string]any{"identifier": map[string]any{"namespace": []string{"ns"}, "name": "t1"}, "updates": []any{}},
		}},
	} {
		if status, body := f.do(t, "POST", "/v1/transactions/commit", req); status != 400 {
			t.Errorf("%s: %d %v", name, status, body)
		}
	}
}

// hookKV runs hook once, before the first KVApply after it is armed.
type hookKV struct {
	metastore.KV
	mu   sync.Mutex
	hook func()
}

func (h *hookKV) arm(f func()) { h.mu.Lock(); h.hook = f; h.mu.Unlock() }

func (h *hookKV) KVApply(ctx context.Context, ops []metastore.KVOp) ([]metastore.KVEntry, error) {
	h.mu.Lock()
	f := h.hook
	h.hook = nil
	h.mu.Unlock()
	if f != nil {
		f()
	}
	return h.KV.KVApply(ctx, ops)
}

// A table a transaction only asserts (no updates) is checked in the same
// KVApply as the tables it changes: a change to it between the check and
// the swap fails the whole transaction.
func TestTransactionAssertsUnchangedTables(t *testing.T) {
	kv := &hookKV{KV: newBolt(t)}
	f := newFixture(t, kv, Options{})
	ctx := context.Background()
	cat := f.client(t)
	createEvents(t, cat, table.Identifier{"ns", "t1"})
	t2 := createEvents(t, cat, table.Identifier{"ns", "t2"})
	// The change comes through another server on the store (a second
	// broker): this one queues its own commits to t1 behind the
	// transaction.
	t1, err := newFixtureOn(t, kv, f.objects, Options{}).client(t).LoadTable(ctx, table.Identifier{"ns", "t1"})
	if err != nil {
		t.Fatal(err)
	}
	kv.arm(func() {
		if _, err := appendRows(t, t1, eventRows(0, 1)); err != nil {
			t.Error(err)
		}
	})
	err = cat.CommitTransaction(ctx, []table.TableCommit{
		{Identifier: table.Identifier{"ns", "t1"}, Requirements: []table.Requirement{table.AssertRefSnapshotID("main", nil)}},
		{Identifier: table.Identifier{"ns", "t2"}, Updates: []table.Update{table.NewSetPropertiesUpdate(iceberg.Properties{"x": "1"})}},
	})
	if !errors.Is(err, table.ErrCommitFailed) {
		t.Fatalf("transaction whose asserted table changed: %v", err)
	}
	after, err := cat.LoadTable(ctx, table.Identifier{"ns", "t2"})
	if err != nil || after.MetadataLocation() != t2.MetadataLocation() {
		t.Fatalf("t2 after the failed transaction: %v %v", after.Properties(), err)
	}
}

// DuckDB's CREATE TABLE AS failed on a local warehouse: it stages the
// create, then writes its data files at the answered location before
// committing, and makes no parent directories. A staged create at a
// location the server chose makes the table's data/ and metadata/
// directories, with no file in them; one at a location the client named
// (Trino's CREATE TABLE AS) makes nothing, so a failed statement of that
// client leaves nothing behind.
func TestStagedCreateMakesLocalDirs(t *testing.T) {
	f := newFixture(t, nil, Options{})
	if err := f.client(t).CreateNamespace(context.Background(), table.Identifier{"ns"}, nil); err != nil {
		t.Fatal(err)
	}
	stage := func(name, location string) string {
		t.Helper()
		req := map[string]any{"name": name, "schema": eventSchema(), "stage-create": true}
		if location != "" {
			req["location"] = location
		}
		status, body := f.do(t, "POST", "/v1/namespaces/ns/tables", req)
		meta, _ := body["metadata"].(map[string]any)
		loc, _ := meta["location"].(string)
		if status != 200 || loc == "" {
			t.Fatalf("stage-create %s: %d %v", name, status, body)
		}
		p, ok := localPath(loc)
		if !ok {
			t.Fatalf("stage-create %s: location %q is not local", name, loc)
		}
		return p
	}

	dir := stage("chosen", "")
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	})
	if err != nil || len(files) != 0 {
		t.Fatalf("staged table directory %s: %v, files %v; want it with no file", dir, err, files)
	}
	for _, sub := range []string{"data", "metadata"} {
		if st, err := os.Stat(filepath.Join(dir, sub)); err != nil || !st.IsDir() {
			t.Errorf("staged create at the server's location: no %s directory: %v", sub, err)
		}
	}

	named := stage("named", "file://"+filepath.Join(f.dir, "ns", "named-by-client"))
	if _, err := os.Stat(named); !os.IsNotExist(err) {
		t.Errorf("staged create at the client's location %s: made it (%v), want nothing", named, err)
	}
}
