//go:build unix

package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	icetable "github.com/apache/iceberg-go/table"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/ingest"
	"github.com/tributary-io/tributary/node"
	"github.com/tributary-io/tributary/topicconfig"
)

// commitFault is what faultyCatalog does with one table commit.
type commitFault string

const (
	faultNone        commitFault = "pass"
	faultAfter       commitFault = "500 after applying"
	faultBefore      commitFault = "500 without applying"
	faultResetAfter  commitFault = "connection reset after applying"
	faultOutageAfter commitFault = "500 after applying, then every request 500"
)

// commitEvent is one table commit seen by faultyCatalog.
type commitEvent struct {
	Kind    string // "append", "schema" or the updates' actions
	Fault   commitFault
	Applied bool // forwarded and answered 200 by the catalog behind
}

// faultyCatalog is a reverse proxy to a REST catalog (the node's built-in
// one, set once it is bound) that gives table commits (POST
// /v1/namespaces/{ns}/tables/{t}) the faults of its script, in order, and
// passes every other request; while down it answers 500 to everything.
type faultyCatalog struct {
	URL string

	mu     sync.Mutex
	proxy  *httputil.ReverseProxy
	script []commitFault
	down   bool
	events []commitEvent
}

func newFaultyCatalog(t *testing.T) *faultyCatalog {
	t.Helper()
	f := &faultyCatalog{}
	ts := httptest.NewServer(f)
	t.Cleanup(ts.Close)
	f.URL = ts.URL
	return f
}

func (f *faultyCatalog) setTarget(t *testing.T, target string) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.proxy = httputil.NewSingleHostReverseProxy(u)
}

// plan queues faults for the next commits.
func (f *faultyCatalog) plan(faults ...commitFault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.script = append(f.script, faults...)
}

func (f *faultyCatalog) setDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

// pending is how many planned faults are still unused.
func (f *faultyCatalog) pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.script)
}

func (f *faultyCatalog) log() []commitEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]commitEvent(nil), f.events...)
}

func (f *faultyCatalog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	proxy, down := f.proxy, f.down
	isCommit := r.Method == http.MethodPost && strings.Contains(r.URL.Path, "/tables/") && !strings.HasSuffix(r.URL.Path, "/metrics")
	fault := faultNone
	if isCommit && len(f.script) > 0 && !down && proxy != nil {
		fault, f.script = f.script[0], f.script[1:]
	}
	f.mu.Unlock()
	if down || proxy == nil {
		fail500(w, "injected: catalog down")
		return
	}
	if !isCommit {
		proxy.ServeHTTP(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	ev := commitEvent{Kind: commitKind(body), Fault: fault}
	defer func() {
		f.mu.Lock()
		f.events = append(f.events, ev)
		f.mu.Unlock()
	}()
	if fault == faultBefore {
		fail500(w, "injected before the commit")
		return
	}
	rec := httptest.NewRecorder()
	proxy.ServeHTTP(rec, r)
	ev.Applied = rec.Code == http.StatusOK
	switch fault {
	case faultNone:
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	case faultAfter:
		fail500(w, "injected after the commit")
	case faultOutageAfter:
		f.setDown(true)
		fail500(w, "injected after the commit; down from now")
	case faultResetAfter:
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
	}
}

// commitKind names a commit by its updates: "append" (a snapshot),
// "schema" (columns added), else the actions.
func commitKind(body []byte) string {
	var req struct {
		Updates []struct {
			Action string `json:"action"`
		} `json:"updates"`
	}
	json.Unmarshal(body, &req)
	var actions []string
	for _, u := range req.Updates {
		switch u.Action {
		case "add-snapshot":
			return "append"
		case "add-schema":
			return "schema"
		}
		actions = append(actions, u.Action)
	}
	return strings.Join(actions, ",")
}

func fail500(w http.ResponseWriter, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusInternalServerError)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": "ServerError", "code": 500}})
}

// createTopicWith creates topic with the given configs.
func createTopicWith(t *testing.T, addr, topic string, partitions int32, configs map[string]string) {
	t.Helper()
	cfg := map[string]*string{}
	for k, v := range configs {
		cfg[k] = &v
	}
	resp, err := newAdmin(t, addr).CreateTopic(ctxTimeout(t, 10*time.Second), partitions, 1, cfg, topic)
	if err != nil || resp.Err != nil {
		t.Fatalf("create topic %s: %v %v", topic, err, resp.Err)
	}
}

// waitStatus polls /-/tables until ok holds for the only table, and
// returns that status.
func waitStatus(t *testing.T, adminAddr, what string, within time.Duration, ok func(ingest.TableStatus) bool) ingest.TableStatus {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		st := tablesStatus(t, adminAddr)
		if len(st) == 1 && ok(st[0]) {
			return st[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("/-/tables after %v: %+v; want %s", within, st, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestIcebergCatalogFaults runs a node whose topic is archived to an
// external catalog ("ext" in the config's iceberg list) that is a proxy
// to the node's built-in catalog. While Protobuf orders stream in, the
// proxy answers 500 after applying commits (the schema update and
// appends), 500 without applying, and drops the connection after
// applying; then it applies a commit and goes down entirely (500 to
// everything) until /-/tables shows the error, and comes back. The table,
// read through the built-in catalog, must hold every record once, and
// /-/tables must recover (no error, no lag).
func TestIcebergCatalogFaults(t *testing.T) {
	const (
		topic      = "orders"
		partitions = 2
	)
	ident := icetable.Identifier{"shop", "orders"}
	proxy := newFaultyCatalog(t)
	cfg := testConfig(t, t.TempDir())
	cfg.Iceberg = []config.IcebergCatalog{{Name: "ext", REST: &config.RESTCatalog{URL: proxy.URL}}}
	n := startNode(t, cfg, node.Hooks{})
	proxy.setTarget(t, "http://"+n.CatalogAddr())
	proxy.plan(faultAfter, // the schema update: the order's columns
		faultNone, faultAfter, faultBefore, faultResetAfter, faultNone, faultAfter, faultBefore, faultAfter, faultResetAfter)

	id, md := registerOrder(t, n.RegistryAddr(), "orders-value", icebergOrderProto)
	createTopicWith(t, n.KafkaAddr(), topic, partitions, map[string]string{
		topicconfig.ArchiveKind: "ICEBERG", topicconfig.ArchiveTable: "shop.orders", topicconfig.ArchiveCatalog: "ext",
		topicconfig.CommitFreqMs: "200",
	})
	ctx := ctxTimeout(t, 2*time.Minute)
	cl := orderProducer(t, []string{n.KafkaAddr()}, topic)
	acks := newIcebergAcks()
	stop := make(chan struct{})
	sent := produceOrders(ctx, cl, acks, topic, id, md, 0, 20000, partitions, 5*time.Millisecond, stop)

	deadline := time.Now().Add(40 * time.Second)
	for proxy.pending() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d planned faults unused after 40s; commits seen: %+v", proxy.pending(), proxy.log())
		}
		time.Sleep(50 * time.Millisecond)
	}
	before := waitStatus(t, n.AdminAddr(), "commits", 10*time.Second, func(s ingest.TableStatus) bool { return s.Commits > 0 })
	if before.Catalog != "ext" || before.LastError != "" {
		t.Errorf("/-/tables before the outage: %+v", before)
	}

	proxy.plan(faultOutageAfter)
	failing := waitStatus(t, n.AdminAddr(), "the outage's error", 30*time.Second, func(s ingest.TableStatus) bool { return s.LastError != "" })
	t.Logf("during the outage /-/tables says: %q (lag %d records)", failing.LastError, failing.LagRecords)
	proxy.setDown(false)
	recovered := waitStatus(t, n.AdminAddr(), "a commit since the outage", 30*time.Second, func(s ingest.TableStatus) bool {
		return s.LastError == "" && s.LastCommit.After(failing.LastErrorAt)
	})

	close(stop)
	total := <-sent
	acks.wait(t, 30*time.Second)
	acked, failed := acks.snapshot()
	if len(failed) > 0 || len(acked) != total {
		t.Fatalf("%d sent, %d acknowledged, %d failed (%v)", total, len(acked), len(failed), firstErr(failed))
	}
	hwm := endOffsets(t, ctx, newAdmin(t, n.KafkaAddr()), topic)
	waitTableOffsets(t, n.CatalogAddr(), ident, hwm, 30*time.Second)
	rows := checkExactlyOnce(t, scanOrderRows(t, n.CatalogAddr(), ident), acked, hwm)
	final := waitStatus(t, n.AdminAddr(), "no lag", 10*time.Second, func(s ingest.TableStatus) bool { return s.LagRecords == 0 })
	if final.LastError != "" || !final.HoldsLease {
		t.Errorf("/-/tables at the end: %+v", final)
	}

	applied := map[string]int{}
	for _, ev := range proxy.log() {
		if ev.Fault != faultNone {
			applied[string(ev.Fault)+" ("+ev.Kind+", applied "+map[bool]string{true: "yes", false: "no"}[ev.Applied]+")"]++
		}
	}
	for _, want := range []string{
		string(faultAfter) + " (schema, applied yes)",
		string(faultAfter) + " (append, applied yes)",
		string(faultBefore) + " (append, applied no)",
		string(faultResetAfter) + " (append, applied yes)",
		string(faultOutageAfter) + " (append, applied yes)",
	} {
		if applied[want] == 0 {
			t.Errorf("no commit went through %q: %v", want, applied)
		}
	}
	t.Logf("faults: %v; %d records, %d rows, none twice; recovered with %d commits, lag %d", applied, total, rows, recovered.Commits, final.LagRecords)
}
