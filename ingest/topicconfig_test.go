package ingest

import (
	"errors"
	"testing"
	"time"

	"github.com/tributary-io/tributary/topicconfig"
)

func TestArchiveOf(t *testing.T) {
	if _, ok, err := archiveOf(map[string]string{topicconfig.ArchiveTable: "shop.orders"}, time.Minute); ok || err != nil {
		t.Fatalf("a topic without kind ICEBERG: ok=%v err=%v", ok, err)
	}
	a, ok, err := archiveOf(map[string]string{topicconfig.ArchiveKind: "iceberg", topicconfig.ArchiveTable: "shop.orders"}, 7*time.Second)
	if !ok || err != nil || a.CommitInterval != 7*time.Second || a.Catalog != topicconfig.LocalCatalog || len(a.Ident) != 2 {
		t.Fatalf("defaults: %+v ok=%v err=%v", a, ok, err)
	}
	a, _, _ = archiveOf(map[string]string{topicconfig.ArchiveKind: "ICEBERG", topicconfig.ArchiveTable: "a.b", topicconfig.CommitFreqMs: "250"}, 7*time.Second)
	if a.CommitInterval != 250*time.Millisecond {
		t.Fatalf("commit interval %v, want the topic's 250ms", a.CommitInterval)
	}
	// Stored before validation existed: the pipeline reports it.
	_, ok, err = archiveOf(map[string]string{topicconfig.ArchiveKind: "ICEBERG", topicconfig.ArchiveTable: "not a table"}, time.Minute)
	if !ok || !errors.Is(err, ErrTopicConfig) || !errors.Is(err, topicconfig.ErrInvalid) ||
		err.Error() != `ingest: bad iceberg topic config: bufstream.archive.iceberg.table: table "not a table": want namespace.table` {
		t.Fatalf("bad stored table: ok=%v err=%v", ok, err)
	}
}
