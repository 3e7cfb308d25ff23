package membership

import (
	"context"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/metastore/boltstore"
)

func openStore(t *testing.T) metastore.Store {
	t.Helper()
	s, err := boltstore.Open(filepath.Join(t.TempDir(), "meta.db"), boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func join(t *testing.T, s metastore.Store, want int32, port int32) *Membership {
	t.Helper()
	m, err := Join(context.Background(), s, Config{WantNodeID: want, Host: "127.0.0.1", Port: port,
		HeartbeatInterval: 20 * time.Millisecond, SessionTimeout: 200 * time.Millisecond}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("join on port %d: %v", port, err)
	}
	return m
}

func TestJoinTakesLowestFreeIDsAndAgreesOnLeaders(t *testing.T) {
	s := openStore(t)
	a, b := join(t, s, -1, 1001), join(t, s, -1, 1002)
	if a.Self().NodeID != 0 || b.Self().NodeID != 1 {
		t.Fatalf("node IDs %d, %d: want 0, 1", a.Self().NodeID, b.Self().NodeID)
	}
	if err := a.refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(a.Live()) != 2 || len(b.Live()) != 2 {
		t.Fatalf("live sets %v / %v", a.Live(), b.Live())
	}
	leaders := map[int32]int{}
	topic := metastore.TopicID{7}
	for p := int32(0); p < 64; p++ {
		la, lb := a.Leader(topic, p), b.Leader(topic, p)
		if la.NodeID != lb.NodeID {
			t.Fatalf("partition %d: brokers disagree on the leader (%d vs %d)", p, la.NodeID, lb.NodeID)
		}
		leaders[la.NodeID]++
	}
	if len(leaders) != 2 {
		t.Fatalf("64 partitions all led by %v: leadership not spread", leaders)
	}
	if _, err := Join(context.Background(), s, Config{WantNodeID: 1, Host: "127.0.0.1", Port: 1003, SessionTimeout: time.Second}, slog.New(slog.DiscardHandler)); err == nil {
		t.Fatal("claimed node ID 1 while a live broker holds it")
	}
}

func TestDeadBrokerDropsOutAndLeaveIsImmediate(t *testing.T) {
	s := openStore(t)
	a, b, c := join(t, s, -1, 1001), join(t, s, -1, 1002), join(t, s, -1, 1003)
	if err := a.refresh(context.Background()); err != nil || len(a.Live()) != 3 {
		t.Fatalf("live set after three joins: %v %v", a.Live(), err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go a.Run(ctx)
	cctx, stopC := context.WithCancel(ctx)
	cDone := make(chan struct{})
	go func() { c.Run(cctx); close(cDone) }()
	// b stops heartbeating (as if killed): gone after the session timeout.
	deadline := time.Now().Add(2 * time.Second)
	for !liveWithout(a, b.Self().NodeID) {
		if time.Now().After(deadline) {
			t.Fatalf("dead broker still live after 2s: %v", a.Live())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if liveWithout(a, c.Self().NodeID) {
		t.Fatal("heartbeating broker dropped out")
	}
	// c leaves cleanly (heartbeats stopped first, as node.Close does): gone
	// at a's next refresh, well before its session timeout.
	stopC()
	<-cDone
	if err := c.Leave(context.Background()); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for !liveWithout(a, c.Self().NodeID) {
		if time.Since(start) > 150*time.Millisecond {
			t.Fatalf("departed broker still live after %v", time.Since(start))
		}
		time.Sleep(10 * time.Millisecond)
	}
	// b's ID is free again: a newcomer takes the lowest one.
	d := join(t, s, -1, 1004)
	if d.Self().NodeID != b.Self().NodeID {
		t.Fatalf("newcomer got node ID %d, want the freed %d", d.Self().NodeID, b.Self().NodeID)
	}
}

func liveWithout(m *Membership, id int32) bool {
	for _, b := range m.Live() {
		if b.NodeID == id {
			return false
		}
	}
	return true
}

// TestLapsedRegistrationReRegisters: a broker whose registration lapsed (a
// long pause) registers again on its next heartbeat instead of serving
// under an ID it no longer holds.
func TestLapsedRegistrationReRegisters(t *testing.T) {
	s := openStore(t)
	a := join(t, s, -1, 1001)
	time.Sleep(250 * time.Millisecond) // past the 200ms session: lapsed
	b := join(t, s, -1, 1002)          // takes the lapsed ID 0
	if b.Self().NodeID != 0 {
		t.Fatalf("newcomer got %d, want the lapsed 0", b.Self().NodeID)
	}
	if err := a.beat(context.Background()); err != nil {
		t.Fatal(err)
	}
	if a.Self().NodeID == 0 {
		t.Fatal("lapsed broker kept node ID 0, now held by another")
	}
	if err := a.beat(context.Background()); err != nil {
		t.Fatalf("heartbeat after re-registering: %v", err)
	}
}

// countingStore counts the Cluster calls that reach the store.
type countingStore struct {
	metastore.Store
	calls map[string]int
}

func (c *countingStore) Heartbeat(ctx context.Context, nodeID int32, instance string, ttl time.Duration) ([]metastore.BrokerInfo, error) {
	c.calls["Heartbeat"]++
	return c.Store.Heartbeat(ctx, nodeID, instance, ttl)
}

func (c *countingStore) LiveBrokers(ctx context.Context) ([]metastore.BrokerInfo, error) {
	c.calls["LiveBrokers"]++
	return c.Store.LiveBrokers(ctx)
}

func (c *countingStore) RegisterBroker(ctx context.Context, want int32, b metastore.BrokerInfo, ttl time.Duration) (metastore.BrokerInfo, error) {
	c.calls["RegisterBroker"]++
	return c.Store.RegisterBroker(ctx, want, b, ttl)
}

// TestHeartbeatIsOneStoreCall: a beat renews the registration and learns
// the live set in one call to the store (one SQL statement on Postgres),
// where it used to be a Heartbeat and then a LiveBrokers: two statements
// per broker every heartbeat interval.
func TestHeartbeatIsOneStoreCall(t *testing.T) {
	s := openStore(t)
	cs := &countingStore{Store: s, calls: map[string]int{}}
	a := join(t, cs, -1, 1001)
	b := join(t, s, -1, 1002) // joins after a read the live set
	clear(cs.calls)
	const beats = 10
	for range beats {
		if err := a.beat(t.Context()); err != nil {
			t.Fatalf("beat: %v", err)
		}
	}
	if want := map[string]int{"Heartbeat": beats}; !maps.Equal(cs.calls, want) {
		t.Fatalf("%d beats made the store calls %v, want %v", beats, cs.calls, want)
	}
	if !slices.ContainsFunc(a.Live(), func(x metastore.BrokerInfo) bool { return x.Instance == b.Self().Instance }) {
		t.Fatalf("after its beats a's live set %v lacks b, which joined after a", a.Live())
	}
}
