package ingest

import "errors"

var (
	// ErrUnknownCatalog: bufstream.archive.iceberg.catalog names no
	// catalog of the config (Bufstream's "unknown catalog name").
	ErrUnknownCatalog = errors.New("ingest: unknown catalog name")
	// ErrTopicConfig: an Iceberg topic's configs are incomplete or wrong.
	ErrTopicConfig = errors.New("ingest: bad iceberg topic config")
	// ErrLeaseLost: another broker took the table's lease.
	ErrLeaseLost = errors.New("ingest: table lease lost")
	// ErrPanic: a pipeline session panicked; it was recovered and the
	// pipeline restarts from the table.
	ErrPanic = errors.New("ingest: pipeline panicked")
)
