package boltstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/metastore/boltstore"
	"github.com/tributary-io/tributary/internal/testdisk"
)

// appendObjects indexes n one-batch objects named prefix/<i> in pk.
func appendObjects(t *testing.T, s *boltstore.Store, pk metastore.PartitionKey, prefix string, n int) error {
	t.Helper()
	for i := range n {
		b := metastore.AppendBatch{Partition: pk, Size: 100, NumRecords: 1, MaxTimestamp: -1, ProducerID: metastore.NoProducerID}
		if _, err := s.Append(context.Background(), metastore.ObjectRef{Key: fmt.Sprintf("%s/%06d", prefix, i), Size: 100}, []metastore.AppendBatch{b}); err != nil {
			return fmt.Errorf("append %d: %w", i, err)
		}
	}
	return nil
}

// TestDeleteTopicOnFullDisk: with the disk full to the last byte, writes
// that only add are refused with ENOSPC, while deleting a topic of 10,000
// objects, forgetting them and deleting records still commit (on the
// reserve), and survive a reopen. Once space is freed, appends work again.
//
// Regression: bbolt writes every commit's pages to free pages, and on a
// full disk the file's end is a sparse hole, so DeleteTopic (whose
// dead-object rows are new data) failed with "write meta.db: no space
// left on device" and space could not be freed through the Kafka API.
func TestDeleteTopicOnFullDisk(t *testing.T) {
	dir := testdisk.Mount(t, 24<<20)
	path := filepath.Join(dir, "meta.db")
	s, err := boltstore.Open(path, boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close() }()
	ctx := context.Background()
	doomed, err := s.CreateTopic(ctx, metastore.TopicSpec{Name: "doomed", Partitions: 1})
	if err != nil {
		t.Fatal(err)
	}
	kept, err := s.CreateTopic(ctx, metastore.TopicSpec{Name: "kept", Partitions: 1})
	if err != nil {
		t.Fatal(err)
	}
	const n = 10000
	if err := appendObjects(t, s, metastore.PartitionKey{Topic: doomed.ID}, "doomed", n); err != nil {
		t.Fatal(err)
	}
	keptPK := metastore.PartitionKey{Topic: kept.ID}
	if err := appendObjects(t, s, keptPK, "kept", 10); err != nil {
		t.Fatal(err)
	}
	filler := testdisk.Fill(t, dir, "filler")
	t.Logf("disk full: %d bytes free, meta.db and its reserve take %d", testdisk.Free(t, dir), fileSize(t, path))

	// Appends may still use the reserve's upper half (its lower half is
	// kept for deletes); then adding is refused.
	err = appendObjects(t, s, keptPK, "more", 200000)
	t.Logf("appending on the full disk: %v", err)
	if !errors.Is(err, syscall.ENOSPC) || !errors.Is(err, metastore.ErrUnavailable) || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("append on a full disk: %v, want a disk-full ErrUnavailable wrapping ENOSPC", err)
	}

	if _, err := s.DeleteTopic(ctx, "doomed"); err != nil {
		t.Fatalf("DeleteTopic on a full disk: %v", err)
	}
	dead, err := s.DeadObjects(ctx, 0)
	if err != nil || len(dead) != n {
		t.Fatalf("DeadObjects after the delete: %d, %v; want %d", len(dead), err, n)
	}
	if err := s.ForgetObjects(ctx, dead); err != nil {
		t.Fatalf("ForgetObjects on a full disk: %v", err)
	}
	if st, err := s.DeleteRecords(ctx, keptPK, 5); err != nil || st.LogStart != 5 {
		t.Fatalf("DeleteRecords on a full disk: %+v, %v", st, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = boltstore.Open(path, boltstore.Options{NoSync: true}); err != nil {
		t.Fatalf("reopen on a full disk: %v", err)
	}
	if _, err := s.Topic(ctx, "doomed"); !errors.Is(err, metastore.ErrUnknownTopic) {
		t.Fatalf("deleted topic after reopen: %v", err)
	}
	if st, err := s.Partition(ctx, keptPK); err != nil || st.LogStart != 5 || st.HighWater < 10 {
		t.Fatalf("kept partition after reopen: %+v, %v", st, err)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if err := appendObjects(t, s, keptPK, "after", 10); err != nil {
		t.Fatalf("append once space is freed: %v", err)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
