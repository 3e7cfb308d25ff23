package metastore

import (
	"context"
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
	// database's for Postgres, so broker clocks may disagree).
	Expires time.Time
}

// Cluster is the part of the metadata store that lets many stateless
// brokers share one store: membership with heartbeats, and named leases so
// background work runs once across the cluster.
//
// Contract (checked by metastoretest):
//   - RegisterBroker with want >= 0 claims that node ID; it fails with
//     ErrConflict while another live instance holds it. With want < 0 it
//     claims the lowest ID no live broker holds. Registering again with the
//     same Instance renews. The registration lives for ttl.
//   - Heartbeat renews for ttl; ErrConflict when the registration lapsed and
//     another instance took the ID (the caller must register again).
//   - LiveBrokers lists registrations not yet expired, sorted by NodeID.
//   - AcquireLease grants name to holder for ttl when it is free, expired,
//     or already the holder's (a renewal); otherwise it reports false.
//     ReleaseLease frees it if holder holds it.
type Cluster interface {
	RegisterBroker(ctx context.Context, want int32, b BrokerInfo, ttl time.Duration) (BrokerInfo, error)
	Heartbeat(ctx context.Context, nodeID int32, instance string, ttl time.Duration) error
	DeregisterBroker(ctx context.Context, nodeID int32, instance string) error
	LiveBrokers(ctx context.Context) ([]BrokerInfo, error)

	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error
}
