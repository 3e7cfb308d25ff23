package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// migrate applies the migrations the database lacks, in one transaction
// under an advisory lock, so that brokers starting together migrate once
// and none sees a half-made schema. A database that has a migration this
// build does not know was migrated by a newer build: errSchema.
func (s *Store) migrate(ctx context.Context) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, sqlMigrationsLock, migrationLockKey); err != nil {
			return fmt.Errorf("lock migrations: %w", err)
		}
		if _, err := tx.Exec(ctx, sqlMigrationsCreate); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		rows, _ := tx.Query(ctx, sqlMigrationsApplied)
		applied, err := pgx.CollectRows(rows, pgx.RowTo[int32])
		if err != nil {
			return fmt.Errorf("read schema_migrations: %w", err)
		}
		for i, v := range applied {
			if int(v) != i+1 || int(v) > len(migrations) {
				return fmt.Errorf("database has migrations %v, this build knows 1 to %d: %w",
					applied, len(migrations), errSchema)
			}
		}
		for _, m := range migrations[len(applied):] {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %04d_%s: %w", m.version, m.name, err)
			}
			if _, err := tx.Exec(ctx, sqlMigrationsRecord, m.version, m.name); err != nil {
				return fmt.Errorf("record migration %04d_%s: %w", m.version, m.name, err)
			}
		}
		return nil
	})
}
