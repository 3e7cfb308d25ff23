package group

import "context"

// Stats is what metrics show of one group this broker coordinates.
type Stats struct {
	Name, Kind, State string
	// Members are the group's current members (0 when not loaded: an
	// empty group whose record is only in the store).
	Members int
	// Rebalances counts the generations (classic) or group epochs
	// (KIP-848) this broker moved the group to since it took it over.
	Rebalances int64
}

// Stats lists the groups this broker coordinates (stored, and owned here
// by the Owner rule), with what it holds of them in memory.
func (c *Coordinator) Stats(ctx context.Context) ([]Stats, error) {
	stored, err := c.store.ListGroups(ctx)
	if err != nil {
		return nil, err
	}
	var out []Stats
	for _, rec := range stored {
		if _, mine := c.Owner(rec.Name); !mine {
			continue
		}
		st := Stats{Name: rec.Name, Kind: rec.Kind, State: rec.StateName}
		c.mu.Lock()
		g := c.groups[rec.Name]
		c.mu.Unlock()
		if g != nil {
			g.mu.Lock()
			st.Kind, st.State, st.Rebalances = g.kind, g.state, g.rebalances
			st.Members = len(g.members)
			if g.consumer != nil {
				st.Members = len(g.consumer.members)
			}
			g.mu.Unlock()
		}
		out = append(out, st)
	}
	return out, nil
}
