package boltstore

import (
	"bytes"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/tributary-io/tributary/internal/metastore"
)

// tx is one bbolt transaction with its buckets at hand. Helpers on it
// return metastore sentinels for rule outcomes and errCorrupt for values
// that do not decode.
type tx struct {
	*bolt.Tx
	topics, topicIDs, parts, index, producers, objects, dead, counters *bolt.Bucket
	// groups holds group records by name; offsets holds one nested
	// bucket of offsets per group name (see groups.go).
	groups, offsets *bolt.Bucket
	// kv holds the entries of metastore.KV by key (see kv.go).
	kv *bolt.Bucket
}

func wrapTx(btx *bolt.Tx) (*tx, error) {
	t := &tx{
		Tx:        btx,
		topics:    btx.Bucket(bucketTopics),
		topicIDs:  btx.Bucket(bucketTopicIDs),
		parts:     btx.Bucket(bucketPartitions),
		index:     btx.Bucket(bucketIndex),
		producers: btx.Bucket(bucketProducers),
		objects:   btx.Bucket(bucketObjects),
		dead:      btx.Bucket(bucketDead),
		counters:  btx.Bucket(bucketCounters),
		groups:    btx.Bucket(bucketGroups),
		offsets:   btx.Bucket(bucketOffsets),
		kv:        btx.Bucket(bucketKV),
	}
	for _, b := range []*bolt.Bucket{t.topics, t.topicIDs, t.parts, t.index, t.producers, t.objects, t.dead, t.counters, t.groups, t.offsets, t.kv} {
		if b == nil {
			return nil, fmt.Errorf("missing bucket: %w", errCorrupt)
		}
	}
	return t, nil
}

// partition loads a partition's state (ErrUnknownPartition).
func (t *tx) partition(pk metastore.PartitionKey) (metastore.PartitionState, error) {
	v := t.parts.Get(partKey(pk))
	if v == nil {
		return metastore.PartitionState{}, fmt.Errorf("partition %v: %w", pk, metastore.ErrUnknownPartition)
	}
	st, err := decodePartition(v)
	if err != nil {
		return st, fmt.Errorf("partition %v: %w", pk, err)
	}
	return st, nil
}

func (t *tx) putPartition(pk metastore.PartitionKey, st metastore.PartitionState) error {
	return t.parts.Put(partKey(pk), encodePartition(st))
}

// producer loads the state of producerID on pk, nil when there is none.
func (t *tx) producer(pk metastore.PartitionKey, producerID int64) (*metastore.ProducerState, error) {
	v := t.producers.Get(producerKey(pk, producerID))
	if v == nil {
		return nil, nil
	}
	st, err := decodeProducer(v)
	if err != nil {
		return nil, fmt.Errorf("producer %d on %v: %w", producerID, pk, err)
	}
	return st, nil
}

func (t *tx) putProducer(pk metastore.PartitionKey, producerID int64, st *metastore.ProducerState) error {
	return t.producers.Put(producerKey(pk, producerID), encodeProducer(st))
}

// deletePrefix deletes every key of b starting with prefix, calling each
// (if not nil) on every pair first. Keys are collected before deleting
// because a bbolt cursor skips a key after Delete.
func deletePrefix(b *bolt.Bucket, prefix []byte, each func(k, v []byte) error) error {
	var keys [][]byte
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if each != nil {
			if err := each(k, v); err != nil {
				return err
			}
		}
		keys = append(keys, bytes.Clone(k))
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
