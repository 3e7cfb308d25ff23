package ingest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	icerest "github.com/apache/iceberg-go/catalog/rest"
	icetable "github.com/apache/iceberg-go/table"
	"github.com/twmb/franz-go/pkg/sr"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/tributary-io/tributary/catalog"
	"github.com/tributary-io/tributary/iceberg"
	"github.com/tributary-io/tributary/ingest"
	"github.com/tributary-io/tributary/internal/inproc"
	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/metastore/boltstore"
	"github.com/tributary-io/tributary/internal/objstore"
	"github.com/tributary-io/tributary/log/intake"
	"github.com/tributary-io/tributary/log/read"
	"github.com/tributary-io/tributary/log/recordbatch"
	"github.com/tributary-io/tributary/registry"
	"github.com/tributary-io/tributary/schema/protobuf"
	"github.com/tributary-io/tributary/schema/registryclient"
	"github.com/tributary-io/tributary/schema/wire"
)

const orderProto = `syntax = "proto3";
package t.v1;
message Order { string id = 1; int64 qty = 2; }`

// env is ingest's world with real parts and no sockets: an embedded
// metadata store, local object stores for the log and the warehouse, the
// write and read paths, the built-in registry and catalog in process.
type env struct {
	meta    metastore.Store
	writer  *intake.Writer
	reader  *read.Reader
	catalog http.Handler // what ingest talks to; tests may wrap it
	real    http.Handler // the catalog itself
	regSrc  *flakySource
	sr      *sr.Client
	topic   metastore.Topic
	id      int
	md      protoreflect.MessageDescriptor
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvEvery(t, 100*time.Millisecond)
}

// newEnvEvery is newEnv with the topic committing every interval.
func newEnvEvery(t *testing.T, interval time.Duration) *env {
	t.Helper()
	dir := t.TempDir()
	meta, err := boltstore.Open(filepath.Join(dir, "meta.db"), boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = meta.Close() })
	logObj, err := objstore.NewLocal(filepath.Join(dir, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = logObj.Close() })
	wh, err := objstore.NewLocal(filepath.Join(dir, "warehouse"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = wh.Close() })
	e := &env{meta: meta}
	e.reader = read.NewReader(read.Config{CacheBytes: 1 << 20}, meta, logObj)
	e.writer = intake.NewWriter(intake.Config{Linger: time.Millisecond}, logObj, meta,
		intake.Hooks{OnCommit: e.reader.OnCommit, OnFlushed: e.reader.OnFlushed}, discard())
	t.Cleanup(func() { _ = e.writer.Close() })
	e.real = catalog.New(meta, wh, catalog.Options{}, nil).Handler()
	e.catalog = e.real
	reg := registry.New(meta, registry.Options{}, nil)
	e.regSrc = &flakySource{Source: reg.Lookup()}
	cl, err := sr.NewClient(sr.URLs(inproc.BaseURL), sr.HTTPClient(&http.Client{Transport: inproc.Transport(reg.Handler())}))
	if err != nil {
		t.Fatal(err)
	}
	e.sr = cl
	e.id, e.md = e.register(t, orderProto)
	e.topic, err = meta.CreateTopic(t.Context(), metastore.TopicSpec{Name: "orders", Partitions: 1, Configs: map[string]string{
		"bufstream.archive.kind": "ICEBERG", "bufstream.archive.iceberg.table": "shop.orders",
		"bufstream.export.iceberg.commit.freq.ms": fmt.Sprint(interval.Milliseconds()),
	}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// register registers src under orders-value, returning its id and Order.
func (e *env) register(t *testing.T, src string) (int, protoreflect.MessageDescriptor) {
	t.Helper()
	ss, err := e.sr.CreateSchema(t.Context(), "orders-value", sr.Schema{Schema: src, Type: sr.TypeProtobuf})
	if err != nil {
		t.Fatal(err)
	}
	fd, err := protobuf.Compile(t.Context(), "", src, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ss.ID, fd.Messages().ByName("Order")
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// flakySource is the built-in registry, failing every lookup (as a
// registry that is down) while fail is set.
type flakySource struct {
	registryclient.Source
	fail atomic.Bool
}

func (f *flakySource) SchemaByID(ctx context.Context, id int) (registryclient.Schema, error) {
	if f.fail.Load() {
		return registryclient.Schema{}, errors.New("injected: registry down")
	}
	return f.Source.SchemaByID(ctx, id)
}

// start runs a Manager until the test ends (or the returned stop).
func (e *env) start(t *testing.T) (*ingest.Manager, func()) {
	t.Helper()
	m, err := ingest.New(ingest.Options{
		Meta: e.meta, Reader: e.reader, Holder: "test",
		Catalogs: &ingest.Catalogs{LocalHandler: e.catalog},
		Registry: registryclient.New("built-in", e.regSrc, registryclient.Config{ErrorTTL: 50 * time.Millisecond}),
		Logger:   discard(), PollInterval: 50 * time.Millisecond, CommitBackoff: 10 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	m.Start()
	var once sync.Once
	stop := func() { once.Do(m.Stop) }
	t.Cleanup(stop)
	return m, stop
}

// order is a framed Order value.
func (e *env) order(i int) []byte { return orderOf(e.id, e.md, i) }

func orderOf(id int, md protoreflect.MessageDescriptor, i int) []byte {
	m := dynamicpb.NewMessage(md)
	m.Set(md.Fields().ByName("id"), protoreflect.ValueOfString(fmt.Sprint("order-", i)))
	m.Set(md.Fields().ByName("qty"), protoreflect.ValueOfInt64(int64(i)))
	b, err := proto.Marshal(m)
	if err != nil {
		panic(err)
	}
	return append(wire.Append(nil, id, protobuf.IndexesOf(md)), b...)
}

// produce writes values to partition 0 through the write path, one
// batch each.
func (e *env) produce(t *testing.T, values ...[]byte) {
	t.Helper()
	for _, v := range values {
		data := recordbatch.Build([]recordbatch.NewRecord{{Key: []byte("k"), Value: v, Timestamp: time.Now().UnixMilli()}})
		p, err := e.writer.Submit(t.Context(), []intake.Part{{Partition: metastore.PartitionKey{Topic: e.topic.ID}, Data: data,
			NumRecords: 1, MaxTimestamp: time.Now().UnixMilli(), ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1}})
		if err != nil {
			t.Fatal(err)
		}
		if r := p.Wait(t.Context())[0]; r.Err != nil {
			t.Fatal(r.Err)
		}
	}
}

// waitCommitted waits until the table holds offsets up to next.
func waitCommitted(t *testing.T, m *ingest.Manager, next int64) ingest.TableStatus {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st := m.Status()
		if len(st) == 1 && st[0].Committed[0] == next {
			return st[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("table never reached offset %d: %+v", next, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// row is what the tests look at in a table row.
type row struct {
	offset   int64
	id       string // "" when null
	err, raw string
}

// rows scans the table through the real catalog, in process.
func (e *env) rows(t *testing.T) []row {
	t.Helper()
	ctx := t.Context()
	cat, err := icerest.NewCatalog(ctx, "local", inproc.BaseURL, icerest.WithCustomTransport(inproc.Transport(e.real)))
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := cat.LoadTable(ctx, icetable.Identifier{"shop", "orders"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := tbl.Scan().ToArrowTable(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Release()
	col := func(name string) *array.Struct {
		i := out.Schema().FieldIndices(name)[0]
		a, err := array.Concatenate(out.Column(i).Data().Chunks(), memory.DefaultAllocator)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(a.Release)
		return a.(*array.Struct)
	}
	field := func(s *array.Struct, name string) arrow.Array {
		i, ok := s.DataType().(*arrow.StructType).FieldIdx(name)
		if !ok {
			t.Fatalf("no field %s in %s", name, s.DataType())
		}
		return s.Field(i)
	}
	kafka, val := col("kafka"), col("val")
	offs, ids, errs, raws := field(kafka, "offset").(*array.Int64), field(val, "id").(*array.String), field(val, "__err__").(*array.String), field(val, "__raw__").(*array.Binary)
	var got []row
	for i := range int(out.NumRows()) {
		r := row{offset: offs.Value(i)}
		if ids.IsValid(i) {
			r.id = ids.Value(i)
		}
		if errs.IsValid(i) {
			r.err = errs.Value(i)
		}
		if raws.IsValid(i) {
			r.raw = string(raws.Value(i))
		}
		got = append(got, r)
	}
	return got
}

// checkOnce fails unless rows hold offsets 0..n-1 once each.
func checkOnce(t *testing.T, rows []row, n int) map[int64]row {
	t.Helper()
	by := map[int64]row{}
	for _, r := range rows {
		if _, dup := by[r.offset]; dup {
			t.Fatalf("offset %d twice in the table", r.offset)
		}
		by[r.offset] = r
	}
	for i := range int64(n) {
		if _, ok := by[i]; !ok {
			t.Fatalf("offset %d missing; the table has %d rows", i, len(rows))
		}
	}
	if len(rows) != n {
		t.Fatalf("%d rows, want %d", len(rows), n)
	}
	return by
}

// A restarted pipeline resumes from the offsets the table records, not
// from the log start: after a stop and more produces every offset is in
// the table exactly once.
func TestPipelineResumesFromTheTable(t *testing.T) {
	e := newEnv(t)
	for i := range 5 {
		e.produce(t, e.order(i))
	}
	m, stop := e.start(t)
	waitCommitted(t, m, 5)
	stop()
	for i := 5; i < 9; i++ {
		e.produce(t, e.order(i))
	}
	m2, _ := e.start(t)
	st := waitCommitted(t, m2, 9)
	by := checkOnce(t, e.rows(t), 9)
	for i := range int64(9) {
		if by[i].id != fmt.Sprint("order-", i) || by[i].err != "" {
			t.Errorf("offset %d: %+v", i, by[i])
		}
	}
	if st.RowsCommitted != 4 {
		t.Errorf("the second pipeline committed %d rows, want the 4 new ones", st.RowsCommitted)
	}
}

// faultyCommits wraps the catalog: the first commit of rows (one that
// sets the commit id) is refused before it applies (503), the second
// applies but its answer is lost (500 after the real handler ran).
type faultyCommits struct {
	next    http.Handler
	commits atomic.Int32
}

func (f *faultyCommits) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/namespaces/shop/tables/orders") {
		f.next.ServeHTTP(w, r)
		return
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	if !bytes.Contains(b, []byte(iceberg.PropCommitID)) { // a schema update, not a commit of rows
		f.next.ServeHTTP(w, r)
		return
	}
	fail := `{"error":{"message":"injected","type":"ServiceUnavailableException","code":%d}}`
	switch f.commits.Add(1) {
	case 1:
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = fmt.Fprintf(w, fail, http.StatusServiceUnavailable)
	case 2:
		var status int
		var body strings.Builder
		f.next.ServeHTTP(discardWriter{http.Header{}, &status, &body}, r)
		if status != http.StatusOK {
			panic(fmt.Sprintf("the lost commit did not apply: %d %s", status, body.String()))
		}
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = fmt.Fprintf(w, fail, http.StatusInternalServerError)
	default:
		f.next.ServeHTTP(w, r)
	}
}

// discardWriter swallows an answer, keeping its status.
type discardWriter struct {
	h      http.Header
	status *int
	body   *strings.Builder
}

func (d discardWriter) Header() http.Header         { return d.h }
func (d discardWriter) Write(b []byte) (int, error) { return d.body.Write(b) }
func (d discardWriter) WriteHeader(c int)           { *d.status = c }

// A commit that fails (refused, or applied with its answer lost) is
// retried within the commit until the table has the rows exactly once:
// the retry finds an applied commit by its id instead of writing it
// again (or failing the pipeline as fenced).
func TestPipelineCommitRetry(t *testing.T) {
	e := newEnv(t)
	fc := &faultyCommits{next: e.real}
	e.catalog = fc
	for i := range 3 {
		e.produce(t, e.order(i))
	}
	m, _ := e.start(t)
	st := waitCommitted(t, m, 3)
	if st.LastError != "" || st.Commits != 1 {
		t.Errorf("commits %d, last error %q: the retries should have resolved within one commit", st.Commits, st.LastError)
	}
	if n := fc.commits.Load(); n != 2 {
		t.Fatalf("%d commits of rows reached the catalog, want the two failed ones (the retry finds the applied one by its id)", n)
	}
	checkOnce(t, e.rows(t), 3)
}

// Records that do not decode are rows that say why and keep their
// bytes; a registry that is down is not the record's fault: the pipeline
// waits for it and then decodes the record.
func TestPipelineUndecodableRows(t *testing.T) {
	e := newEnv(t)
	garbage := append(wire.Append(nil, e.id, protobuf.IndexesOf(e.md)), 0xff, 0xff)
	unknown := append(wire.Append(nil, e.id+100, []int{0}), 0x0a, 0x01, 'x')
	e.produce(t, e.order(0), garbage, unknown, []byte("plain text"))
	m, _ := e.start(t)
	waitCommitted(t, m, 4)
	by := checkOnce(t, e.rows(t), 4)
	if by[0].id != "order-0" || by[0].err != "" {
		t.Errorf("valid record: %+v", by[0])
	}
	for off, want := range map[int64]struct{ err, raw string }{
		1: {"decode: ", string(garbage)},
		2: {fmt.Sprintf("schema id %d not found in registry", e.id+100), string(unknown)},
		3: {"no envelope: magic byte missing", "plain text"},
	} {
		if r := by[off]; !strings.Contains(r.err, want.err) || r.raw != want.raw || r.id != "" {
			t.Errorf("offset %d: %+v, want __err__ with %q and the bytes", off, r, want.err)
		}
	}

	id2, md2 := e.register(t, `syntax = "proto3";
package t.v1;
message Order { string id = 1; int64 qty = 2; string note = 3; }`)
	e.regSrc.fail.Store(true)
	e.produce(t, orderOf(id2, md2, 4)) // a schema id not compiled yet: ingest asks the registry
	time.Sleep(1500 * time.Millisecond)
	st := m.Status()[0]
	if st.Committed[0] != 4 || !strings.Contains(st.LastError, "registry") {
		t.Fatalf("registry down: committed %d, last error %q; want nothing committed and the registry blamed", st.Committed[0], st.LastError)
	}
	e.regSrc.fail.Store(false)
	waitCommitted(t, m, 5)
	if r := checkOnce(t, e.rows(t), 5)[4]; r.id != "order-4" || r.err != "" {
		t.Fatalf("after the registry came back: %+v", r)
	}
}

// Rows are committed when commit.freq.ms has passed since the oldest
// buffered record was read, not before: with the 60s interval, nothing at
// 59s, everything just after 60s. Fake time (synctest).
func TestPipelineCommitsAtTheInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnvEvery(t, time.Minute)
		e.produce(t, e.order(0), e.order(1))
		m, stop := e.start(t)
		defer stop()
		time.Sleep(time.Second) // the manager's first poll starts the pipeline, which reads the records
		synctest.Wait()
		if st := m.Status(); len(st) != 1 || st[0].Buffered != 2 || st[0].Commits != 0 {
			t.Fatalf("after reading: %+v", st)
		}
		time.Sleep(58 * time.Second)
		synctest.Wait()
		if st := m.Status()[0]; st.Commits != 0 {
			t.Fatalf("committed %d times before the interval", st.Commits)
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if st := m.Status()[0]; st.Commits != 1 || st.Committed[0] != 2 {
			t.Fatalf("after the interval: %d commits, offset %d", st.Commits, st.Committed[0])
		}
	})
}

// TestRecordDoesNotAllocate: once a schema id has been seen, adding a
// record as a row allocates nothing per record (the envelope parsed into
// reused storage, the converter of the last id and indexes kept, no
// lookup key built, the unframed key's subject not rebuilt); only the
// Arrow buffers grow, amortised below one per record (AllocsPerRun
// rounds down). It allocated three per record before (a map key string,
// the indexes, the subject).
func TestRecordDoesNotAllocate(t *testing.T) {
	e := newEnv(t)
	m, err := ingest.New(ingest.Options{
		Meta: e.meta, Reader: e.reader, Holder: "test",
		Catalogs: &ingest.Catalogs{LocalHandler: e.catalog},
		Registry: registryclient.New("built-in", e.regSrc, registryclient.Config{}),
		Logger:   discard(),
	})
	if err != nil {
		t.Fatal(err)
	}
	r := &recordbatch.Record{Key: []byte("k"), Value: e.order(7), Timestamp: time.Now().UnixMilli(),
		Headers: []recordbatch.RecordHeader{{Key: []byte("h"), Value: []byte("v")}}}
	if n := ingest.RecordAllocs(t, m, e.topic, r, 2000); n > 0 {
		t.Errorf("adding a framed record allocates %v times per record, want 0", n)
	}
}
