package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tributary-io/tributary/internal/metastore"
)

// Groups (metastore.Groups). Records live in the groups bucket; a group's
// offsets in a bucket of its own, nested in group_offsets under the
// group's name, which exists exactly while the group has offsets: the
// first commit creates it and removing the last offset removes it, so
// DeleteGroup drops one bucket and "has offsets" is "has a bucket".
// UpdatedAt, CommittedAt and expiry follow time.Now, the store's clock.

// clock is the store's clock as it reports times: UTC, to the
// microsecond (as Postgres keeps them), without a monotonic reading.
func clock() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// group loads name's record; ok is false when there is none.
func (t *tx) group(name string) (g metastore.Group, ok bool, err error) {
	v := t.groups.Get([]byte(name))
	if v == nil {
		return metastore.Group{}, false, nil
	}
	g, err = decodeGroup(name, v)
	return g, err == nil, err
}

// groupOffsets is name's bucket of offsets, nil when it has none.
func (t *tx) groupOffsets(name string) *bolt.Bucket { return t.offsets.Bucket([]byte(name)) }

// Group returns name's record.
func (s *Store) Group(ctx context.Context, name string) (metastore.Group, error) {
	if err := metastore.ValidateGroupName(name); err != nil {
		return metastore.Group{}, err
	}
	var g metastore.Group
	err := s.view(ctx, func(t *tx) error {
		var ok bool
		var err error
		if g, ok, err = t.group(name); err == nil && !ok {
			return metastore.ErrUnknownGroup
		}
		return err
	})
	if err != nil {
		return metastore.Group{}, fmt.Errorf("look up group %s: %w", name, err)
	}
	return g, nil
}

// PutGroup writes g if the stored version is prev (0: no record).
func (s *Store) PutGroup(ctx context.Context, g metastore.Group, prev int64) (metastore.Group, error) {
	if err := metastore.ValidateGroupName(g.Name); err != nil {
		return metastore.Group{}, err
	}
	g.Version, g.State = prev+1, bytes.Clone(g.State)
	err := s.update(ctx, func(t *tx) error {
		cur, _, err := t.group(g.Name)
		if err != nil {
			return err
		}
		if cur.Version != prev {
			return fmt.Errorf("stored version %d, not %d: %w", cur.Version, prev, metastore.ErrConflict)
		}
		g.UpdatedAt = clock()
		return t.groups.Put([]byte(g.Name), encodeGroup(g))
	})
	if err != nil {
		return metastore.Group{}, fmt.Errorf("put group %s: %w", g.Name, err)
	}
	return g, nil
}

// ListGroups lists the records by name (bbolt's key order).
func (s *Store) ListGroups(ctx context.Context) ([]metastore.Group, error) {
	var groups []metastore.Group
	err := s.view(ctx, func(t *tx) error {
		return t.groups.ForEach(func(k, v []byte) error {
			g, err := decodeGroup(string(k), v)
			groups = append(groups, g)
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	return groups, nil
}

// DeleteGroup removes name's record and offsets if the stored version is
// prev (0 for a group with offsets only).
func (s *Store) DeleteGroup(ctx context.Context, name string, prev int64) error {
	if err := metastore.ValidateGroupName(name); err != nil {
		return err
	}
	err := s.free(ctx, func(t *tx) error {
		cur, ok, err := t.group(name)
		if err != nil {
			return err
		}
		hasOffsets := t.groupOffsets(name) != nil
		switch {
		case !ok && !hasOffsets:
			return metastore.ErrUnknownGroup
		case cur.Version != prev:
			return fmt.Errorf("stored version %d, not %d: %w", cur.Version, prev, metastore.ErrConflict)
		}
		return t.deleteGroup(name, ok, hasOffsets)
	})
	if err != nil {
		return fmt.Errorf("delete group %s: %w", name, err)
	}
	return nil
}

// deleteGroup removes name's record and offsets, as far as it has them.
func (t *tx) deleteGroup(name string, record, offsets bool) error {
	if record {
		if err := t.groups.Delete([]byte(name)); err != nil {
			return err
		}
	}
	if offsets {
		return t.offsets.DeleteBucket([]byte(name))
	}
	return nil
}

// CommitOffsets stores offsets for group, checking the stored generation
// first when generation >= 0.
func (s *Store) CommitOffsets(ctx context.Context, group string, generation int32, offsets []metastore.GroupOffset) error {
	if err := metastore.ValidateCommit(group, offsets); err != nil {
		return err
	}
	set := metastore.CommitSet(offsets)
	err := s.update(ctx, func(t *tx) error {
		if generation >= 0 {
			if err := t.checkGeneration(group, generation); err != nil {
				return err
			}
		}
		if len(set) == 0 {
			return nil
		}
		b, err := t.offsets.CreateBucketIfNotExists([]byte(group))
		if err != nil {
			return err
		}
		at := clock()
		for _, o := range set {
			o.CommittedAt = at
			if err := b.Put(offsetKey(o.Topic, o.Partition), encodeOffset(o)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("commit offsets of group %s generation %d: %w", group, generation, err)
	}
	return nil
}

// checkGeneration fails with ErrIllegalGeneration unless group's record
// exists with generation.
func (t *tx) checkGeneration(group string, generation int32) error {
	g, ok, err := t.group(group)
	switch {
	case err != nil:
		return err
	case !ok:
		return fmt.Errorf("no group record: %w", metastore.ErrIllegalGeneration)
	case g.Generation != generation:
		return fmt.Errorf("stored generation is %d: %w", g.Generation, metastore.ErrIllegalGeneration)
	}
	return nil
}

// FetchOffsets returns group's offsets by topic and partition.
func (s *Store) FetchOffsets(ctx context.Context, group string) ([]metastore.GroupOffset, error) {
	if err := metastore.ValidateGroupName(group); err != nil {
		return nil, err
	}
	var offsets []metastore.GroupOffset
	err := s.view(ctx, func(t *tx) error {
		b := t.groupOffsets(group)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			o, err := decodeOffset(k, v)
			offsets = append(offsets, o)
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("fetch offsets of group %s: %w", group, err)
	}
	// Key order is this order unless a topic name holds a zero byte.
	slices.SortFunc(offsets, metastore.CompareOffsets)
	return offsets, nil
}

// DeleteOffsets removes the named offsets of group.
func (s *Store) DeleteOffsets(ctx context.Context, group string, parts []metastore.TopicPartition) error {
	if err := metastore.ValidateTopicPartitions(group, parts); err != nil {
		return err
	}
	err := s.free(ctx, func(t *tx) error {
		b := t.groupOffsets(group)
		if b == nil {
			return nil
		}
		for _, p := range parts {
			if err := b.Delete(offsetKey(p.Topic, p.Partition)); err != nil {
				return err
			}
		}
		return t.dropIfEmpty(group)
	})
	if err != nil {
		return fmt.Errorf("delete offsets of group %s: %w", group, err)
	}
	return nil
}

// dropIfEmpty removes group's offsets bucket if it holds none, keeping
// "has offsets" equal to "has a bucket".
func (t *tx) dropIfEmpty(group string) error {
	if k, _ := t.groupOffsets(group).Cursor().First(); k != nil {
		return nil
	}
	return t.offsets.DeleteBucket([]byte(group))
}

// deleteTopicOffsets removes every group's offsets of topic (by name).
func (t *tx) deleteTopicOffsets(topic string) error {
	var groups []string
	err := t.offsets.ForEachBucket(func(name []byte) error {
		groups = append(groups, string(name))
		return nil
	})
	if err != nil {
		return err
	}
	prefix := offsetTopicPrefix(topic)
	for _, g := range groups {
		b := t.groupOffsets(g)
		var keys [][]byte
		c := b.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			if len(k) == len(prefix)+4 { // not a longer topic's key
				keys = append(keys, bytes.Clone(k))
			}
		}
		for _, k := range keys {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		if len(keys) > 0 {
			if err := t.dropIfEmpty(g); err != nil {
				return err
			}
		}
	}
	return nil
}

// ExpireGroups removes the groups without a record or with an Empty one
// whose newest offset commit and record put are older than retention.
func (s *Store) ExpireGroups(ctx context.Context, retention time.Duration) ([]string, error) {
	if err := metastore.ValidateRetention(retention); err != nil {
		return nil, err
	}
	var expired []string
	err := s.free(ctx, func(t *tx) error {
		var err error
		if expired, err = t.expiredGroups(time.Now().Add(-retention)); err != nil {
			return err
		}
		for _, name := range expired {
			err := t.deleteGroup(name, t.groups.Get([]byte(name)) != nil, t.groupOffsets(name) != nil)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("expire groups older than %v: %w", retention, err)
	}
	return expired, nil
}

// expiredGroups lists, by name, the groups ExpireGroups removes given
// the cutoff (now minus the retention).
func (t *tx) expiredGroups(cutoff time.Time) ([]string, error) {
	var expired []string
	err := t.groups.ForEach(func(k, v []byte) error {
		g, err := decodeGroup(string(k), v)
		if err != nil || g.StateName != metastore.GroupStateEmpty {
			return err
		}
		newest, err := newestCommit(t.groupOffsets(g.Name))
		if err == nil && newest.Before(cutoff) && g.UpdatedAt.Before(cutoff) {
			expired = append(expired, g.Name)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	err = t.offsets.ForEachBucket(func(name []byte) error {
		if t.groups.Get(name) != nil {
			return nil // judged above
		}
		newest, err := newestCommit(t.offsets.Bucket(name))
		if err == nil && newest.Before(cutoff) {
			expired = append(expired, string(name))
		}
		return err
	})
	slices.Sort(expired)
	return expired, err
}

// newestCommit is the latest CommittedAt in a group's offsets bucket (the
// zero time for none).
func newestCommit(b *bolt.Bucket) (time.Time, error) {
	var newest time.Time
	if b == nil {
		return newest, nil
	}
	err := b.ForEach(func(k, v []byte) error {
		if len(v) < offsetValueLen {
			return fmt.Errorf("group offset %q: %w", k, errCorrupt)
		}
		if at := time.UnixMicro(int64(binary.BigEndian.Uint64(v[12:]))); at.After(newest) {
			newest = at
		}
		return nil
	})
	return newest, err
}
