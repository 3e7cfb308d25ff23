package catalog

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/iceberg-go/table"
)

// Hadoop's local file system, which Spark (and Trino, Flink) write
// file:// tables with, keeps a checksum ".<name>.crc" beside every file it
// writes. A purge by another client (iceberg-go, PyIceberg, curl) of a
// table Spark wrote left them all behind, and with them every directory
// of the table: they are no objects (keys cannot start with a dot, and
// the local store's List does not show them).
func TestPurgeRemovesHadoopChecksums(t *testing.T) {
	f := newFixture(t, nil, Options{})
	ctx := context.Background()
	cat := f.client(t)
	id := table.Identifier{"spark", "made"}
	tbl := createEvents(t, cat, id)
	tbl, err := appendRows(t, tbl, eventRows(0, 4))
	if err != nil {
		t.Fatal(err)
	}
	dir := strings.TrimPrefix(tbl.Location(), "file://")
	// An orphan (a write whose commit failed), as Hadoop leaves it.
	if err := os.WriteFile(filepath.Join(dir, "data", "orphan.parquet"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	files := filesUnder(t, tbl.Location())
	for _, p := range files {
		crc := filepath.Join(filepath.Dir(p), "."+filepath.Base(p)+".crc")
		if err := os.WriteFile(crc, []byte("crc"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := cat.PurgeTable(ctx, id); err != nil {
		t.Fatal(err)
	}
	if left := filesUnder(t, tbl.Location()); len(left) != 0 {
		t.Errorf("purge of %d files (and their checksums) left %v", len(files), left)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the table's directory is still there: %v", err)
	}
}
