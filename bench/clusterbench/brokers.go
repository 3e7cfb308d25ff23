package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
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
	var err error
	if b.kafka, err = freeAddr(); err != nil {
		return nil, err
	}
	if b.admin, err = freeAddr(); err != nil {
		return nil, err
	}
	b.cmd = exec.Command(bin, "serve", "--config", cfg, "--data-dir", dataDir, "--kafka-addr", b.kafka, "--admin-addr", b.admin)
	b.cmd.Stdout, b.cmd.Stderr = &b.out, &b.out
	b.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := b.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { b.cmd.Wait(); close(b.done) }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-b.done:
			return nil, fmt.Errorf("broker exited while starting:\n%s", b.out.String())
		default:
		}
		if resp, err := http.Get("http://" + b.admin + "/-/status"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return b, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.cmd.Process.Kill()
	<-b.done
	return nil, fmt.Errorf("broker not ready after 30s:\n%s", b.out.String())
}

// stop sends SIGTERM (drain, deregister, close the Postgres connections)
// and waits, killing it after 30s.
func (b *broker) stop() {
	b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-b.done:
	case <-time.After(30 * time.Second):
		b.cmd.Process.Kill()
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
	defer resp.Body.Close()
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
