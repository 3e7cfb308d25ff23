package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tributary-io/tributary/internal/metastore"
)

// Groups (metastore.Groups): tables groups and group_offsets. Timestamps
// (UpdatedAt, CommittedAt, expiry) are the database's now(). Locks: a
// groups row before any group_offsets rows (see doc.go).

// scanGroup reads a row of (name, version, generation, protocol_type,
// kind, state_name, state, updated_at).
func scanGroup(row pgx.Row) (metastore.Group, error) {
	var g metastore.Group
	err := row.Scan(&g.Name, &g.Version, &g.Generation, &g.ProtocolType, &g.Kind, &g.StateName, &g.State, &g.UpdatedAt)
	g.UpdatedAt = g.UpdatedAt.UTC()
	return g, err
}

// Group returns name's record.
func (s *Store) Group(ctx context.Context, name string) (metastore.Group, error) {
	if err := metastore.ValidateGroupName(name); err != nil {
		return metastore.Group{}, err
	}
	var g metastore.Group
	err := s.retry(ctx, func() (err error) {
		g, err = scanGroup(s.pool.QueryRow(ctx, sqlGroupByName, name))
		if errors.Is(err, pgx.ErrNoRows) {
			return metastore.ErrUnknownGroup
		}
		return err
	})
	if err != nil {
		return metastore.Group{}, fmt.Errorf("look up group %s: %w", name, err)
	}
	return g, nil
}

// PutGroup writes g if the stored version is prev (0: no record), in one
// statement: an INSERT that does nothing if the group exists, or an
// UPDATE of the row at version prev.
func (s *Store) PutGroup(ctx context.Context, g metastore.Group, prev int64) (metastore.Group, error) {
	if err := metastore.ValidateGroupName(g.Name); err != nil {
		return metastore.Group{}, err
	}
	g.State = append([]byte{}, g.State...) // the caller's is not aliased; never nil (NOT NULL)
	err := s.retry(ctx, func() error {
		var row pgx.Row
		if prev == 0 {
			row = s.pool.QueryRow(ctx, sqlGroupInsert, g.Name, g.Generation, g.ProtocolType, g.Kind, g.StateName, g.State)
		} else {
			row = s.pool.QueryRow(ctx, sqlGroupUpdate, g.Name, prev, g.Generation, g.ProtocolType, g.Kind, g.StateName, g.State)
		}
		err := row.Scan(&g.Version, &g.UpdatedAt)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("stored version is not %d: %w", prev, metastore.ErrConflict)
		}
		return err
	})
	if err != nil {
		return metastore.Group{}, fmt.Errorf("put group %s: %w", g.Name, err)
	}
	g.UpdatedAt = g.UpdatedAt.UTC()
	return g, nil
}

// ListGroups lists the records by name (byte order).
func (s *Store) ListGroups(ctx context.Context) ([]metastore.Group, error) {
	var groups []metastore.Group
	err := s.retry(ctx, func() error {
		groups = nil
		rows, _ := s.pool.Query(ctx, sqlGroups)
		defer rows.Close()
		for rows.Next() {
			g, err := scanGroup(rows)
			if err != nil {
				return err
			}
			groups = append(groups, g)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	return groups, nil
}

// DeleteGroup removes name's record and offsets if the stored version is
// prev (0 for a group with offsets only), with the record locked.
func (s *Store) DeleteGroup(ctx context.Context, name string, prev int64) error {
	if err := metastore.ValidateGroupName(name); err != nil {
		return err
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var version int64 // 0: no record
		err := tx.QueryRow(ctx, sqlGroupLock, name).Scan(&version)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if version != 0 && version != prev {
			return fmt.Errorf("stored version %d, not %d: %w", version, prev, metastore.ErrConflict)
		}
		tag, err := tx.Exec(ctx, sqlGroupOffsetsDeleteAll, name)
		switch {
		case err != nil:
			return err
		case version == 0 && tag.RowsAffected() == 0:
			return metastore.ErrUnknownGroup
		case version == 0 && prev != 0:
			// Rolls the offsets' delete back.
			return fmt.Errorf("no record, not version %d: %w", prev, metastore.ErrConflict)
		case version == 0:
			return nil
		}
		_, err = tx.Exec(ctx, sqlGroupDelete, name)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete group %s: %w", name, err)
	}
	return nil
}

// CommitOffsets stores offsets for group. With generation >= 0 the
// record is read FOR SHARE first: a PutGroup changing the generation
// waits for the commit, or the commit waits for it and sees its
// generation.
func (s *Store) CommitOffsets(ctx context.Context, group string, generation int32, offsets []metastore.GroupOffset) error {
	if err := metastore.ValidateCommit(group, offsets); err != nil {
		return err
	}
	set := metastore.CommitSet(offsets)
	if generation < 0 && len(set) == 0 {
		return nil
	}
	topics, parts := make([]string, len(set)), make([]int32, len(set))
	offs, epochs, metadata := make([]int64, len(set)), make([]int32, len(set)), make([][]byte, len(set))
	for i, o := range set {
		topics[i], parts[i], offs[i], epochs[i], metadata[i] = o.Topic, o.Partition, o.Offset, o.LeaderEpoch, []byte(o.Metadata)
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if generation >= 0 {
			if err := checkGeneration(ctx, tx, group, generation); err != nil {
				return err
			}
		}
		if len(set) == 0 {
			return nil
		}
		_, err := tx.Exec(ctx, sqlGroupOffsetsUpsert, group, topics, parts, offs, epochs, metadata)
		return err
	})
	if err != nil {
		return fmt.Errorf("commit offsets of group %s generation %d: %w", group, generation, err)
	}
	return nil
}

// checkGeneration fails with ErrIllegalGeneration unless group's record
// exists with generation; it leaves the record locked FOR SHARE.
func checkGeneration(ctx context.Context, tx pgx.Tx, group string, generation int32) error {
	var stored int32
	err := tx.QueryRow(ctx, sqlGroupGenerationForShare, group).Scan(&stored)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("no group record: %w", metastore.ErrIllegalGeneration)
	case err != nil:
		return err
	case stored != generation:
		return fmt.Errorf("stored generation is %d: %w", stored, metastore.ErrIllegalGeneration)
	}
	return nil
}

// FetchOffsets returns group's offsets by topic and partition.
func (s *Store) FetchOffsets(ctx context.Context, group string) ([]metastore.GroupOffset, error) {
	if err := metastore.ValidateGroupName(group); err != nil {
		return nil, err
	}
	var offsets []metastore.GroupOffset
	err := s.retry(ctx, func() error {
		offsets = nil
		rows, _ := s.pool.Query(ctx, sqlGroupOffsets, group)
		var o metastore.GroupOffset
		var metadata []byte
		_, err := pgx.ForEachRow(rows, []any{&o.Topic, &o.Partition, &o.Offset, &o.LeaderEpoch, &metadata, &o.CommittedAt}, func() error {
			o.Metadata, o.CommittedAt = string(metadata), o.CommittedAt.UTC()
			offsets = append(offsets, o)
			return nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("fetch offsets of group %s: %w", group, err)
	}
	return offsets, nil
}

// DeleteOffsets removes the named offsets of group.
func (s *Store) DeleteOffsets(ctx context.Context, group string, parts []metastore.TopicPartition) error {
	if err := metastore.ValidateTopicPartitions(group, parts); err != nil {
		return err
	}
	if len(parts) == 0 {
		return nil
	}
	topics, nums := make([]string, len(parts)), make([]int32, len(parts))
	for i, p := range parts {
		topics[i], nums[i] = p.Topic, p.Partition
	}
	err := s.retry(ctx, func() error {
		_, err := s.pool.Exec(ctx, sqlGroupOffsetsDelete, group, topics, nums)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete offsets of group %s: %w", group, err)
	}
	return nil
}

// ExpireGroups removes the groups without a record or with an Empty one
// whose newest offset commit and record put are older than retention, by
// the database's clock, in one transaction: it locks the Empty records
// old enough, picks those (and the record-less groups) with no recent
// offset, and deletes them. See the SQL files for the races it allows.
func (s *Store) ExpireGroups(ctx context.Context, retention time.Duration) ([]string, error) {
	if err := metastore.ValidateRetention(retention); err != nil {
		return nil, err
	}
	age := micros(retention)
	var expired []string
	err := s.tx(ctx, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, sqlGroupsExpireLock, metastore.GroupStateEmpty, age)
		locked, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		rows, _ = tx.Query(ctx, sqlGroupsExpired, locked, age)
		if expired, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil || len(expired) == 0 {
			return err
		}
		if _, err := tx.Exec(ctx, sqlGroupsExpireOffsets, expired, age); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, sqlGroupsExpireRecords, expired, metastore.GroupStateEmpty, age)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("expire groups older than %v: %w", retention, err)
	}
	slices.Sort(expired)
	return expired, nil
}
