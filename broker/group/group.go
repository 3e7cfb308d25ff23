package group

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The group states, named as ListGroups and DescribeGroups report them.
const (
	stateEmpty               = "Empty"
	statePreparingRebalance  = "PreparingRebalance"
	stateCompletingRebalance = "CompletingRebalance"
	stateStable              = "Stable"
	stateDead                = "Dead"
	// KIP-848 groups also report Assigning and Reconciling.
	stateReconciling = "Reconciling"
)

// The group kinds, as metastore.Group.Kind stores them.
const (
	kindClassic  = "classic"
	kindConsumer = "consumer"
)

// protocol is one assignment protocol a classic member supports.
type protocol struct {
	Name     string
	Metadata []byte
}

// member is one member of a classic group.
type member struct {
	ID           string
	InstanceID   string // static membership (KIP-345); "" for dynamic members
	ClientID     string
	ClientHost   string
	ProtocolType string
	Protocols    []protocol
	// SessionTimeout and RebalanceTimeout are in milliseconds.
	SessionTimeout   int32
	RebalanceTimeout int32
	Assignment       []byte

	// In memory only: the waiting JoinGroup and SyncGroup, and when the
	// session lapses without a heartbeat.
	join     *joinWait
	sync     *syncWait
	deadline time.Time
	isNew    bool
}

func (m *member) sessionTimeout() time.Duration {
	return time.Duration(m.SessionTimeout) * time.Millisecond
}

func (m *member) metadataFor(name string) ([]byte, bool) {
	for _, p := range m.Protocols {
		if p.Name == name {
			return p.Metadata, true
		}
	}
	return nil, false
}

// joinWait is a JoinGroup awaiting the end of the rebalance.
type joinWait struct {
	version int16
	ch      chan *kmsg.JoinGroupResponse
}

// syncWait is a SyncGroup awaiting the leader's assignment.
type syncWait struct {
	ch chan *kmsg.SyncGroupResponse
}

// group is one group this broker coordinates.
type group struct {
	c    *Coordinator
	mu   sync.Mutex
	name string
	// gone marks a group dropped from the coordinator's map: whoever
	// locks it afterwards must look it up again.
	gone bool
	// version is the stored record's version (0: never stored).
	version int64

	kind         string
	state        string
	protocolType string
	protocol     string
	generation   int32
	leader       string
	members      []*member

	// pending holds the member IDs handed out with MEMBER_ID_REQUIRED
	// (KIP-394), until the member joins with it or the deadline passes.
	pending map[string]time.Time
	// rebalanceDeadline ends a PreparingRebalance whoever has rejoined;
	// initialUntil and initialLimit run the delayed first rebalance of an
	// empty group (group.initial.rebalance.delay.ms).
	rebalanceDeadline time.Time
	initialUntil      time.Time
	initialLimit      time.Time
	newMemberAdded    bool

	// consumer holds a KIP-848 group's state (kind consumer).
	consumer *consumerGroup

	// rebalances counts the generations (classic) or group epochs
	// (KIP-848) this coordinator moved the group to, for metrics.
	rebalances int64
}

func newGroup(c *Coordinator, name string) *group {
	return &group{c: c, name: name, kind: kindClassic, state: stateEmpty, pending: map[string]time.Time{}}
}

func (g *group) member(id string) *member {
	for _, m := range g.members {
		if m.ID == id {
			return m
		}
	}
	return nil
}

func (g *group) staticMember(instance string) *member {
	if instance == "" {
		return nil
	}
	for _, m := range g.members {
		if m.InstanceID == instance {
			return m
		}
	}
	return nil
}

func (g *group) removeMember(id string) *member {
	for i, m := range g.members {
		if m.ID == id {
			g.members = append(g.members[:i:i], g.members[i+1:]...)
			return m
		}
	}
	return nil
}

// save writes the group to the store. On a conflict (another broker wrote
// it since) or an unknown outcome the group is dropped, its waiting
// requests answered, and the caller gets the error to report.
func (g *group) save(ctx context.Context) error {
	state, err := encodeState(g)
	if err != nil {
		return fmt.Errorf("%w: encode group: %v", errUnavailable, err)
	}
	rec := metastore.Group{Name: g.name, Generation: g.generation, ProtocolType: g.protocolType,
		Kind: g.kind, StateName: g.state, State: state}
	got, err := g.c.store.PutGroup(ctx, rec, g.version)
	if err != nil {
		g.c.log.Warn("save group", "group", g.name, "version", g.version, "err", err)
		g.c.drop(g)
		if errors.Is(err, metastore.ErrConflict) {
			return errNotCoordinator
		}
		return fmt.Errorf("%w: %v", errUnavailable, err)
	}
	g.version = got.Version
	return nil
}

// abandon answers every waiting request with code and marks the group
// gone; the caller holds g.mu.
func (g *group) abandon(code int16) {
	g.gone = true
	for _, m := range g.members {
		if m.join != nil {
			m.join.ch <- joinError(m.join.version, m.ID, code)
			m.join = nil
		}
		if m.sync != nil {
			m.sync.ch <- syncError(code)
			m.sync = nil
		}
	}
}

func joinError(version int16, memberID string, code int16) *kmsg.JoinGroupResponse {
	r := kmsg.NewPtrJoinGroupResponse()
	r.Version = version
	r.ErrorCode = code
	r.MemberID = memberID
	r.Generation = -1
	return r
}

func syncError(code int16) *kmsg.SyncGroupResponse {
	r := kmsg.NewPtrSyncGroupResponse()
	r.ErrorCode = code
	return r
}

// onTick fires the group's deadlines; the caller holds g.mu.
func (g *group) onTick(now time.Time) {
	if g.kind == kindConsumer {
		g.consumerTick(now)
		return
	}
	for id, until := range g.pending {
		if now.After(until) {
			delete(g.pending, id)
		}
	}
	var expired []*member
	for _, m := range g.members {
		if g.state == statePreparingRebalance && m.join != nil {
			continue // waiting in JoinGroup is as good as heartbeating
		}
		if !m.deadline.IsZero() && now.After(m.deadline) {
			expired = append(expired, m)
		}
	}
	for _, m := range expired {
		g.c.log.Info("group member session expired", "group", g.name, "member", m.ID)
		g.removeAndRebalance(now, m, kerr.UnknownMemberID.Code)
		if g.gone {
			return
		}
	}
	if g.state == statePreparingRebalance {
		g.maybeCompleteJoin(now)
	}
}
