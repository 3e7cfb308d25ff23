package boltstore

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
)

// cluster keeps broker registrations and leases in memory, by the clock
// time.Now: the file lock lets only one process open the store, so no
// other broker can share them, and a crashed broker's registrations and
// leases lapse with it instead of blocking its restart. See doc.go.
type cluster struct {
	mu      sync.Mutex
	brokers map[int32]metastore.BrokerInfo
	leases  map[string]lease
}

type lease struct {
	holder  string
	expires time.Time
}

func newCluster() *cluster {
	return &cluster{brokers: map[int32]metastore.BrokerInfo{}, leases: map[string]lease{}}
}

// expiry returns now+ttl as the store reports it: UTC, to the microsecond
// (as Postgres keeps it), without a monotonic reading.
func expiry(now time.Time, ttl time.Duration) time.Time {
	return now.Add(ttl).UTC().Truncate(time.Microsecond)
}

// live reports whether a registration or lease expiring at exp still holds.
func live(exp, now time.Time) bool { return exp.After(now) }

// ready fails calls on a closed store or with a done context.
func (s *Store) ready(ctx context.Context) error {
	if s.closed.Load() {
		return fmt.Errorf("store closed: %w", metastore.ErrUnavailable)
	}
	return ctx.Err()
}

// RegisterBroker claims want (or, if want < 0, the instance's current ID
// or else the lowest free one) for b.Instance; see metastore.Cluster.
func (s *Store) RegisterBroker(ctx context.Context, want int32, b metastore.BrokerInfo, ttl time.Duration) (metastore.BrokerInfo, error) {
	if err := metastore.ValidateRegistration(b, ttl); err != nil {
		return metastore.BrokerInfo{}, err
	}
	if err := s.ready(ctx); err != nil {
		return metastore.BrokerInfo{}, fmt.Errorf("register broker %d: %w", want, err)
	}
	c := s.cluster
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	id := want
	if id < 0 {
		id = c.freeID(b.Instance, now)
	}
	if cur, ok := c.brokers[id]; ok && cur.Instance != b.Instance && live(cur.Expires, now) {
		return metastore.BrokerInfo{}, fmt.Errorf("register broker %d: held by instance %s: %w",
			id, cur.Instance, metastore.ErrConflict)
	}
	b.NodeID, b.Expires = id, expiry(now, ttl)
	c.brokers[id] = b
	return b, nil
}

// freeID is the ID instance holds already, or else the lowest ID no live
// broker holds. c.mu is held.
func (c *cluster) freeID(instance string, now time.Time) int32 {
	for _, id := range slices.Sorted(maps.Keys(c.brokers)) {
		if c.brokers[id].Instance == instance {
			return id
		}
	}
	for id := int32(0); ; id++ {
		if cur, ok := c.brokers[id]; !ok || !live(cur.Expires, now) {
			return id
		}
	}
}

// Heartbeat renews instance's registration of nodeID and returns the live
// set, under one hold of the lock.
func (s *Store) Heartbeat(ctx context.Context, nodeID int32, instance string, ttl time.Duration) ([]metastore.BrokerInfo, error) {
	if err := metastore.ValidateBroker(nodeID, instance); err != nil {
		return nil, err
	}
	if err := metastore.ValidateTTL(ttl); err != nil {
		return nil, err
	}
	if err := s.ready(ctx); err != nil {
		return nil, fmt.Errorf("heartbeat of broker %d: %w", nodeID, err)
	}
	c := s.cluster
	c.mu.Lock()
	defer c.mu.Unlock()
	cur, ok := c.brokers[nodeID]
	if !ok || cur.Instance != instance {
		return nil, fmt.Errorf("heartbeat of broker %d instance %s: registration lost: %w",
			nodeID, instance, metastore.ErrConflict)
	}
	now := time.Now()
	cur.Expires = expiry(now, ttl)
	c.brokers[nodeID] = cur
	return c.live(now), nil
}

// DeregisterBroker removes nodeID's registration if instance holds it.
func (s *Store) DeregisterBroker(ctx context.Context, nodeID int32, instance string) error {
	if err := metastore.ValidateBroker(nodeID, instance); err != nil {
		return err
	}
	if err := s.ready(ctx); err != nil {
		return fmt.Errorf("deregister broker %d: %w", nodeID, err)
	}
	c := s.cluster
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur, ok := c.brokers[nodeID]; ok && cur.Instance == instance {
		delete(c.brokers, nodeID)
	}
	return nil
}

// LiveBrokers lists the unexpired registrations by node ID.
func (s *Store) LiveBrokers(ctx context.Context) ([]metastore.BrokerInfo, error) {
	if err := s.ready(ctx); err != nil {
		return nil, fmt.Errorf("list live brokers: %w", err)
	}
	c := s.cluster
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.live(time.Now()), nil
}

// live lists the registrations unexpired at now, by node ID; c.mu must be
// held.
func (c *cluster) live(now time.Time) []metastore.BrokerInfo {
	var out []metastore.BrokerInfo
	for _, id := range slices.Sorted(maps.Keys(c.brokers)) {
		if b := c.brokers[id]; live(b.Expires, now) {
			out = append(out, b)
		}
	}
	return out
}

// AcquireLease grants or renews name for holder unless another holds it.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if err := metastore.ValidateLease(name, holder); err != nil {
		return false, err
	}
	if err := metastore.ValidateTTL(ttl); err != nil {
		return false, err
	}
	if err := s.ready(ctx); err != nil {
		return false, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	c := s.cluster
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if cur, ok := c.leases[name]; ok && cur.holder != holder && live(cur.expires, now) {
		return false, nil
	}
	c.leases[name] = lease{holder: holder, expires: expiry(now, ttl)}
	return true, nil
}

// ReleaseLease frees name if holder holds it.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if err := metastore.ValidateLease(name, holder); err != nil {
		return err
	}
	if err := s.ready(ctx); err != nil {
		return fmt.Errorf("release lease %s: %w", name, err)
	}
	c := s.cluster
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur, ok := c.leases[name]; ok && cur.holder == holder {
		delete(c.leases, name)
	}
	return nil
}
