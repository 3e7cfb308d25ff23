package broker

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/tributary-io/tributary/internal/metastore"
)

// maxPartitions bounds one topic's partition count, so a typo cannot ask
// the store for millions of rows.
const maxPartitions = 10000

// validTopicName applies Kafka's topic name rules (Topic.validate).
func validTopicName(name string) error {
	if name == "" || name == "." || name == ".." {
		return fmt.Errorf("topic name %q is illegal", name)
	}
	if len(name) > 249 {
		return fmt.Errorf("topic name is longer than 249 characters")
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Errorf("topic name %q contains a character other than ASCII alphanumerics, '.', '_' and '-'", name)
		}
	}
	return nil
}

// createTopic creates a topic and refreshes the topic cache. An internal
// topic's name already exists.
func (s *Server) createTopic(ctx context.Context, spec metastore.TopicSpec) (metastore.Topic, error) {
	if _, internal := internalTopic(spec.Name, metastore.TopicID{}); internal {
		return metastore.Topic{}, fmt.Errorf("create internal topic %s: %w", spec.Name, metastore.ErrTopicExists)
	}
	t, err := s.meta.CreateTopic(ctx, spec)
	s.topics.invalidate()
	return t, err
}

func isExists(err error) bool { return errors.Is(err, metastore.ErrTopicExists) }

// storeErrCode maps a metadata-store error to the Kafka code a client
// should act on: not-found cases as such, anything else as a retriable
// storage error.
func storeErrCode(err error) int16 {
	switch {
	case errors.Is(err, metastore.ErrUnknownTopic), errors.Is(err, metastore.ErrUnknownPartition):
		return kerr.UnknownTopicOrPartition.Code
	case errors.Is(err, metastore.ErrTopicExists):
		return kerr.TopicAlreadyExists.Code
	case errors.Is(err, metastore.ErrInvalidPartitions):
		return kerr.InvalidPartitions.Code
	case errors.Is(err, context.DeadlineExceeded):
		return kerr.RequestTimedOut.Code
	default:
		return kerr.KafkaStorageError.Code
	}
}

func strp(s string) *string { return &s }
