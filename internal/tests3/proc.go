package tests3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tributary-io/tributary/internal/freeport"
)

// readyTimeout bounds how long a starting server may take to answer HTTP.
// versitygw answers in well under a second; the margin is for a loaded CI.
const readyTimeout = 30 * time.Second

// proc is one versitygw process: its fixed configuration (binary, data
// directory, address, keys) and, while running, the OS process. Stop and
// start again reuse the address and the directory, so clients configured
// for the first run reach the second and see the same buckets.
//
// mu guards cmd, exited and paused; it is held across a start or a stop so
// the two never interleave.
type proc struct {
	bin     string
	dataDir string // the posix backend's root: one directory per bucket
	logPath string // the server's stdout and stderr, appended across runs
	addr    string // 127.0.0.1:port
	region  string
	access  string
	secret  string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has been waited for
	paused bool
}

// newProc prepares (without starting) a server keeping its state under dir.
func newProc(bin, dir string) (*proc, error) {
	p := &proc{
		bin:     bin,
		dataDir: filepath.Join(dir, "data"),
		logPath: filepath.Join(dir, "versitygw.log"),
		region:  "us-east-1",
		access:  "tests3-access",
		secret:  "tests3-secret-" + randHex(8),
	}
	if err := os.MkdirAll(p.dataDir, 0o755); err != nil {
		return nil, err
	}
	return p, nil
}

// startFresh picks a free port and starts the server on it, trying another
// port when the first was taken between picking and binding.
func (p *proc) startFresh() error {
	var err error
	for range 3 {
		if p.addr, err = freeport.Addr(); err != nil {
			return err
		}
		if err = p.start(); err == nil || !strings.Contains(err.Error(), "address already in use") {
			return err
		}
	}
	return err
}

// start runs the server on p.addr and waits until it answers HTTP.
func (p *proc) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return fmt.Errorf("versitygw on %s: already running", p.addr)
	}
	logf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer func() { _ = logf.Close() }() // the child holds its own copy and does the writing: this one has nothing to flush
	cmd := exec.Command(p.bin, "--port", p.addr, "--region", p.region, "--quiet", "posix", p.dataDir)
	cmd.Env = append(cleanEnv(), "ROOT_ACCESS_KEY="+p.access, "ROOT_SECRET_KEY="+p.secret)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := spawn(cmd); err != nil {
		return fmt.Errorf("start %s: %w", p.bin, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait() // its exit status does not matter: exited is what start and stop wait for
		close(exited)
	}()
	if err := waitReady(p.addr, exited); err != nil {
		_ = cmd.Process.Kill() // fails only if it has exited, which exited then says
		<-exited
		return fmt.Errorf("versitygw on %s: %w\n%s", p.addr, err, p.logTail())
	}
	p.cmd, p.exited, p.paused = cmd, exited, false
	return nil
}

// stop kills the server (SIGKILL: a crash, not a shutdown; the posix
// backend's files are written before a request is answered, so nothing
// acknowledged is lost) and waits for it to exit.
func (p *proc) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Kill() // fails only if it has exited already, which exited then says
	<-p.exited
	p.cmd, p.exited, p.paused = nil, nil, false
}

// signal sends SIGSTOP or SIGCONT, for Pause and Resume.
func (p *proc) signal(sig syscall.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return fmt.Errorf("versitygw on %s: not running", p.addr)
	}
	if err := p.cmd.Process.Signal(sig); err != nil {
		return err
	}
	p.paused = sig == syscall.SIGSTOP
	if p.paused {
		return waitStopped(p.cmd.Process.Pid)
	}
	return nil
}

// waitStopped waits until every thread of pid is stopped. kill(SIGSTOP)
// returns before that: one thread takes the signal and then stops the
// others, and on a loaded machine a thread not yet stopped can still
// answer a request that arrives meanwhile.
func waitStopped(pid int) error {
	deadline := time.Now().Add(5 * time.Second)
	for !allThreadsStopped(pid) {
		if time.Now().After(deadline) {
			return fmt.Errorf("pid %d: threads not all stopped after SIGSTOP", pid)
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}

// allThreadsStopped reads each thread's state from /proc/PID/task/TID/stat
// ("tid (comm) S ...", S being T when stopped).
func allThreadsStopped(pid int) bool {
	stats, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", pid))
	if err != nil || len(stats) == 0 {
		return false
	}
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			return false
		}
		i := bytes.LastIndexByte(b, ')')
		if i < 0 || i+2 >= len(b) || b[i+2] != 'T' {
			return false
		}
	}
	return true
}

// logTail returns the end of the server's log, for start failures.
func (p *proc) logTail() string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return ""
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return "versitygw log (" + p.logPath + "):\n" + string(b)
}

// cleanEnv is the test's environment without versitygw's own settings
// (VGW_*, ROOT_*), which would change how the server runs.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VGW_") && !strings.HasPrefix(kv, "ROOT_") {
			env = append(env, kv)
		}
	}
	return env
}

// waitReady polls addr until an HTTP request gets any answer (403 for an
// unsigned request is the usual one), the process exits, or readyTimeout.
func waitReady(addr string, exited <-chan struct{}) error {
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(readyTimeout)
	for {
		select {
		case <-exited:
			return errors.New("exited before answering")
		default:
		}
		resp, err := client.Get("http://" + addr + "/")
		if err == nil {
			_ = resp.Body.Close() // only the answer was wanted
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not answering after %v: %w", readyTimeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// spawnReqs carries commands to the spawner goroutine.
var (
	spawnOnce sync.Once
	spawnReqs chan spawnReq
)

type spawnReq struct {
	cmd  *exec.Cmd
	done chan error
}

// spawn starts cmd from one goroutine locked to its OS thread for the life
// of the binary. Linux sends the parent-death signal when the thread that
// forked the child exits, not the process; a thread the Go runtime might
// retire would kill the server early, so all servers are forked from this
// one thread, which never exits.
func spawn(cmd *exec.Cmd) error {
	spawnOnce.Do(func() {
		spawnReqs = make(chan spawnReq)
		go func() {
			runtime.LockOSThread() // never unlocked: see above
			for req := range spawnReqs {
				req.done <- req.cmd.Start()
			}
		}()
	})
	done := make(chan error, 1)
	spawnReqs <- spawnReq{cmd: cmd, done: done}
	return <-done
}

// waitCtx is a context for one harness call to the server.
func waitCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 15*time.Second)
}
