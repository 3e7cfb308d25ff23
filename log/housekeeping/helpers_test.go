package housekeeping

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/metastore/boltstore"
	"github.com/tributary-io/tributary/internal/objstore"
	"github.com/tributary-io/tributary/log/intake"
	"github.com/tributary-io/tributary/log/read"
	"github.com/tributary-io/tributary/log/recordbatch"
)

// clock is a settable clock for Options.Now. It starts at the real time,
// since intake object keys carry the writer's real clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a real metadata store (bbolt), a real object store (a local
// directory) behind a Faulty wrapper that only the housekeeper uses, the
// real write path, and a settable clock.
type env struct {
	meta   metastore.Store
	local  *objstore.Local
	faulty *objstore.Faulty
	w      *intake.Writer
	clock  *clock
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	meta, err := boltstore.Open(filepath.Join(dir, "meta.db"), boltstore.Options{})
	if err != nil {
		t.Fatalf("open boltstore: %v", err)
	}
	local, err := objstore.NewLocal(filepath.Join(dir, "objects"))
	if err != nil {
		t.Fatalf("open local object store: %v", err)
	}
	w := intake.NewWriter(intake.Config{Linger: time.Millisecond, NodeID: 7}, local, meta, intake.Hooks{}, quietLog())
	t.Cleanup(func() {
		w.Close()
		meta.Close()
		local.Close()
	})
	return &env{meta: meta, local: local, faulty: objstore.NewFaulty(local), w: w, clock: newClock()}
}

func quietLog() *slog.Logger {
	if os.Getenv("TRIBUTARY_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// testConfig is the default housekeeping config.
func testConfig() config.Housekeeping { return config.Default().Housekeeping }

// housekeeper builds a Housekeeper on e's faulty store and clock with cfg.
func (e *env) housekeeper(t *testing.T, cfg config.Housekeeping) *Housekeeper {
	t.Helper()
	h, err := New(Options{Config: cfg, Logger: quietLog(), Now: e.clock.Now}, e.meta, e.faulty)
	if err != nil {
		t.Fatalf("new housekeeper: %v", err)
	}
	return h
}

// topic creates a topic with configs given as key, value pairs.
func (e *env) topic(t *testing.T, name string, partitions int32, kv ...string) metastore.Topic {
	t.Helper()
	cfg := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		cfg[kv[i]] = kv[i+1]
	}
	top, err := e.meta.CreateTopic(t.Context(), metastore.TopicSpec{Name: name, Partitions: partitions, Configs: cfg})
	if err != nil {
		t.Fatalf("create topic %s: %v", name, err)
	}
	return top
}

func pkOf(top metastore.Topic, p int32) metastore.PartitionKey {
	return metastore.PartitionKey{Topic: top.ID, Partition: p}
}

// makeBatch builds a v2 record batch as a producer does: n records with
// timestamp ts (Unix ms) and values of valueSize bytes tagged with tag.
func makeBatch(t *testing.T, n int, ts int64, valueSize int, tag string) []byte {
	t.Helper()
	var recs []byte
	for i := range n {
		v := bytes.Repeat([]byte(fmt.Sprintf("%s-%d;", tag, i)), valueSize/4+1)[:valueSize]
		r := kmsg.Record{OffsetDelta: int32(i), Key: []byte(fmt.Sprintf("%s-%d", tag, i)), Value: v}
		r.Length = int32(len(r.AppendTo(nil)) - 1) // body size: a zero length prefix is one byte
		recs = r.AppendTo(recs)
	}
	rb := kmsg.RecordBatch{
		PartitionLeaderEpoch: -1, Magic: 2, LastOffsetDelta: int32(n - 1),
		FirstTimestamp: ts, MaxTimestamp: ts, ProducerID: -1, ProducerEpoch: -1, FirstSequence: -1,
		NumRecords: int32(n), Records: recs,
	}
	rb.Length = int32(49 + len(recs)) // the v2 header after the length field is 49 bytes
	b := rb.AppendTo(nil)
	binary.BigEndian.PutUint32(b[17:], crc32.Checksum(b[21:], crc32.MakeTable(crc32.Castagnoli)))
	if _, err := recordbatch.Validate(b, recordbatch.ValidateOptions{}); err != nil {
		t.Fatalf("test batch does not validate: %v", err)
	}
	return b
}

// part is one batch of n records at ts for pk.
func part(t *testing.T, pk metastore.PartitionKey, n int, ts int64, valueSize int, tag string) intake.Part {
	t.Helper()
	return intake.Part{
		Partition: pk, Data: makeBatch(t, n, ts, valueSize, tag), NumRecords: int32(n),
		MaxTimestamp: ts, ProducerID: metastore.NoProducerID,
	}
}

// produce writes parts as one intake object through the real write path
// and fails the test unless all commit.
func (e *env) produce(t *testing.T, parts ...intake.Part) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	p, err := e.w.Submit(ctx, parts)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	for i, r := range p.Wait(ctx) {
		if r.Err != nil {
			t.Fatalf("produce part %d: %v", i, r.Err)
		}
	}
}

// produceEach writes n batches to pk, one intake object each (with a batch
// for each of others in the same object), records of timestamp ts.
func (e *env) produceEach(t *testing.T, pk metastore.PartitionKey, n int, ts int64, others ...metastore.PartitionKey) {
	t.Helper()
	for i := range n {
		parts := []intake.Part{part(t, pk, 3, ts, 100, fmt.Sprintf("p%d-b%d", pk.Partition, i))}
		for _, o := range others {
			parts = append(parts, part(t, o, 2, ts, 80, fmt.Sprintf("o%d-b%d", o.Partition, i)))
		}
		e.produce(t, parts...)
	}
}

// index returns every index entry of pk and its state.
func (e *env) index(t *testing.T, pk metastore.PartitionKey) ([]metastore.IndexEntry, metastore.PartitionState) {
	t.Helper()
	entries, st, err := e.meta.ReadIndex(t.Context(), pk, 0, 0)
	if err != nil {
		t.Fatalf("read index: %v", err)
	}
	return entries, st
}

// read returns what a consumer gets from offset on, through the real read
// path with an empty cache (so every byte comes from the object store).
func (e *env) read(t *testing.T, pk metastore.PartitionKey, offset int64) ([]byte, error) {
	t.Helper()
	r := read.NewReader(read.Config{}, e.meta, e.local)
	res, err := r.Read(t.Context(), pk, offset, 64<<20, false)
	return res.Records, err
}

func (e *env) mustRead(t *testing.T, pk metastore.PartitionKey, offset int64) []byte {
	t.Helper()
	b, err := e.read(t, pk, offset)
	if err != nil {
		t.Fatalf("read %v from %d: %v", pk, offset, err)
	}
	return b
}

// decode parses record batches as franz-go's consumer does (CRCs checked)
// and returns the records' offsets and values.
func decode(t *testing.T, data []byte) ([]int64, []string) {
	t.Helper()
	rp := kmsg.FetchResponseTopicPartition{RecordBatches: data, HighWatermark: 1 << 62}
	fp, _ := kgo.ProcessFetchPartition(kgo.ProcessFetchPartitionOpts{Topic: "t"}, &rp, kgo.DefaultDecompressor(), nil)
	if fp.Err != nil {
		t.Fatalf("franz-go decode: %v", fp.Err)
	}
	var offs []int64
	var vals []string
	for _, r := range fp.Records {
		offs = append(offs, r.Offset)
		vals = append(vals, string(r.Value))
	}
	return offs, vals
}

// keys lists the object keys under prefix in the local store.
func (e *env) keys(t *testing.T, prefix string) []string {
	t.Helper()
	infos, err := e.local.List(t.Context(), prefix)
	if err != nil {
		t.Fatalf("list %s: %v", prefix, err)
	}
	var out []string
	for _, o := range infos {
		out = append(out, o.Key)
	}
	return out
}

// age sets an object's modification time to d before the clock.
func (e *env) age(t *testing.T, key string, d time.Duration) {
	t.Helper()
	when := e.clock.Now().Add(-d)
	if err := os.Chtimes(filepath.Join(e.local.Root(), filepath.FromSlash(key)), when, when); err != nil {
		t.Fatalf("age %s: %v", key, err)
	}
}

func (e *env) exists(t *testing.T, key string) bool {
	t.Helper()
	for _, k := range e.keys(t, key) {
		if k == key {
			return true
		}
	}
	return false
}

// runOnce runs a pass and fails the test on an error.
func runOnce(t *testing.T, h *Housekeeper) Report {
	t.Helper()
	rep, err := h.RunOnce(t.Context())
	if err != nil {
		t.Fatalf("pass: %v (report %+v)", err, rep)
	}
	return rep
}

func objectKeys(entries []metastore.IndexEntry) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e.ObjectKey)
	}
	return out
}

func countPrefix(keys []string, prefix string) int {
	n := 0
	for _, k := range keys {
		if strings.HasPrefix(k, prefix) {
			n++
		}
	}
	return n
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
