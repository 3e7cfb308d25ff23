//go:build unix

package e2e

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/tributary-io/tributary/ingest"
	"github.com/tributary-io/tributary/node"
)

// TestBackupRestoreEmbedded is docs/operations.md's backup and restore of
// a single node on the embedded store: stop the node, copy its data_dir
// (meta.db, objects/, warehouse/), remove the original, and start nodes on
// copies of the backup. Restored at another path, every record is read
// back at its offset, the group's committed offsets and the registry's
// schema are there, and the Iceberg table is refused (its metadata names
// the old path). Restored at the original path the table's committed
// offsets are there too, and the node takes new writes after the old.
func TestBackupRestoreEmbedded(t *testing.T) {
	orig := t.TempDir()
	cfg := testConfig(t, orig)
	n := startNode(t, cfg, node.Hooks{})
	ctx := ctxTimeout(t, 2*time.Minute)
	createTopics(t, newAdmin(t, n.KafkaAddr()), map[string]map[string]*string{
		"ledger": nil,
		"events": {"bufstream.archive.kind": ptr("ICEBERG"), "bufstream.archive.iceberg.table": ptr("ops.events"),
			"bufstream.export.iceberg.commit.freq.ms": ptr("100")},
	})
	p := newClient(t, n.KafkaAddr(), kgo.ProducerLinger(0))
	const records = 50
	for i := range records {
		for _, topic := range []string{"ledger", "events"} {
			if _, err := produceOne(ctx, p, &kgo.Record{Topic: topic, Value: fmt.Appendf(nil, "%s-%03d", topic, i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	reg, err := sr.NewClient(sr.URLs("http://" + n.RegistryAddr()))
	if err != nil {
		t.Fatal(err)
	}
	ss, err := reg.CreateSchema(ctx, "ledger-value", sr.Schema{Schema: `syntax = "proto3"; message Entry { int64 cents = 1; }`, Type: sr.TypeProtobuf})
	if err != nil {
		t.Fatal(err)
	}
	adm := newAdmin(t, n.KafkaAddr())
	var offs kadm.Offsets
	offs.Add(kadm.Offset{Topic: "ledger", Partition: 0, At: 20, LeaderEpoch: -1})
	if rs, err := adm.CommitOffsets(ctx, "auditors", offs); err != nil || rs.Error() != nil {
		t.Fatalf("commit offsets: %v %v", err, rs.Error())
	}
	waitStatus(t, n.AdminAddr(), "every event in the table", 30*time.Second, func(s ingest.TableStatus) bool { return s.Committed[0] == records })
	stopNode(t, n)

	backup := filepath.Join(t.TempDir(), "backup")
	copyTree(t, orig, backup)
	if err := os.RemoveAll(orig); err != nil {
		t.Fatal(err)
	}

	// At another path: the log, groups and registry are whole; the
	// Iceberg tables are not, since Iceberg metadata holds absolute
	// locations (docs/operations.md says to restore at the same path): the
	// table's metadata points into the old path, which is outside the
	// warehouse (refused) or, with catalog.allowed_locations' default of
	// the whole local file system, gone (not found).
	elsewhere := filepath.Join(t.TempDir(), "elsewhere")
	copyTree(t, backup, elsewhere)
	n = startNode(t, testConfig(t, elsewhere), node.Hooks{})
	checkRestored(t, n, records, ss.ID)
	waitStatus(t, n.AdminAddr(), "the table refused: outside the warehouse, or its metadata not found", 30*time.Second, func(s ingest.TableStatus) bool {
		return strings.Contains(s.LastError, "outside the warehouse") || strings.Contains(s.LastError, "object not found")
	})
	stopNode(t, n)

	// At the original path (a new machine, or the old one wiped): all of
	// it, the table included, and new writes go on after the old ones.
	copyTree(t, backup, orig)
	n = startNode(t, testConfig(t, orig), node.Hooks{})
	checkRestored(t, n, records, ss.ID)
	waitStatus(t, n.AdminAddr(), "the table's offsets restored", 30*time.Second, func(s ingest.TableStatus) bool {
		return s.Committed[0] == records && s.LastError == ""
	})
	r, err := produceOne(ctx, newClient(t, n.KafkaAddr(), kgo.ProducerLinger(0)), &kgo.Record{Topic: "ledger", Value: []byte("after")})
	if err != nil || r.Offset != records {
		t.Fatalf("produce after restore: offset %v, %v; want %d", offsetOf(r), err, records)
	}
}

// checkRestored checks a restored node's ledger records, the auditors
// group's offset and the ledger-value schema.
func checkRestored(t *testing.T, n *node.Node, records, schemaID int) {
	t.Helper()
	ctx := ctxTimeout(t, 30*time.Second)
	got := readEnforced(t, n.KafkaAddr(), "ledger")
	if len(got) != records {
		t.Fatalf("restored ledger has %d records, want %d", len(got), records)
	}
	for i, r := range got {
		if want := fmt.Sprintf("ledger-%03d", i); r.Offset != int64(i) || string(r.Value) != want {
			t.Fatalf("restored record %d: offset %d value %q, want %d %q", i, r.Offset, r.Value, i, want)
		}
	}
	fo, err := newAdmin(t, n.KafkaAddr()).FetchOffsets(ctx, "auditors")
	if o, ok := fo.Lookup("ledger", 0); err != nil || !ok || o.At != 20 {
		t.Errorf("restored group offset: %+v %v %v, want 20", o, ok, err)
	}
	reg, err := sr.NewClient(sr.URLs("http://" + n.RegistryAddr()))
	if err != nil {
		t.Fatal(err)
	}
	if s, err := reg.SchemaByVersion(ctx, "ledger-value", 1); err != nil || s.ID != schemaID {
		t.Errorf("restored schema: %+v %v, want id %d", s, err, schemaID)
	}
}

func offsetOf(r *kgo.Record) int64 {
	if r == nil {
		return -1
	}
	return r.Offset
}

// copyTree copies the regular files and directories under src to dst, as
// `cp -a` of a stopped node's data_dir does.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(target, info.Mode().Perm()|0o700)
		}
		return copyFile(path, target, info.Mode().Perm())
	})
	if err != nil {
		t.Fatalf("copy %s to %s: %v", src, dst, err)
	}
}

func copyFile(src, dst string, mode fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
