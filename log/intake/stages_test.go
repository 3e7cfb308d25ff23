package intake

import (
	"io"
	"log/slog"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
)

// TestPendingStagesSplitTheAckPath: the produce p99 at 20k records/s was
// 199 ms and nothing told how much of it was the wait for the flush in
// flight, the object write or the index commit. Each Pending now says.
// Fake time (synctest) with an object write of 30 ms and an index commit
// of 20 ms: a part submitted to an idle writer spends 0/30/20 ms in
// queue/object/index; one submitted 10 ms later waits 20 ms for that
// flush's object write to end, then is written (30 ms) while the first is
// indexed, and indexed (20 ms): acknowledged at 80 ms, not 100 (group
// commit's overlap, doc.go).
func TestPendingStagesSplitTheAckPath(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, pk := stagesEnv(t, 30*time.Millisecond, 20*time.Millisecond)
		start := time.Now()
		first := submitPart(t, w, pk, "first")
		synctest.Wait()
		if st := first.Stages(); !st.Done.IsZero() {
			t.Fatalf("stages before the flush ended: %+v", st)
		}
		time.Sleep(10 * time.Millisecond)
		second := submitPart(t, w, pk, "second")
		for _, c := range []struct {
			name                string
			p                   *Pending
			queue, object, indx time.Duration
			done                time.Duration
		}{
			{"first", first, 0, 30 * time.Millisecond, 20 * time.Millisecond, 50 * time.Millisecond},
			{"second", second, 20 * time.Millisecond, 30 * time.Millisecond, 20 * time.Millisecond, 80 * time.Millisecond},
		} {
			if r := c.p.Wait(t.Context()); r[0].Err != nil {
				t.Fatalf("%s: %v", c.name, r[0].Err)
			}
			st := c.p.Stages()
			if st.Queue != c.queue || st.Object != c.object || st.Index != c.indx || st.Done.Sub(start) != c.done {
				t.Errorf("%s: queue %v object %v index %v done at %v, want %v %v %v at %v",
					c.name, st.Queue, st.Object, st.Index, st.Done.Sub(start), c.queue, c.object, c.indx, c.done)
			}
		}
	})
}

// stagesEnv is a group-commit writer over real stores whose object writes
// and index commits take put and commit more (of fake time, in a synctest
// bubble).
func stagesEnv(t *testing.T, put, commit time.Duration) (*Writer, metastore.PartitionKey) {
	t.Helper()
	meta, local, pk := testStores(t)
	w := NewWriter(Config{}, slowPut{local, put}, slowAppend{meta, commit}, Hooks{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(func() { _ = w.Close() }) // always nil
	return w, pk
}
