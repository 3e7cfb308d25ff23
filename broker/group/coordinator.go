// Package group is the consumer-group coordinator: the classic protocol
// (JoinGroup, SyncGroup, Heartbeat, LeaveGroup, static membership), KIP-848
// consumer groups (ConsumerGroupHeartbeat, a server-side assignor), and
// committed offsets, all kept in the metadata store so that any broker can
// take a group over.
//
// One coordinator per group, chosen by a rule every broker computes alike
// from the live broker set (Options.Owner). A broker keeps the groups it
// coordinates in memory and writes each transition that matters after a
// crash (a new generation, its assignments, members leaving) to the store
// with a compare-and-swap on the record's version. Two brokers that both
// believe they own a group (their views of the live set differ for a
// heartbeat or two) cannot both win: the loser's write fails, it drops the
// group and answers NOT_COORDINATOR, and the client looks the coordinator
// up again. Offset commits are checked against the stored generation in the
// same store transaction, so a zombie member, or a stale coordinator that
// still believes in an old generation, cannot commit.
//
// Heartbeats and session deadlines live only in memory: a broker taking a
// group over gives every stored member a fresh session timeout.
//
// Concurrency: each group has its own mutex, held across the store write
// of a transition so transitions are written in order; the coordinator's
// map has another. Requests that must wait (JoinGroup until the rebalance
// completes, SyncGroup until the leader's assignment) get a channel that a
// later transition answers; the tick loop ends rebalances whose time is up
// and expires members whose session lapsed.
package group

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/twmb/franz-go/pkg/kerr"
)

// Options configure the coordinator. Zero values take Kafka's defaults.
type Options struct {
	// Owner reports which broker coordinates a group, and whether it is
	// this one. Nil means this broker coordinates every group.
	Owner func(group string) (node int32, mine bool)
	// MinSessionTimeout and MaxSessionTimeout bound the session timeouts
	// members may ask for (group.min/max.session.timeout.ms: 6s, 30min).
	MinSessionTimeout, MaxSessionTimeout time.Duration
	// InitialRebalanceDelay holds the first rebalance of an empty group
	// open for more members (group.initial.rebalance.delay.ms: 3s).
	InitialRebalanceDelay time.Duration
	// OffsetsRetention is how long an empty group's offsets are kept
	// (offsets.retention.minutes: 7 days).
	OffsetsRetention time.Duration
	// Tick is how often deadlines are checked (default 100ms).
	Tick time.Duration
	// ConsumerSessionTimeout and ConsumerHeartbeatInterval are the KIP-848
	// group.consumer.session.timeout.ms (45s) and
	// group.consumer.heartbeat.interval.ms (5s).
	ConsumerSessionTimeout, ConsumerHeartbeatInterval time.Duration
	// Topics resolves topic names to partition counts and IDs, for KIP-848
	// assignment and for validating commits; nil skips both.
	Topics TopicResolver
	// Configs resolves a group's dynamic configs, which override
	// ConsumerSessionTimeout and ConsumerHeartbeatInterval for that group;
	// nil gives every group the broker's.
	Configs ConfigResolver
}

// TopicResolver looks topics up for the coordinator.
type TopicResolver interface {
	// Topics returns every topic by name.
	Topics(ctx context.Context) (map[string]metastore.Topic, error)
}

func (o *Options) defaults() {
	if o.MinSessionTimeout <= 0 {
		o.MinSessionTimeout = 6 * time.Second
	}
	if o.MaxSessionTimeout <= 0 {
		o.MaxSessionTimeout = 30 * time.Minute
	}
	if o.InitialRebalanceDelay < 0 {
		o.InitialRebalanceDelay = 0
	}
	if o.OffsetsRetention <= 0 {
		o.OffsetsRetention = 7 * 24 * time.Hour
	}
	if o.Tick <= 0 {
		o.Tick = 100 * time.Millisecond
	}
	if o.ConsumerSessionTimeout <= 0 {
		o.ConsumerSessionTimeout = 45 * time.Second
	}
	if o.ConsumerHeartbeatInterval <= 0 {
		o.ConsumerHeartbeatInterval = 5 * time.Second
	}
}

// Coordinator coordinates the groups this broker owns.
type Coordinator struct {
	opts  Options
	store metastore.Groups
	log   *slog.Logger

	mu     sync.Mutex
	groups map[string]*group
	closed bool

	stop chan struct{}
	done chan struct{}
}

// New starts a coordinator; Close stops it.
func New(store metastore.Groups, opts Options, log *slog.Logger) *Coordinator {
	opts.defaults()
	c := &Coordinator{opts: opts, store: store, log: log, groups: map[string]*group{},
		stop: make(chan struct{}), done: make(chan struct{})}
	go c.tickLoop()
	return c
}

// Close stops the tick loop and answers every waiting request with
// NOT_COORDINATOR, so clients move to the broker that takes over.
func (c *Coordinator) Close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	gs := c.groups
	c.groups = map[string]*group{}
	c.mu.Unlock()
	close(c.stop)
	<-c.done
	for _, g := range gs {
		g.mu.Lock()
		g.abandon(kerr.NotCoordinator.Code)
		g.mu.Unlock()
	}
}

// Owner reports which broker coordinates a group.
func (c *Coordinator) Owner(group string) (node int32, mine bool) {
	if c.opts.Owner == nil {
		return -1, true
	}
	return c.opts.Owner(group)
}

// errNotCoordinator and errUnavailable are what acquire reports instead
// of a group; they map to the Kafka codes of the same names.
var (
	errNotCoordinator = errors.New("group: not the coordinator")
	errUnavailable    = errors.New("group: coordinator not available")
)

// errorCode maps acquire's errors to Kafka's.
func errorCode(err error) int16 {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errNotCoordinator):
		return kerr.NotCoordinator.Code
	default:
		return kerr.CoordinatorNotAvailable.Code
	}
}

// acquire returns the group, locked, loading it from the store when this
// broker has just become its coordinator. create makes an empty group
// (unsaved until its first transition) when the store has none; without
// create a missing group is (nil, nil), still "locked" in the sense that
// nothing needs unlocking.
func (c *Coordinator) acquire(ctx context.Context, name string, create bool) (*group, error) {
	if _, mine := c.Owner(name); !mine {
		c.forget(name)
		return nil, errNotCoordinator
	}
	for attempt := 0; attempt < 3; attempt++ {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return nil, errNotCoordinator
		}
		g := c.groups[name]
		c.mu.Unlock()
		if g == nil {
			rec, err := c.store.Group(ctx, name)
			switch {
			case errors.Is(err, metastore.ErrUnknownGroup):
				if !create {
					return nil, nil
				}
				g = newGroup(c, name)
			case err != nil:
				c.log.Warn("load group", "group", name, "err", err)
				return nil, fmt.Errorf("%w: %v", errUnavailable, err)
			default:
				if g, err = loadGroup(c, rec); err != nil {
					c.log.Error("stored group does not decode", "group", name, "err", err)
					return nil, fmt.Errorf("%w: %v", errUnavailable, err)
				}
			}
			c.mu.Lock()
			if cur := c.groups[name]; cur != nil {
				g = cur
			} else {
				c.groups[name] = g
			}
			c.mu.Unlock()
		}
		g.mu.Lock()
		if g.gone {
			g.mu.Unlock()
			continue // dropped while we waited for its lock: load again
		}
		return g, nil
	}
	return nil, errUnavailable
}

// forget drops a group this broker no longer owns (or whose stored record
// moved on without it), answering its waiting requests.
func (c *Coordinator) forget(name string) {
	c.mu.Lock()
	g := c.groups[name]
	delete(c.groups, name)
	c.mu.Unlock()
	if g != nil {
		g.mu.Lock()
		g.abandon(kerr.NotCoordinator.Code)
		g.mu.Unlock()
	}
}

// drop removes g, which the caller holds locked, from the map.
func (c *Coordinator) drop(g *group) {
	c.mu.Lock()
	if c.groups[g.name] == g {
		delete(c.groups, g.name)
	}
	c.mu.Unlock()
	g.abandon(kerr.NotCoordinator.Code)
}

func (c *Coordinator) tickLoop() {
	defer close(c.done)
	t := time.NewTicker(c.opts.Tick)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case now := <-t.C:
			c.tick(now)
		}
	}
}

// tick hands off groups this broker no longer owns and fires the
// deadlines of the ones it does.
func (c *Coordinator) tick(now time.Time) {
	c.mu.Lock()
	gs := make([]*group, 0, len(c.groups))
	for _, g := range c.groups {
		gs = append(gs, g)
	}
	c.mu.Unlock()
	for _, g := range gs {
		if _, mine := c.Owner(g.name); !mine {
			c.log.Info("group moved to another coordinator", "group", g.name)
			c.forget(g.name)
			continue
		}
		g.mu.Lock()
		if !g.gone {
			g.onTick(now)
		}
		g.mu.Unlock()
	}
}

// ctx is the context for store writes made by transitions that no request
// owns (the tick loop's, a member expiring).
func (c *Coordinator) bg() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 10*time.Second)
}
