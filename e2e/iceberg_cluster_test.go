//go:build unix

package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	icetable "github.com/apache/iceberg-go/table"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tributary-io/tributary/ingest"
	"github.com/tributary-io/tributary/schema/protobuf"
	"github.com/tributary-io/tributary/schema/wire"
	"github.com/tributary-io/tributary/topicconfig"
)

// TestIcebergCluster is the round trip and exactly once on Postgres and
// S3: three broker processes on one Postgres database and one versitygw
// bucket, each serving the built-in registry and catalog (on the shared
// store, its warehouse in the bucket). Protobuf orders stream into a
// topic committing every 500ms; the broker holding the table's lease is
// killed with SIGKILL mid-stream, another takes the lease over when it
// expires, and the killed one comes back. Throughout, at most one broker
// says it is the table's committer. At the end the table, at an s3://
// location, loads from every broker's catalog as the same table, and read
// back with iceberg-go it holds every record of the log once, each row
// matching its record column by column (three values that do not decode
// kept as __raw__ with __err__ saying why).
func TestIcebergCluster(t *testing.T) {
	const (
		topic      = "orders"
		partitions = 3
		lease      = "iceberg/local/shop.orders"
	)
	ident := icetable.Identifier{"shop", "orders"}
	c := newCluster(t, clusterOpts{Brokers: 3})
	var bs []*icebergBroker
	for range 3 {
		b := addIcebergBroker(t, c)
		b.start(t)
		bs = append(bs, b)
	}
	c.waitBrokers(t, 10*time.Second)
	id, md := registerOrder(t, bs[0].Registry, "orders-value", icebergOrderProto)
	createTopicWith(t, bs[1].KafkaAddr, topic, partitions, map[string]string{
		topicconfig.ArchiveKind: "ICEBERG", topicconfig.ArchiveTable: "shop.orders", topicconfig.CommitFreqMs: "500",
	})

	watch := watchCommitters(bs, 100*time.Millisecond)
	ctx := ctxTimeout(t, 3*time.Minute)
	cl := orderProducer(t, c.seeds(), topic)
	bad := []*kgo.Record{ // values that land as __raw__ and __err__ (orders-value has a schema)
		{Value: append(wire.Append(nil, id, protobuf.IndexesOf(md)), 0xff, 0xff, 0xff)}, // truncated varint
		{Value: wire.Append(nil, 99999, []int{0})},                                      // unknown schema id
		{Value: []byte("plain text, no envelope")},
	}
	for i, r := range bad {
		r.Partition = int32(i % partitions)
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatalf("produce: %v", err)
		}
	}
	acks := newIcebergAcks()
	stop := make(chan struct{})
	sent := produceOrders(ctx, cl, acks, topic, id, md, 0, 40000, partitions, 3*time.Millisecond, stop)
	acks.waitAcked(t, 300, 30*time.Second)

	holderAddr := waitIcebergLease(t, c, lease, "", 30*time.Second)
	var victim *icebergBroker
	for _, b := range bs {
		if b.KafkaAddr == holderAddr {
			victim = b
		}
	}
	if victim == nil {
		t.Fatalf("lease %s held by %s, not one of the brokers", lease, holderAddr)
	}
	waitSnapshots(t, victim.Catalog, ident, 0, 30*time.Second)
	victim.kill9(t)
	killed := time.Now()
	newHolder := waitIcebergLease(t, c, lease, holderAddr, 40*time.Second)
	moved := time.Since(killed)
	other := bs[(victim.Index+1)%len(bs)]
	snaps := len(loadTable(t, other.Catalog, ident).Metadata().Snapshots())
	waitSnapshots(t, other.Catalog, ident, snaps, 20*time.Second) // the new committer commits
	victim.restart(t)
	acks.waitAcked(t, acks.numAcked()+500, 30*time.Second)

	close(stop)
	n := <-sent
	acks.wait(t, 60*time.Second)
	acked, failed := acks.snapshot()
	if len(failed) > 0 || len(acked) != n {
		t.Fatalf("%d sent, %d acknowledged, %d failed (%v)", n, len(acked), len(failed), firstErr(failed))
	}
	hwm := endOffsets(t, ctx, newAdmin(t, other.KafkaAddr), topic)
	waitTableOffsets(t, other.Catalog, ident, hwm, 40*time.Second)
	holders, overlaps := watch.stop()
	if overlaps > 0 {
		t.Errorf("%d samples of /-/tables had more than one broker holding the table's lease", overlaps)
	}

	// One table, in the bucket, whichever broker's catalog is asked. The
	// table's maintenance may commit between two loads (it checks every
	// 2s), so the brokers are asked again until one round agrees.
	var disagree []string
	var location string
	for round := 0; round < 20; round++ {
		disagree, location = disagree[:0], ""
		for _, b := range bs {
			tbl := loadTable(t, b.Catalog, ident)
			if tbl == nil {
				t.Fatalf("broker %d's catalog does not load the table", b.Index)
			}
			if !strings.HasPrefix(tbl.Location(), "s3://"+c.Bucket+"/") {
				t.Fatalf("broker %d: table at %s, want s3://%s/…", b.Index, tbl.Location(), c.Bucket)
			}
			if location == "" {
				location = tbl.MetadataLocation()
			}
			if tbl.MetadataLocation() != location {
				disagree = append(disagree, fmt.Sprintf("broker %d: metadata %s, broker %d: %s", b.Index, tbl.MetadataLocation(), bs[0].Index, location))
			}
		}
		if len(disagree) == 0 {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if len(disagree) > 0 {
		t.Errorf("the brokers' catalogs never agreed on the table's metadata in 20 rounds: %v", disagree)
	}
	reader := bs[2]
	rows := checkExactlyOnce(t, scanOrderRows(t, reader.Catalog, ident), acked, hwm)
	full := scanTable(t, reader.Catalog, ident)
	for _, seq := range sortedKeys(acked) {
		r := acked[seq]
		row := full[fmt.Sprint(r.Partition, "/", r.Offset)]
		if row == nil {
			continue // reported by checkExactlyOnce
		}
		for _, d := range matchValue("val", expectMessage(richOrder(md, seq).ProtoReflect()), row["val"]) {
			t.Errorf("record %d: %s", seq, d)
		}
		if k := row["kafka"].(map[string]any); k["event_timestamp"] != r.Timestamp.UnixMicro() {
			t.Errorf("record %d: event_timestamp %v, want %v", seq, k["event_timestamp"], r.Timestamp.UnixMicro())
		}
	}
	for i, r := range bad {
		row := full[fmt.Sprint(r.Partition, "/", r.Offset)]
		if row == nil {
			continue // reported by checkExactlyOnce
		}
		val := row["val"].(map[string]any)
		if val["__raw__"] != base64.StdEncoding.EncodeToString(r.Value) || val["__err__"] == nil || val["id"] != nil {
			t.Errorf("bad record %d: __raw__ %v __err__ %v id %v", i, val["__raw__"], val["__err__"], val["id"])
		}
	}
	t.Logf("%d records (and %d bad ones), %d rows, none twice, read from %s; committers seen %v; lease moved %v after the kill (to %s)",
		n, len(bad), rows, location, holders, moved.Round(100*time.Millisecond), newHolder)
}

// waitIcebergLease waits until a broker other than not holds the named
// lease (by the Postgres tables) and returns its Kafka address.
func waitIcebergLease(t *testing.T, c *testCluster, name, not string, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		if addr, _ := c.leaseHolder(t, name); addr != "" && addr != not {
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("lease %s: no holder other than %q after %v", name, not, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// committerWatch samples every broker's /-/tables and counts the samples
// in which more than one claims the table's lease.
type committerWatch struct {
	done     chan struct{}
	wg       sync.WaitGroup
	holders  map[string]bool
	overlaps int
}

func watchCommitters(bs []*icebergBroker, every time.Duration) *committerWatch {
	w := &committerWatch{done: make(chan struct{}), holders: map[string]bool{}}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		tk := time.NewTicker(every)
		defer tk.Stop()
		for {
			select {
			case <-w.done:
				return
			case <-tk.C:
			}
			holding := 0
			for _, b := range bs {
				st, err := fetchTables(b.AdminAddr)
				if err == nil && len(st) == 1 && st[0].HoldsLease {
					holding++
					w.holders[fmt.Sprint("broker ", b.Index)] = true
				}
			}
			if holding > 1 {
				w.overlaps++
			}
		}
	}()
	return w
}

// stop ends the sampling and says which brokers held the lease and in how
// many samples more than one did.
func (w *committerWatch) stop() (map[string]bool, int) {
	close(w.done)
	w.wg.Wait()
	return w.holders, w.overlaps
}

// fetchTables is tablesStatus for use off the test goroutine: a broker
// that does not answer is an error, not a failure.
func fetchTables(adminAddr string) ([]ingest.TableStatus, error) {
	cl := http.Client{Timeout: time.Second}
	rsp, err := cl.Get("http://" + adminAddr + "/-/tables")
	if err != nil {
		return nil, err
	}
	defer rsp.Body.Close()
	var out struct {
		Tables []ingest.TableStatus `json:"tables"`
	}
	err = json.NewDecoder(rsp.Body).Decode(&out)
	return out.Tables, err
}
