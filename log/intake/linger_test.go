package intake_test

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tributary-io/tributary/internal/objstore"
	"github.com/tributary-io/tributary/log/intake"
)

// acked is set once p's flush has succeeded.
func acked(p *intake.Pending) *atomic.Bool {
	var b atomic.Bool
	go func() { b.Store(p.Wait(context.Background())[0].Err == nil) }()
	return &b
}

// The linger holds the first part for exactly Linger, gathering the
// parts that arrive meanwhile into one object; a full buffer flushes at
// once. Fake time (synctest): a 1h linger costs the test nothing.
func TestLingerGathersUntilItEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, intake.Config{Linger: time.Hour, MaxBytes: 1 << 20})
		first := acked(submit(t, e.w, e.part(0, "a", 1)))
		time.Sleep(30 * time.Minute)
		second := acked(submit(t, e.w, e.part(1, "b", 1)))
		time.Sleep(30*time.Minute - time.Nanosecond)
		synctest.Wait()
		if first.Load() || second.Load() || e.obj.Calls(objstore.OpPut) != 0 {
			t.Fatal("flushed before the linger ended")
		}
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		if !first.Load() || !second.Load() || e.obj.Calls(objstore.OpPut) != 1 {
			t.Fatalf("after the linger: first %v, second %v, %d objects; want both in one", first.Load(), second.Load(), e.obj.Calls(objstore.OpPut))
		}

		big := e.part(0, "big", 1)
		if err := e.w.Close(); err != nil { // a fresh writer with a small MaxBytes
			t.Fatal(err)
		}
		e.start(t, intake.Config{Linger: time.Hour, MaxBytes: len(big.Data)})
		p := acked(submit(t, e.w, big))
		synctest.Wait()
		if !p.Load() {
			t.Fatal("a full buffer waited for the linger")
		}
	})
}
