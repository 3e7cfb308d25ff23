package broker

// Kafka's internal topics, as clients see them.
//
// Kafka keeps committed offsets in __consumer_offsets and lists it in
// Metadata with is_internal set; clients rely on that (franz-go and the
// Java client skip internal topics when matching a subscription regex
// unless asked, and KIP-848 brokers resolve regexes over them too).
// Tributary keeps offsets in the metadata store, so __consumer_offsets is a
// virtual topic: listed as Kafka lists it (offsets.topic.num.partitions,
// default 50, cleanup.policy=compact), describable, never produceable
// (INVALID_TOPIC_EXCEPTION, as Kafka answers clients appending to an
// internal topic), never deletable or alterable, and read as empty (every
// partition at offset 0). __transaction_state is not listed: Kafka lists
// it only once transactions have created it, and here they never do.
//
// A stored topic of the same name (created before this existed) wins: it
// holds data.

import (
	"context"
	"crypto/sha256"

	"github.com/tributary-io/tributary/internal/metastore"
)

const (
	// consumerOffsetsTopic is Kafka's internal topic of committed offsets.
	consumerOffsetsTopic = "__consumer_offsets"
	// consumerOffsetsPartitions is Kafka's offsets.topic.num.partitions
	// default.
	consumerOffsetsPartitions = 50
)

// consumerOffsets is the virtual __consumer_offsets. Its topic ID is
// derived from the name, so every broker reports the same one.
var consumerOffsets = metastore.Topic{
	Name:       consumerOffsetsTopic,
	ID:         internalTopicID(consumerOffsetsTopic),
	Partitions: consumerOffsetsPartitions,
	Configs: map[string]string{
		"cleanup.policy":   "compact",
		"compression.type": "producer",
		"segment.bytes":    "104857600",
	},
}

func internalTopicID(name string) metastore.TopicID {
	sum := sha256.Sum256([]byte("tributary internal topic " + name))
	var id metastore.TopicID
	copy(id[:], sum[:])
	id[6] = id[6]&0x0f | 0x40 // a version-4-shaped UUID, as Kafka's are
	id[8] = id[8]&0x3f | 0x80
	return id
}

// internalTopic returns the virtual internal topic named name or
// identified by id.
func internalTopic(name string, id metastore.TopicID) (metastore.Topic, bool) {
	if name == consumerOffsetsTopic || (name == "" && id == consumerOffsets.ID) {
		return consumerOffsets, true
	}
	return metastore.Topic{}, false
}

// isInternal reports whether t is a virtual internal topic.
func isInternal(t metastore.Topic) bool { return t.ID == consumerOffsets.ID }

// lookupTopic is topicCache.lookup that also finds the internal topics.
func (s *Server) lookupTopic(ctx context.Context, name string, id metastore.TopicID) (metastore.Topic, bool, error) {
	t, ok, err := s.topics.lookup(ctx, name, id)
	if err != nil || ok {
		return t, ok, err
	}
	t, ok = internalTopic(name, id)
	return t, ok, nil
}

// withInternal adds the internal topics to all, unless stored topics have
// their names; all is not modified.
func withInternal(all map[string]metastore.Topic) map[string]metastore.Topic {
	if _, stored := all[consumerOffsetsTopic]; stored {
		return all
	}
	out := make(map[string]metastore.Topic, len(all)+1)
	for n, t := range all {
		out[n] = t
	}
	out[consumerOffsetsTopic] = consumerOffsets
	return out
}

// groupTopics is the group coordinator's TopicResolver: the stored topics
// and the internal ones, as a KIP-848 broker resolves subscription regexes
// over every topic, internal ones included.
type groupTopics struct{ tc *topicCache }

func (g groupTopics) Topics(ctx context.Context) (map[string]metastore.Topic, error) {
	all, err := g.tc.all(ctx)
	if err != nil {
		return nil, err
	}
	return withInternal(all), nil
}
