package broker

// OffsetCommit, versions 2-9: checked against the group's generation (or
// a KIP-848 member's epoch) and stored in the metadata store.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() { register(2, 9, handleOffsetCommit) }

func handleOffsetCommit(s *Server, c *conn, req *kmsg.OffsetCommitRequest) (reply, error) {
	ctx, cancel := s.requestContext()
	defer cancel()
	return now(s.groups.OffsetCommit(ctx, req, s.partitionExists(ctx))), nil
}

// partitionExists reports whether a topic and partition exist, from the
// topic cache.
func (s *Server) partitionExists(ctx context.Context) func(string, int32) bool {
	return func(topic string, partition int32) bool {
		t, ok, err := s.topics.lookup(ctx, topic, [16]byte{})
		if err != nil {
			return true // the store is the judge; do not refuse on a lookup hiccup
		}
		return ok && partition >= 0 && partition < t.Partitions
	}
}
