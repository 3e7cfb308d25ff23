package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tributary-io/tributary/internal/metastore"
)

// claimAttempts bounds RegisterBroker(want < 0) losing races for the
// lowest free node ID to brokers registering at the same moment; each
// lost race means another broker won, so n brokers starting at once need
// at most n attempts.
const claimAttempts = 64

// micros is a ttl as the microseconds the SQL adds to now().
func micros(ttl time.Duration) int64 { return ttl.Microseconds() }

// RegisterBroker claims want (or, if want < 0, the instance's current ID
// or else the lowest free one) for b.Instance, by the database's clock.
func (s *Store) RegisterBroker(ctx context.Context, want int32, b metastore.BrokerInfo, ttl time.Duration) (metastore.BrokerInfo, error) {
	if err := metastore.ValidateRegistration(b, ttl); err != nil {
		return metastore.BrokerInfo{}, err
	}
	err := s.retry(ctx, func() error {
		if want >= 0 {
			return claim(s.pool.QueryRow(ctx, sqlBrokerClaim, want, b.Instance, b.Host, b.Port, b.Rack, micros(ttl)), &b)
		}
		for range claimAttempts {
			err := claim(s.pool.QueryRow(ctx, sqlBrokerClaimAny, b.Instance, b.Host, b.Port, b.Rack, micros(ttl)), &b)
			if !errors.Is(err, metastore.ErrConflict) {
				return err
			}
		}
		return fmt.Errorf("lost %d races for a free node id: %w", claimAttempts, metastore.ErrConflict)
	})
	if err != nil {
		return metastore.BrokerInfo{}, fmt.Errorf("register broker %d as %s: %w", want, b.Instance, err)
	}
	return b, nil
}

// claim reads the (node_id, expires) of a claim into b; no row is
// ErrConflict.
func claim(row pgx.Row, b *metastore.BrokerInfo) error {
	err := row.Scan(&b.NodeID, &b.Expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("node id held by another live instance: %w", metastore.ErrConflict)
	}
	b.Expires = b.Expires.UTC()
	return err
}

// Heartbeat renews instance's registration of nodeID and reads the live
// set, in one statement.
func (s *Store) Heartbeat(ctx context.Context, nodeID int32, instance string, ttl time.Duration) ([]metastore.BrokerInfo, error) {
	if err := metastore.ValidateBroker(nodeID, instance); err != nil {
		return nil, err
	}
	if err := metastore.ValidateTTL(ttl); err != nil {
		return nil, err
	}
	var live []metastore.BrokerInfo
	err := s.retry(ctx, func() error {
		var renewed bool
		live, renewed = nil, false
		rows, _ := s.pool.Query(ctx, sqlBrokerHeartbeat, nodeID, instance, micros(ttl))
		var b metastore.BrokerInfo
		var mine bool
		_, err := pgx.ForEachRow(rows, []any{&b.NodeID, &b.Instance, &b.Host, &b.Port, &b.Rack, &b.Expires, &mine}, func() error {
			b.Expires = b.Expires.UTC()
			live = append(live, b)
			renewed = renewed || mine
			return nil
		})
		if err == nil && !renewed {
			return fmt.Errorf("registration lost: %w", metastore.ErrConflict)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("heartbeat of broker %d instance %s: %w", nodeID, instance, err)
	}
	return live, nil
}

// DeregisterBroker removes nodeID's registration if instance holds it.
func (s *Store) DeregisterBroker(ctx context.Context, nodeID int32, instance string) error {
	if err := metastore.ValidateBroker(nodeID, instance); err != nil {
		return err
	}
	err := s.retry(ctx, func() error {
		_, err := s.pool.Exec(ctx, sqlBrokerDeregister, nodeID, instance)
		return err
	})
	if err != nil {
		return fmt.Errorf("deregister broker %d: %w", nodeID, err)
	}
	return nil
}

// LiveBrokers lists the unexpired registrations by node ID.
func (s *Store) LiveBrokers(ctx context.Context) ([]metastore.BrokerInfo, error) {
	var live []metastore.BrokerInfo
	err := s.retry(ctx, func() error {
		live = nil
		rows, _ := s.pool.Query(ctx, sqlBrokersLive)
		var b metastore.BrokerInfo
		_, err := pgx.ForEachRow(rows, []any{&b.NodeID, &b.Instance, &b.Host, &b.Port, &b.Rack, &b.Expires}, func() error {
			b.Expires = b.Expires.UTC()
			live = append(live, b)
			return nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list live brokers: %w", err)
	}
	return live, nil
}

// AcquireLease grants or renews name for holder unless another holds it.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if err := metastore.ValidateLease(name, holder); err != nil {
		return false, err
	}
	if err := metastore.ValidateTTL(ttl); err != nil {
		return false, err
	}
	var granted bool
	err := s.retry(ctx, func() error {
		tag, err := s.pool.Exec(ctx, sqlLeaseAcquire, name, holder, micros(ttl))
		granted = tag.RowsAffected() == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	return granted, nil
}

// ReleaseLease frees name if holder holds it.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if err := metastore.ValidateLease(name, holder); err != nil {
		return err
	}
	err := s.retry(ctx, func() error {
		_, err := s.pool.Exec(ctx, sqlLeaseRelease, name, holder)
		return err
	})
	if err != nil {
		return fmt.Errorf("release lease %s: %w", name, err)
	}
	return nil
}
