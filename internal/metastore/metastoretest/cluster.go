package metastoretest

import (
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
)

// Registrations and leases the tests expect to outlive the test use
// longTTL; those meant to lapse use shortTTL, and the tests poll (up to
// lapseWait) until the store agrees they lapsed, since expiry follows the
// store's clock (the database's for Postgres), not the test's.
const (
	longTTL   = time.Minute
	shortTTL  = 200 * time.Millisecond
	lapseWait = 10 * time.Second
)

// broker is a registration for instance; host and port derive from it so
// that round trips can be checked.
func broker(instance string) metastore.BrokerInfo {
	return metastore.BrokerInfo{Instance: instance, Host: instance + ".example", Port: 9092, Rack: "rack-" + instance}
}

func (h *harness) register(t *testing.T, want int32, instance string, ttl time.Duration) metastore.BrokerInfo {
	t.Helper()
	before := time.Now()
	got, err := h.s.RegisterBroker(t.Context(), want, broker(instance), ttl)
	if err != nil {
		t.Fatalf("RegisterBroker(%d, %s): %v", want, instance, err)
	}
	after := time.Now()
	wantB := broker(instance)
	wantB.NodeID, wantB.Expires = got.NodeID, got.Expires
	if got != wantB {
		t.Fatalf("RegisterBroker(%d, %s) = %+v, want %+v", want, instance, got, wantB)
	}
	if want >= 0 && got.NodeID != want {
		t.Fatalf("RegisterBroker(%d, %s) gave node %d", want, instance, got.NodeID)
	}
	// A second of slack for the store's clock and its precision.
	if got.Expires.Before(before.Add(ttl-time.Second)) || got.Expires.After(after.Add(ttl+time.Second)) {
		t.Fatalf("RegisterBroker(%d, %s) expires %v, registered at %v for %v", want, instance, got.Expires, before, ttl)
	}
	return got
}

// live returns LiveBrokers and checks that it is sorted by node ID.
func (h *harness) live(t *testing.T) []metastore.BrokerInfo {
	t.Helper()
	got, err := h.s.LiveBrokers(t.Context())
	if err != nil {
		t.Fatalf("LiveBrokers: %v", err)
	}
	if !slices.IsSortedFunc(got, func(a, b metastore.BrokerInfo) int { return int(a.NodeID - b.NodeID) }) {
		t.Fatalf("LiveBrokers not sorted by node ID: %+v", got)
	}
	return got
}

// checkLive checks that exactly nodes are live, held by the instances given.
func (h *harness) checkLive(t *testing.T, nodes map[int32]string) {
	t.Helper()
	got := h.live(t)
	have := map[int32]string{}
	for _, b := range got {
		have[b.NodeID] = b.Instance
	}
	if len(have) != len(nodes) || len(got) != len(nodes) {
		t.Fatalf("LiveBrokers = %+v, want nodes %v", got, nodes)
	}
	for id, inst := range nodes {
		if have[id] != inst {
			t.Fatalf("LiveBrokers = %+v, want nodes %v", got, nodes)
		}
	}
}

// waitLapsed polls until node is no longer live.
func (h *harness) waitLapsed(t *testing.T, node int32) {
	t.Helper()
	deadline := time.Now().Add(lapseWait)
	for time.Now().Before(deadline) {
		if !slices.ContainsFunc(h.live(t), func(b metastore.BrokerInfo) bool { return b.NodeID == node }) {
			return
		}
		time.Sleep(shortTTL / 10)
	}
	t.Fatalf("node %d still live after %v with a ttl of %v", node, lapseWait, shortTTL)
}

func testRegisterBroker(t *testing.T, h *harness) {
	ctx := t.Context()
	a := h.register(t, 3, "a", longTTL)
	_, err := h.s.RegisterBroker(ctx, 3, broker("b"), longTTL)
	mustErr(t, err, metastore.ErrConflict)

	// The same instance renews; LiveBrokers reports what was registered.
	time.Sleep(2 * time.Millisecond)
	renewed := h.register(t, 3, "a", longTTL)
	if renewed.Expires.Before(a.Expires) {
		t.Fatalf("renewal expires %v, before the first registration's %v", renewed.Expires, a.Expires)
	}
	if got := h.live(t); len(got) != 1 || got[0] != renewed {
		t.Fatalf("LiveBrokers = %+v, want [%+v]", got, renewed)
	}

	// want < 0: the lowest ID no live broker holds, or the instance's own.
	for i, inst := range []string{"c", "d"} {
		if got := h.register(t, -1, inst, longTTL); got.NodeID != int32(i) {
			t.Fatalf("RegisterBroker(-1, %s) gave node %d, want %d", inst, got.NodeID, i)
		}
	}
	h.register(t, 2, "e", longTTL)
	if got := h.register(t, -1, "f", longTTL); got.NodeID != 4 {
		t.Fatalf("RegisterBroker(-1, f) gave node %d, want 4 (0-3 are held)", got.NodeID)
	}
	if got := h.register(t, -1, "d", longTTL); got.NodeID != 1 {
		t.Fatalf("RegisterBroker(-1, d) again gave node %d, want its own 1", got.NodeID)
	}
	h.checkLive(t, map[int32]string{0: "c", 1: "d", 2: "e", 3: "a", 4: "f"})

	for _, c := range []struct {
		want int32
		b    metastore.BrokerInfo
		ttl  time.Duration
	}{{0, broker(""), longTTL}, {7, broker("g"), 0}, {-1, broker("g"), -time.Second}} {
		_, err := h.s.RegisterBroker(ctx, c.want, c.b, c.ttl)
		mustErr(t, err, metastore.ErrInvalidRequest)
	}
	h.checkLive(t, map[int32]string{0: "c", 1: "d", 2: "e", 3: "a", 4: "f"})
}

// testBrokerExpiry lets registrations lapse: their IDs are free again, and
// the old instance's heartbeat is refused once another took its ID.
func testBrokerExpiry(t *testing.T, h *harness) {
	ctx := t.Context()
	h.register(t, 0, "keeper", longTTL)
	h.register(t, 5, "old", shortTTL)
	short := h.register(t, -1, "short", shortTTL)
	if short.NodeID != 1 {
		t.Fatalf("RegisterBroker(-1, short) gave node %d, want 1", short.NodeID)
	}
	_, err := h.s.RegisterBroker(ctx, 5, broker("new"), longTTL)
	mustErr(t, err, metastore.ErrConflict)

	h.waitLapsed(t, 5)
	h.waitLapsed(t, 1)
	h.checkLive(t, map[int32]string{0: "keeper"})

	h.register(t, 5, "new", longTTL) // reclaimed after expiry
	mustErr(t, heartbeatErr(h.s.Heartbeat(ctx, 5, "old", longTTL)), metastore.ErrConflict)
	if got := h.register(t, -1, "other", longTTL); got.NodeID != 1 {
		t.Fatalf("RegisterBroker(-1, other) gave node %d, want the lapsed 1", got.NodeID)
	}
	mustErr(t, heartbeatErr(h.s.Heartbeat(ctx, 1, "short", longTTL)), metastore.ErrConflict)
	h.checkLive(t, map[int32]string{0: "keeper", 1: "other", 5: "new"})
}

// heartbeatErr is Heartbeat's error, for mustErr.
func heartbeatErr(_ []metastore.BrokerInfo, err error) error { return err }

// beat heartbeats and checks that the live set it returned is LiveBrokers'
// right after (no other registration changes meanwhile), the renewed
// registration with its new expiry included.
func (h *harness) beat(t *testing.T, nodeID int32, instance string, ttl time.Duration) []metastore.BrokerInfo {
	t.Helper()
	got, err := h.s.Heartbeat(t.Context(), nodeID, instance, ttl)
	if err != nil {
		t.Fatalf("Heartbeat(%d, %s): %v", nodeID, instance, err)
	}
	if want := h.live(t); !slices.Equal(got, want) {
		t.Fatalf("Heartbeat(%d, %s) returned live set %+v; LiveBrokers then: %+v", nodeID, instance, got, want)
	}
	return got
}

func testHeartbeat(t *testing.T, h *harness) {
	ctx := t.Context()
	other := h.register(t, 7, "z", longTTL)
	b := h.register(t, 2, "a", shortTTL)
	before := time.Now()
	got := h.beat(t, 2, "a", longTTL)
	if len(got) != 2 || got[1] != other || !got[0].Expires.After(b.Expires) || got[0].Expires.Before(before.Add(longTTL-time.Second)) {
		t.Fatalf("Heartbeat for %v returned %+v (registered %+v and %+v)", longTTL, got, b, other)
	}
	b.Expires = got[0].Expires
	if got[0] != b {
		t.Fatalf("Heartbeat changed the registration: %+v, want %+v", got[0], b)
	}
	// Still live after the first ttl would have lapsed.
	time.Sleep(2 * shortTTL)
	h.checkLive(t, map[int32]string{2: "a", 7: "z"})

	mustErr(t, heartbeatErr(h.s.Heartbeat(ctx, 2, "b", longTTL)), metastore.ErrConflict)
	mustErr(t, heartbeatErr(h.s.Heartbeat(ctx, 3, "a", longTTL)), metastore.ErrConflict)
	mustErr(t, heartbeatErr(h.s.Heartbeat(ctx, 2, "a", 0)), metastore.ErrInvalidRequest)
	mustErr(t, heartbeatErr(h.s.Heartbeat(ctx, 2, "", longTTL)), metastore.ErrInvalidRequest)
	mustErr(t, heartbeatErr(h.s.Heartbeat(ctx, -1, "a", longTTL)), metastore.ErrInvalidRequest)

	// A lapsed registration nobody took is renewed, and is in the live set
	// the heartbeat returns though it was not live when the beat began.
	h.register(t, 4, "c", shortTTL)
	h.waitLapsed(t, 4)
	got = h.beat(t, 4, "c", longTTL)
	if len(got) != 3 || got[1].NodeID != 4 || got[1].Instance != "c" {
		t.Fatalf("Heartbeat of a lapsed registration nobody took returned %+v, want nodes 2, 4 (c), 7", got)
	}
	h.checkLive(t, map[int32]string{2: "a", 4: "c", 7: "z"})
}

func testDeregisterBroker(t *testing.T, h *harness) {
	ctx := t.Context()
	h.register(t, 0, "a", longTTL)
	h.register(t, 1, "b", longTTL)
	if err := h.s.DeregisterBroker(ctx, 0, "b"); err != nil {
		t.Fatalf("DeregisterBroker by another instance: %v", err)
	}
	h.checkLive(t, map[int32]string{0: "a", 1: "b"})
	if err := h.s.DeregisterBroker(ctx, 0, "a"); err != nil {
		t.Fatalf("DeregisterBroker: %v", err)
	}
	h.checkLive(t, map[int32]string{1: "b"})
	mustErr(t, heartbeatErr(h.s.Heartbeat(ctx, 0, "a", longTTL)), metastore.ErrConflict)
	if err := h.s.DeregisterBroker(ctx, 0, "a"); err != nil {
		t.Fatalf("DeregisterBroker again: %v", err)
	}
	mustErr(t, h.s.DeregisterBroker(ctx, 0, ""), metastore.ErrInvalidRequest)
	if got := h.register(t, -1, "c", longTTL); got.NodeID != 0 {
		t.Fatalf("RegisterBroker(-1) after deregistering 0 gave %d", got.NodeID)
	}
}

// testRegisterConcurrently has brokers start at once asking for any ID:
// each gets its own, and together they fill 0..n-1.
func testRegisterConcurrently(t *testing.T, h *harness) {
	const n = 8
	ids := make([]int32, n)
	parallel(t, n, func(i int) error {
		b, err := h.s.RegisterBroker(t.Context(), -1, broker(fmt.Sprint("i", i)), longTTL)
		ids[i] = b.NodeID
		return err
	})
	slices.Sort(ids)
	for i, id := range ids {
		if id != int32(i) {
			t.Fatalf("concurrent registrations got nodes %v", ids)
		}
	}
	if got := h.live(t); len(got) != n {
		t.Fatalf("LiveBrokers = %+v", got)
	}
}

func (h *harness) acquire(t *testing.T, name, holder string, ttl time.Duration, want bool) {
	t.Helper()
	got, err := h.s.AcquireLease(t.Context(), name, holder, ttl)
	if err != nil || got != want {
		t.Fatalf("AcquireLease(%s, %s) = %v, %v; want %v", name, holder, got, err, want)
	}
}

func (h *harness) release(t *testing.T, name, holder string) {
	t.Helper()
	if err := h.s.ReleaseLease(t.Context(), name, holder); err != nil {
		t.Fatalf("ReleaseLease(%s, %s): %v", name, holder, err)
	}
}

func testLeases(t *testing.T, h *harness) {
	ctx := t.Context()
	h.acquire(t, "retention", "a", longTTL, true)
	h.acquire(t, "retention", "b", longTTL, false)
	h.acquire(t, "retention", "a", longTTL, true) // renewal
	h.acquire(t, "rewrite", "b", longTTL, true)   // names are independent
	h.release(t, "retention", "b")                // not b's: no-op
	h.acquire(t, "retention", "b", longTTL, false)
	h.release(t, "retention", "a")
	h.acquire(t, "retention", "b", longTTL, true)
	h.acquire(t, "rewrite", "a", longTTL, false)
	h.release(t, "nothing", "a")

	for _, c := range []struct {
		name, holder string
		ttl          time.Duration
	}{{"", "a", longTTL}, {"x", "", longTTL}, {"x", "a", 0}} {
		_, err := h.s.AcquireLease(ctx, c.name, c.holder, c.ttl)
		mustErr(t, err, metastore.ErrInvalidRequest)
	}
	mustErr(t, h.s.ReleaseLease(ctx, "", "a"), metastore.ErrInvalidRequest)
}

// testLeaseExpiry lets a lease lapse: another holder gets it, and the old
// holder's renewal is refused.
func testLeaseExpiry(t *testing.T, h *harness) {
	h.acquire(t, "gc", "a", shortTTL, true)
	h.acquire(t, "gc", "b", longTTL, false)
	deadline := time.Now().Add(lapseWait)
	for {
		ok, err := h.s.AcquireLease(t.Context(), "gc", "b", longTTL)
		if err != nil {
			t.Fatalf("AcquireLease: %v", err)
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("lease with a ttl of %v still held after %v", shortTTL, lapseWait)
		}
		time.Sleep(shortTTL / 10)
	}
	h.acquire(t, "gc", "a", longTTL, false)

	// A renewal extends the lease past its first ttl.
	h.acquire(t, "sweep", "a", shortTTL, true)
	h.acquire(t, "sweep", "a", longTTL, true)
	time.Sleep(2 * shortTTL)
	h.acquire(t, "sweep", "b", longTTL, false)
}

// testLeaseContention has many holders race for one lease: one wins.
func testLeaseContention(t *testing.T, h *harness) {
	const n = 8
	var won atomic.Int32
	parallel(t, n, func(i int) error {
		ok, err := h.s.AcquireLease(t.Context(), "compaction", fmt.Sprint("holder-", i), longTTL)
		if ok {
			won.Add(1)
		}
		return err
	})
	if won.Load() != 1 {
		t.Fatalf("%d holders acquired the lease", won.Load())
	}
}
