package boltstore

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tributary-io/tributary/internal/metastore"
)

// CreateTopic creates a topic with a fresh random (version 4) TopicID and
// empty partitions.
func (s *Store) CreateTopic(ctx context.Context, spec metastore.TopicSpec) (metastore.Topic, error) {
	if err := metastore.ValidateTopicSpec(spec); err != nil {
		return metastore.Topic{}, err
	}
	topic := metastore.Topic{
		Name:       spec.Name,
		Partitions: spec.Partitions,
		Configs:    maps.Clone(spec.Configs),
		CreatedAt:  time.Now().UTC().Truncate(time.Microsecond),
	}
	if topic.Configs == nil {
		topic.Configs = map[string]string{}
	}
	err := s.update(ctx, func(t *tx) error {
		if t.topics.Get([]byte(spec.Name)) != nil {
			return metastore.ErrTopicExists
		}
		id, err := t.newTopicID()
		if err != nil {
			return err
		}
		topic.ID = id
		if err := t.topicIDs.Put(id[:], []byte(spec.Name)); err != nil {
			return err
		}
		return t.putTopicAndPartitions(topic, 0)
	})
	if err != nil {
		return metastore.Topic{}, fmt.Errorf("create topic %s: %w", spec.Name, err)
	}
	return topic, nil
}

// newTopicID draws a random UUID not used by any existing topic. A
// collision of 122 random bits is not expected even once; repeated ones
// mean a broken random source.
func (t *tx) newTopicID() (metastore.TopicID, error) {
	for range 3 {
		if id := metastore.NewTopicID(); t.topicIDs.Get(id[:]) == nil {
			return id, nil
		}
	}
	return metastore.TopicID{}, errors.New("random topic ids keep colliding")
}

// putTopicAndPartitions stores topic and creates empty partitions from
// index from up to topic.Partitions.
func (t *tx) putTopicAndPartitions(topic metastore.Topic, from int32) error {
	v, err := encodeTopic(topic)
	if err != nil {
		return err
	}
	if err := t.topics.Put([]byte(topic.Name), v); err != nil {
		return err
	}
	for p := from; p < topic.Partitions; p++ {
		pk := metastore.PartitionKey{Topic: topic.ID, Partition: p}
		if err := t.putPartition(pk, metastore.PartitionState{}); err != nil {
			return err
		}
	}
	return nil
}

// topic loads a topic by name (ErrUnknownTopic).
func (t *tx) topic(name string) (metastore.Topic, error) {
	v := t.topics.Get([]byte(name))
	if v == nil {
		return metastore.Topic{}, metastore.ErrUnknownTopic
	}
	return decodeTopic(name, v)
}

// DeleteTopic removes the topic and everything under its ID, releasing the
// object references of its index entries, and every group's offsets of
// the topic's name.
func (s *Store) DeleteTopic(ctx context.Context, name string) (metastore.Topic, error) {
	var topic metastore.Topic
	err := s.free(ctx, func(t *tx) error {
		var err error
		if topic, err = t.topic(name); err != nil {
			return err
		}
		return t.deleteTopic(topic)
	})
	if err != nil {
		return metastore.Topic{}, fmt.Errorf("delete topic %s: %w", name, err)
	}
	return topic, nil
}

func (t *tx) deleteTopic(topic metastore.Topic) error {
	prefix := topic.ID[:]
	refs := map[string]int64{}
	err := deletePrefix(t.index, prefix, func(k, v []byte) error {
		e, err := decodeEntry(k, v)
		refs[e.ObjectKey]++
		return err
	})
	if err != nil {
		return err
	}
	if err := t.dropRefs(refs); err != nil {
		return err
	}
	for _, b := range []*bolt.Bucket{t.parts, t.producers} {
		if err := deletePrefix(b, prefix, nil); err != nil {
			return err
		}
	}
	if err := t.topicIDs.Delete(prefix); err != nil {
		return err
	}
	if err := t.deleteTopicOffsets(topic.Name); err != nil {
		return err
	}
	return t.topics.Delete([]byte(topic.Name))
}

// Topic returns one topic by name.
func (s *Store) Topic(ctx context.Context, name string) (metastore.Topic, error) {
	var topic metastore.Topic
	err := s.view(ctx, func(t *tx) error {
		var err error
		topic, err = t.topic(name)
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
	err := s.view(ctx, func(t *tx) error {
		name := t.topicIDs.Get(id[:])
		if name == nil {
			return metastore.ErrUnknownTopic
		}
		var err error
		topic, err = t.topic(string(name))
		return err
	})
	if err != nil {
		return metastore.Topic{}, fmt.Errorf("look up topic id %v: %w", id, err)
	}
	return topic, nil
}

// Topics lists every topic, sorted by name (bbolt's key order).
func (s *Store) Topics(ctx context.Context) ([]metastore.Topic, error) {
	var topics []metastore.Topic
	err := s.view(ctx, func(t *tx) error {
		return t.topics.ForEach(func(k, v []byte) error {
			topic, err := decodeTopic(string(k), v)
			topics = append(topics, topic)
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list topics: %w", err)
	}
	return topics, nil
}

// CreatePartitions raises the topic's partition count to total.
func (s *Store) CreatePartitions(ctx context.Context, name string, total int32) (metastore.Topic, error) {
	var topic metastore.Topic
	err := s.update(ctx, func(t *tx) error {
		var err error
		if topic, err = t.topic(name); err != nil {
			return err
		}
		if total <= topic.Partitions {
			return fmt.Errorf("%d partitions requested, topic has %d: %w",
				total, topic.Partitions, metastore.ErrInvalidPartitions)
		}
		from := topic.Partitions
		topic.Partitions = total
		return t.putTopicAndPartitions(topic, from)
	})
	if err != nil {
		return metastore.Topic{}, fmt.Errorf("create partitions of %s: %w", name, err)
	}
	return topic, nil
}

// AlterTopicConfigs changes the topic's configs; see metastore.Store.
func (s *Store) AlterTopicConfigs(ctx context.Context, name string, set map[string]*string, replace bool) (metastore.Topic, error) {
	var topic metastore.Topic
	err := s.update(ctx, func(t *tx) error {
		var err error
		if topic, err = t.topic(name); err != nil {
			return err
		}
		topic.Configs = metastore.AlterConfigs(topic.Configs, set, replace)
		return t.putTopicAndPartitions(topic, topic.Partitions)
	})
	if err != nil {
		return metastore.Topic{}, fmt.Errorf("alter configs of %s: %w", name, err)
	}
	return topic, nil
}
