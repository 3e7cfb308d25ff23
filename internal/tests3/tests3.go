package tests3

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Server is a versitygw server's address and root credentials, as an S3
// client needs them. Buckets are addressed path-style
// (Endpoint/bucket/key). Copies of a Server share one process.
type Server struct {
	Endpoint  string // "http://127.0.0.1:PORT"
	Region    string // "us-east-1"
	AccessKey string
	SecretKey string

	p      *proc
	shared bool
}

// shared is the test binary's shared server, started by the first Start.
var shared struct {
	once    sync.Once
	srv     Server
	dir     string
	err     error
	missing bool // no binary: skip or fail at every Start
}

// Start returns the test binary's shared server, starting it on first use.
// It stays up until the binary exits (or Main returns); every test using it
// should take its own bucket (NewBucket) or key prefix. Without a versitygw
// binary the test is skipped, or fails when CI=true.
func Start(tb testing.TB) Server {
	tb.Helper()
	shared.once.Do(startShared)
	switch {
	case shared.missing && inCI():
		tb.Fatalf("tests3: versitygw not found (CI=true); install it with: %s", InstallHint)
	case shared.missing:
		tb.Skipf("tests3: versitygw not found in $%s, PATH, $GOBIN or $GOPATH/bin; install it with: %s", EnvBinary, InstallHint)
	case shared.err != nil:
		tb.Fatalf("tests3: start shared server: %v", shared.err)
	}
	return shared.srv
}

func startShared() {
	bin := findBinary()
	if bin == "" {
		shared.missing = true
		return
	}
	sweepStale()
	dir, err := os.MkdirTemp("", fmt.Sprintf("%s%d-", sharedDirPrefix, os.Getpid()))
	if err != nil {
		shared.err = err
		return
	}
	shared.dir = dir
	p, err := newProc(bin, dir)
	if err == nil {
		err = p.startFresh()
	}
	if err != nil {
		shared.err = err
		return
	}
	shared.srv = serverOf(p, true)
}

// NewBucket creates a bucket no other caller has on the shared server and
// returns its name.
func NewBucket(tb testing.TB) string {
	tb.Helper()
	return Start(tb).NewBucket(tb)
}

// NewServer starts a server of the test's own, on a fresh port and
// directory, for tests that stop or pause it; it is killed and its
// directory removed when the test ends. Skips or fails as Start does.
func NewServer(tb testing.TB) Server {
	tb.Helper()
	s, err := Launch(tb.TempDir())
	if errors.Is(err, errNoBinary) {
		Start(tb) // skips or fails with the install hint
		tb.Fatal("tests3: unreachable: Start passed without a binary")
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close) // before TempDir's removal: cleanups run last-in first-out
	return s
}

// Launch starts a server of the caller's own on a fresh port, keeping its
// state in dir (buckets under data/, the log in versitygw.log), for a
// program rather than a test: nothing skips, and Close kills the server
// but leaves dir to the caller. The error is errNoBinary when there is no
// versitygw to run.
func Launch(dir string) (Server, error) {
	bin := findBinary()
	if bin == "" {
		return Server{}, errNoBinary
	}
	p, err := newProc(bin, dir)
	if err != nil {
		return Server{}, fmt.Errorf("tests3: new server: %w", err)
	}
	if err := p.startFresh(); err != nil {
		return Server{}, fmt.Errorf("tests3: start server: %w", err)
	}
	return serverOf(p, false), nil
}

// Close kills s (as Stop does) and waits for it to exit, leaving its
// directory. The shared server is left alone: Shutdown stops it.
func (s Server) Close() {
	if s.p != nil && !s.shared {
		s.p.stop()
	}
}

func serverOf(p *proc, isShared bool) Server {
	return Server{
		Endpoint:  "http://" + p.addr,
		Region:    p.region,
		AccessKey: p.access,
		SecretKey: p.secret,
		p:         p,
		shared:    isShared,
	}
}

// bucketSeq numbers buckets within this test binary.
var bucketSeq atomic.Int64

// NewBucket creates a fresh bucket on s and returns its name. The bucket's
// directory is removed when the test ends, objects and all.
func (s Server) NewBucket(tb testing.TB) string {
	tb.Helper()
	name := fmt.Sprintf("tests3-%04d-%s", bucketSeq.Add(1), randHex(4))
	ctx, cancel := waitCtx()
	defer cancel()
	if err := s.CreateBucket(ctx, name); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := os.RemoveAll(filepath.Join(s.p.dataDir, name)); err != nil {
			tb.Errorf("tests3: remove bucket %s: %v", name, err)
		}
	})
	return name
}

// CreateBucket creates bucket name on s, for a program; tests take
// NewBucket, which names the bucket and removes it at the end.
func (s Server) CreateBucket(ctx context.Context, name string) error {
	if _, err := s.Client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		return fmt.Errorf("tests3: create bucket %s: %w", name, err)
	}
	return nil
}

// Client returns an S3 client for s with its root credentials, path-style,
// with the SDK's default retries.
func (s Server) Client() *s3.Client {
	return s3.New(s3.Options{
		Region:       s.Region,
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
	})
}

// Stop kills s: connections are refused until Start. Only for servers
// from NewServer.
func (s Server) Stop(tb testing.TB) {
	tb.Helper()
	s.own(tb, "Stop")
	s.p.stop()
}

// Start starts s again after Stop, on the same address and directory, and
// waits until it answers.
func (s Server) Start(tb testing.TB) {
	tb.Helper()
	s.own(tb, "Start")
	if err := s.p.start(); err != nil {
		tb.Fatalf("tests3: restart server: %v", err)
	}
}

// Down kills a server from Launch, for a program (tests take Stop):
// connections are refused until Up.
func (s Server) Down() error {
	if s.p == nil || s.shared {
		return errors.New("tests3: Down needs a server of its own")
	}
	s.p.stop()
	return nil
}

// Up starts a server stopped by Down again, on the same address and
// directory, and returns once it answers.
func (s Server) Up() error {
	if s.p == nil || s.shared {
		return errors.New("tests3: Up needs a server of its own")
	}
	if err := s.p.start(); err != nil {
		return fmt.Errorf("tests3: restart server: %w", err)
	}
	return nil
}

// Pause freezes s (SIGSTOP): connections are accepted by the kernel but
// nothing answers, the way a hung server or a black-holed network looks.
// Resume undoes it; a Pause left in place ends with the test's cleanup.
func (s Server) Pause(tb testing.TB) {
	tb.Helper()
	s.own(tb, "Pause")
	if err := s.p.signal(syscall.SIGSTOP); err != nil {
		tb.Fatalf("tests3: pause server: %v", err)
	}
}

// Resume lets a paused s run again (SIGCONT).
func (s Server) Resume(tb testing.TB) {
	tb.Helper()
	s.own(tb, "Resume")
	if err := s.p.signal(syscall.SIGCONT); err != nil {
		tb.Fatalf("tests3: resume server: %v", err)
	}
}

// own fails tb unless s is a server of its own, which only NewServer gives.
func (s Server) own(tb testing.TB, op string) {
	tb.Helper()
	if s.p == nil || s.shared {
		tb.Fatalf("tests3: %s needs a server from NewServer, not the shared one", op)
	}
}

// Main runs the package's tests, then stops the shared server and removes
// its directory. Call it from TestMain: func TestMain(m *testing.M) { tests3.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	Shutdown()
	os.Exit(code)
}

// Shutdown stops the shared server, if one was started, and removes its
// directory. Start must not be called after it.
func Shutdown() {
	if shared.srv.p != nil {
		shared.srv.p.stop()
	}
	if shared.dir != "" {
		// Called from TestMain after the tests, with nowhere to report to;
		// a directory left is removed by the next run's sweep of dead ones.
		_ = os.RemoveAll(shared.dir)
	}
}
