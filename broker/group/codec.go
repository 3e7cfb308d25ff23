package group

// The stored form of a group (metastore.Group.State): JSON, versioned by
// its V field, so a record can be read by eye in the database and a later
// release can change the layout. Only what a broker taking the group over
// needs is kept; heartbeat deadlines and waiting requests are not.

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
)

const codecVersion = 1

type storedGroup struct {
	V        int             `json:"v"`
	Protocol string          `json:"protocol,omitempty"`
	Leader   string          `json:"leader,omitempty"`
	Members  []*member       `json:"members,omitempty"`
	Consumer *storedConsumer `json:"consumer,omitempty"`
}

type storedConsumer struct {
	Epoch           int32               `json:"epoch"`
	AssignmentEpoch int32               `json:"assignment_epoch"`
	Assignor        string              `json:"assignor"`
	Target          map[string][]tp     `json:"target,omitempty"`
	Sig             map[string]topicSig `json:"sig,omitempty"`
	Members         []*consumerMember   `json:"members,omitempty"`
}

func encodeState(g *group) ([]byte, error) {
	sg := storedGroup{V: codecVersion, Protocol: g.protocol, Leader: g.leader, Members: g.members}
	if g.kind == kindConsumer && g.consumer != nil {
		cg := g.consumer
		sg.Consumer = &storedConsumer{Epoch: cg.Epoch, AssignmentEpoch: cg.AssignmentEpoch,
			Assignor: cg.Assignor, Target: cg.Target, Sig: cg.Sig, Members: cg.members}
	}
	return json.Marshal(sg)
}

// decodeState reads a stored group's State.
func decodeState(b []byte) (storedGroup, error) {
	var sg storedGroup
	if err := json.Unmarshal(b, &sg); err != nil {
		return sg, fmt.Errorf("decode group state: %w", err)
	}
	if sg.V != codecVersion {
		return sg, fmt.Errorf("decode group state: unknown version %d", sg.V)
	}
	for _, m := range sg.Members {
		if m == nil || m.ID == "" {
			return sg, fmt.Errorf("decode group state: member without an ID")
		}
	}
	if sg.Consumer != nil {
		for _, m := range sg.Consumer.Members {
			if m == nil || m.ID == "" {
				return sg, fmt.Errorf("decode group state: consumer member without an ID")
			}
		}
	}
	return sg, nil
}

// loadGroup rebuilds a group from its stored record, as the broker taking
// it over: every member gets a fresh session; a rebalance whose
// assignment was never stored starts again.
func loadGroup(c *Coordinator, rec metastore.Group) (*group, error) {
	sg, err := decodeState(rec.State)
	if err != nil {
		return nil, err
	}
	g := newGroup(c, rec.Name)
	g.version, g.generation, g.protocolType, g.state = rec.Version, rec.Generation, rec.ProtocolType, rec.StateName
	g.kind = rec.Kind
	now := time.Now()
	switch g.kind {
	case kindConsumer:
		cs := sg.Consumer
		if cs == nil {
			cs = &storedConsumer{}
		}
		g.consumer = &consumerGroup{Epoch: cs.Epoch, AssignmentEpoch: cs.AssignmentEpoch, Assignor: cs.Assignor,
			Target: cs.Target, Sig: cs.Sig, members: cs.Members}
		if g.consumer.Target == nil {
			g.consumer.Target = map[string][]tp{}
		}
		if g.consumer.Sig == nil {
			g.consumer.Sig = map[string]topicSig{}
		}
		for _, m := range g.consumer.members {
			m.deadline = now.Add(c.opts.ConsumerSessionTimeout)
			m.revokeDeadline = now.Add(time.Duration(m.RebalanceTimeout) * time.Millisecond)
		}
		g.updateConsumerState()
	case kindClassic:
		g.protocol, g.leader, g.members = sg.Protocol, sg.Leader, sg.Members
		for _, m := range g.members {
			m.deadline = now.Add(m.sessionTimeout())
		}
		switch g.state {
		case stateStable, stateEmpty:
		case stateCompletingRebalance, statePreparingRebalance:
			// The assignment of this generation was never stored: the
			// members must join again (their heartbeats say so).
			g.state = statePreparingRebalance
			var longest int32
			for _, m := range g.members {
				longest = max(longest, m.RebalanceTimeout)
			}
			g.rebalanceDeadline = now.Add(time.Duration(longest) * time.Millisecond)
		default:
			return nil, fmt.Errorf("decode group state: unknown state %q", g.state)
		}
	default:
		return nil, fmt.Errorf("decode group state: unknown kind %q", g.kind)
	}
	return g, nil
}
