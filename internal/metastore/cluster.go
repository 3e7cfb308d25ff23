package metastore

import (
	"context"
	"fmt"
	"time"
)

// BrokerInfo is one broker's registration: how clients reach it, and until
// when it counts as alive without another heartbeat.
type BrokerInfo struct {
	NodeID int32
	// Instance is unique per broker process run, so a restarted broker that
	// reclaims its node ID is told apart from the one that held it.
	Instance string
	Host     string
	Port     int32
	Rack     string
	// Expires is when the registration lapses, by the store's clock (the
	// database's for Postgres, so broker clocks may disagree), to the
	// microsecond. It is ignored when registering.
	Expires time.Time
}

// Cluster is the part of the metadata store that lets many stateless
// brokers share one store: membership with heartbeats, and named leases so
// background work runs once across the cluster.
//
// Contract (checked by metastoretest):
//   - RegisterBroker with want >= 0 claims that node ID; it fails with
//     ErrConflict while another live instance holds it. With want < 0 it
//     claims the lowest ID no live broker holds, except that an instance
//     already registered keeps its ID. Registering again with the same
//     Instance renews. The registration lives for ttl.
//   - Heartbeat renews for ttl and returns the live set as LiveBrokers
//     would, with the renewed registration in it, read in the same call
//     (one statement on Postgres, so a beat costs one round trip);
//     ErrConflict when the registration lapsed and another instance took
//     the ID, or was deregistered (the caller must register again). A
//     lapsed registration nobody took is renewed.
//   - DeregisterBroker removes the registration if instance holds it, and
//     is a no-op otherwise (a broker shutting down after its ID was taken
//     must not remove the new holder).
//   - LiveBrokers lists registrations not yet expired, sorted by NodeID.
//   - AcquireLease grants name to holder for ttl when it is free, expired,
//     or already the holder's (a renewal); otherwise it reports false.
//     ReleaseLease frees it if holder holds it, and is a no-op otherwise.
//   - An empty Instance, lease name or holder, a negative node ID other
//     than "any" (want < 0) or a ttl that is not positive is
//     ErrInvalidRequest.
//   - Expiry is judged by the store's clock, never the caller's.
//
// Registrations and leases are shared by every handle on the same data.
// Whether they outlive the last handle is up to the backend: boltstore,
// whose file one process owns, keeps them in memory, since the file lock
// already proves that no other broker can hold them.
type Cluster interface {
	RegisterBroker(ctx context.Context, want int32, b BrokerInfo, ttl time.Duration) (BrokerInfo, error)
	Heartbeat(ctx context.Context, nodeID int32, instance string, ttl time.Duration) ([]BrokerInfo, error)
	DeregisterBroker(ctx context.Context, nodeID int32, instance string) error
	LiveBrokers(ctx context.Context) ([]BrokerInfo, error)

	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error
}

// ValidateBroker checks the node ID and instance given to Heartbeat and
// DeregisterBroker; shared by backends.
func ValidateBroker(nodeID int32, instance string) error {
	if nodeID < 0 || instance == "" {
		return fmt.Errorf("node %d instance %q: %w", nodeID, instance, ErrInvalidRequest)
	}
	return nil
}

// ValidateLease checks a lease's name and holder; shared by backends.
func ValidateLease(name, holder string) error {
	if name == "" || holder == "" {
		return fmt.Errorf("lease %q holder %q: %w", name, holder, ErrInvalidRequest)
	}
	return nil
}

// ValidateTTL checks the ttl of a registration, heartbeat or lease.
func ValidateTTL(ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("ttl %v: %w", ttl, ErrInvalidRequest)
	}
	return nil
}

// ValidateRegistration checks RegisterBroker's registration and ttl;
// shared by backends.
func ValidateRegistration(b BrokerInfo, ttl time.Duration) error {
	if b.Instance == "" {
		return fmt.Errorf("register broker with no instance: %w", ErrInvalidRequest)
	}
	return ValidateTTL(ttl)
}
