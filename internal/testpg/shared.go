package testpg

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
)

// shared is the server DSN hands databases out on: one per test binary,
// started on first use, stopped by Main.
var shared struct {
	once sync.Once
	srv  *Server
	err  error
	main atomic.Bool // Main is running the tests
}

// Main runs the tests of a package that uses DSN and then stops the
// shared server and removes its files; call it from TestMain. It exits
// the process with the tests' status.
//
//	func TestMain(m *testing.M) { testpg.Main(m) }
func Main(m *testing.M) { os.Exit(Run(m)) }

// Run is Main without the exit, for a TestMain that has more to stop:
//
//	func TestMain(m *testing.M) {
//		code := testpg.Run(m)
//		tests3.Shutdown()
//		os.Exit(code)
//	}
func Run(m *testing.M) int {
	shared.main.Store(true)
	code := m.Run()
	if shared.srv != nil {
		if err := shared.srv.remove(); err != nil {
			fmt.Fprintf(os.Stderr, "testpg: %v\n", err)
			code = max(code, 1)
		}
	}
	return code
}

// DSN returns the DSN of a fresh, empty database on the test binary's
// shared server, dropped at tb's cleanup. It skips tb (fails under CI)
// when no server binaries are installed.
func DSN(tb testing.TB) string {
	tb.Helper()
	if !shared.main.Load() {
		tb.Fatal("testpg.DSN: the package's TestMain must call testpg.Main(m) or testpg.Run(m), which stop the shared server")
	}
	shared.once.Do(func() { shared.srv, shared.err = newServer() })
	if shared.err != nil {
		unavailable(tb, shared.err)
	}
	return shared.srv.CreateDatabase(tb)
}
