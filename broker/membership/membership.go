// Package membership keeps this broker registered in the metadata store and
// knows which brokers are alive, for cluster mode: many stateless brokers on
// one metadata store, with no consensus of their own.
//
// Each broker registers (claiming a node ID), then heartbeats every
// HeartbeatInterval, each beat one store call that renews the
// registration and returns the live set; a registration not renewed within SessionTimeout
// lapses, and the broker drops out of every other broker's Metadata answers
// at their next refresh. Leadership is derived, not elected: every broker
// computes the same leader for a partition from the same live set (Leader),
// and since any broker accepts Produce and Fetch for any partition, a
// client that briefly follows a stale leader still succeeds.
//
// Peers this broker could reach and now cannot (a SIGKILLed broker's port
// refuses connections at once) stop being advertised in Metadata (Live,
// Leader) before their session lapses: Probe dials every registered peer
// each ProbeInterval. A peer never reached is kept (its advertised address
// may be one only clients can reach), and the store's session timeout stays
// the authority for everything else (Registered, Coordinator), so group
// coordination never depends on a probe.
//
// Concurrency: Run and Probe are the goroutines that write; the live sets
// are immutable slices swapped atomically, so readers never lock.
package membership

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"maps"
	"net"
	"slices"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
)

// Config says how this broker registers.
type Config struct {
	// WantNodeID claims a fixed node ID; -1 takes the lowest free one.
	WantNodeID int32
	Host       string
	Port       int32
	Rack       string
	// HeartbeatInterval is how often the registration is renewed and the
	// live set re-read (default 1s).
	HeartbeatInterval time.Duration
	// SessionTimeout is how long a registration lives without a heartbeat
	// (default 3s).
	SessionTimeout time.Duration
	// ProbeInterval is how often peers are dialled (default 250ms; a
	// negative value turns probing off).
	ProbeInterval time.Duration
	// Dial connects to a peer's Kafka address; default a TCP dial.
	Dial func(ctx context.Context, addr string) (net.Conn, error)
}

// Membership is this broker's registration and its view of the cluster.
type Membership struct {
	cfg   Config
	store metastore.Cluster
	log   *slog.Logger
	self  atomic.Pointer[metastore.BrokerInfo]
	live  atomic.Pointer[[]metastore.BrokerInfo] // the store's live set
	// down holds the instances of peers once reached and now not; only
	// Probe writes it (a map swapped whole).
	down atomic.Pointer[map[string]bool]
}

// Join registers this broker and reads the live set once.
func Join(ctx context.Context, store metastore.Cluster, cfg Config, log *slog.Logger) (*Membership, error) {
	if cfg.HeartbeatInterval <= 0 {
		cfg.HeartbeatInterval = time.Second
	}
	if cfg.SessionTimeout <= 0 {
		cfg.SessionTimeout = 3 * time.Second
	}
	if cfg.ProbeInterval == 0 {
		cfg.ProbeInterval = 250 * time.Millisecond
	}
	if cfg.Dial == nil {
		cfg.Dial = func(ctx context.Context, addr string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", addr)
		}
	}
	m := &Membership{cfg: cfg, store: store, log: log}
	m.down.Store(&map[string]bool{})
	var inst [8]byte
	rand.Read(inst[:])
	b := metastore.BrokerInfo{Instance: hex.EncodeToString(inst[:]), Host: cfg.Host, Port: cfg.Port, Rack: cfg.Rack}
	got, err := store.RegisterBroker(ctx, cfg.WantNodeID, b, cfg.SessionTimeout)
	if err != nil {
		return nil, fmt.Errorf("register broker at %s:%d: %w", cfg.Host, cfg.Port, err)
	}
	m.self.Store(&got)
	if err := m.refresh(ctx); err != nil {
		return nil, err
	}
	return m, nil
}

// Self is this broker's registration.
func (m *Membership) Self() metastore.BrokerInfo { return *m.self.Load() }

// Live is the brokers to advertise: the last read live set, sorted by node
// ID, without the peers this broker reached before and cannot reach now;
// it always includes this broker.
func (m *Membership) Live() []metastore.BrokerInfo {
	live, down := *m.live.Load(), *m.down.Load()
	if len(down) == 0 {
		return live
	}
	out := make([]metastore.BrokerInfo, 0, len(live))
	for _, b := range live {
		if !down[b.Instance] {
			out = append(out, b)
		}
	}
	return out
}

// Registered is the last read live set of the store, sorted by node ID,
// probes aside; it always includes this broker.
func (m *Membership) Registered() []metastore.BrokerInfo { return *m.live.Load() }

// Leader is the broker that Metadata names as leader of a partition: the
// same on every broker that sees the same live set.
func (m *Membership) Leader(topic metastore.TopicID, partition int32) metastore.BrokerInfo {
	live := m.Live()
	h := fnv.New32a()
	h.Write(topic[:])
	h.Write([]byte{byte(partition >> 24), byte(partition >> 16), byte(partition >> 8), byte(partition)})
	return live[int(h.Sum32()%uint32(len(live)))]
}

// Coordinator is the broker that coordinates a consumer group (or any
// other keyed role): the same on every broker that sees the same live set.
// Rendezvous hashing (the live broker with the highest hash of key and node
// ID wins) moves only the dead broker's groups when one dies, where a
// modulo would reshuffle most of them.
func (m *Membership) Coordinator(key string) metastore.BrokerInfo {
	live := m.Registered()
	best, bestScore := live[0], uint64(0)
	for i, b := range live {
		h := fnv.New64a()
		h.Write([]byte(key))
		h.Write([]byte{0, byte(b.NodeID >> 24), byte(b.NodeID >> 16), byte(b.NodeID >> 8), byte(b.NodeID)})
		if score := mix(h.Sum64()); i == 0 || score > bestScore {
			best, bestScore = b, score
		}
	}
	return best
}

// mix is splitmix64's finalizer: FNV's last bytes barely reach the high
// bits, and the node ID comes last.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// Run heartbeats until ctx ends. A lapsed registration (the store gave the
// ID to another instance) is re-registered asking for the same ID first.
func (m *Membership) Run(ctx context.Context) {
	t := time.NewTicker(m.cfg.HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := m.beat(ctx); err != nil && ctx.Err() == nil {
			m.log.Warn("broker heartbeat failed", "node_id", m.Self().NodeID, "err", err)
		}
	}
}

// beat renews the registration and publishes the live set the store
// returned with it: one statement a beat on Postgres. Only a lapsed
// registration costs more (register again, then read the live set).
func (m *Membership) beat(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, m.cfg.SessionTimeout/2)
	defer cancel()
	self := m.Self()
	live, err := m.store.Heartbeat(ctx, self.NodeID, self.Instance, m.cfg.SessionTimeout)
	if errors.Is(err, metastore.ErrConflict) {
		m.log.Warn("broker registration lapsed; registering again", "node_id", self.NodeID)
		got, rerr := m.store.RegisterBroker(ctx, self.NodeID, self, m.cfg.SessionTimeout)
		if errors.Is(rerr, metastore.ErrConflict) {
			got, rerr = m.store.RegisterBroker(ctx, -1, self, m.cfg.SessionTimeout)
		}
		if rerr != nil {
			return fmt.Errorf("re-register: %w", rerr)
		}
		m.self.Store(&got)
		return m.refresh(ctx)
	}
	if err != nil {
		return fmt.Errorf("heartbeat: %w", err)
	}
	m.publish(live)
	return nil
}

// refresh re-reads the live set and publishes it.
func (m *Membership) refresh(ctx context.Context) error {
	live, err := m.store.LiveBrokers(ctx)
	if err != nil {
		return fmt.Errorf("list live brokers: %w", err)
	}
	m.publish(live)
	return nil
}

// publish swaps in a live set read from the store, keeping this broker in
// it even when its own registration was read as lapsed (this broker knows
// it is alive).
func (m *Membership) publish(live []metastore.BrokerInfo) {
	self := m.Self()
	found := false
	for _, b := range live {
		found = found || b.NodeID == self.NodeID
	}
	if !found {
		live = append(live, self)
		sort.Slice(live, func(i, j int) bool { return live[i].NodeID < live[j].NodeID })
	}
	m.live.Store(&live)
}

// Probe dials every registered peer each ProbeInterval until ctx ends, and
// marks down the ones that were reached before and now fail (up again at
// the next successful dial). It returns at once when probing is off.
func (m *Membership) Probe(ctx context.Context) {
	if m.cfg.ProbeInterval < 0 {
		return
	}
	reached := map[string]bool{} // instances dialled successfully at least once
	t := time.NewTicker(m.cfg.ProbeInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		m.probeOnce(ctx, reached)
	}
}

// probeOnce dials the peers concurrently and publishes the new down set.
func (m *Membership) probeOnce(ctx context.Context, reached map[string]bool) {
	self := m.Self()
	peers := m.Registered()
	ok := make([]bool, len(peers))
	var wg sync.WaitGroup
	for i, b := range peers {
		if b.Instance == self.Instance {
			continue
		}
		wg.Go(func() {
			dctx, cancel := context.WithTimeout(ctx, m.cfg.ProbeInterval)
			defer cancel()
			c, err := m.cfg.Dial(dctx, net.JoinHostPort(b.Host, strconv.Itoa(int(b.Port))))
			if err == nil {
				_ = c.Close() // the dial was the probe
				ok[i] = true
			}
		})
	}
	wg.Wait()
	down := map[string]bool{}
	for i, b := range peers {
		switch {
		case b.Instance == self.Instance:
		case ok[i]:
			reached[b.Instance] = true
		case reached[b.Instance]:
			down[b.Instance] = true
		}
	}
	for inst := range reached { // forget instances gone from the store
		if !slices.ContainsFunc(peers, func(b metastore.BrokerInfo) bool { return b.Instance == inst }) {
			delete(reached, inst)
		}
	}
	if old := *m.down.Load(); !maps.Equal(old, down) {
		m.log.Info("peer reachability changed", "unreachable", len(down), "of", len(peers)-1)
	}
	m.down.Store(&down)
}

// Leave deregisters, so the others drop this broker at once rather than
// after the session timeout.
func (m *Membership) Leave(ctx context.Context) error {
	self := m.Self()
	return m.store.DeregisterBroker(ctx, self.NodeID, self.Instance)
}
