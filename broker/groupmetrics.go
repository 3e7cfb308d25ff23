package broker

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tributary-io/tributary/broker/group"
	"github.com/tributary-io/tributary/internal/metastore"
)

// groupCollector exports, at each scrape, the consumer groups this broker
// coordinates (each group is exported by its coordinator only, so a sum
// across brokers counts each once):
//
//	tributary_group_members{group, kind}        current members
//	tributary_group_rebalances_total{group}     generations (classic) or group epochs (KIP-848) since this broker took the group over
//	tributary_group_lag_records{group, topic}   sum over the group's committed partitions of high watermark - committed offset
//
// Label values are group and topic names: as many as the cluster has,
// which its operators choose (no partition or client label).
type groupCollector struct{ s *Server }

var (
	groupMembersDesc    = prometheus.NewDesc("tributary_group_members", "Members of a consumer group this broker coordinates.", []string{"group", "kind"}, nil)
	groupRebalancesDesc = prometheus.NewDesc("tributary_group_rebalances_total", "Rebalances (new generations or KIP-848 group epochs) of a group since this broker became its coordinator.", []string{"group"}, nil)
	groupLagDesc        = prometheus.NewDesc("tributary_group_lag_records", "Records between a group's committed offsets and the high watermarks, summed over a topic's committed partitions.", []string{"group", "topic"}, nil)
)

func (c groupCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- groupMembersDesc
	ch <- groupRebalancesDesc
	ch <- groupLagDesc
}

// scrapeTimeout bounds the store reads of one scrape.
const scrapeTimeout = 2 * time.Second

func (c groupCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	gs, err := c.s.GroupStatus(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(groupMembersDesc, err)
		return
	}
	for _, g := range gs {
		ch <- prometheus.MustNewConstMetric(groupMembersDesc, prometheus.GaugeValue, float64(g.Members), g.Name, g.Kind)
		ch <- prometheus.MustNewConstMetric(groupRebalancesDesc, prometheus.CounterValue, float64(g.Rebalances), g.Name)
		if g.LagErr != nil {
			ch <- prometheus.NewInvalidMetric(groupLagDesc, g.LagErr)
			continue
		}
		for topic, n := range g.Lag {
			ch <- prometheus.MustNewConstMetric(groupLagDesc, prometheus.GaugeValue, float64(n), g.Name, topic)
		}
	}
}

// GroupStatus is a group this broker coordinates, with its lag.
type GroupStatus struct {
	group.Stats
	// Lag is, per topic, the high watermarks minus the committed offsets
	// over the partitions the group committed; LagErr why it is missing.
	Lag    map[string]int64
	LagErr error
}

// GroupStatus lists the groups this broker coordinates with their
// members and lag (what /metrics and the status page show).
func (s *Server) GroupStatus(ctx context.Context) ([]GroupStatus, error) {
	stats, err := s.groups.Stats(ctx)
	if err != nil {
		return nil, err
	}
	topics, err := s.topics.Topics(ctx)
	if err != nil {
		return nil, err
	}
	c := groupCollector{s}
	hw := map[metastore.PartitionKey]int64{}
	out := make([]GroupStatus, len(stats))
	for i, g := range stats {
		out[i].Stats = g
		out[i].Lag, out[i].LagErr = c.groupLag(ctx, g.Name, topics, hw)
	}
	return out, nil
}

// groupLag is a group's lag per topic; hw caches high watermarks across
// the groups of one scrape.
func (c groupCollector) groupLag(ctx context.Context, group string, topics map[string]metastore.Topic, hw map[metastore.PartitionKey]int64) (map[string]int64, error) {
	offs, err := c.s.meta.FetchOffsets(ctx, group)
	if err != nil {
		return nil, err
	}
	lag := map[string]int64{}
	for _, o := range offs {
		t, ok := topics[o.Topic]
		if !ok || o.Offset < 0 {
			continue
		}
		pk := metastore.PartitionKey{Topic: t.ID, Partition: o.Partition}
		end, ok := hw[pk]
		if !ok {
			st, err := c.s.meta.Partition(ctx, pk)
			if err != nil {
				continue // a partition gone since the commit has no lag
			}
			end, hw[pk] = st.HighWater, st.HighWater
		}
		lag[o.Topic] += max(end-o.Offset, 0)
	}
	return lag, nil
}
