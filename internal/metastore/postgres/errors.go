package postgres

import "errors"

var (
	// errCorrupt marks stored data that breaks the store's invariants (a
	// reference to an unknown object, a producer state that does not
	// decode). It reaches callers wrapped in metastore.ErrUnavailable.
	errCorrupt = errors.New("postgres: inconsistent metadata")

	// errCommitUnknown marks a COMMIT that got no answer: it may or may
	// not have taken effect. It reaches callers wrapped in
	// metastore.ErrUnavailable and is never retried by the store.
	errCommitUnknown = errors.New("postgres: commit outcome unknown")

	// errSchema marks a database migrated by a newer build than this one.
	errSchema = errors.New("postgres: unsupported schema version")
)
