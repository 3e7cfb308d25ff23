package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tributary-io/tributary/internal/freeport"
)

// broker is one `tributary serve` process of the cluster under test.
type broker struct {
	kafka, admin string
	cmd          *exec.Cmd
	out          bytes.Buffer
	done         chan struct{}
}

// startBroker runs bin serve with cfg and its own addresses and data dir,
// and waits until /-/status answers 200.
func startBroker(bin, cfg, dataDir string) (*broker, error) {
	b := &broker{done: make(chan struct{})}
	addrs, err := freeport.Addrs(2)
	if err != nil {
		return nil, err
	}
	b.kafka, b.admin = addrs[0], addrs[1]
	b.cmd = exec.Command(bin, "serve", "--config", cfg, "--data-dir", dataDir, "--kafka-addr", b.kafka, "--admin-addr", b.admin)
	b.cmd.Stdout, b.cmd.Stderr = &b.out, &b.out
	b.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	// Linux sends the parent-death signal when the thread that forked the
	// child exits, not the process. The broker is forked from a thread
	// locked to this goroutine, which lives until the broker exits: forked
	// from any thread, it was SIGKILLed silently whenever the runtime
	// retired that thread (testpg's restarts retire theirs).
	started := make(chan error)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the broker
		err := b.cmd.Start()
		started <- err
		if err == nil {
			_ = b.cmd.Wait() // its exit status does not matter: done is what stop and start wait for
		}
		close(b.done)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-b.done:
			return nil, fmt.Errorf("broker exited while starting:\n%s", b.out.String())
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
	_ = b.cmd.Process.Kill() // fails only if it has exited, which done then reports
	<-b.done
	return nil, fmt.Errorf("broker not ready after 30s:\n%s", b.out.String())
}

// stop sends SIGTERM (drain, deregister, close the Postgres connections)
// and waits; a broker still running after 30s gets SIGQUIT, so that the Go
// runtime writes every goroutine's stack to its log (--keep keeps it),
// and is killed 5s later.
func (b *broker) stop() {
	_ = b.cmd.Process.Signal(syscall.SIGTERM) // fails only if it has exited: done is then closed
	select {
	case <-b.done:
		return
	case <-time.After(30 * time.Second):
	}
	_ = b.cmd.Process.Signal(syscall.SIGQUIT) // as above
	select {
	case <-b.done:
	case <-time.After(5 * time.Second):
		_ = b.cmd.Process.Kill() // fails only if it has exited meanwhile
		<-b.done
	}
}

// metric sums the samples of name in the broker's /metrics whose labels
// contain every one of labels (`op="put"`).
func (b *broker) metric(name string, labels ...string) (float64, error) {
	resp, err := http.Get("http://" + b.admin + "/metrics")
	if err != nil {
		return 0, err
	}
	defer func() { _ = resp.Body.Close() }() // read to the end below; a close error adds nothing
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	sum := 0.0
	for line := range strings.Lines(string(body)) {
		series, val, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok || (series != name && !strings.HasPrefix(series, name+"{")) || !hasAll(series, labels) {
			continue
		}
		f, err := strconv.ParseFloat(val, 64)
		if err != nil {
			return 0, fmt.Errorf("metric %q: %w", line, err)
		}
		sum += f
	}
	return sum, nil
}

func hasAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// counters are the brokers' summed counters at one moment.
type counters struct {
	puts, appends float64
}

func scrape(bs []*broker) (counters, error) {
	var c counters
	for _, b := range bs {
		puts, err := b.metric("tributary_objstore_operations_total", `op="put"`)
		if err != nil {
			return c, err
		}
		appends, err := b.metric("tributary_metastore_operations_total", `op="append"`)
		if err != nil {
			return c, err
		}
		c.puts += puts
		c.appends += appends
	}
	return c, nil
}

// buildTributary builds cmd/tributary into dir.
func buildTributary(dir string) (string, error) {
	bin := filepath.Join(dir, "tributary")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/tributary")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/tributary (run from the module root): %w", err)
	}
	return bin, nil
}
