package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tributary-io/tributary/internal/freeport"
)

// errNotReady: a broker did not answer within its start bound.
var errNotReady = errors.New("broker not ready")

// broker is one child broker process.
type broker struct {
	name string
	addr string // Kafka listener, 127.0.0.1:port
	// metrics is the broker's Prometheus endpoint (Tributary's admin
	// /metrics); empty for Kafka.
	metrics string
	cmd     *exec.Cmd
	out     *syncBuffer
	exited  chan struct{}
}

func (b *broker) pid() int { return b.cmd.Process.Pid }

// stop kills the process and waits for it.
func (b *broker) stop() {
	_ = b.cmd.Process.Kill() // already exited is fine: Wait below reports nothing we need
	<-b.exited
}

// start runs cmd with its output kept in memory.
func start(name, addr string, cmd *exec.Cmd) (*broker, error) {
	b := &broker{name: name, addr: addr, cmd: cmd, out: &syncBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = b.out, b.out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go func() {
		_ = cmd.Wait() // the exit status only matters before ready, and out says why
		close(b.exited)
	}()
	return b, nil
}

// moduleRoot is the directory of this module's go.mod.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("finding go.mod (%q): %w", gomod, err)
	}
	return filepath.Dir(gomod), nil
}

// kafkaClasspath resolves interop/kafkabroker's runtime classpath (the
// kafka_2.13 broker and kafka-tools) with Maven; jars are cached in ~/.m2.
func kafkaClasspath(ctx context.Context, root, tmp string) (string, error) {
	build := filepath.Join(tmp, "mvn")
	cmd := exec.CommandContext(ctx, "mvn", "-B", "-ntp", "-q",
		"-f", filepath.Join(root, "interop", "kafkabroker", "pom.xml"),
		"-Dinterop.buildDir="+build, "generate-sources")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("resolving kafka with maven: %w\n%s", err, out)
	}
	cp, err := os.ReadFile(filepath.Join(build, "classpath.txt"))
	if err != nil {
		return "", fmt.Errorf("reading maven's classpath: %w", err)
	}
	return strings.TrimSpace(string(cp)), nil
}

// kafkaProperties is a single-node KRaft broker+controller on two
// 127.0.0.1 ports, with Kafka's defaults otherwise (acks from the page
// cache: no log.flush.* setting).
func kafkaProperties(addr, controller, dataDir string, partitions int) string {
	return strings.Join([]string{
		"process.roles=broker,controller",
		"node.id=1",
		"controller.quorum.voters=1@" + controller,
		"listeners=PLAINTEXT://" + addr + ",CONTROLLER://" + controller,
		"advertised.listeners=PLAINTEXT://" + addr,
		"controller.listener.names=CONTROLLER",
		"listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
		"inter.broker.listener.name=PLAINTEXT",
		"log.dirs=" + dataDir,
		fmt.Sprintf("num.partitions=%d", partitions),
		"offsets.topic.replication.factor=1",
		"transaction.state.log.replication.factor=1",
		"transaction.state.log.min.isr=1",
		"group.initial.rebalance.delay.ms=0",
		"",
	}, "\n")
}

// kafkaJVM are kafka-server-start.sh's JVM options, logging at WARN.
var kafkaJVM = []string{"-Xmx1g", "-Xms1g", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
	"-XX:InitiatingHeapOccupancyPercent=35", "-XX:+ExplicitGCInvokesConcurrent",
	"-Djava.awt.headless=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"}

// startKafka formats storage in tmp and starts the broker.
func startKafka(ctx context.Context, java, cp, tmp string, partitions int) (*broker, error) {
	addrs, err := freeport.Addrs(2)
	if err != nil {
		return nil, err
	}
	addr, controller := addrs[0], addrs[1]
	dir := filepath.Join(tmp, "kafka")
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		return nil, fmt.Errorf("making kafka's data dir: %w", err)
	}
	props := filepath.Join(dir, "server.properties")
	if err := os.WriteFile(props, []byte(kafkaProperties(addr, controller, filepath.Join(dir, "data"), partitions)), 0o600); err != nil {
		return nil, fmt.Errorf("writing server.properties: %w", err)
	}
	// kafka-storage.sh format: kafka.tools.StorageTool in Kafka 4.x's
	// kafka_2.13 jar. Any fixed 16-byte base64 cluster id will do.
	format := exec.CommandContext(ctx, java, "-Xmx256m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", cp,
		"kafka.tools.StorageTool", "format", "-t", "dHJpYnV0YXJ5YmVuY2gwMQ", "-c", props)
	if out, err := format.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("formatting kafka storage: %w\n%s", err, out)
	}
	args := append(append([]string{}, kafkaJVM...), "-cp", cp, "kafka.Kafka", props)
	b, err := start("kafka", addr, exec.Command(java, args...))
	if err != nil {
		return nil, err
	}
	if err := waitKafkaAPI(ctx, b, 90*time.Second); err != nil {
		b.stop()
		return nil, err
	}
	return b, nil
}

// buildTributary builds cmd/tributary into dir.
func buildTributary(ctx context.Context, root, dir string) (string, error) {
	bin := filepath.Join(dir, "bin", "tributary")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/tributary")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building tributary: %w\n%s", err, out)
	}
	return bin, nil
}

// startTributary runs `bin serve` with embedded defaults on a temporary
// data directory and free ports (and, as Kafka here, no initial
// rebalance delay), and waits for /-/status and the Kafka API.
func startTributary(ctx context.Context, bin, tmp string) (*broker, error) {
	addrs, err := freeport.Addrs(2)
	if err != nil {
		return nil, err
	}
	addr, admin := addrs[0], addrs[1]
	data := filepath.Join(tmp, "tributary-data")
	// Kafka runs with group.initial.rebalance.delay.ms=0 (kafkaProperties):
	// the same here, so neither consume run waits 3 s for its group.
	cfg := filepath.Join(tmp, "tributary.yaml")
	if err := os.WriteFile(cfg, []byte("version: v1beta1\ngroups:\n  initial_rebalance_delay: 0s\n"), 0o600); err != nil {
		return nil, fmt.Errorf("writing tributary's config: %w", err)
	}
	b, err := start("tributary", addr, exec.Command(bin, "serve", "--config", cfg, "--data-dir", data,
		"--kafka-addr", addr, "--admin-addr", admin,
		"--registry-addr", "127.0.0.1:0", "--catalog-addr", "127.0.0.1:0"))
	if err != nil {
		return nil, err
	}
	if err := waitStatus(ctx, b, "http://"+admin+"/-/status", 60*time.Second); err != nil {
		b.stop()
		return nil, err
	}
	if err := waitKafkaAPI(ctx, b, 30*time.Second); err != nil {
		b.stop()
		return nil, err
	}
	b.metrics = "http://" + admin + "/metrics"
	return b, nil
}

// waitStatus polls url until it answers 200.
func waitStatus(ctx context.Context, b *broker, url string, d time.Duration) error {
	return poll(ctx, b, d, func(ctx context.Context) bool {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return false
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		_ = resp.Body.Close() // only the status matters
		return resp.StatusCode == http.StatusOK
	})
}

// waitKafkaAPI polls until the broker lists itself in Metadata.
func waitKafkaAPI(ctx context.Context, b *broker, d time.Duration) error {
	return poll(ctx, b, d, func(ctx context.Context) bool {
		cl, err := kgo.NewClient(kgo.SeedBrokers(b.addr))
		if err != nil {
			return false
		}
		defer cl.Close()
		brokers, err := kadm.NewClient(cl).ListBrokers(ctx)
		return err == nil && len(brokers) > 0
	})
}

// poll calls ok every 200 ms until it is true, b exits, or d passes.
func poll(ctx context.Context, b *broker, d time.Duration, ok func(context.Context) bool) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	for {
		try, done := context.WithTimeout(ctx, 5*time.Second)
		good := ok(try)
		done()
		if good {
			return nil
		}
		select {
		case <-b.exited:
			return fmt.Errorf("%s exited before ready: %w\n%s", b.name, errNotReady, tail(b.out.String(), 4000))
		case <-ctx.Done():
			return fmt.Errorf("%s after %v: %w\n%s", b.name, d, errNotReady, tail(b.out.String(), 4000))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// createTopic creates topic with the given partitions and configs.
func createTopic(ctx context.Context, addr, topic string, partitions int, configs map[string]*string) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		return fmt.Errorf("creating client: %w", err)
	}
	defer cl.Close()
	resp, err := kadm.NewClient(cl).CreateTopic(ctx, int32(partitions), 1, configs, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		return fmt.Errorf("creating topic %s: %w", topic, err)
	}
	return nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// syncBuffer is a bytes.Buffer safe for a child's two output streams.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.b.Len() > 1<<20 { // keep the last MiB or so: enough to say why it died
		rest := append([]byte(nil), b.b.Bytes()[b.b.Len()-256<<10:]...)
		b.b.Reset()
		b.b.Write(rest)
	}
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
