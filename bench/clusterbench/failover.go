package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// failover kills the second broker with SIGKILL and returns how long after
// the kill a produce to every partition, from a client seeded with every
// broker (100ms retry backoff and metadata age, as the cluster tests),
// was acknowledged: the time until the others serve all partitions.
func failover(ctx context.Context, bs []*broker, topic string, partitions int) (time.Duration, error) {
	var seeds []string
	for _, b := range bs {
		seeds = append(seeds, b.kafka)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.DefaultProduceTopic(topic),
		kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.RetryBackoffFn(func(int) time.Duration { return 100 * time.Millisecond }), kgo.MetadataMinAge(100*time.Millisecond))
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	round := func() error {
		var wg sync.WaitGroup
		var mu sync.Mutex
		var first error
		for p := range partitions {
			wg.Add(1)
			cl.Produce(ctx, &kgo.Record{Partition: int32(p), Value: []byte("failover")}, func(_ *kgo.Record, err error) {
				defer wg.Done()
				if err != nil {
					mu.Lock()
					first = err
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		return first
	}
	if err := round(); err != nil {
		return 0, fmt.Errorf("before the kill: %w", err)
	}
	victim := bs[1]
	if err := victim.cmd.Process.Kill(); err != nil {
		return 0, fmt.Errorf("kill: %w", err)
	}
	killed := time.Now()
	<-victim.done
	if err := round(); err != nil {
		return 0, fmt.Errorf("after the kill: %w", err)
	}
	return time.Since(killed), nil
}
