package objstore_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/tributary-io/tributary/internal/objstore"
)

func TestFaultyFailNext(t *testing.T) {
	f := objstore.NewFaulty(newLocal(t))
	ctx := t.Context()
	boom := errors.New("boom")
	f.FailNext(objstore.OpPut, 2, boom)
	for i := range 2 {
		if err := f.Put(ctx, "k", []byte("x")); !errors.Is(err, boom) {
			t.Fatalf("put %d: %v, want boom", i, err)
		}
	}
	if _, err := f.Get(ctx, "k"); !errors.Is(err, objstore.ErrNotFound) {
		t.Fatalf("a put failed before the store must not have written: %v", err)
	}
	if err := f.Put(ctx, "k", []byte("x")); err != nil {
		t.Fatalf("third put: %v", err)
	}
	if got := f.Calls(objstore.OpPut); got != 3 {
		t.Fatalf("put calls: %d, want 3", got)
	}
	if got := f.Calls(objstore.OpGet); got != 1 {
		t.Fatalf("get calls: %d, want 1", got)
	}
}

func TestFaultyFailNextDefaultsToErrInjected(t *testing.T) {
	f := objstore.NewFaulty(newLocal(t))
	f.FailNext(objstore.OpList, 1, nil)
	if _, err := f.List(t.Context(), ""); !errors.Is(err, objstore.ErrInjected) {
		t.Fatalf("list: %v, want ErrInjected", err)
	}
}

func TestFaultyFailNextAfterStillWrites(t *testing.T) {
	f := objstore.NewFaulty(newLocal(t))
	ctx := t.Context()
	f.FailNextAfter(objstore.OpPut, 1, nil)
	if err := f.Put(ctx, "k", []byte("x")); !errors.Is(err, objstore.ErrInjected) {
		t.Fatalf("put: %v, want ErrInjected", err)
	}
	if got, err := f.Get(ctx, "k"); err != nil || string(got) != "x" {
		t.Fatalf("get after a put whose response was lost: %q, %v; want the object", got, err)
	}
}

func TestFaultyFailAlwaysUntilClear(t *testing.T) {
	f := objstore.NewFaulty(newLocal(t))
	ctx := t.Context()
	f.FailAlways(objstore.OpGetRange, nil)
	if err := f.Put(ctx, "k", []byte("xyz")); err != nil {
		t.Fatalf("put must be unaffected: %v", err)
	}
	for range 3 {
		if _, err := f.GetRange(ctx, "k", 0, 1); !errors.Is(err, objstore.ErrInjected) {
			t.Fatalf("get range: %v, want ErrInjected", err)
		}
	}
	f.Clear(objstore.OpGetRange)
	if got, err := f.GetRange(ctx, "k", 1, 2); err != nil || string(got) != "yz" {
		t.Fatalf("get range after clear: %q, %v", got, err)
	}
}

func TestFaultyLatency(t *testing.T) {
	f := objstore.NewFaulty(newLocal(t))
	f.SetLatency(objstore.OpDelete, 50*time.Millisecond)
	start := time.Now()
	if err := f.Delete(t.Context(), "k"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Fatalf("delete took %v, want at least 50ms", d)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel()
	f.SetLatency(objstore.OpDelete, time.Hour)
	if err := f.Delete(ctx, "k"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("delete under latency past its deadline: %v", err)
	}
}

func TestFaultyHangUntilContextDone(t *testing.T) {
	f := objstore.NewFaulty(newLocal(t))
	f.Hang(objstore.OpGet)
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() {
		_, err := f.Get(ctx, "k")
		errc <- err
	}()
	select {
	case err := <-errc:
		t.Fatalf("get returned while hung: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("hung get: %v, want context.Canceled", err)
	}
	f.ClearAll()
	if _, err := f.Get(t.Context(), "k"); !errors.Is(err, objstore.ErrNotFound) {
		t.Fatalf("get after clear: %v, want ErrNotFound", err)
	}
}

func TestFaultyConcurrentUse(t *testing.T) {
	f := objstore.NewFaulty(newLocal(t))
	ctx := t.Context()
	f.FailNext(objstore.OpPut, 50, nil)
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := 0
	for range 10 {
		wg.Go(func() {
			for range 10 {
				if err := f.Put(ctx, "k", []byte("x")); errors.Is(err, objstore.ErrInjected) {
					mu.Lock()
					failed++
					mu.Unlock()
				}
				f.Calls(objstore.OpPut)
			}
		})
	}
	wg.Wait()
	if failed != 50 || f.Calls(objstore.OpPut) != 100 {
		t.Fatalf("failed %d of %d puts, want 50 of 100", failed, f.Calls(objstore.OpPut))
	}
}
