package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5"
)

// The bench starts its own Postgres and S3 server, as internal/testpg and
// internal/tests3 do for tests (those take a testing.TB, so they cannot
// serve a program): the same binaries, the same durability settings
// (fsync and synchronous_commit on), on 127.0.0.1 in a temporary
// directory removed at the end.

// postgres is a throwaway PostgreSQL cluster.
type postgres struct {
	dir  string
	port int
	cmd  *exec.Cmd
	done chan struct{}
}

// startPostgres runs initdb and postgres from $TESTPG_BIN or the newest
// /usr/lib/postgresql/*/bin, as the postgres user when we are root.
func startPostgres(root string) (*postgres, error) {
	bin := os.Getenv("TESTPG_BIN")
	if bin == "" {
		matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
		if len(matches) == 0 {
			return nil, errors.New("no /usr/lib/postgresql/*/bin/initdb (apt-get install postgresql) and TESTPG_BIN unset")
		}
		slices.SortFunc(matches, func(a, b string) int { return pgMajor(b) - pgMajor(a) })
		bin = filepath.Dir(matches[0])
	}
	p := &postgres{dir: filepath.Join(root, "postgres"), done: make(chan struct{})}
	if err := os.MkdirAll(p.dir, 0o755); err != nil {
		return nil, err
	}
	cred, err := postgresCredential(p.dir)
	if err != nil {
		return nil, err
	}
	command := func(name string, args ...string) *exec.Cmd {
		cmd := exec.Command(filepath.Join(bin, name), args...)
		cmd.Dir, cmd.Env = p.dir, append(os.Environ(), "LC_ALL=C")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}
		return cmd
	}
	data := filepath.Join(p.dir, "data")
	if out, err := command("initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	if p.port, err = freePort(); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(p.dir, "postgres.log"))
	if err != nil {
		return nil, err
	}
	p.cmd = command("postgres", "-D", data, "-p", strconv.Itoa(p.port), "-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories="+p.dir, "-c", "fsync=on", "-c", "synchronous_commit=on",
		"-c", "max_connections=200", "-c", "shared_buffers=32MB", "-c", "log_min_messages=warning")
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	go func() { p.cmd.Wait(); logf.Close(); close(p.done) }()
	return p, p.waitReady()
}

func pgMajor(initdb string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return v
}

// postgresCredential is whom the server runs as: nil (ourselves) unless
// we are root, whom initdb refuses; then the postgres user, owning dir.
func postgresCredential(dir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root and no postgres user to run the server as: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}

func (p *postgres) dsn(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.port, db)
}

func (p *postgres) waitReady() error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, p.dsn("postgres"))
		cancel()
		if err == nil {
			return conn.Close(context.Background())
		}
		select {
		case <-p.done:
			return fmt.Errorf("postgres exited while starting (see %s)", filepath.Join(p.dir, "postgres.log"))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres not ready: %w", err)
		}
	}
}

// exec runs one statement in database db and scans one int64 if asked.
func (p *postgres) query(ctx context.Context, db, sql string, args ...any) (int64, error) {
	conn, err := pgx.Connect(ctx, p.dsn(db))
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.Background())
	if !strings.HasPrefix(sql, "SELECT") {
		_, err = conn.Exec(ctx, sql, args...)
		return 0, err
	}
	var v int64
	err = conn.QueryRow(ctx, sql, args...).Scan(&v)
	return v, err
}

// xactCommit is pg_stat_database's committed transactions of db. Backends
// publish their counts at most once a second while busy and at exit, so
// read it after the brokers have stopped.
func (p *postgres) xactCommit(ctx context.Context, db string) (int64, error) {
	return p.query(ctx, "postgres", "SELECT xact_commit FROM pg_stat_database WHERE datname = $1", db)
}

func (p *postgres) stop() {
	if p.cmd != nil && p.cmd.Process != nil {
		p.cmd.Process.Signal(syscall.SIGINT) // fast shutdown
		select {
		case <-p.done:
		case <-time.After(30 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
		}
	}
}

// versity is a versitygw S3 server on a posix directory.
type versity struct {
	endpoint, region, access, secret string
	cmd                              *exec.Cmd
	done                             chan struct{}
}

// startVersity runs versitygw from $TESTS3_VERSITYGW, $PATH or
// $(go env GOPATH)/bin.
func startVersity(root string) (*versity, error) {
	bin, err := findVersity()
	if err != nil {
		return nil, err
	}
	data := filepath.Join(root, "s3")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	v := &versity{endpoint: "http://" + addr, region: "us-east-1", access: "bench-access", secret: "bench-secret", done: make(chan struct{})}
	logf, err := os.Create(filepath.Join(root, "versitygw.log"))
	if err != nil {
		return nil, err
	}
	v.cmd = exec.Command(bin, "--port", addr, "--region", v.region, "--quiet", "posix", data)
	v.cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+v.access, "ROOT_SECRET_KEY="+v.secret)
	v.cmd.Stdout, v.cmd.Stderr = logf, logf
	v.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := v.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start versitygw: %w", err)
	}
	go func() { v.cmd.Wait(); logf.Close(); close(v.done) }()
	return v, waitTCP(addr, v.done)
}

func findVersity() (string, error) {
	if p := os.Getenv("TESTS3_VERSITYGW"); p != "" {
		return p, nil
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, gp := range filepath.SplitList(strings.TrimSpace(string(out))) {
			if p := filepath.Join(gp, "bin", "versitygw"); fileExists(p) {
				return p, nil
			}
		}
	}
	return "", errors.New("versitygw not found (go install github.com/versity/versitygw/cmd/versitygw@v1.8.0)")
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func (v *versity) createBucket(ctx context.Context, name string) error {
	cl := s3.New(s3.Options{
		Region: v.region, BaseEndpoint: aws.String(v.endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(v.access, v.secret, ""),
	})
	_, err := cl.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
	return err
}

func (v *versity) stop() {
	if v.cmd != nil && v.cmd.Process != nil {
		v.cmd.Process.Kill()
		<-v.done
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func freeAddr() (string, error) {
	p, err := freePort()
	return fmt.Sprintf("127.0.0.1:%d", p), err
}

// waitTCP waits until addr accepts connections, or the process is done.
func waitTCP(addr string, done <-chan struct{}) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			return c.Close()
		}
		select {
		case <-done:
			return fmt.Errorf("server on %s exited while starting", addr)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nothing listening on %s after 30s", addr)
		}
	}
}
