package e2e

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// A checker in the manner of Jepsen's Kafka workload (jepsen.tests.kafka):
// the run records every value handed to a producer (attempted), every
// acknowledgement with the partition and offset it reported (acked), every
// failure, and what consumers saw while the run went on (observed). After
// the run the whole log is read end to end, and the check reports:
//
//   - lost: acknowledged, but absent from the log;
//   - duplicated: one value at more than one offset;
//   - reordered: a producer's values out of its send order within a
//     partition (idempotent producers keep order per partition);
//   - gaps: offsets not dense from 0 up to the high watermark;
//   - unexpected: a value in the log that no producer ever attempted;
//   - moved: acknowledged at one partition/offset, found at another;
//   - inconsistent: a consumer saw a different value (or none) at a
//     partition/offset than the final read finds there.
//
// A value present but never acknowledged is indeterminate, not an error:
// a produce whose answer was lost (broker killed, database restarted)
// may have committed. Such values are counted, not reported.
//
// Values are "w<producer>-<sequence>", sequences counting up from 0 per
// producer in send order; checkerValue and parseCheckerValue convert.
type checker struct {
	mu        sync.Mutex
	wg        sync.WaitGroup // produces still unanswered
	attempted map[string]bool
	acked     map[string]logPos
	failed    map[string]error
	observed  map[logPos]string
	conflicts []string // consumers seeing two values at one offset
}

// logPos is a place in the log.
type logPos struct {
	Partition int32
	Offset    int64
}

func (p logPos) String() string { return fmt.Sprintf("%d/%d", p.Partition, p.Offset) }

func newChecker() *checker {
	return &checker{attempted: map[string]bool{}, acked: map[string]logPos{}, failed: map[string]error{}, observed: map[logPos]string{}}
}

// checkerValue is producer w's i-th value.
func checkerValue(w, i int) string { return fmt.Sprintf("w%02d-%08d", w, i) }

// parseCheckerValue reads a value back; ok is false for a foreign value.
func parseCheckerValue(v string) (w, i int, ok bool) {
	ws, is, found := strings.Cut(v, "-")
	if !found || len(ws) != 3 || ws[0] != 'w' || len(is) != 8 {
		return 0, 0, false
	}
	w, err1 := strconv.Atoi(ws[1:])
	i, err2 := strconv.Atoi(is)
	return w, i, err1 == nil && err2 == nil
}

// attempt records that v is about to be sent (before the send, so that a
// value in the log is never "unexpected" by a race).
func (c *checker) attempt(v string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.attempted[v] = true
}

// ack records v acknowledged at p.
func (c *checker) ack(v string, p logPos) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.acked[v] = p
	delete(c.failed, v)
}

// fail records that producing v ended in err (the outcome is unknown).
func (c *checker) fail(v string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failed[v] = err
}

// observe records that a consumer read v at p during the run.
func (c *checker) observe(v string, p logPos) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.observed[p]; ok && prev != v {
		c.conflicts = append(c.conflicts, fmt.Sprintf("%v: consumers read %s and %s", p, prev, v))
	}
	c.observed[p] = v
}

// produce sends r (its value set by the caller) asynchronously through cl
// and records the attempt and its outcome.
func (c *checker) produce(ctx context.Context, cl *kgo.Client, r *kgo.Record) {
	v := string(r.Value)
	c.attempt(v)
	c.wg.Add(1)
	cl.Produce(ctx, r, func(r *kgo.Record, err error) {
		defer c.wg.Done()
		if err != nil {
			c.fail(v, err)
			return
		}
		c.ack(v, logPos{r.Partition, r.Offset})
	})
}

// wait blocks until every produce has an outcome, or fails t after d.
func (c *checker) wait(t *testing.T, d time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() { c.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("produces still unanswered after %v (%d acked)", d, c.numAcked())
	}
}

func (c *checker) numAcked() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.acked)
}

// waitAcked polls until n values are acknowledged, or fails t after d.
func (c *checker) waitAcked(t *testing.T, n int, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for c.numAcked() < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d records acknowledged after %v", c.numAcked(), n, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// consume polls cl (a consumer of the topic from the start) until ctx
// ends, observing every record; the returned channel closes when it stops.
func (c *checker) consume(ctx context.Context, cl *kgo.Client) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
				c.observe(string(r.Value), logPos{r.Partition, r.Offset})
			})
		}
	}()
	return done
}

// checkReport is the outcome of a check; ok() says whether it found
// anything wrong, String() is a readable summary with examples.
type checkReport struct {
	Partitions, Read                   int
	Attempted, Acked, Failed, Observed int
	Indeterminate                      int // in the log, never acknowledged: allowed
	Lost, Duplicated, Reordered, Gaps  []string
	Unexpected, Moved, Inconsistent    []string
	readErr                            error
}

func (r *checkReport) ok() bool {
	return r.readErr == nil && len(r.Lost)+len(r.Duplicated)+len(r.Reordered)+len(r.Gaps)+
		len(r.Unexpected)+len(r.Moved)+len(r.Inconsistent) == 0
}

func (r *checkReport) String() string {
	var b strings.Builder
	verdict := "OK"
	if !r.ok() {
		verdict = "FAILED"
	}
	fmt.Fprintf(&b, "check %s: %d partitions, %d records read; %d attempted, %d acked, %d failed, %d indeterminate in the log, %d observed by consumers",
		verdict, r.Partitions, r.Read, r.Attempted, r.Acked, r.Failed, r.Indeterminate, r.Observed)
	if r.readErr != nil {
		fmt.Fprintf(&b, "\n  read: %v", r.readErr)
	}
	for _, k := range []struct {
		name string
		list []string
	}{
		{"lost (acked, absent)", r.Lost}, {"duplicated", r.Duplicated}, {"reordered", r.Reordered},
		{"offset gaps", r.Gaps}, {"unexpected (never attempted)", r.Unexpected},
		{"moved (acked elsewhere)", r.Moved}, {"inconsistent with consumers", r.Inconsistent},
	} {
		if len(k.list) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n  %s: %d", k.name, len(k.list))
		for i, s := range k.list {
			if i == 10 {
				fmt.Fprintf(&b, "\n    … %d more", len(k.list)-10)
				break
			}
			fmt.Fprintf(&b, "\n    %s", s)
		}
	}
	return b.String()
}

// check compares the history with log (every partition read from offset 0)
// and the partitions' high watermarks.
func (c *checker) check(log map[int32][]*kgo.Record, hwm map[int32]int64) *checkReport {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := &checkReport{Partitions: len(hwm), Attempted: len(c.attempted), Acked: len(c.acked), Failed: len(c.failed), Observed: len(c.observed)}
	r.Inconsistent = append(r.Inconsistent, c.conflicts...)
	found := map[string]logPos{}
	at := map[logPos]string{}
	for _, p := range sortedParts(hwm) {
		c.checkPartition(r, p, log[p], hwm[p], found, at)
	}
	for _, v := range sortedStrings(c.acked) {
		want := c.acked[v]
		switch got, ok := found[v]; {
		case !ok:
			r.Lost = append(r.Lost, fmt.Sprintf("%s acked at %v", v, want))
		case got != want:
			r.Moved = append(r.Moved, fmt.Sprintf("%s acked at %v, read at %v", v, want, got))
		}
	}
	for v := range found {
		if _, ok := c.acked[v]; !ok && c.attempted[v] {
			r.Indeterminate++
		}
	}
	for _, p := range sortedPos(c.observed) {
		if v := c.observed[p]; at[p] != v {
			r.Inconsistent = append(r.Inconsistent, fmt.Sprintf("%v: consumer read %s, final read has %q", p, v, at[p]))
		}
	}
	return r
}

// checkPartition checks one partition's records: dense offsets, no value
// twice (across partitions too, through found), values attempted, and each
// producer's sequence increasing along the partition.
func (c *checker) checkPartition(r *checkReport, p int32, recs []*kgo.Record, end int64, found map[string]logPos, at map[logPos]string) {
	last := map[int]int{} // producer → last sequence seen here
	next := int64(0)
	for _, rec := range recs {
		r.Read++
		pos, v := logPos{p, rec.Offset}, string(rec.Value)
		if rec.Offset != next {
			r.Gaps = append(r.Gaps, fmt.Sprintf("partition %d: offset %d where %d was due", p, rec.Offset, next))
		}
		next = rec.Offset + 1
		at[pos] = v
		if prev, dup := found[v]; dup {
			r.Duplicated = append(r.Duplicated, fmt.Sprintf("%s at %v and %v", v, prev, pos))
			continue
		}
		found[v] = pos
		if !c.attempted[v] {
			r.Unexpected = append(r.Unexpected, fmt.Sprintf("%q at %v", v, pos))
			continue
		}
		w, i, _ := parseCheckerValue(v)
		if prev, ok := last[w]; ok && i < prev {
			r.Reordered = append(r.Reordered, fmt.Sprintf("partition %d: %s at offset %d after %s", p, v, rec.Offset, checkerValue(w, prev)))
		}
		last[w] = max(last[w], i)
	}
	if next != end {
		r.Gaps = append(r.Gaps, fmt.Sprintf("partition %d: read up to offset %d, high watermark %d", p, next, end))
	}
}

// readLogVia reads every partition of topic from offset 0 to its high
// watermark with a fresh client made by newCl (seeded or pinned as the
// test wants); franz-go checks every batch's CRC. A fetch error or a read
// that does not reach the high watermark within d fails t.
func readLogVia(t *testing.T, topic string, d time.Duration, newCl func(...kgo.Opt) *kgo.Client) (map[int32][]*kgo.Record, map[int32]int64) {
	t.Helper()
	ctx := ctxTimeout(t, d)
	adm := kadm.NewClient(newCl())
	defer adm.Close()
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		t.Fatalf("list end offsets of %s: %v", topic, err)
	}
	hwm := map[int32]int64{}
	from := map[int32]kgo.Offset{}
	ends.Each(func(o kadm.ListedOffset) {
		hwm[o.Partition] = o.Offset
		from[o.Partition] = kgo.NewOffset().At(0)
	})
	cons := newCl(kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: from}), kgo.FetchMaxWait(200*time.Millisecond))
	defer cons.Close()
	got := map[int32][]*kgo.Record{}
	for p, end := range hwm {
		for n := len(got[p]); end > 0 && (n == 0 || got[p][n-1].Offset+1 < end); n = len(got[p]) {
			fs := cons.PollFetches(ctx)
			for _, e := range fs.Errors() {
				t.Fatalf("fetch %s[%d]: %v (read so far: %d records of partition %d, high watermark %d)", e.Topic, e.Partition, e.Err, n, p, end)
			}
			fs.EachRecord(func(r *kgo.Record) {
				if r.Offset < hwm[r.Partition] {
					got[r.Partition] = append(got[r.Partition], r)
				}
			})
		}
	}
	return got, hwm
}

func sortedParts[V any](m map[int32]V) []int32 {
	out := make([]int32, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func sortedStrings[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedPos[V any](m map[logPos]V) []logPos {
	out := make([]logPos, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Partition < out[j].Partition || out[i].Partition == out[j].Partition && out[i].Offset < out[j].Offset
	})
	return out
}

// TestClusterCheckerFindsAnomalies feeds the checker a made-up history and
// log with one anomaly of each kind, so that a checker that finds nothing
// cannot pass the cluster tests by accident.
func TestClusterCheckerFindsAnomalies(t *testing.T) {
	chk := newChecker()
	for i := range 6 {
		chk.attempt(checkerValue(0, i))
	}
	chk.ack(checkerValue(0, 0), logPos{0, 0})
	chk.ack(checkerValue(0, 1), logPos{0, 1})
	chk.ack(checkerValue(0, 2), logPos{0, 5}) // read at 0/2: moved
	chk.ack(checkerValue(0, 5), logPos{1, 0}) // absent: lost
	chk.observe("something else", logPos{0, 1})
	rec := func(p int32, o int64, v string) *kgo.Record {
		return &kgo.Record{Partition: p, Offset: o, Value: []byte(v)}
	}
	log := map[int32][]*kgo.Record{0: {
		rec(0, 0, checkerValue(0, 0)),
		rec(0, 1, checkerValue(0, 1)),
		rec(0, 2, checkerValue(0, 2)),
		rec(0, 3, checkerValue(0, 4)), // indeterminate (never acked), then
		rec(0, 4, checkerValue(0, 3)), // 3 after 4: reordered
		rec(0, 6, checkerValue(0, 1)), // offset 5 skipped: gap; 0-1 again: duplicated
		rec(0, 7, "intruder"),         // never attempted: unexpected
	}}
	rep := chk.check(log, map[int32]int64{0: 8, 1: 0})
	t.Logf("%v", rep)
	for name, n := range map[string]int{
		"lost": len(rep.Lost), "duplicated": len(rep.Duplicated), "reordered": len(rep.Reordered),
		"gaps": len(rep.Gaps), "unexpected": len(rep.Unexpected), "moved": len(rep.Moved), "inconsistent": len(rep.Inconsistent),
	} {
		if n != 1 {
			t.Errorf("%s: %d found, want 1", name, n)
		}
	}
	if rep.ok() || rep.Indeterminate != 2 {
		t.Errorf("ok=%v indeterminate=%d, want a failed check with 2 indeterminate", rep.ok(), rep.Indeterminate)
	}
}
