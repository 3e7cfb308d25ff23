package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/metastore/postgres"
	"github.com/tributary-io/tributary/internal/testpg"
)

const secret = "s3cr3t-pa55"

func TestOpenBadDSN(t *testing.T) {
	for _, dsn := range []string{
		"postgres://user:" + secret + "@host:notaport/db",
		"host=h password=" + secret + " port=x",
	} {
		_, err := postgres.Open(t.Context(), dsn, postgres.Options{})
		if !errors.Is(err, metastore.ErrInvalidRequest) {
			t.Fatalf("Open(bad DSN): %v", err)
		}
		if strings.Contains(err.Error(), secret) {
			t.Fatalf("error quotes the password: %v", err)
		}
	}
	_, err := postgres.Open(t.Context(), "postgres://h/db", postgres.Options{MaxConns: -1})
	if !errors.Is(err, metastore.ErrInvalidRequest) {
		t.Fatalf("Open(MaxConns -1): %v", err)
	}
}

// TestOpenUnreachable opens a DSN nobody listens on: ErrUnavailable
// without waiting, and without the password in the message.
func TestOpenUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	start := time.Now()
	_, err = postgres.Open(t.Context(), fmt.Sprintf("postgres://u:%s@%s/db?sslmode=disable", secret, addr),
		postgres.Options{ConnectTimeout: 2 * time.Second})
	if !errors.Is(err, metastore.ErrUnavailable) {
		t.Fatalf("Open(unreachable): %v", err)
	}
	if strings.Contains(err.Error(), secret) {
		t.Fatalf("error quotes the password: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Open(unreachable) took %v", d)
	}
	t.Logf("Open(unreachable) after %v: %v", time.Since(start), err)
}

// TestOpenRefusesNewerSchema: a database migrated by a newer build is not
// touched.
func TestOpenRefusesNewerSchema(t *testing.T) {
	dsn := testpg.DSN(t)
	open(t, dsn).Close()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), "INSERT INTO schema_migrations (version, name) VALUES (9999, 'future')"); err != nil {
		t.Fatal(err)
	}
	_, err = postgres.Open(t.Context(), dsn, postgres.Options{})
	if err == nil || !strings.Contains(err.Error(), "schema") {
		t.Fatalf("Open of a newer schema: %v", err)
	}
	t.Logf("Open of a newer schema: %v", err)
}

// TestReopenMigratesNothing opens twice: the second Open finds every
// migration applied.
func TestReopenMigratesNothing(t *testing.T) {
	dsn := testpg.DSN(t)
	open(t, dsn)
	open(t, dsn)
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n, max int
	if err := conn.QueryRow(t.Context(), "SELECT count(*), max(version) FROM schema_migrations").Scan(&n, &max); err != nil {
		t.Fatal(err)
	}
	if n != max || n < 1 {
		t.Fatalf("schema_migrations has %d rows up to %d", n, max)
	}
}

// TestClosedStoreIsUnavailable: calls after Close fail as retriable
// unavailability (the broker is shutting down), and Close is idempotent.
func TestClosedStoreIsUnavailable(t *testing.T) {
	s := open(t, testpg.DSN(t))
	s.Close()
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := s.Topics(t.Context()); !errors.Is(err, metastore.ErrUnavailable) {
		t.Fatalf("Topics after Close: %v", err)
	}
	if _, err := s.CreateTopic(t.Context(), metastore.TopicSpec{Name: "t", Partitions: 1}); !errors.Is(err, metastore.ErrUnavailable) {
		t.Fatalf("CreateTopic after Close: %v", err)
	}
	if _, err := s.KVGet(t.Context(), "k"); !errors.Is(err, metastore.ErrUnavailable) {
		t.Fatalf("KVGet after Close: %v", err)
	}
	if _, err := s.KVApply(t.Context(), []metastore.KVOp{{Key: "k"}}); !errors.Is(err, metastore.ErrUnavailable) {
		t.Fatalf("KVApply after Close: %v", err)
	}
}
