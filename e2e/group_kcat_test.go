//go:build unix

package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tributary-io/tributary/node"
)

// TestGroupKcatBalanced runs two `kcat -G` balanced consumers (librdkafka's
// consumer group: range and roundrobin, auto commit) of one topic. Once the
// group is stable with both members and every partition assigned, 2000
// records with distinct values are produced; the union of what the two
// print must be all of them, each at the partition and offset the producer
// was told, and both must have had a share. SIGTERM makes kcat close its
// consumer, which commits: the committed offsets must reach the high
// watermarks.
func TestGroupKcatBalanced(t *testing.T) {
	const (
		topic      = "kcat-group"
		group      = "kcat-group-g"
		partitions = 4
		records    = 2000
	)
	kcat := kcatPath(t)
	addr := startNode(t, testConfig(t, t.TempDir()), node.Hooks{}).KafkaAddr()
	ctx := ctxTimeout(t, 90*time.Second)
	adm := newAdmin(t, addr)
	if _, err := adm.CreateTopic(ctx, partitions, 1, nil, topic); err != nil {
		t.Fatalf("create %s: %v", topic, err)
	}
	cons := []*kcatConsumer{startKcatConsumer(t, ctx, kcat, addr, group, topic), startKcatConsumer(t, ctx, kcat, addr, group, topic)}
	waitGroupAssigned(t, adm, group, 2, partitions, 30*time.Second, cons)

	at := map[string]string{} // value → "partition offset" the producer was told
	cl := newClient(t, addr, kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	var recs []*kgo.Record
	for i := range records {
		recs = append(recs, &kgo.Record{Value: fmt.Appendf(nil, "kg-%05d", i)})
	}
	for _, r := range cl.ProduceSync(ctx, recs...) {
		if r.Err != nil {
			t.Fatalf("produce: %v", r.Err)
		}
		at[string(r.Record.Value)] = fmt.Sprintf("%d %d", r.Record.Partition, r.Record.Offset)
	}

	deadline := time.Now().Add(60 * time.Second)
	for {
		union := map[string]bool{}
		for _, c := range cons {
			for v := range c.values() {
				union[v] = true
			}
		}
		if len(union) == records {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 60s the kcat consumers printed %d of %d values (%d and %d lines)", len(union), records, cons[0].lines(), cons[1].lines())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, c := range cons {
		c.terminate(t)
	}
	for i, c := range cons {
		c.mu.Lock()
		for v, pos := range c.seen {
			if want, ok := at[v]; !ok || want != pos {
				t.Fatalf("kcat %d printed %q at %s; the producer put it at %q (known %v)", i, v, pos, want, ok)
			}
		}
		n := len(c.seen)
		c.mu.Unlock()
		if n == 0 {
			t.Fatalf("kcat %d consumed nothing: the group gave all partitions to the other", i)
		}
		t.Logf("kcat %d printed %d lines, %d distinct values", i, c.lines(), n)
	}
	waitCommittedAt(t, adm, group, topic, endOffsets(t, ctx, adm, topic), 15*time.Second, nil)
}

// kcatConsumer is one `kcat -G` process and the lines it printed.
type kcatConsumer struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when its output is read to the end and it exited
	mu   sync.Mutex
	seen map[string]string // value → "partition offset"
	n    int
	bad  []string
}

func startKcatConsumer(t *testing.T, ctx context.Context, kcat, addr, group, topic string) *kcatConsumer {
	t.Helper()
	c := &kcatConsumer{seen: map[string]string{}, done: make(chan struct{})}
	// -u: unbuffered output; into a pipe, stdio would otherwise hold the
	// last lines back in 4 KiB blocks while kcat keeps running.
	c.cmd = exec.CommandContext(ctx, kcat, "-b", addr, "-G", group, "-q", "-u", "-f", "%p %o %s\n",
		"-X", "auto.offset.reset=earliest", "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=500", topic)
	stderr := &syncBuffer{}
	c.cmd.Stderr = stderr
	out, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("start kcat -G: %v", err)
	}
	go func() {
		defer close(c.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			c.add(sc.Text())
		}
		c.cmd.Wait()
	}()
	t.Cleanup(func() {
		c.cmd.Process.Kill()
		<-c.done
		if t.Failed() {
			t.Logf("kcat pid %d stderr:\n%s", c.cmd.Process.Pid, tail(stderr.String(), 4000))
		}
	})
	return c
}

func (c *kcatConsumer) add(line string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	f := strings.SplitN(line, " ", 3)
	if len(f) != 3 {
		c.bad = append(c.bad, line)
		return
	}
	c.seen[f[2]] = f[0] + " " + f[1]
}

func (c *kcatConsumer) values() map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]string, len(c.seen))
	for k, v := range c.seen {
		out[k] = v
	}
	return out
}

func (c *kcatConsumer) lines() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// terminate sends SIGTERM (kcat then closes its consumer, committing) and
// waits up to 15s for the exit; a kcat still running then is killed and
// fails t.
func (c *kcatConsumer) terminate(t *testing.T) {
	t.Helper()
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(15 * time.Second):
		c.cmd.Process.Kill()
		t.Fatalf("kcat pid %d still running 15s after SIGTERM", c.cmd.Process.Pid)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.bad) > 0 {
		t.Fatalf("kcat printed lines not in the %%p %%o %%s format: %q", c.bad)
	}
}

// waitGroupAssigned polls DescribeGroups until group is Stable with the
// given number of members, each with partitions, covering partitions
// 0..parts-1 of its topics exactly once.
func waitGroupAssigned(t *testing.T, adm *kadm.Client, group string, members, parts int, d time.Duration, cons []*kcatConsumer) {
	t.Helper()
	deadline := time.Now().Add(d)
	var last string
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		ds, err := adm.DescribeGroups(ctx, group)
		cancel()
		g := ds[group]
		if err == nil && g.Err == nil && g.State == "Stable" && len(g.Members) == members {
			count, ok := map[int32]int{}, true
			for _, m := range g.Members {
				ca, isConsumer := m.Assigned.AsConsumer()
				if !isConsumer || len(ca.Topics) == 0 {
					ok = false
				}
				for _, at := range ca.Topics {
					for _, p := range at.Partitions {
						count[p]++
					}
				}
			}
			for p := range int32(parts) {
				ok = ok && count[p] == 1
			}
			if ok && len(count) == parts {
				return
			}
			last = "assignment " + strconv.Quote(fmt.Sprint(count))
		} else {
			last = fmt.Sprintf("state %q, %d members, err %v / %v", g.State, len(g.Members), err, g.Err)
		}
		for i, c := range cons {
			select {
			case <-c.done:
				t.Fatalf("kcat %d exited before the group was stable (%v)", i, c.cmd.ProcessState)
			default:
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("group %s not stable with %d members covering %d partitions after %v: %s", group, members, parts, d, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
