package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tributary-io/tributary/internal/metastore"
)

// Store is the Postgres metadata store. Safe for concurrent use, and for
// use by many processes on one database; see doc.go.
type Store struct {
	pool *pgxpool.Pool
}

var _ metastore.Store = (*Store)(nil)

// migrationLockKey is the advisory lock that serializes migrations
// ("tributary" in ASCII, as a number).
const migrationLockKey int64 = 0x7472696275746172

// Open connects to the database of dsn (a postgres:// URL or key=value
// string, as libpq), each connection attempt bounded by
// opts.ConnectTimeout, and brings the schema up to date within
// opts.MigrationTimeout (and ctx). A DSN that does not
// parse is metastore.ErrInvalidRequest; a database that cannot be reached
// is metastore.ErrUnavailable. Errors never quote the DSN's password.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// The parser's message may quote the DSN, password included.
		return nil, fmt.Errorf("open postgres metadata store: the DSN does not parse "+
			"(a postgres:// URL or key=value pairs; not repeated here as it may hold a password): %w",
			metastore.ErrInvalidRequest)
	}
	cfg.MaxConns = opts.maxConns()
	cfg.ConnConfig.ConnectTimeout = opts.connectTimeout()
	cfg.PingTimeout = opts.connectTimeout()
	for param, value := range sessionDefaults {
		if _, ok := cfg.ConnConfig.RuntimeParams[param]; !ok {
			cfg.ConnConfig.RuntimeParams[param] = value
		}
	}
	where := describe(cfg.ConnConfig)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres metadata store %s: %w", where, classify(ctx, err))
	}
	s := &Store{pool: pool}
	ctx, cancel := context.WithTimeout(ctx, opts.migrationTimeout())
	defer cancel()
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres metadata store %s: %w", where, err)
	}
	return s, nil
}

// sessionDefaults are the session settings the store asks for unless the
// DSN sets them. A broker that vanishes inside a transaction (a machine
// lost without a TCP reset) would hold its partition locks until TCP
// keepalives noticed, stalling every other broker's Appends to those
// partitions; the store's transactions never pause between statements,
// so the server may end one that does after a few seconds.
var sessionDefaults = map[string]string{
	"application_name":                    "tributary",
	"idle_in_transaction_session_timeout": "10s",
}

// describe names the database for messages: user, host, port, database,
// never the password.
func describe(c *pgx.ConnConfig) string {
	return fmt.Sprintf("postgres://%s@%s/%s", c.User, net.JoinHostPort(c.Host, fmt.Sprint(c.Port)), c.Database)
}

// Close closes every connection once in-flight calls return theirs.
// Calling it again is a no-op; other methods then fail with
// ErrUnavailable.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// maxAttempts bounds the runs of one transaction that Postgres rolled back
// for a deadlock or a serialization failure, or that never reached it.
const maxAttempts = 5

// tx runs fn in one READ COMMITTED transaction and commits it, running it
// again (fn must start from scratch) when it certainly did not commit and
// may succeed if tried again. Rule outcomes from fn roll back and pass
// through; failures of the database are classified. A COMMIT that got no
// answer is errCommitUnknown and never run again: it may have committed.
//
// A failure that left the database as it was (the transaction never
// reached COMMIT, or COMMIT was answered with a rollback) and may pass by
// itself is marked metastore.ErrNotApplied beside ErrUnavailable, so a
// caller may run the write again (the log's writer does, while Postgres
// restarts).
func (s *Store) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	return notApplied(s.txOnce(ctx, fn))
}

// notApplied marks an unavailable failure of tx that certainly did not
// commit: any but a COMMIT without an answer and a broken invariant.
func notApplied(err error) error {
	if !errors.Is(err, metastore.ErrUnavailable) || errors.Is(err, errCommitUnknown) || errors.Is(err, errCorrupt) {
		return err
	}
	return fmt.Errorf("%w: %w", metastore.ErrNotApplied, err)
}

// txOnce is tx without the ErrNotApplied mark.
func (s *Store) txOnce(ctx context.Context, fn func(pgx.Tx) error) error {
	return s.retry(ctx, func() error {
		tx, err := s.pool.Begin(ctx)
		if err != nil {
			return err
		}
		if err := fn(tx); err != nil {
			// Uncommitted: a connection lost here took the transaction
			// with it, so running fn again is safe. fn's error is the one
			// that matters; a failed ROLLBACK only means the connection
			// went, which ended the transaction anyway.
			_ = tx.Rollback(ctx)
			return err
		}
		err = tx.Commit(ctx)
		var pgErr *pgconn.PgError
		if err != nil && !errors.As(err, &pgErr) && !errors.Is(err, pgx.ErrTxCommitRollback) {
			// No answer to COMMIT. pgx may even call this error safe to
			// retry (it reports the connection it closed on the failed
			// read as "conn closed"), so it is marked here, where the
			// outcome is known to be unknown.
			return fmt.Errorf("%w: %w", errCommitUnknown, err)
		}
		return err
	})
}

// retry runs op, again while it fails in a way that is safe and useful to
// retry, and classifies its last error.
func (s *Store) retry(ctx context.Context, op func() error) error {
	for attempt := 1; ; attempt++ {
		err := op()
		if err == nil {
			return nil
		}
		if isDomain(err) {
			return err
		}
		if lostConnection(err) {
			// One broken connection usually means all are (a restarted
			// or failed-over server): drop the idle ones now instead of
			// failing on each in turn.
			s.pool.Reset()
		}
		if attempt == maxAttempts || !retriable(err) || ctx.Err() != nil {
			return classify(ctx, err)
		}
		select {
		case <-time.After(time.Duration(attempt*attempt) * 5 * time.Millisecond):
		case <-ctx.Done():
			return classify(ctx, err)
		}
	}
}

// domainErrors are the outcomes of the store's rules; anything else is a
// failure of the database or of the store.
var domainErrors = []error{
	metastore.ErrTopicExists, metastore.ErrUnknownTopic, metastore.ErrUnknownPartition,
	metastore.ErrInvalidPartitions, metastore.ErrOutOfOrderSequence,
	metastore.ErrInvalidProducerEpoch, metastore.ErrConflict, metastore.ErrInvalidRequest,
	metastore.ErrUnknownGroup, metastore.ErrIllegalGeneration, metastore.ErrUnknownKey,
	metastore.ErrOffsetOutOfRange,
}

func isDomain(err error) bool {
	for _, d := range domainErrors {
		if errors.Is(err, d) {
			return true
		}
	}
	return false
}

// retriable reports whether err certainly left no effect and a new
// attempt may succeed: Postgres rolled the transaction back to resolve a
// deadlock or a serialization conflict, or nothing was sent.
func retriable(err error) bool {
	if errors.Is(err, errCommitUnknown) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "40001" || pgErr.Code == "40P01"
	}
	return pgconn.SafeToRetry(err)
}

// lostConnection reports whether err means the connection (and likely
// the server) went away, rather than an answer, the caller giving up, or
// the store's own finding.
func lostConnection(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, errCorrupt) || errors.Is(err, errSchema) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code[:2] == "08" || pgErr.Code[:3] == "57P" // connection exception, shutdown
	}
	return true
}

// unavailableClasses are the SQLSTATE classes of a database that cannot
// serve now but may later: connection exception, transaction rollback,
// insufficient resources, operator intervention (shutdown, cancel),
// system error, internal error.
var unavailableClasses = map[string]bool{"08": true, "40": true, "53": true, "57": true, "58": true, "XX": true}

// classify sorts a failure from the database (STYLE #8): the caller's
// context ending passes through as itself; connection failures, server
// shutdowns, resource exhaustion and rollbacks that retries did not cure
// wrap metastore.ErrUnavailable (retriable: whether a COMMIT whose reply
// was lost took effect is unknown, and the broker's idempotent producers
// make its retry safe); a broken invariant is errCorrupt, also
// unavailable; other server errors (a bad statement) are bugs and are
// returned as they are.
func classify(ctx context.Context, err error) error {
	switch ctxErr := ctx.Err(); {
	case err == nil || isDomain(err):
		return err
	case ctxErr != nil && errors.Is(err, ctxErr):
		return err
	case ctxErr != nil:
		return fmt.Errorf("%w: %w", ctxErr, err)
	case errors.Is(err, errCorrupt):
		return fmt.Errorf("%w: %w", metastore.ErrUnavailable, err)
	}
	var pgErr *pgconn.PgError
	switch {
	case !errors.As(err, &pgErr), unavailableClasses[pgErr.Code[:2]]:
		return fmt.Errorf("%w: %w", metastore.ErrUnavailable, err)
	case pgErr.Code == "23514": // check_violation: a count went below zero
		return fmt.Errorf("%w: %w: %w", metastore.ErrUnavailable, errCorrupt, err)
	default:
		return err
	}
}
