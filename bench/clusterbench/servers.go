package main

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"
)

// The bench's Postgres and S3 servers are the tests' (internal/testpg and
// internal/tests3, started with Launch): the same binaries and durability
// settings (fsync and synchronous_commit on), on 127.0.0.1, with their
// files under the bench's temporary directory.

// query runs one statement in database db and scans one int64 if asked.
func (e *env) query(ctx context.Context, db, sql string, args ...any) (int64, error) {
	conn, err := pgx.Connect(ctx, e.pg.DSN(db))
	if err != nil {
		return 0, err
	}
	defer func() { _ = conn.Close(context.Background()) }() // the statement's outcome is already known
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
func (e *env) xactCommit(ctx context.Context, db string) (int64, error) {
	return e.query(ctx, "postgres", "SELECT xact_commit FROM pg_stat_database WHERE datname = $1", db)
}
