//go:build unix

package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	icerest "github.com/apache/iceberg-go/catalog/rest"
	icetable "github.com/apache/iceberg-go/table"
	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/tributary-io/tributary/iceberg"
	"github.com/tributary-io/tributary/schema/protobuf"
	"github.com/tributary-io/tributary/schema/wire"
)

// Helpers of the Iceberg end-to-end tests beyond the round trip's
// (iceberg_roundtrip_test.go: registerOrder, richOrder, scanTable …).

// icebergAddrs are a child broker's fixed addresses: Kafka, and the
// built-in registry and catalog, on ports of the test's own. They are
// given explicitly because the defaults (8081, 8181) are best effort: a
// broker finding them taken by anything else on the machine would serve
// no catalog and ingest through whatever holds 8181.
type icebergAddrs struct {
	Kafka, Registry, Catalog string
}

func newIcebergAddrs(t *testing.T) icebergAddrs {
	t.Helper()
	return icebergAddrs{Kafka: freeAddr(t), Registry: freeAddr(t), Catalog: freeAddr(t)}
}

func (a icebergAddrs) flags() []string {
	return []string{"--registry-addr", a.Registry, "--catalog-addr", a.Catalog}
}

// startIcebergProc is startProc with the registry and catalog on a's
// addresses (kept across restarts, as the Kafka one is).
func startIcebergProc(t *testing.T, bin, dataDir string, a icebergAddrs) *procBroker {
	t.Helper()
	p := &procBroker{KafkaAddr: a.Kafka, AdminAddr: freeAddr(t), out: &syncBuffer{}, exited: make(chan struct{})}
	args := append([]string{"serve", "--data-dir", dataDir, "--kafka-addr", a.Kafka, "--admin-addr", p.AdminAddr}, a.flags()...)
	runProc(t, p, exec.Command(bin, args...))
	p.waitReady(t, 30*time.Second)
	return p
}

// runProc starts cmd as p's process, killed at test end, its output
// logged (the tail) when the test failed or $TRIBUTARY_TEST_LOG is set.
func runProc(t *testing.T, p *procBroker, cmd *exec.Cmd) {
	t.Helper()
	p.cmd = cmd
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	go func() {
		p.cmd.Wait()
		p.state = p.cmd.ProcessState
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
		if t.Failed() || os.Getenv("TRIBUTARY_TEST_LOG") != "" {
			t.Logf("broker %s pid %d output:\n%s", p.KafkaAddr, p.cmd.Process.Pid, tail(p.out.String(), 8000))
		}
	})
}

// icebergBroker is a cluster broker serving its own registry and catalog
// (on the shared metadata store and bucket) on fixed addresses.
type icebergBroker struct {
	*clusterBroker
	Registry, Catalog string
}

func addIcebergBroker(t *testing.T, c *testCluster) *icebergBroker {
	t.Helper()
	return &icebergBroker{clusterBroker: c.addBroker(t), Registry: freeAddr(t), Catalog: freeAddr(t)}
}

// start runs the broker's process with the cluster's config, as
// clusterBroker.start does, plus the registry and catalog addresses.
func (b *icebergBroker) start(t *testing.T) {
	t.Helper()
	p := &procBroker{KafkaAddr: b.KafkaAddr, AdminAddr: b.AdminAddr, out: &syncBuffer{}, exited: make(chan struct{})}
	runProc(t, p, exec.Command(b.c.bin, "serve", "--config", b.c.Config, "--data-dir", b.DataDir,
		"--kafka-addr", b.KafkaAddr, "--admin-addr", b.AdminAddr, "--registry-addr", b.Registry, "--catalog-addr", b.Catalog))
	b.proc = p
	p.waitReady(t, 30*time.Second)
}

func (b *icebergBroker) restart(t *testing.T) {
	t.Helper()
	if b.running() {
		t.Fatalf("restart broker %d: still running", b.Index)
	}
	b.start(t)
}

// orderRecord is record i of a stream of Orders: key numbered(i), value
// richOrder(md, i) in the Confluent envelope of schema id.
func orderRecord(topic string, id int, md protoreflect.MessageDescriptor, i int) *kgo.Record {
	b, err := proto.Marshal(richOrder(md, i))
	if err != nil {
		panic(err)
	}
	return &kgo.Record{Topic: topic, Key: []byte(numbered(i)), Value: append(wire.Append(nil, id, protobuf.IndexesOf(md)), b...)}
}

// icebergAcks is ackLog for records numbered by their key, so that the
// value can be a Protobuf message.
type icebergAcks struct {
	wg     sync.WaitGroup
	mu     sync.Mutex
	acked  map[int]kgo.Record
	failed map[int]error
}

func newIcebergAcks() *icebergAcks {
	return &icebergAcks{acked: map[int]kgo.Record{}, failed: map[int]error{}}
}

func (a *icebergAcks) produce(ctx context.Context, cl *kgo.Client, r *kgo.Record) {
	a.wg.Add(1)
	cl.Produce(ctx, r, func(r *kgo.Record, err error) {
		defer a.wg.Done()
		a.mu.Lock()
		defer a.mu.Unlock()
		if err != nil {
			a.failed[seqOf(r.Key)] = err
			return
		}
		a.acked[seqOf(r.Key)] = *r
	})
}

func (a *icebergAcks) numAcked() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.acked)
}

// waitAcked polls until at least n records are acknowledged.
func (a *icebergAcks) waitAcked(t *testing.T, n int, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for a.numAcked() < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d records acknowledged after %v", a.numAcked(), n, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// wait blocks until every record produced has an outcome, or fails t.
func (a *icebergAcks) wait(t *testing.T, d time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() { a.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("produced records still unanswered after %v (%d acked)", d, a.numAcked())
	}
}

func (a *icebergAcks) snapshot() (map[int]kgo.Record, map[int]error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	acked := make(map[int]kgo.Record, len(a.acked))
	for k, v := range a.acked {
		acked[k] = v
	}
	failed := make(map[int]error, len(a.failed))
	for k, v := range a.failed {
		failed[k] = v
	}
	return acked, failed
}

// produceOrders sends orderRecord(first+i) for i < max, to partition i
// mod partitions, one every pace, until max are sent or stop is closed;
// it returns how many were handed over.
func produceOrders(ctx context.Context, cl *kgo.Client, acks *icebergAcks, topic string, id int, md protoreflect.MessageDescriptor,
	first, max int, partitions int32, pace time.Duration, stop <-chan struct{}) <-chan int {
	sent := make(chan int, 1)
	go func() {
		i := 0
		defer func() { sent <- i }()
		tick := time.NewTicker(pace)
		defer tick.Stop()
		for ; i < max; i++ {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			r := orderRecord(topic, id, md, first+i)
			r.Partition = int32(i) % partitions
			acks.produce(ctx, cl, r)
		}
	}()
	return sent
}

// orderProducer is an idempotent acks=all producer placing records by
// hand, quick to retry and to refresh metadata across broker restarts.
func orderProducer(t *testing.T, seeds []string, topic string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	return clusterClient(t, seeds, append(loadProducerOpts(topic), opts...)...)
}

// loadTable loads ident from the REST catalog at addr; nil if it does
// not exist (or the catalog does not answer).
func loadTable(t *testing.T, catalogAddr string, ident icetable.Identifier) *icetable.Table {
	t.Helper()
	ctx := ctxTimeout(t, 20*time.Second)
	cat, err := icerest.NewCatalog(ctx, "local", "http://"+catalogAddr)
	if err != nil {
		return nil
	}
	tbl, err := cat.LoadTable(ctx, ident)
	if err != nil {
		return nil
	}
	return tbl
}

// snapshotOffsets is what ingest resumes from: the offsets of the newest
// snapshot on the main branch that has them (package iceberg's summary
// property), empty when none has.
func snapshotOffsets(t *testing.T, tbl *icetable.Table) map[int32]int64 {
	t.Helper()
	for s := tbl.CurrentSnapshot(); s != nil; {
		if s.Summary != nil {
			if v, ok := s.Summary.Properties[iceberg.PropOffsets]; ok {
				var m map[int32]int64
				if err := json.Unmarshal([]byte(v), &m); err != nil {
					t.Fatalf("snapshot %d: %s=%q: %v", s.SnapshotID, iceberg.PropOffsets, v, err)
				}
				return m
			}
		}
		if s.ParentSnapshotID == nil {
			break
		}
		s = tbl.SnapshotByID(*s.ParentSnapshotID)
	}
	return map[int32]int64{}
}

// waitTableOffsets polls the table until its snapshot offsets reach want
// for every partition; offsets past want fail t (the table would hold
// records the log does not).
func waitTableOffsets(t *testing.T, catalogAddr string, ident icetable.Identifier, want map[int32]int64, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	var got map[int32]int64
	for {
		if tbl := loadTable(t, catalogAddr, ident); tbl != nil {
			got = snapshotOffsets(t, tbl)
			done := true
			for p, w := range want {
				if got[p] > w {
					t.Fatalf("table offsets %v past the log's end %v", got, want)
				}
				done = done && got[p] == w
			}
			if done {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("table offsets %v after %v, want %v", got, within, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitSnapshots polls until the table has more than n snapshots, and
// returns how many it has.
func waitSnapshots(t *testing.T, catalogAddr string, ident icetable.Identifier, n int, within time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		if tbl := loadTable(t, catalogAddr, ident); tbl != nil {
			if got := len(tbl.Metadata().Snapshots()); got > n {
				return got
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("table %v has no more than %d snapshots after %v", ident, n, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// icebergRow is what the exactly-once checks read of a row.
type icebergRow struct {
	Partition int32
	Offset    int64
	Key       string // key.__raw__
	ID        any    // val.id
	Err       any    // val.__err__
}

// scanOrderRows scans the columns icebergRow needs, with iceberg-go
// through the REST catalog at catalogAddr.
func scanOrderRows(t *testing.T, catalogAddr string, ident icetable.Identifier) []icebergRow {
	t.Helper()
	tbl := loadTable(t, catalogAddr, ident)
	if tbl == nil {
		t.Fatalf("table %v does not load from %s", ident, catalogAddr)
	}
	return scanOrderTable(t, tbl)
}

// scanOrderTable is scanOrderRows of a loaded table.
func scanOrderTable(t *testing.T, tbl *icetable.Table) []icebergRow {
	t.Helper()
	ident := tbl.Identifier()
	ctx := ctxTimeout(t, 60*time.Second)
	out, err := tbl.Scan(icetable.WithSelectedFields("kafka.partition", "kafka.offset", "key.__raw__", "val.id", "val.__err__")).ToArrowTable(ctx)
	if err != nil {
		t.Fatalf("scan %v: %v", ident, err)
	}
	defer out.Release()
	var rows []icebergRow
	rd := newTableReader(t, out)
	for r := range int(out.NumRows()) {
		k := rd.value("kafka", r).(map[string]any)
		row := icebergRow{Partition: k["partition"].(int32), Offset: k["offset"].(int64)}
		if key, ok := rd.value("key", r).(map[string]any)["__raw__"].(string); ok {
			b, _ := base64.StdEncoding.DecodeString(key)
			row.Key = string(b)
		}
		val := rd.value("val", r).(map[string]any)
		row.ID, row.Err = val["id"], val["__err__"]
		rows = append(rows, row)
	}
	return rows
}

// checkExactlyOnce asserts that the table rows are the log exactly once:
// no (partition, offset) twice, as many rows as the log has records (hwm),
// every offset inside the log, and every acknowledged record at the
// offset its acknowledgement gave, with its key and decoded id. It
// returns the number of rows.
func checkExactlyOnce(t *testing.T, rows []icebergRow, acked map[int]kgo.Record, hwm map[int32]int64) int {
	t.Helper()
	byPos := map[string]icebergRow{}
	dups := 0
	for _, r := range rows {
		pos := fmt.Sprint(r.Partition, "/", r.Offset)
		if _, ok := byPos[pos]; ok {
			if dups++; dups <= 5 {
				t.Errorf("row %s twice in the table", pos)
			}
		}
		byPos[pos] = r
		if end, ok := hwm[r.Partition]; !ok || r.Offset < 0 || r.Offset >= end {
			t.Errorf("row %s is outside the log (ends %v)", pos, hwm)
		}
	}
	total := int64(0)
	for _, end := range hwm {
		total += end
	}
	if dups > 0 || int64(len(rows)) != total {
		t.Errorf("table: %d rows, %d duplicated; the log holds %d records", len(rows), dups, total)
	}
	missing := 0
	for _, seq := range sortedKeys(acked) {
		a := acked[seq]
		pos := fmt.Sprint(a.Partition, "/", a.Offset)
		r, ok := byPos[pos]
		switch {
		case !ok:
			if missing++; missing <= 5 {
				t.Errorf("acknowledged record %d (%s) not in the table", seq, pos)
			}
		case r.Key != numbered(seq) || r.ID != fmt.Sprint("order-", seq) || r.Err != nil:
			t.Errorf("row %s: key %q id %v err %v, want record %d", pos, r.Key, r.ID, r.Err, seq)
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d acknowledged records missing from the table", missing, len(acked))
	}
	return len(rows)
}

// dataFiles lists the Parquet files below dir (a local warehouse), by
// base name.
func dataFiles(t *testing.T, dir string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".parquet") {
			out[filepath.Base(p)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", dir, err)
	}
	return out
}

// tableFiles lists the data files of the table's current snapshot, by
// base name.
func tableFiles(t *testing.T, tbl *icetable.Table) map[string]bool {
	t.Helper()
	tasks, err := tbl.Scan().PlanFiles(ctxTimeout(t, 30*time.Second))
	if err != nil {
		t.Fatalf("plan files: %v", err)
	}
	out := map[string]bool{}
	for _, task := range tasks {
		out[path.Base(task.File.FilePath())] = true
	}
	return out
}

// waitNewFile polls the tree below dir every millisecond until a file
// ending in suffix appears that was not there when called, and returns
// its path; "" after d.
func waitNewFile(dir, suffix string, d time.Duration) string {
	list := func() map[string]bool {
		out := map[string]bool{}
		filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
			if err == nil && !e.IsDir() && strings.HasSuffix(p, suffix) {
				out[p] = true
			}
			return nil
		})
		return out
	}
	before := list()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		for p := range list() {
			if !before[p] {
				return p
			}
		}
		time.Sleep(time.Millisecond)
	}
	return ""
}

// tableReader reads the rows of a scanned table by top-level column, in
// rowValue's Go form.
type tableReader struct {
	cols map[string]arrow.Array
}

// newTableReader joins each column's chunks; they are released at test end.
func newTableReader(t *testing.T, tb arrow.Table) *tableReader {
	t.Helper()
	r := &tableReader{cols: map[string]arrow.Array{}}
	for c, f := range tb.Schema().Fields() {
		a, err := array.Concatenate(tb.Column(c).Data().Chunks(), memory.DefaultAllocator)
		if err != nil {
			t.Fatalf("column %s: %v", f.Name, err)
		}
		t.Cleanup(a.Release)
		r.cols[f.Name] = a
	}
	return r
}

func (r *tableReader) value(col string, i int) any { return rowValue(r.cols[col], i) }

// matchValue compares a scanned value (rowValue's form) with what a
// record should give (expectMessage's form), and lists the differences.
// A struct column the record's schema has no field for (added by a later
// schema, or by an earlier one it dropped) must be null.
func matchValue(path string, want, got any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: got %#v, want a struct", path, got)}
		}
		var out []string
		for k, wv := range w {
			out = append(out, matchValue(path+"."+k, wv, g[k])...)
		}
		for k, gv := range g {
			if _, ok := w[k]; !ok && gv != nil && !strings.HasPrefix(k, "__") {
				out = append(out, fmt.Sprintf("%s.%s: got %#v, want null (no such field in the record's schema)", path, k, gv))
			}
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s: got %#v, want %d elements", path, got, len(w))}
		}
		var out []string
		for i := range w {
			out = append(out, matchValue(fmt.Sprint(path, "[", i, "]"), w[i], g[i])...)
		}
		return out
	}
	if !reflect.DeepEqual(want, got) {
		return []string{fmt.Sprintf("%s: got %#v, want %#v", path, got, want)}
	}
	return nil
}
