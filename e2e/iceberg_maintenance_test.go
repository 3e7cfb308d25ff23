//go:build unix

package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	icetable "github.com/apache/iceberg-go/table"

	"github.com/tributary-io/tributary/maintenance"
	"github.com/tributary-io/tributary/node"
)

// maintenanceStatus reads the maintenance part of /-/tables for table.
func maintenanceStatus(t *testing.T, adminAddr, table string) *maintenance.TableStatus {
	t.Helper()
	rsp, err := http.Get("http://" + adminAddr + "/-/tables")
	if err != nil {
		t.Fatal(err)
	}
	defer rsp.Body.Close()
	var out struct {
		Tables []struct {
			Table       string                   `json:"table"`
			Maintenance *maintenance.TableStatus `json:"maintenance"`
		} `json:"tables"`
	}
	if err := json.NewDecoder(rsp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	for _, tb := range out.Tables {
		if tb.Table == table {
			return tb.Maintenance
		}
	}
	return nil
}

// TestIcebergMaintenanceInServe: `serve` maintains the tables it writes
// with no job to set up. A topic commits every 300ms while a producer
// sends as fast as the pace allows; maintenance, checking every second
// with a threshold of 15 small files, compacts the table several times
// while ingest keeps committing. At the end the table holds every record
// of the log exactly once, its offsets reached the log's end, and
// /-/tables and /metrics show the table's files, snapshots and what the
// last maintenance did.
func TestIcebergMaintenanceInServe(t *testing.T) {
	const (
		topic      = "orders"
		table      = "shop.orders"
		partitions = 3
	)
	ident := icetable.Identifier{"shop", "orders"}
	cfg := testConfig(t, t.TempDir())
	cfg.IcebergMaintenance.CheckInterval = time.Second
	cfg.IcebergMaintenance.SmallFileThreshold = 15
	n := startNode(t, cfg, node.Hooks{})
	id, md := registerOrder(t, n.RegistryAddr(), topic+"-value", icebergOrderProto)
	icebergTopic(t, n.KafkaAddr(), topic, table, partitions, 300*time.Millisecond)

	ctx := ctxTimeout(t, 2*time.Minute)
	cl := orderProducer(t, []string{n.KafkaAddr()}, topic)
	acks := newIcebergAcks()
	stop := make(chan struct{})
	sent := produceOrders(ctx, cl, acks, topic, id, md, 0, 20000, partitions, time.Millisecond, stop)

	// Wait for maintenance to have rewritten files at least three times
	// while the producer runs.
	var st *maintenance.TableStatus
	rewrites, lastRuns := 0, int64(0)
	for deadline := time.Now().Add(90 * time.Second); rewrites < 3 && time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		st = maintenanceStatus(t, n.AdminAddr(), table)
		if st != nil && st.Runs > lastRuns {
			lastRuns = st.Runs
			if st.LastRun != nil && st.LastRun.FilesRewritten > 0 {
				rewrites++
				t.Logf("maintenance run %d: %s", st.Runs, st.LastRun)
			}
		}
	}
	close(stop)
	nSent := <-sent
	if rewrites < 3 {
		t.Fatalf("maintenance rewrote files %d times in 90s (status %+v)", rewrites, st)
	}
	if st.LastRun.FilesWritten*10 > st.LastRun.FilesRewritten {
		t.Errorf("last run rewrote %d files into %d: want at least 10x fewer", st.LastRun.FilesRewritten, st.LastRun.FilesWritten)
	}
	acks.wait(t, 60*time.Second)
	acked, failed := acks.snapshot()
	if len(failed) > 0 || len(acked) != nSent {
		t.Fatalf("%d sent, %d acknowledged, %d failed", nSent, len(acked), len(failed))
	}
	hwm := endOffsets(t, ctx, newAdmin(t, n.KafkaAddr()), topic)
	waitTableOffsets(t, n.CatalogAddr(), ident, hwm, 30*time.Second)
	rows := checkExactlyOnce(t, scanOrderRows(t, n.CatalogAddr(), ident), acked, hwm)

	st = maintenanceStatus(t, n.AdminAddr(), table)
	if st == nil || st.DataFiles == 0 || st.MeanFileBytes == 0 || st.Snapshots == 0 || st.LastRun == nil {
		t.Errorf("/-/tables maintenance: %+v", st)
	}
	rsp, err := http.Get("http://" + n.AdminAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(rsp.Body)
	rsp.Body.Close()
	for _, m := range []string{
		`tributary_iceberg_table_data_files{catalog="local",table="shop.orders"}`,
		`tributary_iceberg_table_mean_file_bytes{catalog="local",table="shop.orders"}`,
		`tributary_iceberg_table_snapshots{catalog="local",table="shop.orders"}`,
		`tributary_iceberg_maintenance_last_files_rewritten{catalog="local",table="shop.orders"}`,
	} {
		if !strings.Contains(string(body), m) {
			t.Errorf("/metrics has no %s", m)
		}
	}
	t.Logf("%d records, %d rows once each; %d maintenance runs by serve while ingest committed every 300ms; now %d files (mean %d B), %d snapshots",
		nSent, rows, st.Runs, st.DataFiles, st.MeanFileBytes, st.Snapshots)
}
