package admin

import "errors"

var (
	// ErrStarted: Start was called twice.
	ErrStarted = errors.New("admin: server already started")
	// ErrNotStarted: Shutdown before Start.
	ErrNotStarted = errors.New("admin: server not started")
)
