package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	icetable "github.com/apache/iceberg-go/table"
)

// Trino 476 (io.trino:trino-server from Maven Central, interop/trino/
// install.sh: bin/, lib/ and the iceberg plugin, cached under
// ~/.cache/tributary/trino) as one single-node coordinator on Java 25,
// against the built-in catalog with OAuth2 client credentials, configured
// as docs/query.md tells users (iceberg.catalog.type=rest, and
// fs.native-local.enabled with local.location=/ for a local warehouse).
// It reads the table ingest wrote from Protobuf (the records TestSpark
// produces: nested messages, repeated, map, enum, Timestamp, uint32 ≥ 2^31,
// uint64 ≥ 2^63, optional unset, three undecodable records, a second
// schema version), and each answer is compared value by value with what
// was produced (the same checks as TestSpark's); a filter on the partition
// column must leave the scan without splits. Then it writes through the
// catalog: CREATE TABLE AS (which failed before namespaces answered their
// location: Trino then created the table at once and refused its own
// non-empty directory), INSERT, DELETE and CREATE VIEW, read back by
// iceberg-go and by Trino; a CREATE TABLE AS whose query fails must leave
// neither a table nor a directory behind. Every commit must land the first
// time (the recording proxy of TestSpark).
//
// It skips when the server cannot be had (no mvn, no Java 25, Maven Central
// unreachable), unless CI is set. TRINO_JAVA_HOME names the JDK (default
// /usr/lib/jvm/temurin-25-jdk-amd64); Trino 476 needs Java 24 or later.

// trinoVersion is the Trino the test runs (interop/trino/install.sh).
const trinoVersion = "476"

func TestTrino(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: Trino starts a JVM and needs a ~480 MB install")
	}
	home, java := trinoInstall(t)
	ctx := ctxTimeout(t, 8*time.Minute)
	n, cat, dataDir := sparkPlainNode(t)
	produced := sparkProduce(t, n, cat)
	sparkWaitRecords(t, cat, icetable.Identifier{"shop", "orders"}, len(produced))

	calls := sparkRecordCalls(t, cat)
	calls.who = "Trino"
	start := time.Now()
	tr := trinoStart(t, ctx, home, java, trinoCatalogProperties(calls.url))
	t.Logf("Trino %s up in %.1fs", trinoVersion, time.Since(start).Seconds())

	reads := time.Now()
	res := trinoReads(t, tr, "tributary.shop.orders")
	sparkCheckReads(t, res, produced)
	trinoCheckPruning(t, tr, "tributary.shop.orders")
	t.Logf("Trino reads: %.1fs", time.Since(reads).Seconds())

	writes := time.Now()
	trinoCheckWrites(t, tr, cat, filepath.Join(dataDir, "warehouse"), produced)
	t.Logf("Trino writes: %.1fs", time.Since(writes).Seconds())
	calls.check(t)
}

// trinoInstall returns the Trino install (install.sh's output) and the
// java that runs it, or skips (fails under CI) when either is missing.
func trinoInstall(t *testing.T) (home, java string) {
	t.Helper()
	unavailable := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("CI") != "" {
			t.Fatalf(format+" (CI=%s)", append(args, os.Getenv("CI"))...)
		}
		t.Skipf(format+"; skipped outside CI", args...)
	}
	jdk := os.Getenv("TRINO_JAVA_HOME")
	if jdk == "" {
		jdk = "/usr/lib/jvm/temurin-25-jdk-amd64"
	}
	java = filepath.Join(jdk, "bin", "java")
	if _, err := os.Stat(java); err != nil {
		unavailable("Trino %s needs Java 24 or later: %v (set TRINO_JAVA_HOME)", trinoVersion, err)
	}
	if _, err := exec.LookPath("mvn"); err != nil {
		unavailable("Trino's install needs mvn: %v", err)
	}
	script, err := filepath.Abs(filepath.Join("..", "interop", "trino", "install.sh"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "bash", script)
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	if err != nil {
		unavailable("cannot install Trino %s from Maven Central (unreachable?): %v\n%s", trinoVersion, err, tail(stderr.String(), 2000))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Logf("Trino install: %.1fs", d.Seconds())
	}
	return strings.TrimSpace(string(out)), java
}

// trino is a running Trino coordinator.
type trino struct {
	url string // http://127.0.0.1:port
	hc  *http.Client
}

// trinoStart writes a single-node configuration (small heap, serial GC,
// 127.0.0.1 only) with one catalog, tributary, whose properties are
// catalogProps, starts Trino and waits until it serves queries. It is
// killed at test end; its log is kept in the test output on failure.
func trinoStart(t *testing.T, ctx context.Context, home, java string, catalogProps []string) *trino {
	t.Helper()
	dir := t.TempDir()
	addr := freeAddr(t)
	write := func(name, body string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("etc/config.properties", strings.Join([]string{
		"coordinator=true",
		"node-scheduler.include-coordinator=true",
		"http-server.http.port=" + addr[strings.LastIndex(addr, ":")+1:],
		"discovery.uri=http://" + addr,
		"query.max-memory=256MB",
		"query.max-memory-per-node=256MB",
		"task.concurrency=2",
		"plugin.dir=" + filepath.Join(home, "plugin"),
		"catalog.config-dir=" + filepath.Join(dir, "etc", "catalog"),
		"",
	}, "\n"))
	write("etc/catalog/tributary.properties", strings.Join(catalogProps, "\n")+"\n")
	cmd := exec.CommandContext(ctx, java,
		"-Xmx1G", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:+ExitOnOutOfMemoryError",
		"-Djdk.attach.allowAttachSelf=true",
		"-Dconfig="+filepath.Join(dir, "etc", "config.properties"),
		"-Dnode.environment=test", "-Dnode.id=tributary-e2e",
		"-Dnode.data-dir="+filepath.Join(dir, "data"),
		"-Dnode.bind-ip=127.0.0.1", "-Dnode.internal-address=127.0.0.1",
		"-cp", filepath.Join(home, "lib", "*"), "io.trino.server.TrinoServer")
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Dir = dir
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("start Trino: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // the test is over: nothing of Trino is kept
		<-exited
		if t.Failed() {
			t.Logf("Trino's log:\n%s", tail(out.String(), 8000))
		}
	})
	tr := &trino{url: "http://" + addr, hc: &http.Client{Timeout: time.Minute}}
	tr.waitReady(t, ctx, exited, out)
	return tr
}

// trinoCatalogProperties is the tributary catalog's file, as docs/query.md
// gives it.
func trinoCatalogProperties(catalogURL string) []string {
	return []string{
		"connector.name=iceberg",
		"iceberg.catalog.type=rest",
		"iceberg.rest-catalog.uri=" + catalogURL,
		"iceberg.rest-catalog.security=OAUTH2",
		"iceberg.rest-catalog.oauth2.credential=" + sparkCredential,
		"iceberg.rest-catalog.oauth2.server-uri=" + catalogURL + "/v1/oauth/tokens",
		"fs.native-local.enabled=true",
		"local.location=/",
	}
}

// waitReady waits, for three minutes at most, until the coordinator lists
// itself as an active worker: /v1/info says started, and queries over
// VALUES run, before the node has announced itself to the coordinator's
// discovery, and until then a table scan fails with NO_NODES_AVAILABLE.
func (tr *trino) waitReady(t *testing.T, ctx context.Context, exited <-chan error, out *syncBuffer) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		select {
		case err := <-exited:
			t.Fatalf("Trino exited while starting: %v\n%s", err, tail(out.String(), 8000))
		default:
		}
		qctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		res, err := tr.query(qctx, "SELECT count(*) AS n FROM system.runtime.nodes WHERE state = 'active'")
		cancel()
		if err == nil && fmt.Sprint(res.rows) == "[map[n:1]]" {
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("Trino not answering after 3 minutes (%v; context: %v)\n%s", err, ctx.Err(), tail(out.String(), 8000))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// trinoResult is one statement's answer: rows as maps by column name,
// values in the form sparkNorm takes (numbers as json.Number, binary as
// base64, decimals as strings, timestamps as RFC 3339 strings, rows as
// maps by field name), and the final statistics.
type trinoResult struct {
	rows  []map[string]any
	stats trinoStats
}

// trinoStats are the parts of Trino's StatementStats the test reads.
type trinoStats struct {
	State              string `json:"state"`
	ProcessedRows      int64  `json:"processedRows"`
	PhysicalInputBytes int64  `json:"physicalInputBytes"`
}

// query runs one statement through Trino's client protocol (POST
// /v1/statement, then each nextUri) and returns its answer, or the error
// Trino reports.
func (tr *trino) query(ctx context.Context, sql string) (trinoResult, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tr.url+"/v1/statement", strings.NewReader(sql))
	if err != nil {
		return trinoResult{}, err
	}
	var res trinoResult
	var cols []trinoColumn
	for req != nil {
		req.Header.Set("X-Trino-User", "tributary")
		req.Header.Set("X-Trino-Time-Zone", "UTC")
		// without it Trino rounds timestamps to milliseconds for the client
		req.Header.Set("X-Trino-Client-Capabilities", "PARAMETRIC_DATETIME")
		page, err := tr.page(req)
		if err != nil {
			return trinoResult{}, fmt.Errorf("%s: %w", sql, err)
		}
		if page.Error != nil {
			return trinoResult{}, fmt.Errorf("%s: %s: %s", sql, page.Error.ErrorName, page.Error.Message)
		}
		if page.Columns != nil {
			cols = page.Columns
		}
		for _, row := range page.Data {
			m := make(map[string]any, len(cols))
			for i, c := range cols {
				m[c.Name] = c.Sig.norm(row[i])
			}
			res.rows = append(res.rows, m)
		}
		res.stats = page.Stats
		req = nil
		if page.NextURI != "" {
			if req, err = http.NewRequestWithContext(ctx, http.MethodGet, page.NextURI, nil); err != nil {
				return trinoResult{}, err
			}
		}
	}
	return res, nil
}

// trinoPage is one QueryResults document of the protocol.
type trinoPage struct {
	NextURI string        `json:"nextUri"`
	Columns []trinoColumn `json:"columns"`
	Data    [][]any       `json:"data"`
	Stats   trinoStats    `json:"stats"`
	Error   *struct {
		Message   string `json:"message"`
		ErrorName string `json:"errorName"`
	} `json:"error"`
}

func (tr *trino) page(req *http.Request) (trinoPage, error) {
	rsp, err := tr.hc.Do(req)
	if err != nil {
		return trinoPage{}, err
	}
	defer rsp.Body.Close()
	body, err := io.ReadAll(rsp.Body)
	if err != nil {
		return trinoPage{}, err
	}
	if rsp.StatusCode != http.StatusOK {
		return trinoPage{}, fmt.Errorf("HTTP %d: %s", rsp.StatusCode, body)
	}
	var page trinoPage
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&page); err != nil {
		return trinoPage{}, fmt.Errorf("decode %s: %w", tail(string(body), 300), err)
	}
	return page, nil
}

// must runs sql and fails t on an error. NO_NODES_AVAILABLE is retried
// for a minute: the scheduler refreshes its view of the workers every few
// seconds, so a Trino just started (the coordinator its own worker) may
// refuse a first scan it then runs; a refused query ran nothing.
func (tr *trino) must(t *testing.T, sql string) trinoResult {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		res, err := tr.query(ctxTimeout(t, 2*time.Minute), sql)
		if err == nil {
			return res
		}
		if !strings.Contains(err.Error(), "NO_NODES_AVAILABLE") || time.Now().After(deadline) {
			t.Fatalf("Trino: %v", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

type trinoColumn struct {
	Name string   `json:"name"`
	Sig  trinoSig `json:"typeSignature"`
}

// trinoSig is a type signature of the protocol: rows' field names and
// types, arrays' and maps' element types.
type trinoSig struct {
	RawType   string `json:"rawType"`
	Arguments []struct {
		Kind  string          `json:"kind"`
		Value json.RawMessage `json:"value"`
	} `json:"arguments"`
}

// arg returns argument i as a type (TYPE), or with its field name
// (NAMED_TYPE).
func (s trinoSig) arg(i int) (name string, sig trinoSig) {
	if i >= len(s.Arguments) {
		return "", trinoSig{}
	}
	a := s.Arguments[i]
	if a.Kind == "NAMED_TYPE" {
		var nt struct {
			FieldName struct {
				Name string `json:"name"`
			} `json:"fieldName"`
			Sig trinoSig `json:"typeSignature"`
		}
		_ = json.Unmarshal(a.Value, &nt) // a shape the test does not know stays unconverted
		return nt.FieldName.Name, nt.Sig
	}
	_ = json.Unmarshal(a.Value, &sig)
	return "", sig
}

// norm turns a value of the protocol (rows are positional arrays) into
// the form TestSpark's checks compare.
func (s trinoSig) norm(v any) any {
	if v == nil {
		return nil
	}
	switch s.RawType {
	case "row":
		vs, ok := v.([]any)
		if !ok {
			return v
		}
		out := make(map[string]any, len(vs))
		for i, f := range vs {
			name, sig := s.arg(i)
			out[name] = sig.norm(f)
		}
		return out
	case "array":
		vs, ok := v.([]any)
		if !ok {
			return v
		}
		_, elem := s.arg(0)
		out := make([]any, len(vs))
		for i, e := range vs {
			out[i] = elem.norm(e)
		}
		return out
	case "map":
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		_, val := s.arg(1)
		out := make(map[string]any, len(m))
		for k, e := range m {
			out[k] = val.norm(e)
		}
		return out
	case "timestamp with time zone", "timestamp":
		str, _ := v.(string)
		ts, err := time.Parse("2006-01-02 15:04:05.999999999 MST", str)
		if err != nil {
			ts, err = time.Parse("2006-01-02 15:04:05.999999999", str)
		}
		if err != nil {
			return v
		}
		return ts.UTC().Format(time.RFC3339Nano)
	}
	return v
}

// trinoReads asks Trino what SparkCheck asks Spark (interop/spark's
// Reads.java), answering in the same shape so sparkCheckReads judges both.
// Trino's arrays count from 1, and element_at answers null past the end.
func trinoReads(t *testing.T, tr *trino, tbl string) sparkResults {
	t.Helper()
	at := strings.LastIndex(tbl, ".")
	files := tbl[:at] + `."` + tbl[at+1:] + `$files"`
	queries := map[string]string{
		"count": `SELECT count(*) AS rows, count(DISTINCT CAST(kafka."partition" AS varchar) || '/' || CAST(kafka."offset" AS varchar)) AS distinct_offsets FROM ` + tbl,
		"rows": `SELECT kafka."partition" AS "partition", kafka."offset" AS "offset", kafka.event_timestamp AS event_timestamp,
			key, val, headers FROM ` + tbl + ` ORDER BY 1, 2`,
		"nested": `SELECT kafka."partition" AS "partition", kafka."offset" AS "offset", val.id AS id, val.big_u64 AS big_u64,
			val.money.currency AS currency, val.created AS created, element_at(val.lines, 1).sku AS first_sku,
			element_at(val.counters, 'c1') AS c1, element_at(headers, 1).key AS header_key,
			from_utf8(element_at(headers, 1).value) AS header_value
			FROM ` + tbl + ` WHERE val.__err__ IS NULL AND val.__raw__ IS NULL ORDER BY 1, 2`,
		"point":  `SELECT kafka."partition" AS "partition", kafka."offset" AS "offset" FROM ` + tbl + ` WHERE val.id = 'order-7'`,
		"pruned": `SELECT count(*) AS rows FROM ` + tbl + ` WHERE kafka.event_timestamp < TIMESTAMP '2000-01-01 00:00:00 UTC'`,
		"files":  `SELECT sum(record_count) AS records, count(*) AS files FROM ` + files,
	}
	res := sparkResults{}
	for q, sql := range queries {
		res[q] = tr.must(t, sql).rows
		if res[q] == nil {
			res[q] = []map[string]any{}
		}
	}
	return res
}

// trinoCheckPruning checks that a filter on kafka.event_timestamp (the
// day partitions) is answered without opening a data file: no byte read,
// where the same query over the partitions that exist reads them. (Parquet
// row-group statistics skip rows only after reading a file's footer, so no
// byte at all means the files were pruned when the scan was planned.)
func trinoCheckPruning(t *testing.T, tr *trino, tbl string) {
	t.Helper()
	// max(val.id), not count(*): Trino answers a count over whole
	// partitions from the manifests, reading no file either way
	pruned := tr.must(t, `SELECT max(val.id) AS id FROM `+tbl+` WHERE kafka.event_timestamp < TIMESTAMP '2000-01-01 00:00:00 UTC'`)
	all := tr.must(t, `SELECT max(val.id) AS id FROM `+tbl+` WHERE kafka.event_timestamp >= TIMESTAMP '2000-01-01 00:00:00 UTC'`)
	if pruned.stats.PhysicalInputBytes != 0 || all.stats.PhysicalInputBytes == 0 || pruned.stats.ProcessedRows != 0 {
		t.Errorf("partition pruning: the rows before 2000 read %d bytes, %d rows (want none); those after %d bytes; max(val.id) %v and %v",
			pruned.stats.PhysicalInputBytes, pruned.stats.ProcessedRows, all.stats.PhysicalInputBytes, pruned.rows, all.rows)
	}
}

// trinoCheckWrites has Trino write through the catalog: CREATE TABLE AS
// from the orders (the decoded rows), an INSERT, a DELETE, a view over the
// result; iceberg-go reads the table back. A CREATE TABLE AS whose query
// fails leaves nothing.
func trinoCheckWrites(t *testing.T, tr *trino, cat sparkCat, warehouse string, produced []sparkProduced) {
	t.Helper()
	tr.must(t, `CREATE SCHEMA tributary.trino`)
	tr.must(t, `CREATE TABLE tributary.trino.made AS
		SELECT val.id AS id, val.big_u64 AS big_u64, kafka."partition" AS p, kafka."offset" AS o
		FROM tributary.shop.orders WHERE val.__err__ IS NULL AND val.__raw__ IS NULL`)
	tr.must(t, `INSERT INTO tributary.trino.made VALUES ('added', DECIMAL '18446744073709551615', -1, -1)`)
	tr.must(t, `DELETE FROM tributary.trino.made WHERE id IN ('order-3', 'order-4')`)
	tr.must(t, `CREATE VIEW tributary.trino.made_view AS SELECT id, big_u64 FROM tributary.trino.made WHERE p >= 0`)

	want := map[string]string{"added": "18446744073709551615"}
	for _, p := range produced {
		if p.msg == nil {
			continue
		}
		e := expectMessage(p.msg.ProtoReflect())
		if id := e["id"].(string); id != "order-3" && id != "order-4" {
			want[id] = e["big_u64"].(string)
		}
	}
	got := map[string]string{}
	for _, row := range sparkScan(t, cat, icetable.Identifier{"trino", "made"}) {
		got[fmt.Sprint(row["id"])] = fmt.Sprint(row["big_u64"])
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("trino.made: iceberg-go reads %d rows %v\nwant %d: %v", len(got), got, len(want), want)
	}
	view := tr.must(t, `SELECT count(*) AS n, count(DISTINCT id) AS ids FROM tributary.trino.made_view`).rows
	if fmt.Sprint(view) != fmt.Sprintf("[map[ids:%d n:%d]]", len(want)-1, len(want)-1) {
		t.Errorf("trino.made_view: Trino counts %v, want %d rows (the orders less the two deleted)", view, len(want)-1)
	}
	trinoCheckFailedCTAS(t, tr, cat, warehouse)
}

// trinoCheckFailedCTAS runs a CREATE TABLE AS whose query fails, then
// checks that the catalog has no such table and the warehouse no
// directory of it.
func trinoCheckFailedCTAS(t *testing.T, tr *trino, cat sparkCat, warehouse string) {
	t.Helper()
	_, err := tr.query(ctxTimeout(t, time.Minute), `CREATE TABLE tributary.trino.broken AS SELECT 1 / (id - id) AS x FROM (VALUES 1) AS v(id)`)
	if err == nil || !strings.Contains(err.Error(), "Division by zero") {
		t.Fatalf("CREATE TABLE AS dividing by zero: %v, want Division by zero", err)
	}
	ctx := ctxTimeout(t, 30*time.Second)
	if _, err := sparkCatalog(t, ctx, cat).LoadTable(ctx, icetable.Identifier{"trino", "broken"}); err == nil {
		t.Errorf("trino.broken: the failed CREATE TABLE AS left the table in the catalog")
	}
	left, _ := filepath.Glob(filepath.Join(warehouse, "trino", "broken*"))
	if len(left) != 0 {
		t.Errorf("trino.broken: the failed CREATE TABLE AS left %v", left)
	}
}
