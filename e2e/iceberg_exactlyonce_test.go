//go:build unix

package e2e

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	icetable "github.com/apache/iceberg-go/table"
)

// TestIcebergExactlyOnceKill9 runs `tributary serve` as a child process
// with an Iceberg topic committing every 500ms while an idempotent
// franz-go producer (acks=all, kept across the crashes) sends Protobuf
// orders, and kills the broker with SIGKILL four times, restarting it on
// the same data directory each time: once at a random moment, once the
// instant ingest's next Parquet data file appears (its commit not yet
// sent, or under way), once the instant the catalog writes a new
// metadata file (the commit being applied, its answer not yet back), and
// once more at random. At the end every record is acknowledged, and the
// table read back with iceberg-go holds each record of the log exactly
// once: as many rows as records, no (partition, offset) twice, every
// acknowledged record at its offset with its key and decoded value. The
// Parquet files of commits the kills cut short are in the warehouse but
// not in the table.
func TestIcebergExactlyOnceKill9(t *testing.T) {
	const (
		topic      = "orders"
		partitions = 3
		pace       = 2 * time.Millisecond
		maxRecords = 30000 // bounds a run gone wrong (60s at the pace)
	)
	ident := icetable.Identifier{"shop", "orders"}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 0))
	t.Logf("seed %d", seed)

	bin := buildTributary(t)
	dir, a := t.TempDir(), newIcebergAddrs(t)
	warehouse := filepath.Join(dir, "warehouse")
	p := startIcebergProc(t, bin, dir, a)
	id, md := registerOrder(t, a.Registry, "orders-value", icebergOrderProto)
	icebergTopic(t, a.Kafka, topic, "shop.orders", partitions, 500*time.Millisecond)

	ctx := ctxTimeout(t, 2*time.Minute)
	cl := orderProducer(t, []string{a.Kafka}, topic)
	acks := newIcebergAcks()
	stop := make(chan struct{})
	sent := produceOrders(ctx, cl, acks, topic, id, md, 0, maxRecords, partitions, pace, stop)
	acks.waitAcked(t, 200, 20*time.Second)

	kills := []struct {
		name string
		at   func() string // blocks until the moment to kill; says what it saw
	}{
		{"random", func() string { return randomPause(rng, 700*time.Millisecond) }},
		{"data file written", func() string { return waitNewFile(warehouse, ".parquet", 10*time.Second) }},
		{"metadata file written", func() string { return waitNewFile(warehouse, ".metadata.json", 10*time.Second) }},
		{"random", func() string { return randomPause(rng, 700*time.Millisecond) }},
	}
	snaps := 0
	atKill := make([]map[string]bool, len(kills)) // the data files on disk once each kill is done
	for i, k := range kills {
		// The pipeline runs and has committed since the (re)start.
		snaps = waitSnapshots(t, a.Catalog, ident, snaps, 20*time.Second)
		saw := k.at()
		if saw == "" {
			t.Fatalf("kill %d (%s): the moment never came", i, k.name)
		}
		ackedAt := acks.numAcked()
		if err := p.cmd.Process.Kill(); err != nil {
			t.Fatalf("kill: %v", err)
		}
		p.waitExit(t, 10*time.Second)
		atKill[i] = dataFiles(t, warehouse)
		t.Logf("kill %d (%s: %s) with %d acknowledged", i, k.name, filepath.Base(saw), ackedAt)
		p = startIcebergProc(t, bin, dir, a)
	}
	acks.waitAcked(t, acks.numAcked()+500, 30*time.Second)
	close(stop)
	n := <-sent
	acks.wait(t, 60*time.Second)
	acked, failed := acks.snapshot()
	if len(failed) > 0 || len(acked) != n {
		t.Fatalf("%d sent, %d acknowledged, %d failed (%v)", n, len(acked), len(failed), firstErr(failed))
	}
	if n >= maxRecords {
		t.Fatalf("the producer ran to its cap of %d records: the kills took too long", maxRecords)
	}

	hwm := endOffsets(t, ctx, newAdmin(t, a.Kafka), topic)
	waitTableOffsets(t, a.Catalog, ident, hwm, 30*time.Second)
	rows := checkExactlyOnce(t, scanOrderRows(t, a.Catalog, ident), acked, hwm)

	tbl := loadTable(t, a.Catalog, ident)
	inTable, onDisk := tableFiles(t, tbl), dataFiles(t, warehouse)
	orphans, cut := 0, make([]int, len(kills))
	for f := range onDisk {
		if inTable[f] {
			continue
		}
		orphans++
		for i := range kills {
			if atKill[i][f] { // written before kill i, after kill i-1
				cut[i]++
				break
			}
		}
	}
	for f := range inTable {
		if !onDisk[f] {
			t.Errorf("table file %s is not in the warehouse", f)
		}
	}
	if orphans == 0 {
		t.Errorf("no Parquet file outside the table: no kill landed between a data file and its commit")
	}
	st := tablesStatus(t, p.AdminAddr)
	if len(st) != 1 || !st[0].HoldsLease || st[0].LagRecords != 0 || fmt.Sprint(st[0].Committed) != fmt.Sprint(hwm) {
		t.Errorf("/-/tables after the run: %+v, want the log's end %v and no lag", st, hwm)
	}
	t.Logf("%d kills: %d records acknowledged, %d rows in %d snapshots, no duplicate; %d data files of cut commits left outside the table (by kill: %v)",
		len(kills), n, rows, len(tbl.Metadata().Snapshots()), orphans, cut)
}

// randomPause sleeps up to max and says for how long.
func randomPause(rng *rand.Rand, max time.Duration) string {
	d := time.Duration(rng.Int64N(int64(max)))
	time.Sleep(d)
	return fmt.Sprint("after ", d.Round(time.Millisecond))
}
