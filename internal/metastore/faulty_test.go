package metastore_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/metastore/boltstore"
	"github.com/tributary-io/tributary/internal/metastore/metastoretest"
)

func newBolt(t *testing.T) metastore.Store {
	t.Helper()
	s, err := boltstore.Open(filepath.Join(t.TempDir(), "meta.db"), boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestFaultyConformance checks that an unarmed Faulty passes everything
// through.
func TestFaultyConformance(t *testing.T) {
	metastoretest.Run(t, func(t *testing.T) metastoretest.Opener {
		path := filepath.Join(t.TempDir(), "meta.db")
		return func(t *testing.T) metastore.Store {
			s, err := boltstore.Open(path, boltstore.Options{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			return metastore.NewFaulty(s)
		}
	})
}

// setup makes a one-partition topic behind a Faulty.
func setup(t *testing.T) (*metastore.Faulty, metastore.PartitionKey) {
	t.Helper()
	f := metastore.NewFaulty(newBolt(t))
	topic, err := f.CreateTopic(t.Context(), metastore.TopicSpec{Name: "t", Partitions: 1})
	if err != nil {
		t.Fatal(err)
	}
	return f, metastore.PartitionKey{Topic: topic.ID}
}

func appendOne(ctx context.Context, f *metastore.Faulty, pk metastore.PartitionKey, key string) error {
	_, err := f.Append(ctx, metastore.ObjectRef{Key: key, Size: 1}, []metastore.AppendBatch{
		{Partition: pk, Size: 1, NumRecords: 1, ProducerID: metastore.NoProducerID},
	})
	return err
}

func highWater(t *testing.T, f *metastore.Faulty, pk metastore.PartitionKey) int64 {
	t.Helper()
	st, err := f.Partition(t.Context(), pk)
	if err != nil {
		t.Fatal(err)
	}
	return st.HighWater
}

func TestFaultyFailNext(t *testing.T) {
	f, pk := setup(t)
	f.FailNext(metastore.MethodAppend, 2, metastore.ErrUnavailable)
	for i := range 2 {
		if err := appendOne(t.Context(), f, pk, "a"); !errors.Is(err, metastore.ErrUnavailable) {
			t.Fatalf("call %d: err = %v", i, err)
		}
	}
	if hw := highWater(t, f, pk); hw != 0 {
		t.Fatalf("failed calls reached the store: HighWater %d", hw)
	}
	if err := appendOne(t.Context(), f, pk, "a"); err != nil {
		t.Fatalf("third call: %v", err)
	}
	if n := f.Calls(metastore.MethodAppend); n != 3 {
		t.Fatalf("Calls = %d", n)
	}
}

func TestFaultyFailAfterNext(t *testing.T) {
	f, pk := setup(t)
	f.FailAfterNext(metastore.MethodAppend, 1, metastore.ErrUnavailable)
	if err := appendOne(t.Context(), f, pk, "a"); !errors.Is(err, metastore.ErrUnavailable) {
		t.Fatalf("err = %v", err)
	}
	if hw := highWater(t, f, pk); hw != 1 {
		t.Fatalf("the call should have committed: HighWater %d", hw)
	}
}

func TestFaultyHang(t *testing.T) {
	f, pk := setup(t)
	f.HangNext(metastore.MethodAppend, -1)

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := appendOne(ctx, f, pk, "a"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hung call: err = %v", err)
	}
	done := make(chan error)
	go func() { done <- appendOne(t.Context(), f, pk, "b") }()
	select {
	case err := <-done:
		t.Fatalf("call did not hang: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	f.Reset()
	if err := <-done; err != nil {
		t.Fatalf("released call: %v", err)
	}
	if hw := highWater(t, f, pk); hw != 1 {
		t.Fatalf("HighWater %d, want only the released call", hw)
	}
}

func TestFaultyUnknownMethodPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	metastore.NewFaulty(nil).FailNext("Apend", 1, metastore.ErrUnavailable)
}

// TestFaultyCluster checks that Cluster methods are faulted too: a lost
// heartbeat reply still renewed the registration.
func TestFaultyCluster(t *testing.T) {
	f := metastore.NewFaulty(newBolt(t))
	b := metastore.BrokerInfo{Instance: "i", Host: "h", Port: 1}
	f.FailNext(metastore.MethodRegisterBroker, 1, metastore.ErrUnavailable)
	if _, err := f.RegisterBroker(t.Context(), 0, b, time.Minute); !errors.Is(err, metastore.ErrUnavailable) {
		t.Fatalf("RegisterBroker: err = %v", err)
	}
	if live, err := f.LiveBrokers(t.Context()); err != nil || len(live) != 0 {
		t.Fatalf("refused registration is live: %+v, %v", live, err)
	}
	if _, err := f.RegisterBroker(t.Context(), 0, b, time.Second); err != nil {
		t.Fatal(err)
	}
	f.FailAfterNext(metastore.MethodHeartbeat, 1, metastore.ErrUnavailable)
	if _, err := f.Heartbeat(t.Context(), 0, "i", time.Hour); !errors.Is(err, metastore.ErrUnavailable) {
		t.Fatalf("Heartbeat: err = %v", err)
	}
	live, err := f.LiveBrokers(t.Context())
	if err != nil || len(live) != 1 || time.Until(live[0].Expires) < time.Minute {
		t.Fatalf("heartbeat with a lost reply did not renew: %+v, %v", live, err)
	}
	f.HangNext(metastore.MethodAcquireLease, 1)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if _, err := f.AcquireLease(ctx, "l", "i", time.Second); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hung AcquireLease: err = %v", err)
	}
}

// TestFaultyGroups checks that Groups methods are faulted too: a refused
// put stores nothing, a commit whose reply was lost is stored.
func TestFaultyGroups(t *testing.T) {
	f := metastore.NewFaulty(newBolt(t))
	f.FailNext(metastore.MethodPutGroup, 1, metastore.ErrUnavailable)
	if _, err := f.PutGroup(t.Context(), metastore.Group{Name: "g"}, 0); !errors.Is(err, metastore.ErrUnavailable) {
		t.Fatalf("PutGroup: err = %v", err)
	}
	if _, err := f.Group(t.Context(), "g"); !errors.Is(err, metastore.ErrUnknownGroup) {
		t.Fatalf("refused put stored a group: %v", err)
	}
	f.FailAfterNext(metastore.MethodCommitOffsets, 1, metastore.ErrUnavailable)
	err := f.CommitOffsets(t.Context(), "g", -1, []metastore.GroupOffset{{Topic: "t", Offset: 7}})
	if !errors.Is(err, metastore.ErrUnavailable) {
		t.Fatalf("CommitOffsets: err = %v", err)
	}
	offs, err := f.FetchOffsets(t.Context(), "g")
	if err != nil || len(offs) != 1 || offs[0].Offset != 7 {
		t.Fatalf("commit with a lost reply was not stored: %+v, %v", offs, err)
	}
	if n := f.Calls(metastore.MethodCommitOffsets); n != 1 {
		t.Fatalf("Calls(CommitOffsets) = %d", n)
	}
}

// TestFaultyKVApplyLostReply: a KVApply failed after the store commits
// reports the injected error, and the write is there (a lost reply).
func TestFaultyKVApplyLostReply(t *testing.T) {
	f := metastore.NewFaulty(newBolt(t))
	f.FailAfterNext(metastore.MethodKVApply, 1, metastore.ErrUnavailable)
	_, err := f.KVApply(t.Context(), []metastore.KVOp{{Key: "k", Value: []byte("v")}})
	if !errors.Is(err, metastore.ErrUnavailable) {
		t.Fatalf("KVApply: %v", err)
	}
	if e, err := f.KVGet(t.Context(), "k"); err != nil || e.Version != 1 || string(e.Value) != "v" {
		t.Fatalf("KVGet after a lost reply: %+v, %v", e, err)
	}
	if n := f.Calls(metastore.MethodKVApply); n != 1 {
		t.Fatalf("%d KVApply calls counted", n)
	}
}
