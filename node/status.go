package node

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strconv"

	"github.com/tributary-io/tributary/internal/buildinfo"
	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/metrics"
	"github.com/tributary-io/tributary/internal/statuspage"
	"github.com/tributary-io/tributary/maintenance"
	"github.com/tributary-io/tributary/topicconfig"
)

// statusSnapshot assembles the admin status page's view (package
// statuspage) from the node's parts. A part that cannot be read is named
// in Errors; the others are still shown.
func (n *Node) statusSnapshot(ctx context.Context) statuspage.Snapshot {
	s := statuspage.Snapshot{
		Cluster: n.cfg.Name, Version: buildinfo.Read().String(), Self: n.members.Self().NodeID,
		ProducedRecords: metrics.Value(n.Metrics.ProduceRecords),
		FetchedRecords:  metrics.Value(n.Metrics.FetchRecords),
		GroupsNote:      fmt.Sprintf("The groups broker %d coordinates; each broker's page lists its own.", n.members.Self().NodeID),
	}
	for _, b := range n.members.Live() {
		s.Brokers = append(s.Brokers, statuspage.Broker{NodeID: b.NodeID, Address: net.JoinHostPort(b.Host, strconv.Itoa(int(b.Port))), Rack: b.Rack, Expires: b.Expires})
	}
	sort.Slice(s.Brokers, func(i, j int) bool { return s.Brokers[i].NodeID < s.Brokers[j].NodeID })
	var err error
	if s.Topics, err = n.statusTopics(ctx); err != nil {
		s.Errors = append(s.Errors, "topics: "+err.Error())
	}
	if s.Groups, err = n.statusGroups(ctx); err != nil {
		s.Errors = append(s.Errors, "groups: "+err.Error())
	}
	s.Tables = n.statusTables()
	if n.reg == nil {
		s.SubjectsNote = "This broker serves no schema registry (an external one is configured, or another broker on this host serves it)."
	} else if s.Subjects, err = n.statusSubjects(ctx); err != nil {
		s.Errors = append(s.Errors, "schemas: "+err.Error())
	}
	return s
}

func (n *Node) statusTopics(ctx context.Context) ([]statuspage.Topic, error) {
	ts, err := n.Meta.Topics(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]statuspage.Topic, 0, len(ts))
	for _, t := range ts {
		row := statuspage.Topic{Name: t.Name, Partitions: t.Partitions}
		if arc := topicconfig.Parse(t.Configs).Archive; arc.Iceberg() {
			row.Iceberg = arc.Catalog + ":" + arc.Table
		}
		for p := range t.Partitions {
			st, err := n.Meta.Partition(ctx, metastore.PartitionKey{Topic: t.ID, Partition: p})
			if err != nil {
				return nil, fmt.Errorf("topic %s partition %d: %w", t.Name, p, err)
			}
			row.Records += st.HighWater - st.LogStart
			row.HighWater += st.HighWater
			row.Bytes += st.Bytes
		}
		out = append(out, row)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (n *Node) statusGroups(ctx context.Context) ([]statuspage.Group, error) {
	gs, err := n.kafka.GroupStatus(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]statuspage.Group, 0, len(gs))
	for _, g := range gs {
		row := statuspage.Group{Name: g.Name, Kind: g.Kind, State: g.State, Members: g.Members, Rebalances: g.Rebalances, LagByTopic: g.Lag}
		for _, l := range g.Lag {
			row.Lag += l
		}
		out = append(out, row)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (n *Node) statusTables() []statuspage.Table {
	if n.ingest == nil {
		return nil
	}
	maint := map[maintenance.TableRef]maintenance.TableStatus{}
	if n.maint != nil {
		for _, s := range n.maint.Status() {
			maint[maintenance.TableRef{Catalog: s.Catalog, Table: s.Table}] = s
		}
	}
	var out []statuspage.Table
	for _, st := range n.ingest.Status() {
		row := statuspage.Table{Topic: st.Topic, Catalog: st.Catalog, Table: st.Table, Committer: st.HoldsLease,
			LastCommit: st.LastCommit, LagRecords: st.LagRecords, LagSeconds: st.LagSeconds, Rows: st.RowsCommitted,
			DataFiles: -1, LastError: st.LastError}
		if m, ok := maint[maintenance.TableRef{Catalog: st.Catalog, Table: st.Table}]; ok {
			if !m.CheckedAt.IsZero() {
				row.DataFiles, row.DataBytes, row.SmallFiles, row.Snapshots = m.DataFiles, m.DataBytes, m.SmallFiles, m.Snapshots
			}
			if m.LastRun != nil {
				row.LastMaintenance = m.LastRun.Started
			}
			if row.LastError == "" && m.LastError != "" {
				row.LastError = "maintenance: " + m.LastError
			}
		}
		out = append(out, row)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Topic < out[j].Topic })
	return out
}

func (n *Node) statusSubjects(ctx context.Context) ([]statuspage.Subject, error) {
	subs, err := n.reg.Subjects(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]statuspage.Subject, len(subs))
	for i, s := range subs {
		out[i] = statuspage.Subject{Subject: s.Subject, Versions: s.Versions, Latest: s.Latest, ID: s.ID, Type: s.Type}
	}
	return out, nil
}
