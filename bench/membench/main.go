// Command membench measures the resident memory (RSS, from /proc) of one
// `tributary serve` process, built from this module, on a temporary data
// dir (embedded stores, local disk) under three loads, each on a fresh
// broker:
//
//   - full: producers send 1 KiB records back to back (acks=all,
//     idempotent, 6 partitions) for --full-for;
//   - partitions: one producer at --rate records/s (1 KiB) spread over a
//     topic of --partitions partitions, with no consumer, for --trickle-for
//     (the 1,000 partitions at 2,000 records/s);
//   - spike: --spike-clients clients each send one produce request of about
//     --spike-bytes at the same moment, then nothing for --settle.
//
// For each it prints the peak RSS during the load and the RSS after
// --settle of quiet (memory given back after the load), and the RSS at
// start. --set adds top-level yaml to the broker's config (for instance
// `available_memory_bytes: 256MiB`). Every phase is bounded in time.
//
//	go run ./bench/membench
//	go run ./bench/membench --set 'available_memory_bytes: 256MiB'
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tributary-io/tributary/internal/freeport"
)

type options struct {
	scenarios    string
	set          string
	fullFor      time.Duration
	producers    int
	partitions   int
	rate         int
	trickleFor   time.Duration
	spikeClients int
	spikeBytes   int
	settle       time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.scenarios, "scenarios", "full,partitions,spike", "scenarios to run, comma-separated")
	flag.StringVar(&o.set, "set", "", "yaml appended to the broker's config (top-level keys)")
	flag.DurationVar(&o.fullFor, "full-for", 20*time.Second, "length of the full-produce load")
	flag.IntVar(&o.producers, "producers", 4, "producer clients of the full-produce load")
	flag.IntVar(&o.partitions, "partitions", 1000, "partitions of the trickle topic")
	flag.IntVar(&o.rate, "rate", 2000, "records/s of the trickle load")
	flag.DurationVar(&o.trickleFor, "trickle-for", 60*time.Second, "length of the trickle load")
	flag.IntVar(&o.spikeClients, "spike-clients", 10, "clients of the spike")
	flag.IntVar(&o.spikeBytes, "spike-bytes", 90<<20, "bytes of each spike client's one produce request")
	flag.DurationVar(&o.settle, "settle", 15*time.Second, "quiet time after each load before the last RSS reading")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "membench:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	root, err := os.MkdirTemp("", "membench-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(root) }() // best effort: a leftover temporary directory harms nothing
	bin := filepath.Join(root, "tributary")
	build := exec.Command("go", "build", "-o", bin, "./cmd/tributary")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("go build ./cmd/tributary (run from the module root): %w", err)
	}
	fmt.Printf("membench: broker RSS (MiB), local disk, embedded stores; config extra: %q\n", o.set)
	fmt.Printf("%-11s %8s %9s %12s  %s\n", "scenario", "start", "peak", "after-settle", "load")
	for i, s := range strings.Split(o.scenarios, ",") {
		dir := filepath.Join(root, fmt.Sprintf("b%d", i))
		b, err := startBroker(bin, dir, o.set)
		if err != nil {
			return err
		}
		r, err := measure(b, o, strings.TrimSpace(s))
		b.stop()
		if err != nil {
			return fmt.Errorf("%s: %w\n%s", s, err, b.tail())
		}
		fmt.Printf("%-11s %8.0f %9.0f %12.0f  %s\n", s, mib(r.start), mib(r.peak), mib(r.settled), r.load)
	}
	return nil
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

type result struct {
	start, peak, settled int64
	load                 string
}

func measure(b *broker, o options, scenario string) (result, error) {
	var r result
	var err error
	if r.start, err = rss(b.pid()); err != nil {
		return r, err
	}
	stop := make(chan struct{})
	var peak atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			if v, err := rss(b.pid()); err == nil && v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	})
	switch scenario {
	case "full":
		r.load, err = full(b.kafka, o)
	case "partitions":
		r.load, err = trickle(b.kafka, o)
	case "spike":
		r.load, err = spike(b.kafka, o)
	default:
		err = fmt.Errorf("unknown scenario %q", scenario)
	}
	if err == nil {
		time.Sleep(o.settle)
	}
	close(stop)
	wg.Wait()
	r.peak = peak.Load()
	if err != nil {
		return r, err
	}
	r.settled, err = rss(b.pid())
	return r, err
}

// rss reads VmRSS of pid in bytes.
func rss(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer func() { _ = f.Close() }() // read-only
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

func newValues(size int) []byte {
	pool := make([]byte, 8<<20+size)
	_, _ = rand.NewChaCha8([32]byte{2}).Read(pool) // ChaCha8.Read never fails
	return pool
}

func createTopic(ctx context.Context, cl *kgo.Client, topic string, partitions int) error {
	resp, err := kadm.NewClient(cl).CreateTopic(ctx, int32(partitions), 1, nil, topic)
	if err != nil {
		return fmt.Errorf("create topic %s: %w", topic, err)
	}
	return resp.Err
}

// full: o.producers clients produce back to back for o.fullFor.
func full(addr string, o options) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), o.fullFor+time.Minute)
	defer cancel()
	pool := newValues(1024)
	var clients []*kgo.Client
	defer func() {
		for _, cl := range clients {
			cl.Close()
		}
	}()
	for range o.producers {
		cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic("full"),
			kgo.RequiredAcks(kgo.AllISRAcks()), kgo.MaxBufferedRecords(20_000))
		if err != nil {
			return "", err
		}
		clients = append(clients, cl)
	}
	if err := createTopic(ctx, clients[0], "full", 6); err != nil {
		return "", err
	}
	var n atomic.Int64
	var firstErr atomic.Value
	deadline := time.Now().Add(o.fullFor)
	var wg sync.WaitGroup
	for c, cl := range clients {
		wg.Go(func() {
			for i := 0; time.Now().Before(deadline); i++ {
				off := ((c*1_000_003 + i) * 7919) % (len(pool) - 1024)
				cl.Produce(ctx, &kgo.Record{Value: pool[off : off+1024]}, func(_ *kgo.Record, err error) {
					if err != nil {
						firstErr.CompareAndSwap(nil, err)
						return
					}
					n.Add(1)
				})
			}
			_ = cl.Flush(ctx) // a failure shows in the produce callbacks
		})
	}
	wg.Wait()
	if e := firstErr.Load(); e != nil {
		return "", fmt.Errorf("produce: %v", e)
	}
	return fmt.Sprintf("%d producers back to back for %s: %d records, %.1f MB/s", o.producers, o.fullFor,
		n.Load(), float64(n.Load())*1024/(1<<20)/o.fullFor.Seconds()), nil
}

// trickle: one producer at o.rate records/s over o.partitions partitions.
func trickle(addr string, o options) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), o.trickleFor+time.Minute)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic("many"),
		kgo.RequiredAcks(kgo.AllISRAcks()), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		return "", err
	}
	defer cl.Close()
	if err := createTopic(ctx, cl, "many", o.partitions); err != nil {
		return "", err
	}
	pool := newValues(1024)
	var acked atomic.Int64
	var firstErr atomic.Value
	const tick = 10 * time.Millisecond
	per := max(1, o.rate*int(tick/time.Millisecond)/1000)
	t := time.NewTicker(tick)
	defer t.Stop()
	deadline := time.Now().Add(o.trickleFor)
	i := 0
	for time.Now().Before(deadline) {
		<-t.C
		for range per {
			off := (i * 7919) % (len(pool) - 1024)
			cl.Produce(ctx, &kgo.Record{Partition: int32(i % o.partitions), Value: pool[off : off+1024]},
				func(_ *kgo.Record, err error) {
					if err != nil {
						firstErr.CompareAndSwap(nil, err)
						return
					}
					acked.Add(1)
				})
			i++
		}
	}
	if err := cl.Flush(ctx); err != nil {
		return "", err
	}
	if e := firstErr.Load(); e != nil {
		return "", fmt.Errorf("produce: %v", e)
	}
	return fmt.Sprintf("1 producer, %d records/s over %d partitions for %s: %d records", o.rate, o.partitions, o.trickleFor, acked.Load()), nil
}

// spike: o.spikeClients clients each send one request of o.spikeBytes at once.
func spike(addr string, o options) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const rec = 1 << 20
	pool := newValues(rec)
	per := max(1, o.spikeBytes/rec)
	var clients []*kgo.Client
	defer func() {
		for _, cl := range clients {
			cl.Close()
		}
	}()
	for range o.spikeClients {
		cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic("spike"),
			kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerBatchMaxBytes(int32(per*rec+(1<<20))),
			kgo.ProducerLinger(50*time.Second), kgo.ProduceRequestTimeout(2*time.Minute),
			kgo.ProducerBatchCompression(kgo.NoCompression()))
		if err != nil {
			return "", err
		}
		clients = append(clients, cl)
	}
	if err := createTopic(ctx, clients[0], "spike", 1); err != nil {
		return "", err
	}
	for c, cl := range clients {
		for i := range per {
			off := ((c*per + i) * 7919) % (len(pool) - rec)
			cl.Produce(ctx, &kgo.Record{Value: pool[off : off+rec]}, nil)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, len(clients))
	for c, cl := range clients {
		wg.Go(func() { errs[c] = cl.Flush(ctx) }) // all requests go out together
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("%d clients × one %d MiB request at once", o.spikeClients, per*rec>>20), nil
}

// broker is one `tributary serve` process.
type broker struct {
	kafka, admin string
	cmd          *exec.Cmd
	out          bytes.Buffer
	mu           sync.Mutex
	done         chan struct{}
}

func (b *broker) pid() int { return b.cmd.Process.Pid }

func (b *broker) tail() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.out.String()
	return s[max(0, len(s)-4000):]
}

type lockedWriter struct{ b *broker }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.b.mu.Lock()
	defer w.b.mu.Unlock()
	return w.b.out.Write(p)
}

func startBroker(bin, dir, extra string) (*broker, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	addrs, err := freeport.Addrs(4)
	if err != nil {
		return nil, err
	}
	b := &broker{kafka: addrs[0], admin: addrs[1], done: make(chan struct{})}
	cfg := fmt.Sprintf("version: v1beta1\nregistry: {listen_address: %q}\ncatalog: {listen_address: %q}\niceberg_maintenance: {disabled: true}\n%s\n",
		addrs[2], addrs[3], extra)
	cfgFile := filepath.Join(dir, "bufstream.yaml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	b.cmd = exec.Command(bin, "serve", "--config", cfgFile, "--data-dir", filepath.Join(dir, "data"),
		"--kafka-addr", b.kafka, "--admin-addr", b.admin)
	b.cmd.Stdout, b.cmd.Stderr = lockedWriter{b}, lockedWriter{b}
	b.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := b.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		_ = b.cmd.Wait() // its exit status does not matter: done is what stop waits for
		close(b.done)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-b.done:
			return nil, fmt.Errorf("broker exited while starting:\n%s", b.tail())
		default:
		}
		if resp, err := http.Get("http://" + b.admin + "/-/status"); err == nil {
			_ = resp.Body.Close() // only the status is read
			if resp.StatusCode == http.StatusOK {
				return b, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.stop()
	return nil, fmt.Errorf("broker not ready after 30s:\n%s", b.tail())
}

// stop sends SIGTERM and waits, killing it after 30s.
func (b *broker) stop() {
	_ = b.cmd.Process.Signal(syscall.SIGTERM) // fails only if it has exited: done is then closed
	select {
	case <-b.done:
	case <-time.After(30 * time.Second):
		_ = b.cmd.Process.Kill() // fails only if it has exited meanwhile
		<-b.done
	}
}
