package e2e

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// numbered is the value of the i-th record a test produces; seqOf reads
// the number back (-1 if v is not one of ours).
func numbered(i int) string { return fmt.Sprintf("rec-%06d", i) }

func seqOf(v []byte) int {
	s, ok := strings.CutPrefix(string(v), "rec-")
	if !ok || len(s) != 6 {
		return -1
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

// ackLog records the outcome of every record produced through it: which
// were acknowledged (at what partition and offset) and which failed.
type ackLog struct {
	wg     sync.WaitGroup
	mu     sync.Mutex
	acked  map[int]kgo.Record // by seqOf(value)
	failed map[int]error
}

func newAckLog() *ackLog {
	return &ackLog{acked: map[int]kgo.Record{}, failed: map[int]error{}}
}

// produce sends r asynchronously; its outcome lands in the log.
func (a *ackLog) produce(ctx context.Context, cl *kgo.Client, r *kgo.Record) {
	a.wg.Add(1)
	cl.Produce(ctx, r, func(r *kgo.Record, err error) {
		defer a.wg.Done()
		a.mu.Lock()
		defer a.mu.Unlock()
		if err != nil {
			a.failed[seqOf(r.Value)] = err
			return
		}
		a.acked[seqOf(r.Value)] = *r
	})
}

// wait blocks until every produced record has an outcome, or fails t.
func (a *ackLog) wait(t *testing.T, d time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() { a.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("produced records still unanswered after %v (%d acked)", d, a.numAcked())
	}
}

func (a *ackLog) numAcked() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.acked)
}

// snapshot copies the acknowledged records and the failures.
func (a *ackLog) snapshot() (map[int]kgo.Record, map[int]error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	acked := make(map[int]kgo.Record, len(a.acked))
	for k, v := range a.acked {
		acked[k] = v
	}
	failed := make(map[int]error, len(a.failed))
	for k, v := range a.failed {
		failed[k] = v
	}
	return acked, failed
}

// waitAcked polls until at least n records are acknowledged.
func (a *ackLog) waitAcked(t *testing.T, n int, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for a.numAcked() < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d records acknowledged after %v", a.numAcked(), n, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// readAll consumes every partition of topic from offset 0 up to its high
// watermark with a fresh franz-go consumer (which checks every batch CRC)
// and returns the records by partition. Any fetch error fails t: a corrupt
// or half-written batch served by the broker surfaces here.
func readAll(t *testing.T, addr, topic string) (map[int32][]*kgo.Record, map[int32]int64) {
	t.Helper()
	ctx := ctxTimeout(t, 60*time.Second)
	adm := newAdmin(t, addr)
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil || ends.Error() != nil {
		t.Fatalf("list end offsets of %s: %v %v", topic, err, ends.Error())
	}
	hwm := map[int32]int64{}
	offsets := map[int32]kgo.Offset{}
	ends.Each(func(o kadm.ListedOffset) {
		hwm[o.Partition] = o.Offset
		offsets[o.Partition] = kgo.NewOffset().At(0)
	})
	got := map[int32][]*kgo.Record{}
	cons := newClient(t, addr, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: offsets}),
		kgo.FetchMaxWait(200*time.Millisecond))
	defer cons.Close()
	behind := func() bool {
		for p, end := range hwm {
			if n := len(got[p]); end > 0 && (n == 0 || got[p][n-1].Offset+1 < end) {
				return true
			}
		}
		return false
	}
	for behind() {
		fs := cons.PollFetches(ctx)
		for _, e := range fs.Errors() {
			t.Fatalf("fetch %s[%d]: %v", e.Topic, e.Partition, e.Err)
		}
		fs.EachRecord(func(r *kgo.Record) { got[r.Partition] = append(got[r.Partition], r) })
	}
	return got, hwm
}

// checkLog asserts what every partition of a log must look like whatever
// happened to the broker: offsets dense from 0 up to the high watermark,
// every value one of ours and no value twice, and (idempotent producers
// keep order per partition) values increasing along each partition. It
// returns the sequence numbers present, with their records.
func checkLog(t *testing.T, got map[int32][]*kgo.Record, hwm map[int32]int64) map[int]*kgo.Record {
	t.Helper()
	seen := map[int]*kgo.Record{}
	for p, end := range hwm {
		recs := got[p]
		last := -1
		for i, r := range recs {
			if r.Offset != int64(i) {
				t.Fatalf("partition %d: record %d has offset %d (offsets not dense from 0)", p, i, r.Offset)
			}
			n := seqOf(r.Value)
			if n < 0 {
				t.Fatalf("partition %d offset %d: value %q is not one we produced", p, r.Offset, r.Value)
			}
			if prev, dup := seen[n]; dup {
				t.Fatalf("record %d twice: partition %d offset %d and partition %d offset %d", n, prev.Partition, prev.Offset, p, r.Offset)
			}
			if n <= last {
				t.Fatalf("partition %d offset %d: record %d after record %d (order lost)", p, r.Offset, n, last)
			}
			seen[n], last = r, n
		}
		if int64(len(recs)) != end {
			t.Fatalf("partition %d: %d records read, high watermark %d", p, len(recs), end)
		}
	}
	return seen
}

// sortedKeys returns m's keys in order, for messages.
func sortedKeys[V any](m map[int]V) []int {
	ks := make([]int, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// firstErr is m's error with the lowest key, for messages.
func firstErr(m map[int]error) error {
	for _, k := range sortedKeys(m) {
		return m[k]
	}
	return nil
}
