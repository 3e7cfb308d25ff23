//go:build unix

package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"github.com/tributary-io/tributary/internal/testpg"
	"github.com/tributary-io/tributary/internal/tests3"
)

// The cluster tests run several `tributary serve` children on one
// throwaway Postgres (testpg, a server of the test's own so that it can be
// restarted) and one S3 server (tests3, versitygw, also the test's own so
// that it can be stopped and frozen), all on 127.0.0.1. Every broker reads
// the same generated bufstream.yaml, in exactly the shape issue 3 gives,
// plus a `membership:` block with short timeouts; each gets its own
// --kafka-addr, --admin-addr and --data-dir, kept across restarts so that
// clients started before a kill reconnect to the new process.

// clusterOpts shapes a test cluster; zero fields take the defaults below.
type clusterOpts struct {
	Brokers   int           // default 3
	Heartbeat time.Duration // membership.heartbeat_interval, default 200ms
	Session   time.Duration // membership.session_timeout, default 1s
	// Housekeeping runs passes every 300ms with segments rewritten from
	// intake data older than 500ms and dead objects deleted after 1s, so
	// that rewrites and deletions race with the test's produce and fetch
	// (and the lease, 900ms, moves soon after its holder dies).
	Housekeeping bool
	// DefaultMembership leaves the membership block out of the config, so
	// the brokers run with the shipped heartbeat and session timeout.
	DefaultMembership bool
}

// testCluster is N broker processes on one Postgres database and one bucket.
type testCluster struct {
	bin       string
	PG        *testpg.Server
	DSN       string
	S3        tests3.Server
	Bucket    string
	Config    string // path of the generated bufstream.yaml
	Heartbeat time.Duration
	Session   time.Duration
	Brokers   []*clusterBroker
	house     bool
	defMember bool
}

// clusterBroker is one broker of a testCluster: its fixed addresses and
// data directory, and the current process (nil before the first start).
type clusterBroker struct {
	c         *testCluster
	Index     int
	KafkaAddr string
	AdminAddr string
	DataDir   string
	proc      *procBroker
}

// startCluster builds the binary, starts a Postgres and an S3 server of
// the test's own and opts.Brokers brokers on them, one after another (so
// they take node IDs 0, 1, 2 … in order), each waited for until ready.
func startCluster(t *testing.T, opts clusterOpts) *testCluster {
	t.Helper()
	c := newCluster(t, opts)
	for range opts.Brokers {
		c.addBroker(t).start(t)
	}
	return c
}

// newCluster prepares the servers and the config file, with no broker yet.
func newCluster(t *testing.T, opts clusterOpts) *testCluster {
	t.Helper()
	if opts.Brokers == 0 {
		opts.Brokers = 3
	}
	if opts.Heartbeat == 0 {
		opts.Heartbeat = 200 * time.Millisecond
	}
	if opts.Session == 0 {
		opts.Session = time.Second
	}
	c := &testCluster{Heartbeat: opts.Heartbeat, Session: opts.Session, house: opts.Housekeeping, defMember: opts.DefaultMembership}
	c.S3 = tests3.NewServer(t) // skips without versitygw, before the slower steps
	c.PG = testpg.New(t)
	c.DSN = c.PG.CreateDatabase(t)
	c.Bucket = c.S3.NewBucket(t)
	c.bin = buildTributary(t)
	c.Config = filepath.Join(t.TempDir(), "bufstream.yaml")
	if err := os.WriteFile(c.Config, []byte(c.yaml()), 0o600); err != nil {
		t.Fatalf("write config: %v", err)
	}
	return c
}

// yaml is the config file with the test servers' DSN, endpoint,
// bucket and keys, and short membership timeouts.
func (c *testCluster) yaml() string {
	y := c.S3.BufstreamYAML(c.DSN, c.Bucket)
	if !c.defMember {
		y += fmt.Sprintf(`membership:
  heartbeat_interval: %v
  session_timeout: %v
`, c.Heartbeat, c.Session)
	}
	if c.house {
		y += `housekeeping:
  interval: 300ms
  segment_target_bytes: 64KiB
  segment_min_age: 500ms
  dead_object_grace: 1s
intake:
  s3_delay_max: 5ms
`
		// 5ms, the linger these tests were written for: S3's 200ms
		// default makes so few intake objects in a few seconds of load
		// that housekeeping may find nothing to rewrite.
	}
	return y
}

// leaseHolder is the Kafka address and instance of the broker holding the
// named lease, by the Postgres tables (leases joined with brokers on the
// instance), or "" if no live registration holds an unexpired one.
func (c *testCluster) leaseHolder(t *testing.T, name string) (addr, instance string) {
	t.Helper()
	ctx := ctxTimeout(t, 10*time.Second)
	conn, err := pgx.Connect(ctx, c.DSN)
	if err != nil {
		t.Fatalf("connect to the metadata database: %v", err)
	}
	defer conn.Close(context.Background())
	err = conn.QueryRow(ctx, `SELECT b.host || ':' || b.port, b.instance FROM leases l JOIN brokers b ON b.instance = l.holder
		WHERE l.name = $1 AND l.expires > now() AND b.expires > now()`, name).Scan(&addr, &instance)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", ""
	}
	if err != nil {
		t.Fatalf("lease %s: %v", name, err)
	}
	return addr, instance
}

// broker returns the broker listening on addr.
func (c *testCluster) broker(t *testing.T, addr string) *clusterBroker {
	t.Helper()
	for _, b := range c.Brokers {
		if b.KafkaAddr == addr {
			return b
		}
	}
	t.Fatalf("no broker on %q", addr)
	return nil
}

// addBroker reserves addresses and a data directory for one more broker,
// without starting it.
func (c *testCluster) addBroker(t *testing.T) *clusterBroker {
	t.Helper()
	b := &clusterBroker{c: c, Index: len(c.Brokers), KafkaAddr: freeAddr(t), AdminAddr: freeAddr(t), DataDir: t.TempDir()}
	c.Brokers = append(c.Brokers, b)
	return b
}

// start runs the broker's process and waits until /-/status answers 200.
// The process is killed at test end if still running; its output is
// logged when the test failed, or always with $TRIBUTARY_TEST_LOG set.
func (b *clusterBroker) start(t *testing.T) {
	t.Helper()
	p := &procBroker{KafkaAddr: b.KafkaAddr, AdminAddr: b.AdminAddr, out: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(b.c.bin, "serve", "--config", b.c.Config,
		"--data-dir", b.DataDir, "--kafka-addr", b.KafkaAddr, "--admin-addr", b.AdminAddr)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start broker %d: %v", b.Index, err)
	}
	go func() {
		p.cmd.Wait()
		p.state = p.cmd.ProcessState
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
		if t.Failed() || os.Getenv("TRIBUTARY_TEST_LOG") != "" {
			t.Logf("broker %d (%s) pid %d output:\n%s", b.Index, b.KafkaAddr, p.cmd.Process.Pid, tail(p.out.String(), 8000))
		}
	})
	b.proc = p
	p.waitReady(t, 30*time.Second)
}

// tail is the end of s, at most n bytes.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// kill9 kills the broker with SIGKILL and waits for it to be gone.
func (b *clusterBroker) kill9(t *testing.T) {
	t.Helper()
	if err := b.proc.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill broker %d: %v", b.Index, err)
	}
	b.proc.waitExit(t, 10*time.Second)
}

// term stops the broker with SIGTERM and expects a clean exit.
func (b *clusterBroker) term(t *testing.T) {
	t.Helper()
	b.proc.signal(t, syscall.SIGTERM)
	if st := b.proc.waitExit(t, 40*time.Second); st.ExitCode() != 0 {
		t.Fatalf("broker %d exited with %v after SIGTERM\n%s", b.Index, st, tail(b.proc.out.String(), 8000))
	}
}

// restart starts a stopped broker again on the same addresses and data dir.
func (b *clusterBroker) restart(t *testing.T) {
	t.Helper()
	select {
	case <-b.proc.exited:
	default:
		t.Fatalf("restart broker %d: still running", b.Index)
	}
	b.start(t)
}

// running reports whether the broker's current process is alive.
func (b *clusterBroker) running() bool {
	select {
	case <-b.proc.exited:
		return false
	default:
		return true
	}
}

// seeds lists every broker's Kafka address, dead ones included, as a
// client configured with the whole cluster would have it.
func (c *testCluster) seeds() []string {
	out := make([]string, len(c.Brokers))
	for i, b := range c.Brokers {
		out[i] = b.KafkaAddr
	}
	return out
}

// live lists the brokers whose process runs.
func (c *testCluster) live() []*clusterBroker {
	var out []*clusterBroker
	for _, b := range c.Brokers {
		if b.running() {
			out = append(out, b)
		}
	}
	return out
}

// clusterClient is a franz-go client seeded with addrs, closed at test end.
func clusterClient(t *testing.T, addrs []string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addrs...)}, opts...)...)
	if err != nil {
		t.Fatalf("new client: %v", err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// pinnedClient is a franz-go client whose every connection, to whichever
// broker Metadata names, goes to addr: all its requests (InitProducerID,
// Produce, Fetch) are served by that one broker, whatever leaders the
// cluster reports, as for a client behind a proxy. Its ApiVersions stays
// at v4: from v5 (KIP-1242) franz-go names the node it expects, and the
// broker rightly answers REBOOTSTRAP_REQUIRED to a misrouted connection.
func pinnedClient(t *testing.T, addr string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	d := &net.Dialer{Timeout: 5 * time.Second}
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}
	vs := kversion.Stable()
	vs.SetMaxKeyVersion(18, 4)
	return clusterClient(t, []string{addr}, append([]kgo.Opt{kgo.Dialer(dial), kgo.MaxVersions(vs)}, opts...)...)
}

// createClusterTopic creates topic with n partitions through addr.
func createClusterTopic(t *testing.T, addr, topic string, n int32) {
	t.Helper()
	ctx := ctxTimeout(t, 20*time.Second)
	resp, err := newAdmin(t, addr).CreateTopic(ctx, n, 1, nil, topic)
	if err != nil || resp.Err != nil {
		t.Fatalf("create topic %s: %v %v", topic, err, resp.Err)
	}
}

// clusterView is one broker's Metadata answer, reduced to what the tests
// look at.
type clusterView struct {
	Brokers map[int32]string  // node ID → host:port
	Leaders map[int32][]int32 // node ID → partitions of the topic it leads
	Err     error
}

// metadataVia asks the broker at addr for Metadata (v12) about topic ("" for
// no topic) on a connection of its own.
func metadataVia(addr, topic string) clusterView {
	v := clusterView{Brokers: map[int32]string{}, Leaders: map[int32][]int32{}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		v.Err = err
		return v
	}
	defer cl.Close()
	req := kmsg.NewPtrMetadataRequest()
	req.Version = 12
	if topic != "" {
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(topic)
		req.Topics = append(req.Topics, rt)
	}
	// The seed broker is asked directly: its answer is its own view.
	resp, err := req.RequestWith(ctx, cl.SeedBrokers()[0])
	if err != nil {
		v.Err = err
		return v
	}
	for _, b := range resp.Brokers {
		v.Brokers[b.NodeID] = net.JoinHostPort(b.Host, fmt.Sprint(b.Port))
	}
	for _, rt := range resp.Topics {
		if rt.ErrorCode != 0 {
			v.Err = fmt.Errorf("metadata of %s: error code %d", topic, rt.ErrorCode)
		}
		for _, p := range rt.Partitions {
			v.Leaders[p.Leader] = append(v.Leaders[p.Leader], p.Partition)
		}
	}
	return v
}

// addrs lists the view's broker addresses, sorted.
func (v clusterView) addrs() []string {
	out := make([]string, 0, len(v.Brokers))
	for _, a := range v.Brokers {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

// nodeID is the node ID the view gives the broker at addr, or -1.
func (v clusterView) nodeID(addr string) int32 {
	for id, a := range v.Brokers {
		if a == addr {
			return id
		}
	}
	return -1
}

// waitBrokers polls every live broker's Metadata until each lists exactly
// the live brokers' addresses, and returns how long that took; after d it
// fails t with the last views.
func (c *testCluster) waitBrokers(t *testing.T, d time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	want := make([]string, 0, len(c.Brokers))
	for _, b := range c.live() {
		want = append(want, b.KafkaAddr)
	}
	slices.Sort(want)
	for {
		var bad []string
		for _, b := range c.live() {
			if v := metadataVia(b.KafkaAddr, ""); v.Err != nil || !slices.Equal(v.addrs(), want) {
				bad = append(bad, fmt.Sprintf("broker %d lists %v (err %v)", b.Index, v.addrs(), v.Err))
			}
		}
		if len(bad) == 0 {
			return time.Since(start)
		}
		if time.Since(start) > d {
			t.Fatalf("after %v, want every live broker to list %v: %s", d, want, strings.Join(bad, "; "))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// producers is a running produce workload: producer w (one client each)
// sends checkerValue(w, i) for i from 0, to partition (w+i) mod the
// partition count, one record every pace (as fast as the client buffers
// when pace is 0), until n are sent or halt.
type producers struct {
	stop chan struct{}
	wg   sync.WaitGroup
	sent []atomic.Int64
}

func startProducers(ctx context.Context, chk *checker, clients []*kgo.Client, partitions int32, n int, pace time.Duration) *producers {
	ps := &producers{stop: make(chan struct{}), sent: make([]atomic.Int64, len(clients))}
	for w, cl := range clients {
		ps.wg.Add(1)
		go func() {
			defer ps.wg.Done()
			var tick <-chan time.Time
			if pace > 0 {
				tk := time.NewTicker(pace)
				defer tk.Stop()
				tick = tk.C
			}
			for i := range n {
				if tick != nil {
					select {
					case <-tick:
					case <-ps.stop:
						return
					case <-ctx.Done():
						return
					}
				}
				p := int32((w + i) % int(partitions))
				chk.produce(ctx, cl, &kgo.Record{Partition: p, Value: []byte(checkerValue(w, i))})
				ps.sent[w].Add(1)
			}
		}()
	}
	return ps
}

// halt stops sending and returns how many records were handed over.
func (ps *producers) halt() int {
	select {
	case <-ps.stop:
	default:
		close(ps.stop)
	}
	ps.wg.Wait()
	return ps.total()
}

// waitSent waits until every producer has handed over all its records.
func (ps *producers) waitSent(t *testing.T, d time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() { ps.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		ps.halt()
		t.Fatalf("producers still sending after %v (%d handed over)", d, ps.total())
	}
}

func (ps *producers) total() int {
	n := 0
	for i := range ps.sent {
		n += int(ps.sent[i].Load())
	}
	return n
}

// loadProducerOpts configure a workload client: idempotent, acks=all (franz-go's
// defaults, spelled out), partitions chosen by the workload, quick to
// retry and to refresh metadata after a broker dies.
func loadProducerOpts(topic string) []kgo.Opt {
	return []kgo.Opt{
		kgo.DefaultProduceTopic(topic), kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RetryBackoffFn(func(int) time.Duration { return 100 * time.Millisecond }),
		kgo.MetadataMinAge(100 * time.Millisecond),
	}
}

// startConsumers runs n consumers of topic from its start, seeded with the
// whole cluster, feeding the checker until ctx ends; the returned function
// cancels them and waits.
func startConsumers(t *testing.T, c *testCluster, chk *checker, topic string, n int) func() {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var dones []<-chan struct{}
	for range n {
		cl := clusterClient(t, c.seeds(), kgo.ConsumeTopics(topic),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(200*time.Millisecond),
			kgo.RetryBackoffFn(func(int) time.Duration { return 100 * time.Millisecond }),
			kgo.MetadataMinAge(100*time.Millisecond))
		dones = append(dones, chk.consume(ctx, cl))
	}
	return func() {
		cancel()
		for _, d := range dones {
			<-d
		}
	}
}

// metricSum scrapes the broker's /metrics and sums the samples of name
// whose labels contain every one of labels (`op="put"`), 0 if none.
func metricSum(t *testing.T, adminAddr, name string, labels ...string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + adminAddr + "/metrics")
	if err != nil {
		t.Fatalf("scrape %s: %v", adminAddr, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("scrape %s: %v", adminAddr, err)
	}
	sum := 0.0
	for line := range strings.Lines(string(body)) {
		series, val, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok || (series != name && !strings.HasPrefix(series, name+"{")) {
			continue
		}
		if !containsAll(series, labels) {
			continue
		}
		f, err := strconv.ParseFloat(val, 64)
		if err != nil {
			t.Fatalf("metric %q: %v", line, err)
		}
		sum += f
	}
	return sum
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
