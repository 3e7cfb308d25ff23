package testpg_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tributary-io/tributary/internal/testpg"
)

func TestMain(m *testing.M) { testpg.Main(m) }

func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func exec(t *testing.T, conn *pgx.Conn, sql string) {
	t.Helper()
	if _, err := conn.Exec(t.Context(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// TestDatabasesAreSeparate checks that each DSN is a fresh database.
func TestDatabasesAreSeparate(t *testing.T) {
	start := time.Now()
	a := connect(t, testpg.DSN(t))
	t.Logf("first DSN (server start and a database): %v", time.Since(start))
	start = time.Now()
	b := connect(t, testpg.DSN(t))
	t.Logf("second DSN (a database): %v", time.Since(start))
	exec(t, a, "CREATE TABLE x (v int)")
	exec(t, b, "CREATE TABLE x (v int)") // no clash: another database

	var fsync, syncCommit string
	if err := a.QueryRow(t.Context(), "SELECT current_setting('fsync'), current_setting('synchronous_commit')").Scan(&fsync, &syncCommit); err != nil {
		t.Fatal(err)
	}
	if fsync != "on" || syncCommit != "on" {
		t.Fatalf("fsync=%s synchronous_commit=%s, want both on", fsync, syncCommit)
	}
}

// TestCrashKeepsCommits crashes a server of the test's own and checks
// that a committed row survives recovery and the DSN works again.
func TestCrashKeepsCommits(t *testing.T) {
	srv := testpg.New(t)
	dsn := srv.CreateDatabase(t)
	conn := connect(t, dsn)
	exec(t, conn, "CREATE TABLE x (v int)")
	exec(t, conn, "INSERT INTO x VALUES (42)")

	start := time.Now()
	srv.Crash(t)
	if _, err := conn.Exec(t.Context(), "SELECT 1"); err == nil {
		t.Fatal("query on a crashed server succeeded")
	}
	srv.Start(t)
	t.Logf("crash and recovery: %v", time.Since(start))
	var v int
	if err := connect(t, dsn).QueryRow(t.Context(), "SELECT v FROM x").Scan(&v); err != nil || v != 42 {
		t.Fatalf("after recovery: %d, %v", v, err)
	}

	start = time.Now()
	srv.Restart(t)
	t.Logf("clean restart: %v", time.Since(start))
	if err := connect(t, dsn).QueryRow(t.Context(), "SELECT v FROM x").Scan(&v); err != nil || v != 42 {
		t.Fatalf("after restart: %d, %v", v, err)
	}
}

// TestPauseStallsOpenConnections checks that Pause reaches the backends
// (which leave the postmaster's process group), not only new connections.
func TestPauseStallsOpenConnections(t *testing.T) {
	srv := testpg.New(t)
	conn := connect(t, srv.CreateDatabase(t))
	exec(t, conn, "SELECT 1")
	srv.Pause(t)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	_, err := conn.Exec(ctx, "SELECT 1")
	cancel()
	if err == nil {
		t.Fatal("query on a paused server's open connection succeeded")
	}
	srv.Resume(t)
	exec(t, connect(t, srv.DSN("postgres")), "SELECT 1")
}
