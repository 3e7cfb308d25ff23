package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/iceberg-go/table"
)

// Regression for commits that failed for contention alone: with 8
// writers the server gave up after 5 attempts and answered 409 with the
// store's key and version in the message. Commits without requirements
// now all land however many writers race.
func TestConcurrentRequirementFreeCommits(t *testing.T) {
	for _, writers := range []int{8, 16} {
		t.Run(fmt.Sprint(writers, " writers"), func(t *testing.T) {
			f := newFixture(t, nil, Options{})
			testConcurrentRequirementFreeCommits(t, f, writers, 10)
		})
	}
}

// Writers on two servers sharing one store (two brokers): the servers'
// commits race each other's compare-and-swap, and the loser re-applies on
// the fresh metadata.
func TestConcurrentRequirementFreeCommitsTwoServers(t *testing.T) {
	for _, writers := range []int{8, 16} {
		t.Run(fmt.Sprint(writers, " writers"), func(t *testing.T) {
			f := newFixture(t, nil, Options{})
			testConcurrentRequirementFreeCommits(t, f, writers, 10, newFixtureOn(t, f.kv, f.objects, Options{}))
		})
	}
}

// testConcurrentRequirementFreeCommits: writers goroutines each send
// perWriter set-properties commits with no requirements, as raw REST
// calls, writer w to servers[w mod len(servers)] (f, then more); every one is 200, and the table ends with every property and
// one metadata version per commit.
func testConcurrentRequirementFreeCommits(t *testing.T, f *fixture, writers, perWriter int, more ...*fixture) {
	servers := append([]*fixture{f}, more...)
	cat := f.client(t)
	name := fmt.Sprintf("busy%d", writers)
	id := table.Identifier{"ns", name}
	createEvents(t, cat, id)
	path := "/v1/namespaces/ns/tables/" + name
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		worst time.Duration
	)
	start := time.Now()
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				began := time.Now()
				status, body := servers[w%len(servers)].post(t, path, map[string]any{"requirements": []any{}, "updates": []any{
					map[string]any{"action": "set-properties", "updates": map[string]string{fmt.Sprintf("w%d-%d", w, i): "x"}},
				}})
				took := time.Since(began)
				mu.Lock()
				worst = max(worst, took)
				mu.Unlock()
				if status != http.StatusOK {
					t.Errorf("writer %d commit %d: %d %s", w, i, status, body)
					checkCleanError(t, body)
				}
			}
		})
	}
	wg.Wait()
	t.Logf("%d servers, %d writers × %d commits: %v, slowest commit %v", len(servers), writers, perWriter, time.Since(start).Round(time.Millisecond), worst.Round(time.Millisecond))
	tbl, err := cat.LoadTable(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	for w := range writers {
		for i := range perWriter {
			if k := fmt.Sprintf("w%d-%d", w, i); tbl.Properties()[k] != "x" {
				t.Errorf("property %s lost", k)
			}
		}
	}
	if got, want := nextVersion(tbl.MetadataLocation())-1, writers*perWriter; got != want {
		t.Errorf("metadata version %d after %d commits", got, want)
	}
}

// A commit that loses the race answers in the reference's words: 409
// CommitFailedException "Commit failed: table ns.t changed concurrently"
// when the server may not retry, 200 when it may and nothing was
// required, and "Requirement failed: …" when what it required changed.
// No message shows the store's keys or versions.
func TestCommitConflictMessages(t *testing.T) {
	kv := &hookKV{KV: newBolt(t)}
	f := newFixture(t, kv, Options{})
	noRetry := newFixtureOn(t, kv, f.objects, Options{CommitRetryTimeout: -1})
	// Racing commits come through another server on the same store (a
	// second broker): one server queues its own commits to a table.
	other := newFixtureOn(t, kv, f.objects, Options{})
	cat := f.client(t)
	createEvents(t, cat, table.Identifier{"ns", "msg"})
	tbl, err := other.client(t).LoadTable(t.Context(), table.Identifier{"ns", "msg"})
	if err != nil {
		t.Fatal(err)
	}
	path := "/v1/namespaces/ns/tables/msg"
	setProp := func(k string, reqs ...any) map[string]any {
		return map[string]any{"requirements": append([]any{}, reqs...), "updates": []any{
			map[string]any{"action": "set-properties", "updates": map[string]string{k: "x"}},
		}}
	}
	// race arms the store so that another requirement-free commit lands
	// between the next commit's load and its swap.
	race := func(k string) {
		kv.arm(func() {
			if status, body := other.post(t, path, setProp(k)); status != http.StatusOK {
				t.Errorf("racing commit %s: %d %s", k, status, body)
			}
		})
	}

	race("racer1")
	status, body := noRetry.post(t, path, setProp("a"))
	checkCleanError(t, body)
	if msg := errMessage(t, body); status != http.StatusConflict || !strings.HasPrefix(msg, "Commit failed: table ns.msg changed concurrently") {
		t.Errorf("lost race, no retries: %d %s", status, body)
	}

	race("racer2")
	if status, body := f.post(t, path, setProp("b")); status != http.StatusOK {
		t.Errorf("lost race, requirement-free: %d %s, want it retried to 200", status, body)
	}

	// What the commit asserts (main has no snapshot) changes in the race.
	kv.arm(func() {
		if _, err := appendRows(t, tbl, eventRows(0, 1)); err != nil {
			t.Error(err)
		}
	})
	status, body = f.post(t, path, setProp("c", map[string]any{"type": "assert-ref-snapshot-id", "ref": "main", "snapshot-id": nil}))
	checkCleanError(t, body)
	if msg := errMessage(t, body); status != http.StatusConflict || !strings.HasPrefix(msg, "Requirement failed: ") {
		t.Errorf("stale requirement after a race: %d %s", status, body)
	}

	// A stale assert-ref-snapshot-id without a race.
	status, body = f.post(t, path, setProp("d", map[string]any{"type": "assert-ref-snapshot-id", "ref": "main", "snapshot-id": 42}))
	checkCleanError(t, body)
	if msg := errMessage(t, body); status != http.StatusConflict || !strings.HasPrefix(msg, "Requirement failed: branch \"main\" has changed: expected id 42") {
		t.Errorf("stale requirement: %d %s", status, body)
	}

	after, err := cat.LoadTable(t.Context(), table.Identifier{"ns", "msg"})
	if err != nil {
		t.Fatal(err)
	}
	props := after.Properties()
	for k, want := range map[string]bool{"racer1": true, "racer2": true, "b": true, "a": false, "c": false, "d": false} {
		if got := props[k] == "x"; got != want {
			t.Errorf("property %s set: %v, want %v (properties %v)", k, got, want, props)
		}
	}
}

// post sends a JSON body and returns the status and the raw answer.
func (f *fixture) post(t testing.TB, path string, body any) (int, string) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	rsp, err := http.Post(f.url+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	defer rsp.Body.Close()
	out, err := io.ReadAll(rsp.Body)
	if err != nil {
		t.Error(err)
	}
	return rsp.StatusCode, string(out)
}

// errMessage is the message of an IcebergErrorResponse body.
func errMessage(t testing.TB, body string) string {
	t.Helper()
	var eb errorBody
	if err := json.Unmarshal([]byte(body), &eb); err != nil {
		t.Errorf("error body %q: %v", body, err)
	}
	return eb.Error.Message
}

// checkCleanError fails t when an error body shows the metadata store:
// its keys ("catalog/…", with \x1e separators) or versions.
func checkCleanError(t testing.TB, body string) {
	t.Helper()
	msg := errMessage(t, body)
	for _, leak := range []string{"catalog/", "version", `\u001e`, "\x1e", "metastore"} {
		if strings.Contains(msg, leak) || strings.Contains(body, leak) {
			t.Errorf("error body shows store internals (%q): %s", leak, body)
		}
	}
}
