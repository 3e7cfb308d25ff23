package testpg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tributary-io/tributary/internal/freeport"
)

const (
	// readyTimeout bounds how long a starting server may take to accept
	// connections (crash recovery included).
	readyTimeout = 60 * time.Second
	// stopTimeout bounds a shutdown before the server is killed.
	stopTimeout = 60 * time.Second
)

// Server is one throwaway PostgreSQL cluster: a data directory and,
// while started, its postmaster. Safe for concurrent use, but Stop,
// Crash, Start, Restart, Pause and Resume are meant for one test's fault
// injection.
type Server struct {
	bin  string // directory of initdb and postgres
	dir  string // temporary root: data/, the unix socket, postgres.log
	port int
	acct account
	dbs  atomic.Int64 // databases created, naming test_N

	mu     sync.Mutex
	proc   *process // nil while stopped
	paused bool
}

// process is one run of the postmaster.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed when it has exited and been reaped
}

// New starts a server for tb alone, stopped and removed at tb's cleanup.
// It skips tb (fails under CI) when no server binaries are installed.
func New(tb testing.TB) *Server {
	tb.Helper()
	s, err := newServer()
	if err != nil {
		unavailable(tb, err)
	}
	tb.Cleanup(func() {
		if err := s.remove(); err != nil {
			tb.Errorf("testpg: %v", err)
		}
	})
	return s
}

// newServer starts a server in a fresh temporary directory, removed
// again if the start fails.
func newServer() (*Server, error) {
	dir, err := os.MkdirTemp("", "testpg-")
	if err != nil {
		return nil, fmt.Errorf("testpg: %w", err)
	}
	s, err := Launch(dir)
	if err != nil {
		_ = os.RemoveAll(dir) // the start error is the one returned; a leftover temporary directory harms nothing
		return nil, err
	}
	return s, nil
}

// Launch creates a cluster in dir (created if missing; it must not hold
// one already) and starts it, for a program rather than a test: nothing
// skips, and Close stops the server but leaves dir and its log
// (postgres.log) to the caller. When the process runs as root the server
// runs as the postgres user, who then owns dir and must be able to reach
// it. The error wraps errNoServer when no server binaries are installed.
func Launch(dir string) (*Server, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	acct, err := serverAccount()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("testpg: %w", err)
	}
	s := &Server{bin: bin, dir: dir, acct: acct}
	if err := s.initdb(); err != nil {
		return nil, err
	}
	if err := s.startOnFreePort(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Server) dataDir() string { return filepath.Join(s.dir, "data") }
func (s *Server) logPath() string { return filepath.Join(s.dir, "postgres.log") }

// command prepares a server binary to run as the server's account.
func (s *Server) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.Dir = s.dir // the test's working directory may be closed to the postgres user
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.acct.cred}
	return cmd
}

func (s *Server) initdb() error {
	if err := os.Chown(s.dir, s.acct.uid, s.acct.gid); err != nil {
		return fmt.Errorf("testpg: chown %s: %w", s.dir, err)
	}
	// --no-sync: initdb's own fsyncs only protect a fresh cluster against
	// a machine crash during the test; the server itself syncs as usual.
	cmd := s.command("initdb", "-D", s.dataDir(), "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("testpg: initdb: %w\n%s", err, out)
	}
	return nil
}

// startOnFreePort starts the server on a port free a moment ago, trying
// again on another if someone took it meanwhile.
func (s *Server) startOnFreePort() error {
	var err error
	for range 3 {
		if s.port, err = freeport.Port(); err != nil {
			return err
		}
		if err = s.start(); err == nil || !bytes.Contains(s.logTail(), []byte("could not bind")) {
			return err
		}
	}
	return err
}

// start runs the postmaster and waits until it accepts connections.
func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		return errors.New("testpg: server already started")
	}
	logf, err := os.OpenFile(s.logPath(), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("testpg: %w", err)
	}
	cmd := s.command("postgres", "-D", s.dataDir(), "-p", strconv.Itoa(s.port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories="+s.dir,
		"-c", "fsync=on", "-c", "synchronous_commit=on", "-c", "full_page_writes=on",
		"-c", "max_connections=200", "-c", "shared_buffers=32MB",
		"-c", "log_min_messages=warning")
	if s.hasStatStatements() {
		// Loaded (not created) so that a program can count the
		// statements brokers send (CREATE EXTENSION pg_stat_statements).
		cmd.Args = append(cmd.Args, "-c", "shared_preload_libraries=pg_stat_statements")
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	// Immediate shutdown if the test process dies first; a process group
	// of its own so that ^C reaches the tests, which then stop it.
	cmd.SysProcAttr.Pdeathsig = syscall.SIGQUIT
	cmd.SysProcAttr.Setpgid = true
	p := &process{cmd: cmd, exited: make(chan struct{})}
	started := make(chan error)
	go func() {
		// The parent-death signal fires when the thread that started the
		// child exits, so that thread must live as long as the server.
		runtime.LockOSThread()
		err := cmd.Start()
		started <- err
		if err == nil {
			// Its exit status does not matter: a server that should not
			// have exited fails the next query, and its log says why.
			_ = cmd.Wait()
		}
		// Only the child wrote the log, through its own descriptor; this
		// copy has nothing to flush.
		_ = logf.Close()
		close(p.exited)
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("testpg: start postgres: %w", err)
	}
	if err := s.waitReady(p); err != nil {
		_ = cmd.Process.Kill() // fails only if it has exited, which exited then says
		<-p.exited
		return err
	}
	s.proc = p
	return nil
}

// hasStatStatements reports whether the server's installation has the
// pg_stat_statements module (Debian's postgresql package ships it).
func (s *Server) hasStatStatements() bool {
	_, err := os.Stat(filepath.Join(filepath.Dir(s.bin), "lib", "pg_stat_statements.so"))
	return err == nil
}

// waitReady polls until the server accepts a connection, or exits.
func (s *Server) waitReady(p *process) error {
	deadline := time.Now().Add(readyTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, s.DSN("postgres"))
		cancel()
		if err == nil {
			_ = conn.Close(context.Background()) // only the connect was the test
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("testpg: postgres exited while starting:\n%s", s.logTail())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("testpg: postgres not ready after %v: %v\n%s", readyTimeout, err, s.logTail())
		}
	}
}

// logTail returns the end of the server's log, for error messages.
func (s *Server) logTail() []byte {
	b, _ := os.ReadFile(s.logPath())
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return b
}

// stop signals the postmaster (SIGINT: fast shutdown, SIGQUIT: immediate)
// and waits for it to exit. Stopping a stopped server does nothing; a
// paused one is resumed first.
func (s *Server) stop(sig syscall.Signal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.proc
	if p == nil {
		return nil
	}
	_ = s.resume() // fails only if the postmaster has gone, which Signal below reports
	s.proc = nil
	if err := p.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("testpg: signal postgres: %w", err)
	}
	select {
	case <-p.exited:
		return nil
	case <-time.After(stopTimeout):
		_ = p.cmd.Process.Kill() // fails only if it has just exited
		<-p.exited
		return fmt.Errorf("testpg: postgres still running %v after %v; killed\n%s", stopTimeout, sig, s.logTail())
	}
}

// Close stops the server cleanly (fast shutdown), leaving its files;
// closing a stopped server does nothing. For servers from Launch: New's
// are closed and removed at the test's cleanup.
func (s *Server) Close() error { return s.stop(syscall.SIGINT) }

// remove stops the server and deletes its files.
func (s *Server) remove() error {
	return errors.Join(s.Close(), os.RemoveAll(s.dir))
}

// DSN returns the connection string of database db on s.
func (s *Server) DSN(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, db)
}

// Port returns the TCP port s listens on (the same across restarts).
func (s *Server) Port() int { return s.port }

// Stop shuts the server down cleanly (fast shutdown: sessions are ended,
// a checkpoint is written). Calls fail until Start.
func (s *Server) Stop(tb testing.TB) {
	tb.Helper()
	if err := s.stop(syscall.SIGINT); err != nil {
		tb.Fatal(err)
	}
}

// Crash stops the server without a checkpoint (immediate shutdown, as
// after a power cut of the database alone): the next Start runs crash
// recovery from the WAL, so only what was committed survives.
func (s *Server) Crash(tb testing.TB) {
	tb.Helper()
	if err := s.stop(syscall.SIGQUIT); err != nil {
		tb.Fatal(err)
	}
}

// Start starts a stopped server again on the same port and data.
func (s *Server) Start(tb testing.TB) {
	tb.Helper()
	if err := s.start(); err != nil {
		tb.Fatal(err)
	}
}

// Pause stops every process of the server (SIGSTOP) without closing
// anything: connections stay open and calls hang, as with a stalled
// database or a network partition. Resume undoes it; Stop and the
// cleanup resume a paused server first.
func (s *Server) Pause(tb testing.TB) {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		tb.Fatal("testpg: Pause of a stopped server")
	}
	if err := s.proc.signalAll(syscall.SIGSTOP); err != nil {
		tb.Fatalf("testpg: pause: %v", err)
	}
	s.paused = true
}

// Resume continues a paused server; a running one is left alone.
func (s *Server) Resume(tb testing.TB) {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.resume(); err != nil {
		tb.Fatalf("testpg: resume: %v", err)
	}
}

// resume continues a paused server. s.mu is held.
func (s *Server) resume() error {
	if !s.paused || s.proc == nil {
		return nil
	}
	s.paused = false
	return s.proc.signalAll(syscall.SIGCONT)
}

// signalAll signals the postmaster and then its children. Backends call
// setsid(), so signalling the postmaster's process group would miss
// them; they are found through /proc instead. A child forked between
// the two steps is missed, which a stopped postmaster cannot do.
func (p *process) signalAll(sig syscall.Signal) error {
	pid := p.cmd.Process.Pid
	if err := syscall.Kill(pid, sig); err != nil {
		return err
	}
	children, err := childrenOf(pid)
	for _, c := range children {
		_ = syscall.Kill(c, sig) // one may have exited meanwhile
	}
	return err
}

// childrenOf lists the processes whose parent is pid (Linux /proc).
func childrenOf(pid int) ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var out []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may hold spaces, so parse after
		// its closing parenthesis.
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(pid) {
			out = append(out, child)
		}
	}
	return out, nil
}

// Down stops the server, for a program (tests take Stop and Crash): a
// fast shutdown, or with crash an immediate one (recovery from the WAL at
// the next start). Calls fail until Up.
func (s *Server) Down(crash bool) error {
	if crash {
		return s.stop(syscall.SIGQUIT)
	}
	return s.stop(syscall.SIGINT)
}

// Up starts a server stopped by Down again, on the same port and data,
// and returns once it accepts connections.
func (s *Server) Up() error { return s.start() }

// Restart is Stop then Start.
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	s.Stop(tb)
	s.Start(tb)
}

// CreateDatabase creates a fresh empty database test_N and returns its
// DSN; it is dropped at tb's cleanup.
func (s *Server) CreateDatabase(tb testing.TB) string {
	tb.Helper()
	name := fmt.Sprintf("test_%d", s.dbs.Add(1))
	if err := s.admin(tb.Context(), "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("testpg: create database %s: %v", name, err)
	}
	tb.Cleanup(func() {
		// Dropping keeps the disk use of a long test binary down; WITH
		// (FORCE) ends sessions a test left open. A stopped or paused
		// server is left alone: its files go at the end anyway.
		if s.running() {
			if err := s.admin(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
				tb.Logf("testpg: drop database %s: %v", name, err)
			}
		}
	})
	return s.DSN(name)
}

// running reports whether the server is started and not paused.
func (s *Server) running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proc != nil && !s.paused
}

// admin runs one statement in database postgres.
func (s *Server) admin(ctx context.Context, sql string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.DSN("postgres"))
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(context.Background()) }() // the statement's outcome is already known
	_, err = conn.Exec(ctx, sql)
	return err
}
