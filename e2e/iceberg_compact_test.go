//go:build unix

package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	icetable "github.com/apache/iceberg-go/table"
)

// startIcebergProcConfig is startIcebergProc with a config file.
func startIcebergProcConfig(t *testing.T, bin, dataDir, configFile string, a icebergAddrs) *procBroker {
	t.Helper()
	p := &procBroker{KafkaAddr: a.Kafka, AdminAddr: freeAddr(t), out: &syncBuffer{}, exited: make(chan struct{})}
	args := append([]string{"serve", "--config", configFile, "--data-dir", dataDir, "--kafka-addr", a.Kafka, "--admin-addr", p.AdminAddr}, a.flags()...)
	runProc(t, p, exec.Command(bin, args...))
	p.waitReady(t, 30*time.Second)
	return p
}

// runCompact runs `tributary compact args…` to the end and returns its
// output and error.
func runCompact(t *testing.T, bin string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, append([]string{"compact"}, args...)...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// TestCompactKill9: `tributary compact` against a running broker's
// built-in catalog, killed with SIGKILL the instant it writes its first
// compacted Parquet file (mid-rewrite: nothing is committed before every
// group is written), leaves the table valid and readable with every row
// once; the files it wrote are outside the table. A rerun with
// --remove-orphans finishes the compaction and deletes them, and a stray
// Hadoop .crc file, leaving no file in the table's tree that no metadata
// references. A dry run changes nothing; a table that does not exist
// makes the command exit non-zero.
func TestCompactKill9(t *testing.T) {
	const (
		topic      = "orders"
		partitions = 3
	)
	ident := icetable.Identifier{"shop", "orders"}
	bin := buildTributary(t)
	dir, a := t.TempDir(), newIcebergAddrs(t)
	conf := filepath.Join(t.TempDir(), "tributary.yaml")
	if err := os.WriteFile(conf, []byte("version: v1beta1\niceberg_maintenance:\n  disabled: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	startIcebergProcConfig(t, bin, dir, conf, a)
	id, md := registerOrder(t, a.Registry, "orders-value", icebergOrderProto)
	icebergTopic(t, a.Kafka, topic, "shop.orders", partitions, 300*time.Millisecond)

	ctx := ctxTimeout(t, 3*time.Minute)
	cl := orderProducer(t, []string{a.Kafka}, topic)
	acks := newIcebergAcks()
	stop := make(chan struct{})
	sent := produceOrders(ctx, cl, acks, topic, id, md, 0, 20000, partitions, 2*time.Millisecond, stop)
	waitSnapshots(t, a.Catalog, ident, 30, 60*time.Second)
	close(stop)
	n := <-sent
	acks.wait(t, 30*time.Second)
	acked, failed := acks.snapshot()
	if len(failed) > 0 || len(acked) != n {
		t.Fatalf("%d sent, %d acknowledged, %d failed", n, len(acked), len(failed))
	}
	hwm := endOffsets(t, ctx, newAdmin(t, a.Kafka), topic)
	waitTableOffsets(t, a.Catalog, ident, hwm, 30*time.Second)
	before := loadTable(t, a.Catalog, ident)
	filesBefore := len(tableFiles(t, before))
	catURL := "http://" + a.Catalog

	// A dry run prints the plan and changes nothing.
	out, err := runCompact(t, bin, "--catalog-url", catURL, "--table", "shop.orders", "--dry-run", "--target-file-size", "256KiB")
	if err != nil || !strings.Contains(out, "rewrite partition") {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	if cur := loadTable(t, a.Catalog, ident); cur.CurrentSnapshot().SnapshotID != before.CurrentSnapshot().SnapshotID {
		t.Fatal("the dry run changed the table")
	}
	// A table that is not there: non-zero exit.
	if out, err := runCompact(t, bin, "--catalog-url", catURL, "--table", "shop.nope"); err == nil {
		t.Fatalf("compact of a missing table exited 0:\n%s", out)
	}

	// Kill it the instant its first output file appears.
	warehouse := dir
	cmd := exec.Command(bin, "compact", "--catalog-url", catURL, "--table", "shop.orders", "--target-file-size", "256KiB")
	var cout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &cout, &cout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	saw := waitNewFile(warehouse, ".parquet", 30*time.Second)
	cmd.Process.Kill()
	cmd.Wait()
	if saw == "" {
		t.Fatalf("compact wrote no file:\n%s", cout.String())
	}
	after := loadTable(t, a.Catalog, ident)
	if after.CurrentSnapshot().SnapshotID != before.CurrentSnapshot().SnapshotID {
		t.Fatalf("the killed compaction committed (kill came too late to be mid-rewrite):\n%s", cout.String())
	}
	checkExactlyOnce(t, scanOrderRows(t, a.Catalog, ident), acked, hwm)
	inTable, onDisk := tableFiles(t, after), dataFiles(t, warehouse)
	var left []string
	for f := range onDisk {
		if !inTable[f] {
			left = append(left, f)
		}
	}
	if len(left) == 0 {
		t.Fatal("the killed compaction left no file behind: the orphan pass below proves nothing")
	}
	dataDir := path.Dir(strings.TrimPrefix(firstFile(t, after), "file://"))
	crc := filepath.Join(dataDir, ".stray.parquet.crc")
	if err := os.WriteFile(crc, []byte("crc"), 0o644); err != nil {
		t.Fatal(err)
	}

	// The rerun finishes the job and sweeps the leftovers.
	out, err = runCompact(t, bin, "--catalog-url", catURL, "--table", "shop.orders", "--target-file-size", "256KiB",
		"--remove-orphans", "--orphans-older-than", "0s", "--expire-older-than", "1ms")
	if err != nil || !strings.Contains(out, "summary: 1 tables") {
		t.Fatalf("rerun: %v\n%s", err, out)
	}
	t.Logf("rerun:\n%s", out)
	final := loadTable(t, a.Catalog, ident)
	if op := final.CurrentSnapshot().Summary.Operation; op != icetable.OpReplace {
		t.Fatalf("after the rerun the head is %s, want replace", op)
	}
	checkExactlyOnce(t, scanOrderRows(t, a.Catalog, ident), acked, hwm)
	inTable, onDisk = tableFiles(t, final), dataFiles(t, warehouse)
	if len(inTable)*4 > filesBefore {
		t.Errorf("%d files before, %d after: want at least 4x fewer at a 256KiB target", filesBefore, len(inTable))
	}
	for f := range onDisk {
		if !inTable[f] {
			t.Errorf("%s is on disk but not in the table after the orphan pass", f)
		}
	}
	if _, err := os.Stat(crc); !os.IsNotExist(err) {
		t.Errorf("the stray .crc file survived the orphan pass: %v", err)
	}
	for _, f := range left {
		if onDisk[f] {
			t.Errorf("leftover %s of the killed run survived", f)
		}
	}
	t.Logf("%d rows; files %d → %d; the killed run left %d files, all swept", len(acked), filesBefore, len(inTable), len(left))
}

// firstFile is the path of one data file of tbl.
func firstFile(t *testing.T, tbl *icetable.Table) string {
	t.Helper()
	tasks, err := tbl.Scan().PlanFiles(ctxTimeout(t, 30*time.Second))
	if err != nil || len(tasks) == 0 {
		t.Fatalf("plan files: %v (%d)", err, len(tasks))
	}
	return tasks[0].File.FilePath()
}
