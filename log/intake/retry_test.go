package intake_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/objstore"
	"github.com/tributary-io/tributary/log/intake"
)

// recoveryBound is what a flush may take, from the store answering
// again, to acknowledge: one capped backoff (100ms) and a margin. Fake
// time (synctest) makes it exact.
const recoveryBound = 150 * time.Millisecond

// errNotApplied is a metadata store out with the commit not sent.
var errNotApplied = fmt.Errorf("%w: %w", metastore.ErrNotApplied, metastore.ErrUnavailable)

// TestFlushWaitsOutAnObjectStoreOutage: while the object store is out
// (ErrUnavailable) a flush keeps trying instead of failing its produces,
// and acknowledges within one capped backoff of the store answering
// again. It used to fail at once, leaving recovery to each client's retry
// backoff (seconds after a restart of the S3 server).
func TestFlushWaitsOutAnObjectStoreOutage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, intake.Config{Linger: time.Millisecond})
		e.obj.FailAlways(objstore.OpPut, fmt.Errorf("put: %w", objstore.ErrUnavailable))
		p := submit(t, e.w, e.part(0, "a", 2))
		time.Sleep(3 * time.Second) // the outage
		e.obj.Clear(objstore.OpPut)
		back := time.Now()
		r := waitOK(t, p)[0]
		if took := time.Since(back); took > recoveryBound {
			t.Fatalf("acknowledged %v after the object store answered again, want at most %v", took, recoveryBound)
		}
		if r.BaseOffset != 0 || e.highWater(t, 0) != 2 {
			t.Fatalf("base offset %d, high water %d after the outage", r.BaseOffset, e.highWater(t, 0))
		}
		if n := e.obj.Calls(objstore.OpPut); n < 10 || n > 60 {
			t.Fatalf("%d object writes over a 3s outage: want one per backoff (10ms doubling to 100ms)", n)
		}
	})
}

// TestFlushWaitsOutAMetadataStoreOutage: the same for an index commit that
// certainly did not apply (ErrNotApplied: Postgres not reached).
func TestFlushWaitsOutAMetadataStoreOutage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, intake.Config{Linger: time.Millisecond})
		e.meta.FailNext(metastore.MethodAppend, -1, errNotApplied)
		p := submit(t, e.w, e.part(0, "a", 2))
		time.Sleep(3 * time.Second)
		e.meta.Reset()
		back := time.Now()
		r := waitOK(t, p)[0]
		if took := time.Since(back); took > recoveryBound {
			t.Fatalf("acknowledged %v after the metadata store answered again, want at most %v", took, recoveryBound)
		}
		if r.BaseOffset != 0 || e.highWater(t, 0) != 2 || e.obj.Calls(objstore.OpPut) != 1 {
			t.Fatalf("base offset %d, high water %d, %d object writes after the outage", r.BaseOffset, e.highWater(t, 0), e.obj.Calls(objstore.OpPut))
		}
	})
}

// TestLostCommitIsNotRetried: an index commit whose answer was lost may
// have applied (here it did), so the flush fails once and is never run
// again: running it again would index the records twice.
func TestLostCommitIsNotRetried(t *testing.T) {
	e := newEnv(t, intake.Config{Linger: time.Millisecond})
	e.meta.FailAfterNext(metastore.MethodAppend, 1, metastore.ErrUnavailable)
	p := submit(t, e.w, e.part(0, "a", 2))
	if r := p.Wait(t.Context())[0]; !errors.Is(r.Err, intake.ErrStorage) {
		t.Fatalf("%v, want ErrStorage", r.Err)
	}
	if n, hw := e.meta.Calls(metastore.MethodAppend), e.highWater(t, 0); n != 1 || hw != 2 {
		t.Fatalf("%d index commits, high water %d: want the one that applied", n, hw)
	}
}

// TestCloseStopsWaitingForTheStore: a writer closing while the object
// store is out fails the flush at once rather than waiting FlushTimeout.
func TestCloseStopsWaitingForTheStore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, intake.Config{Linger: time.Millisecond})
		e.obj.FailAlways(objstore.OpPut, objstore.ErrUnavailable)
		p := submit(t, e.w, e.part(0, "a", 1))
		time.Sleep(time.Second)
		start := time.Now()
		if err := e.w.Close(); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took > recoveryBound {
			t.Fatalf("Close took %v with the object store out", took)
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if r := p.Wait(ctx)[0]; !errors.Is(r.Err, intake.ErrStorage) {
			t.Fatalf("%v, want ErrStorage", r.Err)
		}
	})
}
