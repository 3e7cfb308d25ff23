package intake

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
)

// TestZeroLingerIsGroupCommit: produce p50 at 20k records/s was 14 ms on
// local disk, 5 of them the fixed linger every flush waited even when no
// other flush was in flight (and a Linger of 0, which the config documents
// as "flush at once", was turned into that same 5 ms default). With
// Linger 0 an idle writer flushes a part at once; parts arriving while
// that flush is in flight are gathered and go out together in one next
// flush. Fake time (synctest): no clock advance at all is allowed, so any
// linger timer fails the test.
//
// And TestZeroLingerWritesWhileThePreviousCommits (same test): the p99 at
// 20k records/s was an object write plus an index commit longer than it
// needs, because a part arriving just after a flush started waited for
// that whole flush, then its own object write and commit. With Linger 0
// its object is written while the previous flush is indexed (it is still
// acknowledged only after its own commit, which follows the previous one).
func TestZeroLingerIsGroupCommit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, g, o, pk := groupEnv(t)
		start := time.Now()
		first := submitPart(t, w, pk, "first")
		key1 := <-o.put
		if got := <-g.started; got != key1 {
			t.Fatalf("commit of %s, want %s", got, key1)
		}
		if d := time.Since(start); d != 0 {
			t.Fatalf("first flush started after %v of fake time, want at once (no linger)", d)
		}
		next := submitPart(t, w, pk, "next") // arrives while the first flush commits
		synctest.Wait()
		var key2 string
		select {
		case key2 = <-o.put:
		default:
			t.Fatal("the next part's object was not written while the first flush was indexed")
		}
		var later []*Pending
		for range 3 { // arrive while the first flush commits and the next is written
			later = append(later, submitPart(t, w, pk, "later"))
		}
		synctest.Wait()
		select {
		case k := <-o.put:
			t.Fatalf("%s written while two flushes were in progress: the later parts must gather", k)
		case <-next.done:
			t.Fatal("next part acknowledged before its commit")
		default:
		}
		g.release <- struct{}{}
		if r := first.Wait(t.Context()); r[0].Err != nil || r[0].BaseOffset != 0 {
			t.Fatalf("first: offset %d, %v", r[0].BaseOffset, r[0].Err)
		}
		if got := <-g.started; got != key2 {
			t.Fatalf("second commit of %s, want %s", got, key2)
		}
		key3 := <-o.put // the later parts, written while the next commits
		g.release <- struct{}{}
		if r := next.Wait(t.Context()); r[0].Err != nil || r[0].BaseOffset != 1 {
			t.Fatalf("next: offset %d, %v", r[0].BaseOffset, r[0].Err)
		}
		if got := <-g.started; got != key3 {
			t.Fatalf("third commit of %s, want %s", got, key3)
		}
		if d := time.Since(start); d != 0 {
			t.Fatalf("third flush started %v of fake time after the first, want at once", d)
		}
		g.release <- struct{}{}
		for i, p := range later {
			if r := p.Wait(t.Context()); r[0].Err != nil || r[0].BaseOffset != int64(2+i) {
				t.Fatalf("later part %d: offset %d, %v", i, r[0].BaseOffset, r[0].Err)
			}
		}
		synctest.Wait()
		select {
		case k := <-o.put:
			t.Fatalf("fourth object %s: the three later parts were not one flush", k)
		default:
		}
	})
}

// groupEnv is a writer with Linger 0 over real stores, its index commits
// gated and its object writes reported, created inside the caller's
// synctest bubble.
func groupEnv(t *testing.T) (*Writer, *gatedMeta, *watchedObjects, metastore.PartitionKey) {
	t.Helper()
	return gatedEnv(t, Config{})
}

func submitPart(t *testing.T, w *Writer, pk metastore.PartitionKey, data string) *Pending {
	t.Helper()
	p, err := w.Submit(t.Context(), []Part{{Partition: pk, Data: []byte(data), NumRecords: 1, ProducerID: -1}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}
