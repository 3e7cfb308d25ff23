// Package testpg runs throwaway PostgreSQL servers for tests, from the
// server binaries installed on the machine (Debian's postgresql package:
// /usr/lib/postgresql/<version>/bin/initdb and postgres), so that the
// Postgres metadata store is tested against the real thing.
//
// Two ways to get one:
//
//   - DSN(tb) returns a fresh, empty database (CREATE DATABASE test_N) on
//     one server shared by the whole test binary, started on first use.
//     The package's TestMain must call Main (or Run), which stops the
//     server and removes its files after the tests:
//
//     func TestMain(m *testing.M) { testpg.Main(m) }
//
//   - New(tb) starts a server of the test's own, removed at its cleanup,
//     with Stop, Crash, Start, Restart, Pause and Resume for fault tests
//     (a database restarted or stalled under a running broker). Stopping
//     the shared server would break the other tests of the binary, so it
//     has no such controls.
//
// A program (a benchmark) that needs a server without a testing.TB uses
// Launch(dir) and Close, which New is built on: errors are returned, not
// skips, and the files stay in dir for the caller.
//
// A server is a new cluster (initdb) in a temporary directory, listening
// on 127.0.0.1 on a free port, with its unix socket in that directory and
// trust authentication for user postgres. It runs as the postgres user
// when the tests run as root (initdb and postgres refuse root), and with
// the production durability settings (fsync and synchronous_commit on):
// the store's tests rely on commits being durable. Only initdb skips its
// own fsyncs (--no-sync), which costs nothing in durability after start.
// The server gets SIGQUIT (immediate shutdown) if the test process dies
// without stopping it; its temporary directory (/tmp/testpg-*) is then
// left behind.
//
// Where the binaries are: $TESTPG_BIN if set, else the newest
// /usr/lib/postgresql/*/bin, else initdb on $PATH. When there are none the
// tests that need a server skip, saying how to install one, unless $CI is
// set (CI=true), where they fail: CI must not pass by skipping.
package testpg
