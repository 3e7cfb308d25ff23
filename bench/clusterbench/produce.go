package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kversion"
)

// pinnedProducer is a franz-go producer (idempotent, acks=all) whose every
// connection goes to addr, whichever broker Metadata names: the load is
// spread over the brokers exactly, not as the partition leaders fall. Its
// ApiVersions stays at v4: at v5 (KIP-1242) the client names the node it
// expects, and the broker answers a misrouted connection with
// REBOOTSTRAP_REQUIRED.
func pinnedProducer(addr, topic string, maxBuffered int) (*kgo.Client, error) {
	d := &net.Dialer{Timeout: 5 * time.Second}
	vs := kversion.Stable()
	vs.SetMaxKeyVersion(18, 4)
	return kgo.NewClient(kgo.SeedBrokers(addr), kgo.MaxVersions(vs),
		kgo.Dialer(func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		}),
		kgo.DefaultProduceTopic(topic), kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerBatchMaxBytes(1<<20), kgo.MaxBufferedRecords(maxBuffered))
}

// loadResult is one produce phase's outcome.
type loadResult struct {
	records  int
	bytes    int64
	elapsed  time.Duration
	p50, p99 time.Duration
}

func (r loadResult) mbps() float64 { return float64(r.bytes) / (1 << 20) / r.elapsed.Seconds() }

// values hands out record values: windows of one random pool, so that
// nothing compresses and no two neighbours are equal.
type values struct {
	pool []byte
	size int
}

func newValues(size int) values {
	pool := make([]byte, 8<<20+size)
	_, _ = rand.NewChaCha8([32]byte{1}).Read(pool) // ChaCha8.Read never fails
	return values{pool: pool, size: size}
}

func (v values) at(i int) []byte {
	off := (i * 7919) % (len(v.pool) - v.size)
	return v.pool[off : off+v.size]
}

// produceLoad has every client send perClient records, one every interval
// (back to back, as fast as the client buffers, when 0), and measures the
// latency of each record from its Produce call to its acknowledgement.
func produceLoad(ctx context.Context, clients []*kgo.Client, vals values, perClient int, interval time.Duration) (loadResult, error) {
	lat := make([]time.Duration, len(clients)*perClient)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	start := time.Now()
	for c, cl := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			next := time.Now()
			for i := range perClient {
				if interval > 0 {
					time.Sleep(time.Until(next))
					next = next.Add(interval)
				}
				n, sent := c*perClient+i, time.Now()
				wg.Add(1)
				r := &kgo.Record{Key: fmt.Appendf(nil, "k%d", n), Value: vals.at(n)}
				cl.Produce(ctx, r, func(_ *kgo.Record, err error) {
					defer wg.Done()
					lat[n] = time.Since(sent)
					if err != nil {
						mu.Lock()
						firstErr = err
						mu.Unlock()
					}
				})
			}
		}()
	}
	wg.Wait()
	res := loadResult{records: len(lat), bytes: int64(len(lat) * vals.size), elapsed: time.Since(start)}
	if firstErr != nil {
		return res, fmt.Errorf("produce: %w", firstErr)
	}
	slices.Sort(lat)
	q := func(f float64) time.Duration { return lat[int(f*float64(len(lat)-1))].Round(100 * time.Microsecond) }
	res.p50, res.p99 = q(0.50), q(0.99)
	return res, nil
}
