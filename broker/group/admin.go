package group

// ListGroups, DescribeGroups and DeleteGroups.

import (
	"context"
	"errors"
	"strings"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ListGroups lists the groups this broker coordinates, as Kafka brokers
// do (admin clients ask every broker and merge), filtered by state (v4+)
// and type (v5+).
func (c *Coordinator) ListGroups(ctx context.Context, req *kmsg.ListGroupsRequest) *kmsg.ListGroupsResponse {
	resp := req.ResponseKind().(*kmsg.ListGroupsResponse)
	stored, err := c.store.ListGroups(ctx)
	if err != nil {
		c.log.Warn("list groups", "err", err)
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		return resp
	}
	for _, rec := range stored {
		if _, mine := c.Owner(rec.Name); !mine {
			continue
		}
		state, ptype, kind := rec.StateName, rec.ProtocolType, rec.Kind
		c.mu.Lock()
		g := c.groups[rec.Name]
		c.mu.Unlock()
		if g != nil {
			g.mu.Lock()
			state, ptype, kind = g.state, g.protocolType, g.kind
			g.mu.Unlock()
		}
		if !matchesFilter(req.StatesFilter, state) || !matchesFilter(req.TypesFilter, kind) {
			continue
		}
		lg := kmsg.NewListGroupsResponseGroup()
		lg.Group, lg.ProtocolType, lg.GroupState, lg.GroupType = rec.Name, ptype, state, kind
		resp.Groups = append(resp.Groups, lg)
	}
	return resp
}

func matchesFilter(filter []string, v string) bool {
	if len(filter) == 0 {
		return true
	}
	for _, f := range filter {
		if strings.EqualFold(f, v) {
			return true
		}
	}
	return false
}

// DescribeGroups describes classic groups; a group nobody knows is Dead
// with no error, as Kafka answers.
func (c *Coordinator) DescribeGroups(ctx context.Context, req *kmsg.DescribeGroupsRequest) *kmsg.DescribeGroupsResponse {
	resp := req.ResponseKind().(*kmsg.DescribeGroupsResponse)
	for _, name := range req.Groups {
		dg := kmsg.NewDescribeGroupsResponseGroup()
		dg.Group = name
		dg.AuthorizedOperations = -2147483648
		g, err := c.acquire(ctx, name, false)
		switch {
		case err != nil:
			dg.ErrorCode = errorCode(err)
		case g == nil:
			dg.State = stateDead
		default:
			if g.kind == kindConsumer {
				// Kafka answers a classic describe of a KIP-848 group so.
				dg.ErrorCode = kerr.GroupIDNotFound.Code
				msg := "group " + name + " is a consumer group, not a classic group"
				dg.ErrorMessage = &msg
			} else {
				dg.State, dg.ProtocolType, dg.Protocol = g.state, g.protocolType, g.protocol
				for _, m := range g.members {
					dm := kmsg.NewDescribeGroupsResponseGroupMember()
					dm.MemberID, dm.ClientID, dm.ClientHost = m.ID, m.ClientID, m.ClientHost
					if m.InstanceID != "" {
						dm.InstanceID = kmsg.StringPtr(m.InstanceID)
					}
					if g.state == stateStable {
						dm.ProtocolMetadata, _ = m.metadataFor(g.protocol)
						dm.MemberAssignment = m.Assignment
					}
					dg.Members = append(dg.Members, dm)
				}
			}
			g.mu.Unlock()
		}
		resp.Groups = append(resp.Groups, dg)
	}
	return resp
}

// DeleteGroups deletes empty groups with their offsets.
func (c *Coordinator) DeleteGroups(ctx context.Context, req *kmsg.DeleteGroupsRequest) *kmsg.DeleteGroupsResponse {
	resp := req.ResponseKind().(*kmsg.DeleteGroupsResponse)
	for _, name := range req.Groups {
		dg := kmsg.NewDeleteGroupsResponseGroup()
		dg.Group = name
		dg.ErrorCode = c.deleteGroup(ctx, name)
		resp.Groups = append(resp.Groups, dg)
	}
	return resp
}

func (c *Coordinator) deleteGroup(ctx context.Context, name string) int16 {
	if name == "" {
		return kerr.InvalidGroupID.Code
	}
	g, err := c.acquire(ctx, name, false)
	if err != nil {
		return errorCode(err)
	}
	var version int64
	if g != nil {
		defer g.mu.Unlock()
		if g.state != stateEmpty && g.state != stateDead {
			return kerr.NonEmptyGroup.Code
		}
		version = g.version
	}
	err = c.store.DeleteGroup(ctx, name, version)
	switch {
	case err == nil:
		if g != nil {
			c.drop(g)
		}
		return 0
	case errors.Is(err, metastore.ErrUnknownGroup):
		if g != nil && g.version == 0 {
			c.drop(g)
		}
		return kerr.GroupIDNotFound.Code
	case errors.Is(err, metastore.ErrConflict):
		if g != nil {
			c.drop(g)
		}
		return kerr.NotCoordinator.Code
	default:
		c.log.Warn("delete group", "group", name, "err", err)
		return kerr.CoordinatorNotAvailable.Code
	}
}
