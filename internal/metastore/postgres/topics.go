package postgres

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/jackc/pgx/v5"

	"github.com/tributary-io/tributary/internal/metastore"
)

// CreateTopic creates a topic with a fresh random (version 4) TopicID and
// empty partitions; CreatedAt is the database's clock.
func (s *Store) CreateTopic(ctx context.Context, spec metastore.TopicSpec) (metastore.Topic, error) {
	if err := metastore.ValidateTopicSpec(spec); err != nil {
		return metastore.Topic{}, err
	}
	topic := metastore.Topic{Name: spec.Name, Partitions: spec.Partitions, Configs: maps.Clone(spec.Configs)}
	if topic.Configs == nil {
		topic.Configs = map[string]string{}
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		topic.ID = metastore.NewTopicID()
		err := tx.QueryRow(ctx, sqlTopicInsert, topic.ID, topic.Name, topic.Partitions, topic.Configs).Scan(&topic.CreatedAt)
		if errors.Is(err, pgx.ErrNoRows) {
			return metastore.ErrTopicExists
		}
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, sqlPartitionsInsert, topic.ID, 0, topic.Partitions)
		return err
	})
	if err != nil {
		return metastore.Topic{}, fmt.Errorf("create topic %s: %w", spec.Name, err)
	}
	topic.CreatedAt = topic.CreatedAt.UTC()
	return topic, nil
}

// scanTopic reads a row of (id, name, partitions, configs, created_at);
// no row is ErrUnknownTopic.
func scanTopic(row pgx.Row) (metastore.Topic, error) {
	var t metastore.Topic
	err := row.Scan(&t.ID, &t.Name, &t.Partitions, &t.Configs, &t.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return metastore.Topic{}, metastore.ErrUnknownTopic
	}
	if t.Configs == nil {
		t.Configs = map[string]string{}
	}
	t.CreatedAt = t.CreatedAt.UTC()
	return t, err
}

// DeleteTopic removes the topic, then (after Appends in flight on it
// finish) its index entries, releasing their object references, its
// producer states and its partitions, and every group's offsets of its
// name.
func (s *Store) DeleteTopic(ctx context.Context, name string) (metastore.Topic, error) {
	var topic metastore.Topic
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		if topic, err = scanTopic(tx.QueryRow(ctx, sqlTopicDelete, name)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, sqlTopicLockPartitions, topic.ID); err != nil {
			return err
		}
		var refs objectRefs
		rows, _ := tx.Query(ctx, sqlTopicObjectRefs, topic.ID)
		_, err = pgx.ForEachRow(rows, []any{&refs.key, &refs.n}, refs.add)
		if err != nil {
			return err
		}
		if err := dropRefs(ctx, tx, refs.keys, refs.counts); err != nil {
			return err
		}
		for _, q := range []string{sqlTopicDeleteIndex, sqlTopicDeleteProducers, sqlTopicDeletePartitions} {
			if _, err := tx.Exec(ctx, q, topic.ID); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, sqlTopicDeleteGroupOffsets, name)
		return err
	})
	if err != nil {
		return metastore.Topic{}, fmt.Errorf("delete topic %s: %w", name, err)
	}
	return topic, nil
}

// Topic returns one topic by name.
func (s *Store) Topic(ctx context.Context, name string) (metastore.Topic, error) {
	var topic metastore.Topic
	err := s.retry(ctx, func() (err error) {
		topic, err = scanTopic(s.pool.QueryRow(ctx, sqlTopicByName, name))
		return err
	})
	if err != nil {
		return metastore.Topic{}, fmt.Errorf("look up topic %s: %w", name, err)
	}
	return topic, nil
}

// TopicByID returns one topic by ID.
func (s *Store) TopicByID(ctx context.Context, id metastore.TopicID) (metastore.Topic, error) {
	var topic metastore.Topic
	err := s.retry(ctx, func() (err error) {
		topic, err = scanTopic(s.pool.QueryRow(ctx, sqlTopicByID, id))
		return err
	})
	if err != nil {
		return metastore.Topic{}, fmt.Errorf("look up topic id %v: %w", id, err)
	}
	return topic, nil
}

// Topics lists every topic, sorted by name (byte order).
func (s *Store) Topics(ctx context.Context) ([]metastore.Topic, error) {
	var topics []metastore.Topic
	err := s.retry(ctx, func() error {
		topics = nil
		rows, _ := s.pool.Query(ctx, sqlTopics)
		defer rows.Close()
		for rows.Next() {
			t, err := scanTopic(rows)
			if err != nil {
				return err
			}
			topics = append(topics, t)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("list topics: %w", err)
	}
	return topics, nil
}

// CreatePartitions raises the topic's partition count to total.
func (s *Store) CreatePartitions(ctx context.Context, name string, total int32) (metastore.Topic, error) {
	var topic metastore.Topic
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		if topic, err = scanTopic(tx.QueryRow(ctx, sqlTopicByNameForUpdate, name)); err != nil {
			return err
		}
		if total <= topic.Partitions {
			return fmt.Errorf("%d partitions requested, topic has %d: %w",
				total, topic.Partitions, metastore.ErrInvalidPartitions)
		}
		from := topic.Partitions
		topic.Partitions = total
		if _, err := tx.Exec(ctx, sqlTopicSetPartitions, topic.ID, total); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, sqlPartitionsInsert, topic.ID, from, total)
		return err
	})
	if err != nil {
		return metastore.Topic{}, fmt.Errorf("create partitions of %s: %w", name, err)
	}
	return topic, nil
}

// AlterTopicConfigs changes the topic's configs; see metastore.Store.
func (s *Store) AlterTopicConfigs(ctx context.Context, name string, set map[string]*string, replace bool) (metastore.Topic, error) {
	var topic metastore.Topic
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		if topic, err = scanTopic(tx.QueryRow(ctx, sqlTopicByNameForUpdate, name)); err != nil {
			return err
		}
		topic.Configs = metastore.AlterConfigs(topic.Configs, set, replace)
		_, err = tx.Exec(ctx, sqlTopicSetConfigs, topic.ID, topic.Configs)
		return err
	})
	if err != nil {
		return metastore.Topic{}, fmt.Errorf("alter configs of %s: %w", name, err)
	}
	return topic, nil
}
