package main

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

const commitGroup = "groupbench-commits"

// commitLatency joins one member to a group, waits for its assignment, and
// times o.commits synchronous commits of every partition (offsets cycling
// below the high watermark), one OffsetCommit request each.
func commitLatency(ctx context.Context, addr string, o options) ([]time.Duration, time.Duration, error) {
	notify := make(chan struct{}, 1)
	m, err := startMember(addr, commitGroup, o.topic, kgo.RangeBalancer(), notify, o)
	if err != nil {
		return nil, 0, err
	}
	defer m.close()
	if err := waitSettled([]*member{m}, o.partitions, notify, o.settle); err != nil {
		return nil, 0, err
	}
	lat := make([]time.Duration, 0, o.commits)
	start := time.Now()
	for i := range o.commits {
		offsets := map[string]map[int32]kgo.EpochOffset{o.topic: {}}
		for p := range int32(o.partitions) {
			offsets[o.topic][p] = kgo.EpochOffset{Epoch: -1, Offset: int64(i%100 + 1)}
		}
		var cerr error
		sent := time.Now()
		m.cl.CommitOffsetsSync(ctx, offsets, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
			if err != nil {
				cerr = err
				return
			}
			for _, t := range resp.Topics {
				for _, p := range t.Partitions {
					if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
						cerr = fmt.Errorf("%s[%d]: %w", t.Topic, p.Partition, err)
					}
				}
			}
		})
		lat = append(lat, time.Since(sent))
		if cerr != nil {
			return nil, 0, fmt.Errorf("commit %d: %w", i, cerr)
		}
	}
	return lat, time.Since(start), nil
}

// fetchLatency times o.fetches OffsetFetch requests for the commit group.
func fetchLatency(ctx context.Context, adm *kadm.Client, o options) ([]time.Duration, error) {
	lat := make([]time.Duration, 0, o.fetches)
	for i := range o.fetches {
		sent := time.Now()
		resp, err := adm.FetchOffsets(ctx, commitGroup)
		if err == nil {
			err = resp.Error()
		}
		if err != nil {
			return nil, fmt.Errorf("fetch %d: %w", i, err)
		}
		if len(resp[o.topic]) != o.partitions {
			return nil, fmt.Errorf("fetch %d: offsets of %d partitions, committed %d", i, len(resp[o.topic]), o.partitions)
		}
		lat = append(lat, time.Since(sent))
	}
	return lat, nil
}
