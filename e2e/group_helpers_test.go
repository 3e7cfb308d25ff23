package e2e

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Helpers of the consumer-group tests: a franz-go member that commits
// only what it has processed and can be told to leave or be killed, and
// committed offsets compared with high watermarks.

// memberOpts shape one group member's client.
type memberOpts struct {
	Seeds      []string
	Group      string
	Topic      string
	Balancers  []kgo.GroupBalancer // nil: franz-go's default
	ServerSide bool                // KIP-848 (kgo.ServerSideBalancer)
	InstanceID string              // static member (KIP-345) when set
	// Process is called for every record the member processes, in poll
	// order, from the member's goroutine.
	Process func(m *groupMember, r *kgo.Record)
	// Gate, when set, is called before each record; false stops the member
	// (its context ended).
	Gate  func(ctx context.Context) bool
	Extra []kgo.Opt
}

// How a member stops.
const (
	memberRunning int32 = iota
	memberLeaving       // finish the batch, commit it, Close (LeaveGroup)
	memberKilled        // process half a batch, no commit, Close
)

// groupMember is one franz-go consumer of a group, in its own goroutine:
// poll a batch, process every record, commit what was polled
// (commit-after-process, so a commit never covers an unprocessed record).
// Auto-commit is off, so closing the client commits nothing: a killed
// member leaves its processed-but-uncommitted records for redelivery.
type groupMember struct {
	Name    string
	Index   int // bit index for who-processed-what bookkeeping
	Static  bool
	cl      *kgo.Client
	o       memberOpts
	ctx     context.Context
	cancel  context.CancelFunc
	how     atomic.Int32
	done    chan struct{}
	closed  chan struct{}
	started time.Time

	commits, commitFails, indeterminate atomic.Int64
	assigned, revoked, lost             atomic.Int64
	owned                               atomic.Int64 // partitions held, by the callbacks
	processed                           atomic.Int64
	errMu                               sync.Mutex
	commitErrs                          []string // the first few
	// Unsettled is, once a killed member stopped, what it processed that
	// no successful commit covered: another member must process it again.
	Unsettled []*kgo.Record
}

// startMember starts a member; it is killed, if still running, at test end.
func startMember(t *testing.T, name string, index int, o memberOpts) *groupMember {
	t.Helper()
	m := &groupMember{Name: name, Index: index, Static: o.InstanceID != "", o: o,
		done: make(chan struct{}), closed: make(chan struct{}), started: time.Now()}
	opts := []kgo.Opt{
		kgo.SeedBrokers(o.Seeds...), kgo.ClientID("e2e-" + name),
		kgo.ConsumerGroup(o.Group), kgo.ConsumeTopics(o.Topic), kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(200 * time.Millisecond),
		kgo.SessionTimeout(6 * time.Second), kgo.HeartbeatInterval(500 * time.Millisecond),
		kgo.RebalanceTimeout(10 * time.Second),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, ps map[string][]int32) {
			m.assigned.Add(1)
			m.owned.Add(int64(len(ps[o.Topic])))
		}),
		kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, ps map[string][]int32) {
			m.revoked.Add(1)
			m.owned.Add(-int64(len(ps[o.Topic])))
		}),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, ps map[string][]int32) {
			m.lost.Add(1)
			m.owned.Add(-int64(len(ps[o.Topic])))
		}),
	}
	if o.Balancers != nil {
		opts = append(opts, kgo.Balancers(o.Balancers...))
	}
	if o.ServerSide {
		opts = append(opts, kgo.ServerSideBalancer())
	}
	if o.InstanceID != "" {
		opts = append(opts, kgo.InstanceID(o.InstanceID))
	}
	cl, err := kgo.NewClient(append(opts, o.Extra...)...)
	if err != nil {
		t.Fatalf("member %s: new client: %v", name, err)
	}
	m.cl = cl
	m.ctx, m.cancel = context.WithCancel(context.Background())
	go m.run()
	t.Cleanup(func() {
		m.stop(memberKilled)
		select {
		case <-m.closed:
		case <-time.After(30 * time.Second):
			t.Errorf("member %s: client still closing 30s after test end", name)
		}
	})
	return m
}

func (m *groupMember) run() {
	defer close(m.closed)
	defer m.cl.Close() // DisableAutoCommit: commits nothing; leaves unless static
	defer close(m.done)
	var unsettled []*kgo.Record
	for {
		// A bounded poll, so that a commit refused during a rebalance is
		// retried even when no record comes (a cooperative member keeps
		// the partitions it had, and its position, across a rebalance).
		pollCtx, cancel := context.WithTimeout(m.ctx, 500*time.Millisecond)
		recs := m.cl.PollRecords(pollCtx, 500).Records()
		cancel()
		i := 0
		for ; i < len(recs) && m.ctx.Err() == nil; i++ {
			if m.o.Gate != nil && !m.o.Gate(m.ctx) {
				break
			}
			m.handle(recs[i])
			unsettled = append(unsettled, recs[i])
		}
		if m.ctx.Err() != nil {
			m.finish(recs[i:], unsettled)
			return
		}
		unsettled = m.commit(unsettled) // nothing to do when all polled is committed
	}
}

func (m *groupMember) handle(r *kgo.Record) {
	m.processed.Add(1)
	m.o.Process(m, r)
}

// finish ends a member told to stop: a leaving one processes the rest of
// its batch and commits; a killed one makes sure it holds processed work
// no commit covers (half of its batch, polling one if it had none), then
// stops without committing.
func (m *groupMember) finish(rest, unsettled []*kgo.Record) {
	if m.how.Load() == memberLeaving {
		for _, r := range rest {
			m.handle(r)
			unsettled = append(unsettled, r)
		}
		m.commit(unsettled)
		return
	}
	if len(unsettled) == 0 && len(rest) == 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		rest = m.cl.PollRecords(ctx, 500).Records()
		cancel()
	}
	for _, r := range rest[:(len(rest)+1)/2] {
		m.handle(r)
		unsettled = append(unsettled, r)
	}
	m.Unsettled = unsettled
}

// commit commits what the client polled (all of it processed) and returns
// the records still not covered by a successful commit. The commit has a
// context of its own: stopping the member must not cut a commit short,
// whose outcome would then be unknown.
func (m *groupMember) commit(unsettled []*kgo.Record) []*kgo.Record {
	offsets := m.cl.UncommittedOffsets()
	if len(offsets) == 0 {
		return unsettled
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var ok map[string]map[int32]int64 // partitions committed, and to where
	var reqErr error
	failed := false
	m.cl.CommitOffsetsSync(ctx, offsets, func(_ *kgo.Client, req *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		if err != nil {
			reqErr = err
			return
		}
		ok = map[string]map[int32]int64{}
		for _, rt := range resp.Topics {
			for _, rp := range rt.Partitions {
				if err := kerr.ErrorForCode(rp.ErrorCode); err != nil {
					failed = true
					m.noteCommitErr(fmt.Sprintf("%s[%d]: %v", rt.Topic, rp.Partition, err))
					continue
				}
				if ok[rt.Topic] == nil {
					ok[rt.Topic] = map[int32]int64{}
				}
				ok[rt.Topic][rp.Partition] = offsets[rt.Topic][rp.Partition].Offset
			}
		}
	})
	if reqErr != nil {
		// Sent or not, applied or not: nobody knows, so nothing held so far
		// can be counted on to be redelivered.
		m.indeterminate.Add(1)
		m.noteCommitErr(reqErr.Error())
		return nil
	}
	// What stays unsettled: records of partitions whose commit failed, and
	// of partitions revoked since they were polled (the client no longer
	// offers them for commit; their next owner starts before them).
	out := unsettled[:0]
	for _, r := range unsettled {
		if at, done := ok[r.Topic][r.Partition]; done && r.Offset < at {
			continue
		}
		out = append(out, r)
	}
	if failed {
		m.commitFails.Add(1)
	} else {
		m.commits.Add(1)
	}
	return out
}

func (m *groupMember) noteCommitErr(s string) {
	m.errMu.Lock()
	defer m.errMu.Unlock()
	if len(m.commitErrs) < 5 {
		m.commitErrs = append(m.commitErrs, s)
	}
}

// waitAssigned waits until the member holds at least one partition.
func (m *groupMember) waitAssigned(t *testing.T, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for m.owned.Load() <= 0 {
		if time.Now().After(deadline) {
			t.Fatalf("member %s holds no partition %v after it started: %s", m.Name, d, m)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stop tells the member to stop the given way and returns at once.
func (m *groupMember) stop(how int32) {
	m.how.CompareAndSwap(memberRunning, how)
	m.cancel()
}

// stopAndWait stops the member and waits until its client is closed.
func (m *groupMember) stopAndWait(t *testing.T, how int32) {
	t.Helper()
	m.stop(how)
	select {
	case <-m.closed:
	case <-time.After(40 * time.Second):
		t.Fatalf("member %s: not closed 40s after being stopped", m.Name)
	}
}

func (m *groupMember) String() string {
	m.errMu.Lock()
	errs := strings.Join(m.commitErrs, "; ")
	m.errMu.Unlock()
	return fmt.Sprintf("%s: processed %d, commits %d ok / %d failed / %d unknown, assigned %d revoked %d lost %d (holds %d)%s",
		m.Name, m.processed.Load(), m.commits.Load(), m.commitFails.Load(), m.indeterminate.Load(),
		m.assigned.Load(), m.revoked.Load(), m.lost.Load(), m.owned.Load(), map[bool]string{true: " (commit errors: " + errs + ")"}[errs != ""])
}

// endOffsets is the high watermark of each partition of topic.
func endOffsets(t *testing.T, ctx context.Context, adm *kadm.Client, topic string) map[int32]int64 {
	t.Helper()
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		t.Fatalf("list end offsets of %s: %v", topic, err)
	}
	out := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) { out[o.Partition] = o.Offset })
	return out
}

// groupCommitted is the group's committed offset of each partition of topic
// that has one (OffsetFetch through kadm); an error is returned, not fatal,
// so that callers can poll through a coordinator change.
func groupCommitted(ctx context.Context, adm *kadm.Client, group, topic string) (map[int32]int64, error) {
	resp, err := adm.FetchOffsets(ctx, group)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("fetch offsets of group %s: %w", group, err)
	}
	out := map[int32]int64{}
	for p, o := range resp[topic] {
		if o.At >= 0 {
			out[p] = o.At
		}
	}
	return out, nil
}

// offsetsEqual reports whether two partition → offset maps are equal.
func offsetsEqual(a, b map[int32]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for p, o := range a {
		if bo, ok := b[p]; !ok || bo != o {
			return false
		}
	}
	return true
}

// fmtOffsets prints a partition → offset map in partition order.
func fmtOffsets(m map[int32]int64) string {
	ps := make([]int32, 0, len(m))
	for p := range m {
		ps = append(ps, p)
	}
	slices.Sort(ps)
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%d:%d", p, m[p])
	}
	return "[" + b.String() + "]"
}

// waitCommittedAt polls until the group's committed offsets of topic equal
// want, and fails t with both after d; cond, when set, must also hold.
func waitCommittedAt(t *testing.T, adm *kadm.Client, group, topic string, want map[int32]int64, d time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		got, err := groupCommitted(ctx, adm, group, topic)
		cancel()
		ok, why := true, ""
		if cond != nil {
			ok, why = cond()
		}
		if err == nil && ok && offsetsEqual(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: group %s committed %s (err %v), high watermarks %s; %s", d, group, fmtOffsets(got), err, fmtOffsets(want), why)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// apiRanges is what a broker's ApiVersions answer serves: key → [min, max].
type apiRanges map[int16][2]int16

// servedAPIs asks the broker at addr for its ApiVersions (v3).
func servedAPIs(t *testing.T, addr string) apiRanges {
	t.Helper()
	req := kmsg.NewPtrApiVersionsRequest()
	req.Version = 3
	req.ClientSoftwareName, req.ClientSoftwareVersion = "e2e", "0"
	resp := dialRaw(t, addr).roundTrip(req).(*kmsg.ApiVersionsResponse)
	out := apiRanges{}
	for _, k := range resp.ApiKeys {
		out[k.ApiKey] = [2]int16{k.MinVersion, k.MaxVersion}
	}
	return out
}

// require fails t unless every key is served at the version the test sends.
func (a apiRanges) require(t *testing.T, versions map[int16]int16) {
	t.Helper()
	keys := make([]int16, 0, len(versions))
	for k := range versions {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	var bad []string
	for _, k := range keys {
		v := versions[k]
		r, ok := a[k]
		switch {
		case !ok:
			bad = append(bad, fmt.Sprintf("%s (key %d) not served", kmsg.NameForKey(k), k))
		case v < r[0] || v > r[1]:
			bad = append(bad, fmt.Sprintf("%s served v%d-%d, the test sends v%d", kmsg.NameForKey(k), r[0], r[1], v))
		}
	}
	if len(bad) > 0 {
		t.Fatalf("broker API versions: %s", strings.Join(bad, "; "))
	}
}

// keyConsumerGroupHeartbeat is KIP-848's ConsumerGroupHeartbeat.
const keyConsumerGroupHeartbeat = 68
