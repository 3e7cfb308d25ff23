package e2e

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	icerest "github.com/apache/iceberg-go/catalog/rest"
	icetable "github.com/apache/iceberg-go/table"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/iceberg"
	"github.com/tributary-io/tributary/internal/tests3"
	"github.com/tributary-io/tributary/node"
	"github.com/tributary-io/tributary/schema/protobuf"
	"github.com/tributary-io/tributary/schema/wire"
)

// Apache Spark 3.5 with Iceberg's Spark runtime (interop/spark) against
// the built-in catalog, configured as README.md tells users: it reads the
// table ingest wrote from Protobuf records produced here, over two schema
// versions (whole rows, nested columns, filters, metadata tables), and
// each answer is compared with what was produced; then Spark creates and
// commits to tables of its own (inserts, a new column, a copy-on-write
// delete and update, properties, a sort order, a second partition spec,
// compaction and snapshot expiry, a CREATE TABLE AS SELECT), which
// iceberg-go reads back through the catalog and finally purges. In the
// same Spark session a second catalog, on a second node whose warehouse
// is in S3 with vended credentials only, configured with nothing but its
// URI, the OAuth2 credential and X-Iceberg-Access-Delegation:
// vended-credentials, reads the same Protobuf table there (compared value
// by value) and writes a row (sparkVended). The node
// runs with http_auth required: Spark and iceberg-go log in with OAuth2
// client credentials at the catalog's /v1/oauth/tokens, the credential
// being the Kafka listener's SCRAM user spark and its password (the
// writer role: creates, commits, rewrite and expiry); the purge is the
// PLAIN user admin's (the admin role); Kafka and registry clients use
// admin too. A second Spark catalog with a wrong secret must fail its
// login (401). The catalog is on HTTPS (a certificate of the test's CA,
// in a trust store keytool makes for Spark). Spark talks to it through a
// recording HTTPS proxy: every commit must land the first time. The Java
// program only prints; the judging is here.
//
// Maven builds it into a temporary directory, offline when ~/.m2 already
// holds everything (a cold ~/.m2 downloads about 290 MB: .ci/run fetches
// it ahead). It skips without mvn or java, unless CI is set.
// TRIBUTARY_SPARK_LOG=info (or debug) sets Spark's and Iceberg's log
// level; the output is logged with -v or on failure.

// sparkProduced is one produced record and the message in it (nil for
// the records that do not decode).
type sparkProduced struct {
	rec *kgo.Record
	msg *dynamicpb.Message
}

func TestSpark(t *testing.T) {
	mvn, java := javaTools(t)
	project, err := filepath.Abs(filepath.Join("..", "interop", "spark"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxTimeout(t, 10*time.Minute)
	cfg, ca := sparkConfig(t)
	n := startNode(t, cfg, node.Hooks{})
	cat := newSparkCat(t, n, ca)
	addScramUser(t, kadm.NewClient(newClient(t, n.KafkaAddr(), sparkKafkaAuth)), "spark", sparkPassword, kadm.ScramSha512)
	produced := sparkProduce(t, n, cat)
	sparkWaitRecords(t, cat, icetable.Identifier{"shop", "orders"}, len(produced))

	live := sparkStartLive(t, ctx, n, cat)
	vended := sparkStartVended(t)

	classpath := sparkBuild(t, ctx, mvn, project)
	args := append([]string{"@" + filepath.Join(project, "jvm.options"), "-cp", classpath}, sparkTrustStore(t, java, ca)...)
	if lvl := os.Getenv("TRIBUTARY_SPARK_LOG"); lvl != "" {
		args = append(args, "-Dtributary.log.level="+lvl)
	}
	calls := sparkRecordCalls(t, cat)
	args = append(args, "io.tributary.interop.SparkCheck", "--catalog", calls.url, "--credential", sparkCredential,
		"--bad-credential", "spark:not-"+sparkPassword, "--read", "shop.orders", "--write", "ns.spark_made", "--maintain", "shop.live",
		"--s3-catalog", vended.cat.url, "--s3-read", "shop.orders", "--s3-write", "tv.spark_vended")
	cmd := exec.CommandContext(ctx, java, args...)
	cmd.Env = append(os.Environ(), "SPARK_LOCAL_IP=127.0.0.1") // the address Spark binds, without a lookup of the host name
	res := sparkRun(t, ctx, cmd)

	calls.check(t)
	sparkCheckBadLogin(t, res, calls)
	sparkCheckReads(t, res, produced)
	sparkCheckSnapshots(t, res, cat)
	sparkCheckWrites(t, res, cat, len(produced)-3)
	live.finish(t, ctx, res, cfg, n, cat)
	vended.check(t, res)
}

// sparkVended is a second node whose warehouse is in S3 (versitygw) with
// catalog.vended_credentials_only, holding shop.orders as sparkProduce
// makes it. SparkCheck's catalog tributary_s3 on it is configured with the
// URI, the OAuth2 credential and X-Iceberg-Access-Delegation:
// vended-credentials only (interop/spark VendedS3): the S3 keys reach
// Spark in the tables' storage-credentials or not at all.
type sparkVended struct {
	cat      sparkCat
	produced []sparkProduced
}

func sparkStartVended(t *testing.T) *sparkVended {
	t.Helper()
	srv := tests3.NewServer(t)
	s3cfg, err := config.NewS3("s3://" + srv.NewBucket(t) + "/spark/")
	if err != nil {
		t.Fatal(err)
	}
	s3cfg.Region, s3cfg.Endpoint, s3cfg.ForcePathStyle = srv.Region, srv.Endpoint, true
	s3cfg.AccessKeyID, s3cfg.SecretAccessKey = config.InlineSource(srv.AccessKey), config.InlineSource(srv.SecretKey)
	n, cat, _ := sparkPlainNode(t, func(cfg *config.Config) {
		cfg.Data.S3 = s3cfg
		cfg.Catalog.VendedCredentialsOnly = true
	})
	v := &sparkVended{cat: cat, produced: sparkProduce(t, n, cat)}
	sparkWaitRecords(t, cat, icetable.Identifier{"shop", "orders"}, len(v.produced))
	return v
}

// check compares what Spark read through vended credentials (the s3_
// rows) with what was produced, value by value as for the local
// warehouse, and the table Spark wrote with what iceberg-go reads of it.
func (v *sparkVended) check(t *testing.T, res sparkResults) {
	t.Helper()
	s3 := res.prefixed("s3_")
	sparkCheckReads(t, s3, v.produced)
	if made := s3.one(t, "made"); fmt.Sprint(made) != "map[id:42 name:vended]" {
		t.Errorf("tv.spark_vended: Spark reads back %v, want id 42, name vended", made)
	}
	id := icetable.Identifier{"tv", "spark_vended"}
	if loc := sparkLoad(t, v.cat, id).Location(); !strings.HasPrefix(loc, "s3://") {
		t.Errorf("tv.spark_vended at %s, want in the S3 warehouse", loc)
	}
	if got := sparkScan(t, v.cat, id); fmt.Sprint(got) != "[map[id:42 name:vended]]" {
		t.Errorf("tv.spark_vended: iceberg-go reads %v, want Spark's one row", got)
	}
}

// prefixed returns the results whose query names start with p, by the
// rest of the name.
func (r sparkResults) prefixed(p string) sparkResults {
	out := sparkResults{}
	for q, rows := range r {
		if rest, ok := strings.CutPrefix(q, p); ok {
			out[rest] = rows
		}
	}
	return out
}

// sparkLive is the topic live (table shop.live, committed every second)
// that a producer feeds while Spark runs its maintenance on the table
// (SparkCheck --maintain): rewrite_data_files, then
// expire_snapshots(retain_last => 1), which leaves no snapshot carrying
// Tributary's offsets when Spark's is the newest. After a node restart
// ingest must resume where the table is (the offsets property), with no
// record twice and none missing.
type sparkLive struct {
	acks *icebergAcks
	id   int
	md   protoreflect.MessageDescriptor
	stop chan struct{}
	sent <-chan int
}

func sparkStartLive(t *testing.T, ctx context.Context, n *node.Node, cat sparkCat) *sparkLive {
	t.Helper()
	l := &sparkLive{acks: newIcebergAcks(), stop: make(chan struct{})}
	l.id, l.md = registerOrder(t, n.RegistryAddr(), "live-value", icebergOrderProto, sparkRegistryAuth)
	icebergTopic(t, n.KafkaAddr(), "live", "shop.live", 3, time.Second, sparkKafkaAuth)
	cl := orderProducer(t, []string{n.KafkaAddr()}, "live", sparkKafkaAuth)
	l.sent = produceOrders(ctx, cl, l.acks, "live", l.id, l.md, 0, 60000, 3, 5*time.Millisecond, l.stop)
	sparkWaitLive(t, cat, func(tbl *icetable.Table) bool { return len(tbl.Metadata().Snapshots()) > 3 })
	return l
}

// sparkWaitLive polls shop.live (with the catalog's credential) until
// done says so, for a minute at most, and returns it.
func sparkWaitLive(t *testing.T, cat sparkCat, done func(*icetable.Table) bool) *icetable.Table {
	t.Helper()
	id := icetable.Identifier{"shop", "live"}
	c := sparkCatalog(t, context.Background(), cat)
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(200 * time.Millisecond) {
		tbl, err := c.LoadTable(context.Background(), id)
		if err == nil && done(tbl) {
			return tbl
		}
		if time.Now().After(deadline) {
			t.Fatalf("shop.live: not there after a minute (%v)", err)
		}
	}
}

// finish stops the producer, checks Spark rewrote files, restarts the
// node on the same data, produces more, and checks shop.live holds the
// log exactly once.
func (l *sparkLive) finish(t *testing.T, ctx context.Context, res sparkResults, cfg config.Config, n *node.Node, cat sparkCat) {
	t.Helper()
	close(l.stop)
	first := <-l.sent
	l.acks.wait(t, 60*time.Second)
	rw := res.one(t, "maintain_rewrite")
	if fmt.Sprint(rw["rewritten_data_files_count"]) == "0" {
		t.Errorf("Spark's rewrite_data_files rewrote nothing: %v", rw)
	}
	t.Logf("Spark on shop.live while ingest ran: rewrite %v, expire %v, snapshots left %v",
		rw, res.one(t, "maintain_expire"), res.one(t, "maintain_snapshots"))
	stopNode(t, n)
	n2 := startNode(t, cfg, node.Hooks{})
	cl := orderProducer(t, []string{n2.KafkaAddr()}, "live", sparkKafkaAuth)
	stop := make(chan struct{})
	sent := produceOrders(ctx, cl, l.acks, "live", l.id, l.md, first, 300, 3, time.Millisecond, stop)
	total := first + <-sent
	l.acks.wait(t, 60*time.Second)
	acked, failed := l.acks.snapshot()
	if len(failed) > 0 || len(acked) != total {
		t.Fatalf("shop.live: %d sent, %d acknowledged, %d failed", total, len(acked), len(failed))
	}
	hwm := endOffsets(t, ctx, kadm.NewClient(newClient(t, n2.KafkaAddr(), sparkKafkaAuth)), "live")
	var src iceberg.OffsetsSource
	tbl := sparkWaitLive(t, newSparkCat(t, n2, cat.ca), func(tbl *icetable.Table) bool {
		off, from, err := iceberg.ReadOffsets(ctx, tbl)
		src = from
		return err == nil && fmt.Sprint(off) == fmt.Sprint(hwm)
	})
	rows := checkExactlyOnce(t, scanOrderTable(t, tbl), acked, hwm)
	t.Logf("shop.live offsets read from its %s", src)
	t.Logf("shop.live after Spark's maintenance and a restart: %d records, %d rows, each once", total, rows)
}

// sparkOrderV2 is the Order schema with a field added: ingest evolves the
// table (a new column, a new schema ID) when records of it arrive.
var sparkOrderV2 = strings.Replace(icebergOrderProto, "oneof pay {", "string channel = 21;\n  oneof pay {", 1)

// sparkProduce registers the Order schema, creates the orders topic
// (table shop.orders, committed every 300ms) and produces 30 orders and
// 3 records that do not decode, as the round trip does, then 5 orders of
// a second version of the schema with a field more.
func sparkProduce(t *testing.T, n *node.Node, cat sparkCat) []sparkProduced {
	t.Helper()
	id, md := registerOrder(t, n.RegistryAddr(), "orders-value", icebergOrderProto, sparkRegistryAuth)
	icebergTopic(t, n.KafkaAddr(), "orders", "shop.orders", 2, 300*time.Millisecond, sparkKafkaAuth)
	cl := newClient(t, n.KafkaAddr(), sparkKafkaAuth, kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	order := func(id int, md protoreflect.MessageDescriptor, i int) sparkProduced {
		m := richOrder(md, i)
		if f := md.Fields().ByName("channel"); f != nil {
			m.Set(f, protoreflect.ValueOfString(fmt.Sprint("web-", i)))
		}
		b, _ := proto.Marshal(m)
		r := &kgo.Record{Topic: "orders", Key: []byte(fmt.Sprint("k", i)), Value: append(wire.Append(nil, id, protobuf.IndexesOf(md)), b...)}
		if i%5 == 0 {
			r.Headers = []kgo.RecordHeader{{Key: "trace", Value: []byte(fmt.Sprint(i))}}
		}
		return sparkProduced{r, m}
	}
	var all []sparkProduced
	for i := range 30 {
		all = append(all, order(id, md, i))
	}
	for _, v := range [][]byte{
		append(wire.Append(nil, id, protobuf.IndexesOf(md)), 0xff, 0xff, 0xff), // truncated varint
		wire.Append(nil, 99999, []int{0}),                                      // unknown schema id
		[]byte("plain text, no envelope"),
	} {
		all = append(all, sparkProduced{&kgo.Record{Topic: "orders", Value: v}, nil})
	}
	produce := func(ps []sparkProduced) {
		for _, s := range ps {
			if err := cl.ProduceSync(ctxTimeout(t, 10*time.Second), s.rec).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
	produce(all)
	sparkWaitRecords(t, cat, icetable.Identifier{"shop", "orders"}, len(all))
	id2, md2 := registerOrder(t, n.RegistryAddr(), "orders-value", sparkOrderV2, sparkRegistryAuth)
	var v2 []sparkProduced
	for i := 30; i < 35; i++ {
		v2 = append(v2, order(id2, md2, i))
	}
	produce(v2)
	return append(all, v2...)
}

// sparkBuild compiles interop/spark into a temporary directory and
// returns the classpath to run it with: offline first (quick, and no
// network when ~/.m2 is warm), then online if something is missing.
func sparkBuild(t *testing.T, ctx context.Context, mvn, project string) string {
	t.Helper()
	build := t.TempDir()
	args := []string{"-B", "-ntp", "-q", "-f", filepath.Join(project, "pom.xml"), "-Dinterop.buildDir=" + build, "compile"}
	start := time.Now()
	if out, err := exec.CommandContext(ctx, mvn, append([]string{"-o"}, args...)...).CombinedOutput(); err != nil {
		t.Logf("mvn -o compile failed after %.1fs (a cold ~/.m2?); building online:\n%s", time.Since(start).Seconds(), tail(string(out), 600))
		runLogged(t, ctx, "mvn compile", exec.CommandContext(ctx, mvn, args...))
	} else {
		t.Logf("mvn -o compile: %.1fs", time.Since(start).Seconds())
	}
	cp, err := os.ReadFile(filepath.Join(build, "classpath.txt"))
	if err != nil {
		t.Fatalf("maven wrote no classpath: %v", err)
	}
	return filepath.Join(build, "classes") + string(os.PathListSeparator) + strings.TrimSpace(string(cp))
}

// sparkResults are SparkCheck's RESULT rows by query name, each decoded
// with json.Number for numbers (Spark prints decimals past 2^63).
type sparkResults map[string][]map[string]any

// sparkRun runs the check and gathers its RESULT lines. A non-zero exit,
// or no final OK, fails t with the whole output.
func sparkRun(t *testing.T, ctx context.Context, cmd *exec.Cmd) sparkResults {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 10 * time.Second
	start := time.Now()
	err := cmd.Run()
	t.Logf("spark check: %.1fs", time.Since(start).Seconds())
	output := func() string { return "stdout:\n" + stdout.String() + "\nstderr:\n" + stderr.String() }
	if err != nil {
		t.Fatalf("spark check: %v (context: %v)\n%s", err, ctx.Err(), output())
	}
	if testing.Verbose() {
		t.Logf("spark check output:\n%s", output())
	}
	res := sparkResults{}
	ok := false
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		line := sc.Text()
		ok = ok || line == "OK"
		js, found := strings.CutPrefix(line, "RESULT ")
		if !found {
			continue
		}
		var r struct {
			Q   string         `json:"q"`
			Row map[string]any `json:"row"`
		}
		dec := json.NewDecoder(strings.NewReader(js))
		dec.UseNumber()
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("spark check printed %q: %v", line, err)
		}
		res[r.Q] = append(res[r.Q], r.Row)
	}
	if !ok {
		t.Fatalf("spark check exited 0 without its OK line\n%s", output())
	}
	return res
}

// one returns the only row of query q.
func (r sparkResults) one(t *testing.T, q string) map[string]any {
	t.Helper()
	if len(r[q]) != 1 {
		t.Fatalf("%s: %d rows, want 1: %v", q, len(r[q]), r[q])
	}
	return r[q][0]
}

// sparkCheckReads compares Spark's answers about shop.orders with what was
// produced.
func sparkCheckReads(t *testing.T, res sparkResults, produced []sparkProduced) {
	t.Helper()
	n := fmt.Sprint(len(produced))
	if c := res.one(t, "count"); fmt.Sprint(c["rows"], "/", c["distinct_offsets"]) != n+"/"+n {
		t.Errorf("count: %v, want %s rows at %s distinct offsets", c, n, n)
	}
	byPos := map[string]sparkProduced{}
	for _, p := range produced {
		byPos[fmt.Sprint(p.rec.Partition, "/", p.rec.Offset)] = p
	}
	if len(res["rows"]) != len(produced) {
		t.Errorf("rows: %d, want %d", len(res["rows"]), len(produced))
	}
	for _, row := range res["rows"] {
		pos := fmt.Sprint(row["partition"], "/", row["offset"])
		p, ok := byPos[pos]
		if !ok {
			t.Errorf("rows: %s was not produced", pos)
			continue
		}
		sparkCheckRow(t, pos, row, p)
	}
	var nested []string
	for _, row := range res["nested"] {
		nested = append(nested, fmt.Sprint(row["partition"], "/", row["offset"]))
		if p, ok := byPos[nested[len(nested)-1]]; ok && p.msg != nil {
			sparkCheckNested(t, row, p)
		}
	}
	if len(nested) != len(produced)-3 {
		t.Errorf("nested: rows at %v, want the %d decoded ones", nested, len(produced)-3)
	}
	want7 := fmt.Sprint(produced[7].rec.Partition, "/", produced[7].rec.Offset)
	if pt := res.one(t, "point"); fmt.Sprint(pt["partition"], "/", pt["offset"]) != want7 {
		t.Errorf("point: val.id = 'order-7' at %v, produced at %s", pt, want7)
	}
	if pr := res.one(t, "pruned"); fmt.Sprint(pr["rows"]) != "0" {
		t.Errorf("pruned: %v rows before 2000", pr["rows"])
	}
	if f := res.one(t, "files"); fmt.Sprint(f["records"]) != n {
		t.Errorf("files: %v, want %s records in all", f, n)
	}
}

// sparkCheckRow compares one whole row Spark read with the record
// produced there.
func sparkCheckRow(t *testing.T, pos string, row map[string]any, p sparkProduced) {
	t.Helper()
	if got := sparkMicros(row["event_timestamp"]); got != p.rec.Timestamp.UnixMilli()*1000 {
		t.Errorf("%s: event_timestamp %v, want %v", pos, row["event_timestamp"], p.rec.Timestamp.UTC())
	}
	key, _ := row["key"].(map[string]any)
	if p.rec.Key == nil {
		if key != nil && key["__raw__"] != nil {
			t.Errorf("%s: key %v, want none", pos, key)
		}
	} else if want := base64.StdEncoding.EncodeToString(p.rec.Key); key == nil || key["__raw__"] != want {
		t.Errorf("%s: key %v, want __raw__ %v", pos, row["key"], want)
	}
	wantHeaders := []any{}
	for _, h := range p.rec.Headers {
		wantHeaders = append(wantHeaders, map[string]any{"key": h.Key, "value": base64.StdEncoding.EncodeToString(h.Value)})
	}
	if !reflect.DeepEqual(row["headers"], wantHeaders) {
		t.Errorf("%s: headers %v, want %v", pos, row["headers"], wantHeaders)
	}
	val, _ := row["val"].(map[string]any)
	if val == nil {
		t.Errorf("%s: no val: %v", pos, row)
		return
	}
	if p.msg == nil {
		if val["__raw__"] != base64.StdEncoding.EncodeToString(p.rec.Value) || val["id"] != nil {
			t.Errorf("%s (undecodable): val %v", pos, val)
		}
		return
	}
	if val["__err__"] != nil || val["__raw__"] != nil || val["__prefix__"] == nil {
		t.Errorf("%s: reserved columns __err__ %v __raw__ %v __prefix__ %v", pos, val["__err__"], val["__raw__"], val["__prefix__"])
	}
	for name, want := range expectMessage(p.msg.ProtoReflect()) {
		if got := sparkNorm(want, val[name]); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: val.%s: Spark read %#v, want %#v", pos, name, got, want)
		}
	}
}

// sparkCheckNested compares the single nested columns Spark selected
// with the produced message.
func sparkCheckNested(t *testing.T, row map[string]any, p sparkProduced) {
	t.Helper()
	want := expectMessage(p.msg.ProtoReflect())
	money, _ := want["money"].(map[string]any)
	lines := want["lines"].([]any)
	var firstSKU, currency, headerKey, headerValue any
	if len(lines) > 0 {
		firstSKU = lines[0].(map[string]any)["sku"]
	}
	if money != nil {
		currency = money["currency"]
	}
	if len(p.rec.Headers) > 0 {
		headerKey, headerValue = p.rec.Headers[0].Key, string(p.rec.Headers[0].Value)
	}
	c1, ok := want["counters"].(map[string]any)["c1"]
	if !ok {
		c1 = nil
	}
	for _, c := range []struct {
		col       string
		got, want any
	}{
		{"id", row["id"], want["id"]},
		{"big_u64", sparkNorm(want["big_u64"], row["big_u64"]), want["big_u64"]},
		{"currency", row["currency"], currency},
		{"created", sparkNorm(want["created"], row["created"]), want["created"]},
		{"first_sku", row["first_sku"], firstSKU},
		{"c1", sparkNorm(c1, row["c1"]), c1},
		{"header_key", row["header_key"], headerKey},
		{"header_value", row["header_value"], headerValue},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("nested %s: %s = %#v, want %#v", p.msg.Get(p.msg.Descriptor().Fields().ByName("id")), c.col, c.got, c.want)
		}
	}
}

// sparkCheckSnapshots compares the snapshots Spark lists (the .snapshots
// metadata table) with the table iceberg-go loads: same count, all
// appends, the newest carrying the offsets ingest resumes from.
func sparkCheckSnapshots(t *testing.T, res sparkResults, cat sparkCat) {
	t.Helper()
	snaps := res["snapshots"]
	tbl := sparkLoad(t, cat, icetable.Identifier{"shop", "orders"})
	cur := tbl.CurrentSnapshot()
	if len(snaps) == 0 || cur == nil || len(snaps) != len(tbl.Metadata().Snapshots()) {
		t.Fatalf("snapshots: Spark lists %v; iceberg-go: current %v of %d", snaps, cur, len(tbl.Metadata().Snapshots()))
	}
	for _, s := range snaps {
		if s["operation"] != "append" {
			t.Errorf("snapshots: %v, want appends only", s)
		}
	}
	last := snaps[len(snaps)-1]
	if fmt.Sprint(last["snapshot_id"]) != fmt.Sprint(cur.SnapshotID) || last["offsets"] != cur.Summary.Properties[iceberg.PropOffsets] {
		t.Errorf("snapshots: Spark's newest %v; iceberg-go's current %d with offsets %q", last, cur.SnapshotID, cur.Summary.Properties[iceberg.PropOffsets])
	}
}

// sparkMade is ns.spark_made after SparkCheck's commits, by id, in the Go
// form rowValue gives (timestamps in microseconds, decimals as strings).
func sparkMade() []map[string]any {
	us := func(s string) any { ts, _ := time.Parse(time.RFC3339Nano, s); return ts.UnixMicro() }
	return []map[string]any{
		{"id": int64(1), "name": "one", "ts": us("2024-01-01T10:00:00.123456Z"), "amount": "18446744073709551615",
			"tags": []any{"a", "b"}, "attrs": map[string]any{"k": int32(1)},
			"addr": map[string]any{"city": "Berlin", "zip": int32(10115)}, "note": nil},
		{"id": int64(3), "name": "THREE", "ts": us("2024-01-02T12:00:00Z"), "amount": nil,
			"tags": nil, "attrs": nil, "addr": nil, "note": "updated"},
		{"id": int64(4), "name": "four", "ts": us("2024-01-03T00:00:00Z"), "amount": "4",
			"tags": []any{"d"}, "attrs": map[string]any{"x": int32(4), "y": int32(5)},
			"addr": map[string]any{"city": nil, "zip": int32(4)}, "note": nil},
		{"id": int64(5), "name": "five", "ts": us("2024-01-03T05:00:00Z"), "amount": "5",
			"tags": []any{"e"}, "attrs": map[string]any{},
			"addr": map[string]any{"city": "Rome", "zip": int32(118)}, "note": "added later"},
		{"id": int64(6), "name": "six", "ts": us("2024-01-04T06:00:00Z"), "amount": "6",
			"tags": []any{}, "attrs": map[string]any{"z": int32(6)},
			"addr": map[string]any{"city": "Oslo", "zip": int32(150)}, "note": "new spec"},
	}
}

// sparkCheckWrites compares the tables Spark made, as Spark reads them
// and as iceberg-go reads them through the catalog, with what SparkCheck
// wrote.
func sparkCheckWrites(t *testing.T, res sparkResults, cat sparkCat, decoded int) {
	t.Helper()
	want := sparkMade()
	if len(res["made"]) != len(want) {
		t.Errorf("made: Spark reads %d rows, want %d: %v", len(res["made"]), len(want), res["made"])
	}
	for i, row := range res["made"] {
		if i < len(want) {
			if got := sparkNorm(want[i], row); !reflect.DeepEqual(got, want[i]) {
				t.Errorf("made: Spark reads row %d as %v, want %v", i, got, want[i])
			}
		}
	}
	var ops []string
	for _, s := range res["made_snapshots"] {
		ops = append(ops, fmt.Sprint(s["operation"]))
	}
	if fmt.Sprint(ops) != "[append append append overwrite overwrite append]" {
		t.Errorf("made: snapshots %v, want three appends, a delete's and an update's overwrite, an append", ops)
	}
	rw := res.one(t, "rewrite")
	if fmt.Sprint(rw["rewritten_data_files_count"]) == "0" || fmt.Sprint(rw["added_data_files_count"]) == "0" {
		t.Errorf("rewrite_data_files: %v", rw)
	}
	if m := res.one(t, "maintained"); fmt.Sprint(m["rows"], "/", m["snapshots"]) != fmt.Sprint(len(want), "/1") {
		t.Errorf("after rewrite_data_files and expire_snapshots: %v, want %d rows in 1 snapshot", m, len(want))
	}
	sparkCheckMadeMetadata(t, sparkLoad(t, cat, icetable.Identifier{"ns", "spark_made"}).Metadata())

	got := sparkScan(t, cat, icetable.Identifier{"ns", "spark_made"})
	if !reflect.DeepEqual(got, want) {
		t.Errorf("made: iceberg-go reads\n%v\nwant\n%v", got, want)
	}
	if c := res.one(t, "ctas"); fmt.Sprint(c["rows"]) != fmt.Sprint(decoded) {
		t.Errorf("ctas: Spark counts %v, want %d", c, decoded)
	}
	if ctas := sparkScan(t, cat, icetable.Identifier{"ns", "spark_made_ctas"}); len(ctas) != decoded {
		t.Errorf("ctas: iceberg-go reads %d rows, want %d", len(ctas), decoded)
	}
	sparkCheckPurge(t, cat, icetable.Identifier{"ns", "spark_made"})
}

// sparkCheckMadeMetadata checks, as iceberg-go loads it, what Spark's
// commits did to the table's metadata besides its rows.
func sparkCheckMadeMetadata(t *testing.T, meta icetable.Metadata) {
	t.Helper()
	cur := meta.CurrentSnapshot()
	if len(meta.Snapshots()) != 1 || cur == nil || cur.Summary.Operation != icetable.OpReplace {
		t.Errorf("made: %d snapshots, current %v; want only rewrite_data_files' replace", len(meta.Snapshots()), cur)
	}
	if specs, spec := meta.PartitionSpecs(), meta.PartitionSpec(); len(specs) != 2 || spec.NumFields() != 2 || meta.DefaultPartitionSpec() != spec.ID() {
		t.Errorf("made: partition specs %v, default %v; want days(ts), then days(ts) and bucket(4, id)", specs, spec)
	}
	if so := meta.SortOrder(); meta.DefaultSortOrder() == 0 || so.Len() != 1 {
		t.Errorf("made: sort order %v (default %d), want by id", so, meta.DefaultSortOrder())
	}
	if v := meta.Properties()["tributary.check"]; v != "spark" || meta.Version() != 2 || meta.CurrentSchema().ID == 0 {
		t.Errorf("made: property %q, format %d, schema %d: want spark, 2 and the schema ADD COLUMN made", v, meta.Version(), meta.CurrentSchema().ID)
	}
}

// sparkCheckPurge purges a table Spark wrote with iceberg-go and checks
// that nothing of it is left: Spark writes through Hadoop's local file
// system, which keeps a ".<name>.crc" beside every file.
func sparkCheckPurge(t *testing.T, cat sparkCat, id icetable.Identifier) {
	t.Helper()
	ctx := ctxTimeout(t, 30*time.Second)
	dir := strings.TrimPrefix(sparkLoad(t, cat, id).Location(), "file://")
	var crcs int
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".crc") {
			crcs++
		}
		return nil
	})
	if err := sparkCatalogAs(t, ctx, cat, "spark:"+sparkPassword).PurgeTable(ctx, id); err == nil || !strings.Contains(err.Error(), "403") && !strings.Contains(strings.ToLower(err.Error()), "forbidden") {
		t.Errorf("iceberg-go: purge %v as the writer spark: %v, want forbidden (a drop is the admin role's)", id, err)
	}
	if err := sparkCatalogAs(t, ctx, cat, "admin:"+adminPassword).PurgeTable(ctx, id); err != nil {
		t.Fatalf("iceberg-go: purge %v: %v", id, err)
	}
	var left []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil {
			left = append(left, p)
		}
		return nil
	})
	if len(left) != 0 {
		t.Errorf("purge of %v (%d Hadoop checksums among its files) left %d paths: %v", id, crcs, len(left), left)
	}
}

// sparkNorm turns a value decoded from Spark's JSON into the Go form want
// has (expect's and rowValue's): numbers into want's type, decimals into
// strings, timestamps (strings) into microseconds; maps and lists
// element by element. Anything else is left as it is, to be reported.
func sparkNorm(want, got any) any {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return got
		}
		out := make(map[string]any, len(g))
		for k, v := range g {
			out[k] = sparkNorm(w[k], v)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(w) == 0 {
			return got
		}
		out := make([]any, len(g))
		for i, v := range g {
			out[i] = sparkNorm(w[min(i, len(w)-1)], v)
		}
		return out
	}
	if s, ok := got.(string); ok {
		if _, isInt := want.(int64); isInt {
			return sparkMicros(s)
		}
		return got
	}
	num, ok := got.(json.Number)
	if !ok {
		return got
	}
	switch want.(type) {
	case int32:
		if v, err := num.Int64(); err == nil {
			return int32(v)
		}
	case int64:
		if v, err := num.Int64(); err == nil {
			return v
		}
	case float32:
		if v, err := num.Float64(); err == nil {
			return float32(v)
		}
	case float64:
		if v, err := num.Float64(); err == nil {
			return v
		}
	case string:
		return num.String()
	}
	return got
}

// sparkMicros reads a timestamp Spark printed (UTC, microseconds) as
// microseconds since the epoch; -1 when it is not one.
func sparkMicros(v any) int64 {
	s, _ := v.(string)
	ts, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return -1
	}
	return ts.UnixMicro()
}

// sparkPassword is the SCRAM user spark's: with http_auth, Spark and
// iceberg-go use "spark:<password>" as OAuth2 client credentials.
const (
	sparkPassword   = "spark-scram-pw"
	sparkCredential = "spark:" + sparkPassword
)

// sparkKafkaAuth and sparkRegistryAuth are the PLAIN user admin's, for
// TestSpark's Kafka and registry clients.
var (
	sparkKafkaAuth    = plainOpt("admin", adminPassword)
	sparkRegistryAuth = sr.BasicAuth("admin", adminPassword)
)

// sparkConfig is TestSpark's node: its Kafka listener takes PLAIN (admin)
// and SCRAM (spark, which the test adds), and http_auth is required with
// spark a writer and admin an admin. Tributary's own maintenance stays
// off: shop.live is Spark's to maintain here.
func sparkConfig(t *testing.T) (config.Config, *testCA) {
	t.Helper()
	ca := newTestCA(t, "spark-ca")
	chain, key := ca.issue(t, "tributary-catalog", true)
	dir := t.TempDir()
	cfg := testConfig(t, t.TempDir())
	cfg.Catalog.TLS = &config.ListenerTLS{
		CertChain: config.FileSource(writePEM(t, dir, "catalog.crt", chain)), PrivateKey: config.FileSource(writePEM(t, dir, "catalog.key", key)),
	}
	cfg.Kafka.Listeners[0].Authentication = &config.Authentication{SASL: &config.SASL{
		Plain: &config.SASLPlain{Credentials: []config.PlainCredential{{Username: "admin", Password: config.InlineSource(adminPassword)}}},
		Scram: &config.SASLScram{},
	}}
	cfg.HTTPAuth.Required = true
	cfg.HTTPAuth.Writers = []string{"User:spark"}
	cfg.HTTPAuth.Admins = []string{"User:admin"}
	cfg.IcebergMaintenance.Disabled = true
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg, ca
}

// sparkPlainNode is TestSpark's node (sparkConfig: the same users and
// roles, the SCRAM writer spark added) with its catalog on plain HTTP, for
// the engines whose tests set up no trust store (Trino, DuckDB). It
// returns the node's data dir too (the local warehouse is under it).
// Each mod changes the config first (an S3 warehouse, say).
func sparkPlainNode(t *testing.T, mods ...func(*config.Config)) (*node.Node, sparkCat, string) {
	t.Helper()
	cfg, _ := sparkConfig(t)
	cfg.Catalog.TLS = nil
	for _, mod := range mods {
		mod(&cfg)
	}
	n := startNode(t, cfg, node.Hooks{})
	addScramUser(t, kadm.NewClient(newClient(t, n.KafkaAddr(), sparkKafkaAuth)), "spark", sparkPassword, kadm.ScramSha512)
	return n, sparkCat{url: "http://" + n.CatalogAddr()}, cfg.DataDir
}

// sparkCat is how TestSpark's clients reach the catalog: its HTTPS URL and
// a TLS configuration that trusts ca, which signed its certificate.
type sparkCat struct {
	url string
	tls *tls.Config
	ca  *testCA
}

func newSparkCat(t *testing.T, n *node.Node, ca *testCA) sparkCat {
	t.Helper()
	return sparkCat{url: "https://" + n.CatalogAddr(), tls: clientTLS(t, ca, nil, nil), ca: ca}
}

// sparkTrustStore writes ca into a PKCS12 trust store with keytool (the
// JDK's), for Spark's -Djavax.net.ssl.trustStore, and returns the JVM
// options that use it.
func sparkTrustStore(t *testing.T, java string, ca *testCA) []string {
	t.Helper()
	keytool, err := exec.LookPath("keytool")
	if err != nil {
		real, _ := filepath.EvalSymlinks(java)
		keytool = filepath.Join(filepath.Dir(real), "keytool")
	}
	dir := t.TempDir()
	store := filepath.Join(dir, "trust.p12")
	out, err := exec.Command(keytool, "-importcert", "-noprompt", "-alias", "tributary-ca", "-file", writePEM(t, dir, "ca.crt", ca.pem),
		"-keystore", store, "-storetype", "PKCS12", "-storepass", "changeit").CombinedOutput()
	if err != nil {
		t.Fatalf("keytool -importcert: %v\n%s", err, out)
	}
	return []string{"-Djavax.net.ssl.trustStore=" + store, "-Djavax.net.ssl.trustStoreType=PKCS12", "-Djavax.net.ssl.trustStorePassword=changeit"}
}

// sparkCheckBadLogin: Spark's catalog bad_login, with a wrong secret,
// failed its login (Iceberg's NotAuthorizedException), and the proxy saw its token request refused.
func sparkCheckBadLogin(t *testing.T, res sparkResults, calls *sparkCalls) {
	t.Helper()
	got := fmt.Sprint(res.one(t, "bad_login")["error"])
	if !strings.Contains(got, "NotAuthorizedException") {
		t.Errorf("Spark with a wrong catalog secret: %s, want a failed login (NotAuthorizedException)", got)
	}
	calls.mu.Lock()
	defer calls.mu.Unlock()
	if !slices.Contains(calls.lines, "POST /v1/oauth/tokens 401") {
		t.Errorf("no refused token request among Spark's catalog requests (bad_login: %s):\n%s", got, strings.Join(calls.lines, "\n"))
	}
	t.Logf("Spark with a wrong catalog secret: %s", got)
}

// sparkCatalog is iceberg-go's client of the built-in catalog, logged in
// as the writer spark.
func sparkCatalog(t *testing.T, ctx context.Context, cat sparkCat) *icerest.Catalog {
	t.Helper()
	return sparkCatalogAs(t, ctx, cat, sparkCredential)
}

// sparkCatalogAs is iceberg-go's client of the built-in catalog with
// credential (user:password) as OAuth2 client credentials.
func sparkCatalogAs(t *testing.T, ctx context.Context, cat sparkCat, credential string) *icerest.Catalog {
	t.Helper()
	c, err := icerest.NewCatalog(ctx, "local", cat.url, icerest.WithCredential(credential), icerest.WithTLSConfig(cat.tls))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sparkWaitRecords waits until the table's current snapshot holds n
// records.
func sparkWaitRecords(t *testing.T, cat sparkCat, id icetable.Identifier, n int) {
	t.Helper()
	ctx := ctxTimeout(t, 30*time.Second)
	c := sparkCatalog(t, ctx, cat)
	got := "no table"
	for ctx.Err() == nil {
		if tbl, err := c.LoadTable(ctx, id); err == nil && tbl.CurrentSnapshot() != nil {
			got = tbl.CurrentSnapshot().Summary.Properties["total-records"]
			if got == fmt.Sprint(n) {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%v: %s records after 30s, want %d", id, got, n)
}

// sparkLoad loads a table through the built-in catalog with iceberg-go.
func sparkLoad(t *testing.T, cat sparkCat, id icetable.Identifier) *icetable.Table {
	t.Helper()
	ctx := ctxTimeout(t, 30*time.Second)
	tbl, err := sparkCatalog(t, ctx, cat).LoadTable(ctx, id)
	if err != nil {
		t.Fatalf("iceberg-go: load %v: %v", id, err)
	}
	return tbl
}

// sparkScan reads a table with iceberg-go, one map per row (rowValue's
// Go forms), ordered by the id column.
func sparkScan(t *testing.T, cat sparkCat, id icetable.Identifier) []map[string]any {
	t.Helper()
	ctx := ctxTimeout(t, 30*time.Second)
	tb, err := sparkLoad(t, cat, id).Scan().ToArrowTable(ctx)
	if err != nil {
		t.Fatalf("iceberg-go: scan %v: %v", id, err)
	}
	defer tb.Release()
	cols := make([]arrow.Array, tb.NumCols())
	for c := range cols {
		a, err := array.Concatenate(tb.Column(c).Data().Chunks(), memory.DefaultAllocator)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Release()
		cols[c] = a
	}
	rows := make([]map[string]any, tb.NumRows())
	for r := range rows {
		rows[r] = map[string]any{}
		for c, f := range tb.Schema().Fields() {
			rows[r][f.Name] = rowValue(cols[c], r)
		}
	}
	slices.SortFunc(rows, func(a, b map[string]any) int {
		x, xok := a["id"].(int64)
		y, yok := b["id"].(int64)
		if xok && yok {
			return cmp.Compare(x, y)
		}
		return strings.Compare(fmt.Sprint(a["id"]), fmt.Sprint(b["id"]))
	})
	return rows
}

// sparkCalls records the requests Spark makes of the catalog, through a
// proxy in front of it: a client that tolerates an error (a refused
// commit it retries, a failure it logs and goes on from) still shows it
// here.
type sparkCalls struct {
	who   string // the engine, for the messages: Spark unless set
	url   string
	mu    sync.Mutex
	lines []string // "METHOD path status"
}

// sparkRecordCalls starts the recording proxy: over HTTPS with a
// certificate of the catalog's CA when the catalog has one, else over
// plain HTTP.
func sparkRecordCalls(t *testing.T, cat sparkCat) *sparkCalls {
	t.Helper()
	c := &sparkCalls{who: "Spark"}
	target, err := url.Parse(cat.url)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = &http.Transport{TLSClientConfig: cat.tls}
	proxy.ModifyResponse = func(rsp *http.Response) error {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.lines = append(c.lines, fmt.Sprint(rsp.Request.Method, " ", rsp.Request.URL.RequestURI(), " ", rsp.StatusCode))
		return nil
	}
	srv := httptest.NewUnstartedServer(proxy)
	if cat.ca == nil {
		srv.Start()
		t.Cleanup(srv.Close)
		c.url = srv.URL
		return c
	}
	chain, key := cat.ca.issue(t, "spark-proxy", true)
	cert, err := tls.X509KeyPair(chain, key)
	if err != nil {
		t.Fatal(err)
	}
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	c.url = srv.URL
	return c
}

// check fails t on a server error, and on an answer other than 200 to a
// commit or a create: Spark's commits must land the first time. 404s
// (IF EXISTS / IF NOT EXISTS probes) and 204s (metrics) are expected.
func (c *sparkCalls) check(t *testing.T) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if testing.Verbose() {
		t.Logf("%s's catalog requests:\n%s", c.who, strings.Join(c.lines, "\n"))
	}
	commits := 0
	for _, l := range c.lines {
		f := strings.Fields(l)
		method, path, status := f[0], f[1], f[2]
		isCommit := method == http.MethodPost && !strings.HasSuffix(path, "/metrics") && strings.Contains(path, "/tables")
		if isCommit {
			commits++
		}
		// shop.live is committed to by ingest while Spark maintains it:
		// Spark's commits there may meet a conflict and retry.
		conflict := status == "409" && strings.Contains(path, "/tables/live")
		if status >= "500" || isCommit && status != "200" && !conflict {
			t.Errorf("%s's catalog request %s", c.who, l)
		}
	}
	if commits == 0 {
		t.Errorf("no commits among %s's catalog requests:\n%s", c.who, strings.Join(c.lines, "\n"))
	}
}
