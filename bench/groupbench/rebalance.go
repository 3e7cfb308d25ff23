package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// member is one franz-go group member that polls (the topic holds only
// what prepareTopic wrote) and keeps its current assignment, as the
// assign, revoke and lost callbacks leave it.
type member struct {
	cl     *kgo.Client
	mu     sync.Mutex
	owned  map[int32]bool
	notify chan struct{} // a send after every assignment change
	done   chan struct{}
}

func startMember(addr, group, topic string, bal kgo.GroupBalancer, notify chan struct{}, o options) (*member, error) {
	m := &member{owned: map[int32]bool{}, notify: notify, done: make(chan struct{})}
	change := func(add bool) func(context.Context, *kgo.Client, map[string][]int32) {
		return func(_ context.Context, _ *kgo.Client, ps map[string][]int32) {
			m.mu.Lock()
			for _, p := range ps[topic] {
				if add {
					m.owned[p] = true
				} else {
					delete(m.owned, p)
				}
			}
			m.mu.Unlock()
			select {
			case m.notify <- struct{}{}:
			default:
			}
		}
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.Balancers(bal), kgo.HeartbeatInterval(o.heartbeat), kgo.SessionTimeout(o.session),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()), kgo.DisableAutoCommit(),
		kgo.OnPartitionsAssigned(change(true)), kgo.OnPartitionsRevoked(change(false)), kgo.OnPartitionsLost(change(false)))
	if err != nil {
		return nil, err
	}
	m.cl = cl
	go func() {
		defer close(m.done)
		for {
			if fs := cl.PollFetches(context.Background()); fs.IsClientClosed() {
				return
			}
		}
	}()
	return m, nil
}

func (m *member) close() {
	m.cl.Close()
	<-m.done
}

// settled reports whether the members' assignments cover partitions
// 0..n-1 exactly once, each member holding at least one.
func settled(ms []*member, n int) bool {
	count := make([]int, n)
	for _, m := range ms {
		m.mu.Lock()
		held := len(m.owned)
		for p := range m.owned {
			if int(p) < n {
				count[p]++
			}
		}
		m.mu.Unlock()
		if held == 0 {
			return false
		}
	}
	for _, c := range count {
		if c != 1 {
			return false
		}
	}
	return true
}

// waitSettled waits until settled(ms) holds, woken by assignment changes.
func waitSettled(ms []*member, n int, notify chan struct{}, d time.Duration) error {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for !settled(ms, n) {
		select {
		case <-notify:
		case <-deadline.C:
			return fmt.Errorf("%w: %d members, not covering %d partitions once each after %v", errSettle, len(ms), n, d)
		}
	}
	return nil
}

// rebalanceRounds runs a group of three members and, o.rounds times, adds
// a fourth (timing until all four settle) and closes it again (timing
// until the three settle).
func rebalanceRounds(ctx context.Context, addr, group string, bal kgo.GroupBalancer, o options) (join, leave []time.Duration, err error) {
	notify := make(chan struct{}, 1)
	var base []*member
	defer func() {
		for _, m := range base {
			m.close()
		}
	}()
	for range 3 {
		m, err := startMember(addr, group, o.topic, bal, notify, o)
		if err != nil {
			return nil, nil, err
		}
		base = append(base, m)
	}
	if err := waitSettled(base, o.partitions, notify, o.settle); err != nil {
		return nil, nil, fmt.Errorf("first three members: %w", err)
	}
	for range o.rounds {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		start := time.Now()
		fourth, err := startMember(addr, group, o.topic, bal, notify, o)
		if err != nil {
			return nil, nil, err
		}
		if err := waitSettled(append(base[:3:3], fourth), o.partitions, notify, o.settle); err != nil {
			fourth.close()
			return nil, nil, fmt.Errorf("after a join: %w", err)
		}
		join = append(join, time.Since(start))
		start = time.Now()
		fourth.close() // LeaveGroup
		if err := waitSettled(base, o.partitions, notify, o.settle); err != nil {
			return nil, nil, fmt.Errorf("after a leave: %w", err)
		}
		leave = append(leave, time.Since(start))
	}
	return join, leave, nil
}
