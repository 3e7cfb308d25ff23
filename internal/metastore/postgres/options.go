package postgres

import (
	"fmt"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
)

// Defaults of Options.
const (
	DefaultMaxConns         = 10
	DefaultConnectTimeout   = 5 * time.Second
	DefaultMigrationTimeout = time.Minute
)

// Options tunes Open. The zero value is the production setting. They win
// over the DSN's pool_max_conns and connect_timeout; every other DSN
// setting (sslmode, application_name, …) is the DSN's.
type Options struct {
	// MaxConns bounds the connections the store opens. Zero means
	// DefaultMaxConns; negative is invalid. Each flush holds one for its
	// Append, each fetch one for a moment.
	MaxConns int32

	// ConnectTimeout bounds one connection attempt (dial, TLS, startup),
	// and the first connection of Open. Zero means DefaultConnectTimeout;
	// negative is invalid. Calls are bounded by their context as well.
	ConnectTimeout time.Duration

	// MigrationTimeout bounds Open's schema migration, waiting for another
	// broker's included. Zero means DefaultMigrationTimeout; negative is
	// invalid.
	MigrationTimeout time.Duration
}

// Validate reports whether o is usable.
func (o Options) Validate() error {
	if o.MaxConns < 0 || o.ConnectTimeout < 0 || o.MigrationTimeout < 0 {
		return fmt.Errorf("postgres options: MaxConns %d, ConnectTimeout %v, MigrationTimeout %v: %w",
			o.MaxConns, o.ConnectTimeout, o.MigrationTimeout, metastore.ErrInvalidRequest)
	}
	return nil
}

func (o Options) maxConns() int32 {
	if o.MaxConns == 0 {
		return DefaultMaxConns
	}
	return o.MaxConns
}

func (o Options) connectTimeout() time.Duration {
	if o.ConnectTimeout == 0 {
		return DefaultConnectTimeout
	}
	return o.ConnectTimeout
}

func (o Options) migrationTimeout() time.Duration {
	if o.MigrationTimeout == 0 {
		return DefaultMigrationTimeout
	}
	return o.MigrationTimeout
}
