package e2e

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tributary-io/tributary/internal/freeport"
)

// buildTributary builds cmd/tributary into a directory removed at test end
// and returns the binary's path. The module root is found through
// `go env GOMOD`, so the test runs from any working directory.
func buildTributary(t *testing.T) string {
	t.Helper()
	ctx := ctxTimeout(t, 3*time.Minute)
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		t.Fatalf("go env GOMOD: %q, %v", gomod, err)
	}
	bin := filepath.Join(t.TempDir(), "tributary")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/tributary")
	cmd.Dir = filepath.Dir(gomod)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/tributary: %v\n%s", err, out)
	}
	return bin
}

// freeAddr returns a 127.0.0.1 address with a port that was free a moment
// ago: child brokers must keep one Kafka address across restarts, so that
// a client started before a crash reconnects to the new process.
func freeAddr(t *testing.T) string {
	t.Helper()
	addr, err := freeport.Addr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// procBroker is a `tributary serve` child process.
type procBroker struct {
	KafkaAddr string
	AdminAddr string
	cmd       *exec.Cmd
	out       *syncBuffer
	exited    chan struct{} // closed once Wait returned; state is then set
	state     *os.ProcessState
}

// startProc runs `bin serve` on dataDir with the Kafka listener on
// kafkaAddr (and fresh admin, registry and catalog ports), adding env to
// the environment, and waits until GET /-/status answers 200. The process is killed at test
// end if still running; its output is logged when the test failed.
func startProc(t *testing.T, bin, dataDir, kafkaAddr string, env ...string) *procBroker {
	t.Helper()
	p := &procBroker{KafkaAddr: kafkaAddr, AdminAddr: freeAddr(t), out: &syncBuffer{}, exited: make(chan struct{})}
	// The registry and catalog get ports of their own too: tests never
	// bind the default ones.
	p.cmd = exec.Command(bin, "serve", "--data-dir", dataDir, "--kafka-addr", kafkaAddr, "--admin-addr", p.AdminAddr,
		"--registry-addr", "127.0.0.1:0", "--catalog-addr", "127.0.0.1:0")
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() {
		p.cmd.Wait()
		p.state = p.cmd.ProcessState
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("broker pid %d output:\n%s", p.cmd.Process.Pid, p.out.String())
		}
	})
	p.waitReady(t, 30*time.Second)
	return p
}

func (p *procBroker) waitReady(t *testing.T, d time.Duration) {
	t.Helper()
	url := "http://" + p.AdminAddr + "/-/status"
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			t.Fatalf("broker exited before ready (%v):\n%s", p.state, p.out.String())
		default:
		}
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("broker not ready after %v:\n%s", d, p.out.String())
}

// waitExit waits up to d for the process to end and returns its state.
func (p *procBroker) waitExit(t *testing.T, d time.Duration) *os.ProcessState {
	t.Helper()
	select {
	case <-p.exited:
		return p.state
	case <-time.After(d):
		t.Fatalf("broker pid %d still running after %v", p.cmd.Process.Pid, d)
		return nil
	}
}

func (p *procBroker) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %v: %v", sig, err)
	}
}

// syncBuffer is a bytes.Buffer safe for the child's two output streams.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
