package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/metastore/postgres"
	"github.com/tributary-io/tributary/internal/testpg"
)

// appendOne appends one idempotent batch of producer 1 with sequence seq.
func appendOne(ctx context.Context, s metastore.Store, pk metastore.PartitionKey, key string, seq int32) (metastore.AppendResult, error) {
	res, err := s.Append(ctx, metastore.ObjectRef{Key: key, Size: 10}, []metastore.AppendBatch{
		{Partition: pk, Size: 10, NumRecords: 1, ProducerID: 1, BaseSequence: seq},
	})
	if err != nil {
		return metastore.AppendResult{}, err
	}
	return res[0], nil
}

// TestPostgresRestart stops the server under an open store: calls fail
// with ErrUnavailable at once (and never outlast their context); once it
// is back, the same store works again, and what was acknowledged before
// a crash is still there.
func TestPostgresRestart(t *testing.T) {
	srv := testpg.New(t)
	s := open(t, srv.CreateDatabase(t))
	topic, err := s.CreateTopic(t.Context(), metastore.TopicSpec{Name: "t", Partitions: 1})
	if err != nil {
		t.Fatal(err)
	}
	pk := metastore.PartitionKey{Topic: topic.ID}
	seq := int32(0)
	for range 3 {
		if _, err := appendOne(t.Context(), s, pk, "before", seq); err != nil {
			t.Fatal(err)
		}
		seq++
	}

	for round, stop := range []func(testing.TB){srv.Stop, srv.Crash} {
		stop(t)
		for i, call := range []func(context.Context) error{
			func(ctx context.Context) error { _, err := appendOne(ctx, s, pk, "down", seq); return err },
			func(ctx context.Context) error { _, err := s.Partition(ctx, pk); return err },
			func(ctx context.Context) error { _, err := s.LiveBrokers(ctx); return err },
			func(ctx context.Context) error { _, err := s.KVGet(ctx, "k"); return err },
			func(ctx context.Context) error { _, err := s.KVList(ctx, "", "", 0); return err },
			func(ctx context.Context) error {
				_, err := s.KVApply(ctx, []metastore.KVOp{{Key: "k", Expect: metastore.KVAny}})
				return err
			},
		} {
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			start := time.Now()
			err := call(ctx)
			cancel()
			if !errors.Is(err, metastore.ErrUnavailable) {
				t.Fatalf("round %d call %d with the server down: %v", round, i, err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("round %d call %d took %v to fail", round, i, d)
			}
		}
		// An Append that failed with the server down never reached it: the
		// store says so, so the log's writer may run it again.
		if _, err := appendOne(t.Context(), s, pk, "down", seq); !errors.Is(err, metastore.ErrNotApplied) {
			t.Fatalf("round %d: Append with the server down: %v, want ErrNotApplied", round, err)
		}
		// A context shorter than the retries bounds the call.
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Millisecond)
		start := time.Now()
		_, err := s.Topics(ctx)
		cancel()
		if err == nil || time.Since(start) > time.Second {
			t.Fatalf("round %d: Topics with a 30ms context: %v after %v", round, err, time.Since(start))
		}

		srv.Start(t)
		res, err := appendOne(t.Context(), s, pk, "after", seq)
		if err != nil || res.Err != nil || res.BaseOffset != int64(seq) {
			t.Fatalf("round %d: first append after restart: %+v, %v", round, res, err)
		}
		seq++
	}
	entries, st, err := s.ReadIndex(t.Context(), pk, 0, 0)
	if err != nil || len(entries) != int(seq) || st.HighWater != int64(seq) {
		t.Fatalf("after restarts: %d entries, %+v, %v; want %d", len(entries), st, err, seq)
	}
}

// TestOpenStoppedServer: Open against a stopped server fails within
// ConnectTimeout instead of hanging.
func TestOpenStoppedServer(t *testing.T) {
	srv := testpg.New(t)
	dsn := srv.CreateDatabase(t)
	srv.Stop(t)
	start := time.Now()
	_, err := postgres.Open(t.Context(), dsn, postgres.Options{ConnectTimeout: time.Second})
	if !errors.Is(err, metastore.ErrUnavailable) || time.Since(start) > 3*time.Second {
		t.Fatalf("Open of a stopped server: %v after %v", err, time.Since(start))
	}
}

// TestPostgresStalled pauses the server: calls return when their context
// ends instead of hanging, and the store works again once it resumes.
func TestPostgresStalled(t *testing.T) {
	srv := testpg.New(t)
	s := open(t, srv.CreateDatabase(t))
	topic, err := s.CreateTopic(t.Context(), metastore.TopicSpec{Name: "t", Partitions: 1})
	if err != nil {
		t.Fatal(err)
	}
	pk := metastore.PartitionKey{Topic: topic.ID}
	if _, err := appendOne(t.Context(), s, pk, "before", 0); err != nil {
		t.Fatal(err)
	}
	srv.Pause(t)
	defer srv.Resume(t)
	for i, call := range []func(context.Context) error{
		func(ctx context.Context) error { _, err := appendOne(ctx, s, pk, "stalled", 1); return err },
		func(ctx context.Context) error { _, _, err := s.ReadIndex(ctx, pk, 0, 0); return err },
	} {
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		start := time.Now()
		err := call(ctx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
			t.Fatalf("call %d on a stalled server: %v after %v", i, err, time.Since(start))
		}
	}
	srv.Resume(t)
	// The stalled Append never committed (its connection was dropped
	// before COMMIT), so sequence 1 is still next.
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := appendOne(t.Context(), s, pk, "after", 1)
		if err == nil {
			if res.Err != nil || res.BaseOffset != 1 {
				t.Fatalf("append after resume: %+v", res)
			}
			break
		}
		if !errors.Is(err, metastore.ErrUnavailable) || time.Now().After(deadline) {
			t.Fatalf("append after resume: %v", err)
		}
	}
}
